"""Project-wide constants: paths, seed, split sizes, MNIST's pins and the MLflow defaults.

Nothing here touches the file system or MLflow: paths are only computed, and
environment variables are read when a function asks for them, so importing
this module is free of side effects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Paths are absolute and built from this file, never from the working directory:
# nbval starts each kernel in notebooks/, make starts at the root.
PROJ_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
EXTERNAL_DATA_DIR = DATA_DIR / "external"
MNIST_CACHE = RAW_DATA_DIR / "mnist.npz"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"

# Reproducibility: one seed, and the validation share of the 60,000 training images.
SEED = 42
N_VAL = 6_000
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)
INPUT_SHAPE = (28, 28, 1)

# The training protocol's defaults (Keras' default batch size and Adam's learning rate);
# each model's own settings live in its spec (mnist_pipeline.models.specs).
BATCH_SIZE = 32
LEARNING_RATE = 1e-3

# The study's business objective: accuracy on unseen data.
BUSINESS_ACCURACY_BAR = 0.90
# The project's own targets for model 4, its robust CNN: test accuracy, accuracy under each
# corruption its augmentation covers (at the target strength), the mean over MNIST-C and a floor
# under each of its corruptions; all over model 4's seeds.
ACCURACY_TARGET = 0.995
ROBUSTNESS_TARGET = 0.95
MNISTC_TARGET = 0.92
MNISTC_FLOOR = 0.75  # no single MNIST-C corruption below this

# The "not a digit" detector logged with every registered model: fitted on the features of
# this many training digits, its threshold refuses this share of validation digits.
DETECTOR_TRAIN_IMAGES = 10_000
DETECTOR_REJECT = 0.01
# MLflow: one experiment and one registered model per profile (see experiment_name), with a
# "champion" alias.
MLFLOW_DB = PROJ_ROOT / "mlflow.db"
EVALUATION_RUN = "evaluation"
CHAMPION_ALIAS = "champion"

# Data loading: how long the canonical download may take before the next source is tried.
DOWNLOAD_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Expectation:
    """What verified data must match: sha256 of each array's C-contiguous bytes, label counts."""

    sha256: dict[str, str]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]
    image_shape: tuple[int, int] = IMAGE_SHAPE


# MNIST's pins: data.integrity verifies the arrays against them, provenance stamps their digest.
MNIST_EXPECTATION = Expectation(
    sha256={
        "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    train_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    test_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
)

# The numbers the prose chapters quote, written by the chapters that compute them and read
# by Quarto's {{< var >}} shortcode.
VARIABLES_FILE = PROJ_ROOT / "_variables.yml"
# Generated files that are not the book's: a smoke run's variables and notebooks (git-ignored).
BUILD_DIR = PROJ_ROOT / "build"


@dataclass(frozen=True)
class Profile:
    """A budget for the whole series: how much data, how many epochs, seeds and trials.

    A profile changes budgets only, never an architecture, a rule or a code path: ``full`` is
    the study's protocol, ``smoke`` runs its code on a small budget (pruning aside) in minutes, to check
    the code (``make test``). Each profile logs to its own MLflow experiment, registered model
    and Optuna study, so that a smoke run never becomes a latest run, a champion or a look at
    the test set of the full study.

    Attributes:
        name: ``full`` or ``smoke``; every MLflow run records it as the ``profile`` parameter.
        n_train: training images (the first ones of the fixed, stratified, shuffled split);
            ``None``: all 54,000.
        max_epochs: a cap on each spec's epochs; ``None``: the spec's own.
        seeds: the seeds each repeated model trains on; the first is the study's run.
        search_trials: the search's budget, in finished trials (complete or pruned).
        search_epochs: epochs per search trial.
        search_train: training images of each search trial.
        n_corrupted: test images in the seeded sample the corruption suites corrupt.
        selection_train: training images of each candidate design of model 4.
        selection_epochs: epochs of each candidate design.
        selection_images: validation images the validation corruption suite corrupts.
        learns_bar: where set, the validation accuracy every model must clear in place of its
            spec's bar: proof that it learns (chance is 10 %), not of its quality.
    """

    name: str
    n_train: int | None
    max_epochs: int | None
    seeds: tuple[int, ...]
    search_trials: int
    search_epochs: int
    search_train: int
    n_corrupted: int
    selection_train: int | None
    selection_epochs: int
    selection_images: int
    learns_bar: float | None = None

    @property
    def extra_seeds(self) -> tuple[int, ...]:
        """The seeds after the study's run (seed 42), on which the repeats train."""
        return self.seeds[1:]

    def epochs(self, spec_epochs: int) -> int:
        """A spec's epochs under this profile: its own, or the cap where that is lower."""
        return spec_epochs if self.max_epochs is None else min(spec_epochs, self.max_epochs)

    def bar(self, spec_bar: float) -> float:
        """The validation accuracy a model must clear under this profile."""
        return spec_bar if self.learns_bar is None else self.learns_bar

    def describe(self) -> str:
        """One sentence on the budget, for a chapter's output: the models' training, the search's
        (each trial's own images and epochs) and model 4's choice of design, each named apart."""

        def budget(images: int | None, epochs: int) -> str:
            seen = "all training images" if images is None else f"{images:,} training images"
            return f"{epochs} epoch{'s' if epochs != 1 else ''} on {seen}"

        images = (
            "all training images" if self.n_train is None else f"{self.n_train:,} training images"
        )
        epochs = (
            "each model's own epochs"
            if self.max_epochs is None
            else (f"at most {self.max_epochs} epoch{'s' if self.max_epochs > 1 else ''}")
        )
        first, *more = map(str, self.seeds)
        listed = " and ".join([", ".join(more[:-1]), more[-1]] if len(more) > 1 else more)
        seeds = (
            f"seed {first}, and seed{'s' if len(more) > 1 else ''} {listed} too for the models "
            "their chapter repeats"
            if more
            else f"seed {first}"
        )
        return (
            f"Profile `{self.name}`: the models train on {images}, {epochs}, "
            f"{seeds}; the search runs "
            f"{self.search_trials} trials of up to "
            f"{budget(self.search_train, self.search_epochs)} each"
            + (" (a pruned trial may stop after its first epoch)" if self.search_epochs > 1 else "")
            + "; each candidate design of model 4 trains "
            f"{budget(self.selection_train, self.selection_epochs)} and is scored on "
            f"the clean validation images and on {self.selection_images:,} of them corrupted; "
            "the evaluation corrupts "
            f"{self.n_corrupted:,} test images per corruption."
        )


PROFILES = {
    # The study's protocol: the original epochs, three seeds, a search of 20 trials.
    "full": Profile(
        name="full",
        n_train=None,
        max_epochs=None,
        seeds=(42, 43, 44),
        search_trials=20,
        search_epochs=2,
        search_train=10_000,
        n_corrupted=2_000,
        selection_train=20_000,
        selection_epochs=4,
        selection_images=2_000,
    ),
    # The same code in minutes (paths such as pruning need the full budget): the code is checked, not the study.
    "smoke": Profile(
        name="smoke",
        n_train=4_000,
        # Two epochs: batch normalisation's running statistics need about 250 steps to settle
        # (model 3 scored 32 % on validation after one).
        max_epochs=2,
        # Two seeds, so that the spread over seeds and its paired differences run too.
        seeds=(42, 43),
        search_trials=2,
        search_epochs=1,
        search_train=1_000,
        n_corrupted=200,
        selection_train=1_000,
        selection_epochs=1,
        selection_images=100,
        learns_bar=0.5,
    ),
}
DEFAULT_PROFILE = "full"
PROFILE_VARIABLE = "MNIST_PROFILE"
_BASE_NAME = "mnist-cnn"


def profile() -> Profile:
    """The profile this process runs under: ``MNIST_PROFILE``, or ``full`` when it is unset.

    Raises:
        ValueError: for a name that is not in :data:`PROFILES`.
    """
    name = os.environ.get(PROFILE_VARIABLE, "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(
            f"{PROFILE_VARIABLE}={name!r} is not a profile; choose one of {', '.join(PROFILES)}"
        )
    return PROFILES[name]


def _profiled(base: str) -> str:
    name = profile().name
    return base if name == DEFAULT_PROFILE else f"{base}-{name}"


def experiment_name() -> str:
    """The MLflow experiment of this profile: ``mnist-cnn``, or ``mnist-cnn-smoke``..."""
    return _profiled(_BASE_NAME)


def registered_model() -> str:
    """The registered model of this profile, whose ``champion`` alias is served."""
    return _profiled(_BASE_NAME)


def search_study_name() -> str:
    """The Optuna study of this profile's hyperparameter search."""
    return _profiled("mnist-cnn-search")


def mlflow_tracking_uri() -> str:
    """Return the MLflow tracking URI.

    Returns:
        ``MLFLOW_TRACKING_URI`` when it is set, else an SQLite store at the
        repository root addressed by an absolute path.
    """
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{MLFLOW_DB}"


def variables_path() -> Path:
    """Return where chapters write the report's variables.

    Returns:
        ``MNIST_VARIABLES_FILE`` when it is set (a test run points it at a temporary
        file, so that it never changes the user's tree), else ``_variables.yml`` at the root
        under the ``full`` profile, and ``build/<profile>/_variables.yml`` under another: the
        book quotes the full study only.
    """
    override = os.environ.get("MNIST_VARIABLES_FILE")
    if override:
        return Path(override)
    name = profile().name
    return VARIABLES_FILE if name == DEFAULT_PROFILE else BUILD_DIR / name / VARIABLES_FILE.name


def model_card_path() -> Path:
    """Return where the evaluation chapter writes the champion's model card for the book.

    Returns:
        ``report/_model-card.md`` beside the report's variables: in the project, or in the
        temporary directory that a test run points ``MNIST_VARIABLES_FILE`` at.
    """
    return variables_path().parent / "report" / "_model-card.md"
