"""One frozen spec per model, and the registry of them: adding a model is adding a spec.

A spec says *what* to train (the architecture's builder, the training protocol, the bar it
must clear on validation, and what the original study reported for it);
:func:`mnist_pipeline.study.experiment.run` does the *how* (seed, build, fit, evaluate, log).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from mnist_pipeline import config
from mnist_pipeline.models import baselines, cnn


@dataclass(frozen=True)
class ModelSpec:
    """Everything that defines one model of the study.

    Attributes:
        key: the short name used in MLflow tags, tables and ``_variables.yml`` (``model_1``).
        title: how the book names it ("Model 1: a baseline CNN").
        builder: returns the uncompiled Keras network, or an unfitted scikit-learn estimator.
        epochs: passes over the training split (Keras models only), as the study's protocol
            has them; a profile may cap them (:meth:`config.Profile.epochs`).
        quality_bar: the validation accuracy a chapter asserts under the ``full`` profile, so a
            regression fails nbval (:meth:`config.Profile.bar`).
        family: ``"keras"`` or ``"sklearn"``: how ``experiment.run`` trains and logs it.
        batch_size: examples per gradient step.
        learning_rate: Adam's step size (its initial value under a schedule).
        cosine_decay: whether the step size decays to zero over training along a cosine.
        recalibrate_batchnorm: after training, re-estimate the batch-norm statistics on this
            many clean training images (0: keep the running averages of training); for a
            model that trained on augmented images (:func:`train.recalibrate_batchnorm`).
        study_val_accuracy: the validation accuracy a description of this study reported.
        reported_by: which description reported it (the original study, or another one).
        reported_split: the split the figure is reported on, as its source names it
            (``"validation"`` or ``"test"``): a reproduction compares it with ours on that split.
        reported_caveat: what else the source leaves out, said with its figure.
        group: where the book presents it: ``"baseline"``, ``"study"``, ``"beyond"`` or
            ``"ablation"`` (model 4 with one ingredient removed, to measure what it buys).
            An ablation is a control, never a candidate for champion (:data:`CONTROL_GROUPS`).
    """

    key: str
    title: str
    builder: Callable[[], object]
    epochs: int
    quality_bar: float
    family: str = "keras"
    batch_size: int = config.BATCH_SIZE
    learning_rate: float = config.LEARNING_RATE
    cosine_decay: bool = False
    recalibrate_batchnorm: int = 0
    study_val_accuracy: float | None = None
    group: str = "study"
    reported_by: str = "the original study, Big-Data ML Pipeline 2162940,"
    reported_split: str = "validation"
    reported_caveat: str = ""

    def build(self, n_train: int | None = None) -> object:
        """A fresh model from the builder: compiled with this spec's protocol if Keras.

        Args:
            n_train: training examples, which a cosine schedule needs to know its length.
        """
        if self.family == "sklearn":
            return self.builder()
        if self.cosine_decay and n_train is None:
            raise ValueError(f"{self.key}: a cosine schedule needs n_train")
        steps = self.epochs * math.ceil(n_train / self.batch_size) if self.cosine_decay else None
        return cnn.compile_model(
            self.builder(), learning_rate=self.learning_rate, decay_steps=steps
        )

    def replace(self, **changes: object) -> ModelSpec:
        """A copy with some fields changed (say, fewer epochs for a quick trial)."""
        return dataclasses.replace(self, **changes)


def _baselines() -> tuple[ModelSpec, ...]:
    return (
        ModelSpec(
            key="logistic",
            title="Logistic regression on pixels",
            builder=baselines.build_logistic_regression,
            epochs=0,
            quality_bar=0.90,
            family="sklearn",
            group="baseline",
        ),
        ModelSpec(
            key="forest",
            title="Random forest on pixels",
            builder=baselines.build_random_forest,
            epochs=0,
            quality_bar=0.95,
            family="sklearn",
            group="baseline",
        ),
        ModelSpec(
            key="pca_svm",
            title="RBF SVM on 50 PCA components",
            builder=baselines.build_pca_svm,
            epochs=0,
            quality_bar=0.975,
            family="sklearn",
            group="baseline",
        ),
        ModelSpec(
            key="soft_vote",
            title="Soft vote of the three classical models",
            builder=baselines.soft_vote,  # needs fitted members: build soft_vote(members)
            epochs=0,
            quality_bar=0.97,
            family="sklearn",
            group="baseline",
        ),
        ModelSpec(
            key="mlp",
            title="A dense network (MLP)",
            builder=baselines.build_mlp,
            epochs=10,
            quality_bar=0.975,
            batch_size=128,
            group="baseline",
            study_val_accuracy=0.978,
            reported_by="the MLflow example, MNIST Digit Prediction and Model Deployment with MLflow,",
            reported_split="test",
            reported_caveat=" (nor an architecture: ours is our own choice)",
        ),
    )


# Groups trained to measure one change, not to be served: never a candidate for champion.
CONTROL_GROUPS = ("ablation",)


def candidates(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that may become champion: all but those of :data:`CONTROL_GROUPS` (runs
    without a ``group`` column are all candidates)."""
    return runs[~runs["group"].isin(CONTROL_GROUPS)] if "group" in runs else runs


# Model 4's design is chosen on validation (:mod:`mnist_pipeline.study.selection`) among
# designs.DESIGNS. The registry holds the design a trial of that selection picked under the full
# profile's budget (validation only); the chapter that trains model 4 uses whatever its own
# selection picks (:func:`model_4`), and logs it as the run's ``architecture``.
MODEL_4_DESIGN = "photometric"
ABLATION_DESIGN = "plain"

MODEL_4 = ModelSpec(
    key="model_4",
    title="Model 4: a CNN built for corrupted digits",
    builder=functools.partial(cnn.build_robust_cnn, design=MODEL_4_DESIGN),
    epochs=10,
    quality_bar=0.985,
    batch_size=128,
    learning_rate=3e-3,
    cosine_decay=True,
    recalibrate_batchnorm=10_000,
    group="beyond",
)


def model_4(design: str) -> ModelSpec:
    """Model 4's spec with one of :data:`designs.DESIGNS`: the same network body and protocol.

    Raises:
        ValueError: for an unknown design.
    """
    if design not in cnn.DESIGNS:
        raise ValueError(f"unknown design {design!r}; known: {', '.join(cnn.DESIGNS)}")
    return MODEL_4.replace(builder=functools.partial(cnn.build_robust_cnn, design=design))


def design_of(spec: ModelSpec) -> str | None:
    """The design a model-4 spec builds (``None`` for any other model)."""
    builder = spec.builder
    if isinstance(builder, functools.partial) and builder.func is cnn.build_robust_cnn:
        return builder.keywords.get("design")
    return None


SPECS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="model_1",
            title="Model 1: a baseline CNN",
            builder=cnn.build_baseline_cnn,
            epochs=5,
            quality_bar=0.975,
            study_val_accuracy=0.975,
        ),
        ModelSpec(
            key="model_2",
            title="Model 2: a deeper CNN with dropout",
            builder=cnn.build_deeper_cnn,
            epochs=10,
            quality_bar=0.985,
            study_val_accuracy=0.985,
        ),
        ModelSpec(
            key="model_3",
            title="Model 3: a CNN with batch normalisation",
            builder=cnn.build_batchnorm_cnn,
            epochs=12,
            quality_bar=0.985,
            study_val_accuracy=0.992,
            reported_caveat=" (nor, outright, its split: most likely validation)",
        ),
        MODEL_4,
        # The ablation: model 4's network and protocol on the plain design (no augmentation, no
        # input normalisation), whichever of the two the chosen design adds.
        model_4(ABLATION_DESIGN).replace(
            key="model_4_no_aug",
            title="The ablation: model 4's network and protocol without its design's additions",
            group="ablation",
        ),
        *_baselines(),
    )
}


def _reported(spec: ModelSpec, original: bool) -> str:
    """A reported accuracy, naming its split and source unless ``original`` (:func:`as_table`)."""
    if spec.study_val_accuracy is None:
        return "-"
    source = spec.reported_by.removeprefix("the ").split(",")[0]
    where = "" if original else f" ({spec.reported_split}, {source})"
    return f"{100 * spec.study_val_accuracy:.1f}\u00a0%{where}"


def as_table(*chosen: ModelSpec) -> pd.DataFrame:
    """What trains and how, one row per spec (its label, with model 4's design), in short cells
    for a printed page: ``epochs``, ``batch``, ``optimizer`` (``-`` for scikit-learn), then any
    reported accuracy: the original study's on validation when all are, else with its source."""
    figures = [s for s in chosen if s.study_val_accuracy is not None]
    defaults = (ModelSpec.reported_by, ModelSpec.reported_split)
    original = all((s.reported_by, s.reported_split) == defaults for s in figures)
    header = "original study's acc." if original else "reported acc."
    rows, names = [], []
    for s in chosen:
        rate = f"Adam {s.learning_rate:g}" + (", cosine" if s.cosine_decay else "")
        cells = [s.epochs, s.batch_size, rate] if s.family == "keras" else ["-"] * 3
        row = dict(zip(("epochs", "batch", "optimizer"), cells, strict=True))
        rows.append(row | ({header: _reported(s, original)} if figures else {}))
        names.append(label(s.key) + (f" ({design})" if (design := design_of(s)) else ""))
    return pd.DataFrame(rows, index=pd.Index(names, name="model"))


def get(key: str) -> ModelSpec:
    """The spec registered under ``key``.

    Raises:
        KeyError: naming the keys that exist.
    """
    try:
        return SPECS[key]
    except KeyError:
        raise KeyError(f"no model spec {key!r}; known: {', '.join(SPECS)}") from None


def soft_vote(members: Sequence[tuple[str, object]]) -> ModelSpec:
    """The soft vote's spec, buildable: its registered entry with the fitted members bound.

    The entry in ``SPECS`` holds the vote's title, bar and group, but a vote is made of
    models trained first, so only this factory's spec can ``build()``.

    Args:
        members: ``(name, fitted classifier)`` pairs, in the order they vote.

    Returns:
        The ``soft_vote`` spec whose builder makes the vote of ``members``.

    Raises:
        ValueError: for no members.
    """
    if not members:
        raise ValueError("a soft vote needs at least one fitted member")
    return SPECS["soft_vote"].replace(builder=functools.partial(baselines.soft_vote, *members))


def label(key: str) -> str:
    """A model's name for figures and tables: ``"model 2"``, ``"RBF SVM on 50 PCA components"``.

    The study's CNNs go by their number; the others by their title. Keys like ``model_2``
    are for code, not for readers. Anything that is not a key comes back unchanged, so that
    ``frame.rename(columns=label)`` relabels the model columns of a table and keeps the others.
    """
    if key not in SPECS:
        return key
    title = SPECS[key].title
    return title.split(":")[0].lower() if ":" in title else title
