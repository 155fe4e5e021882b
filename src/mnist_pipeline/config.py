"""Project-wide constants: paths, seed, split sizes and the MLflow defaults.

Nothing here touches the file system or MLflow: paths are only computed, and
environment variables are read when a function asks for them, so importing
this module is free of side effects.
"""

from __future__ import annotations

import os
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
# The study's run is seed 42; the study's CNNs and the MLP are repeated on these to measure the
# spread over seeds (same split: only initialisation, shuffling and dropout change).
EXTRA_SEEDS = (43, 44)
N_VAL = 6_000
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)
INPUT_SHAPE = (28, 28, 1)

# The training protocol's defaults (Keras' default batch size and Adam's learning rate);
# each model's own settings live in its spec (mnist_pipeline.specs).
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
# The target suite's corruptions (robustness.CORRUPTIONS) that model 4's augmentation never
# produces: it rotates, shifts, zooms, adds noise and changes stroke width, but neither blurs nor
# occludes.
AUGMENTATION_NOT_COVERED = ("blur", "occlusion")

# The study's business objective: accuracy on unseen data.
BUSINESS_ACCURACY_BAR = 0.90
# The project's own targets for model 4, its robust CNN: test accuracy, accuracy under each
# corruption its augmentation covers (at the target strength), and the mean over MNIST-C.
ACCURACY_TARGET = 0.995
ROBUSTNESS_TARGET = 0.95
MNISTC_TARGET = 0.90

# MLflow: one experiment, one registered model, a "champion" alias.
MLFLOW_DB = PROJ_ROOT / "mlflow.db"
EVALUATION_RUN = "evaluation"
MLFLOW_EXPERIMENT = "mnist-cnn"
REGISTERED_MODEL = "mnist-cnn"
CHAMPION_ALIAS = "champion"

# Data loading: how long the canonical download may take before the next source is tried.
DOWNLOAD_TIMEOUT_S = 20.0

# The numbers the prose chapters quote, written by the chapters that compute them and read
# by Quarto's {{< var >}} shortcode.
VARIABLES_FILE = PROJ_ROOT / "_variables.yml"


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
        file, so that it never changes the user's tree), else ``_variables.yml`` at the root.
    """
    override = os.environ.get("MNIST_VARIABLES_FILE")
    return Path(override) if override else VARIABLES_FILE


def model_card_path() -> Path:
    """Return where the evaluation chapter writes the champion's model card for the book.

    Returns:
        ``report/_model-card.md`` beside the report's variables: in the project, or in the
        temporary directory that a test run points ``MNIST_VARIABLES_FILE`` at.
    """
    return variables_path().parent / "report" / "_model-card.md"
