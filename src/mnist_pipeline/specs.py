"""One frozen spec per model, and the registry of them: adding a model is adding a spec.

A spec says *what* to train (the architecture's builder, the training protocol, the bar it
must clear on validation, and what the original study reported for it);
:func:`mnist_pipeline.experiment.run` does the *how* (seed, build, fit, evaluate, log).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from mnist_pipeline import config, models
from mnist_pipeline._tf import keras


@dataclass(frozen=True)
class ModelSpec:
    """Everything that defines one model of the study.

    Attributes:
        key: the short name used in MLflow tags, tables and ``_variables.yml`` (``model_1``).
        title: how the book names it ("Model 1: a baseline CNN").
        builder: returns the uncompiled Keras network.
        epochs: passes over the training split.
        quality_bar: the validation accuracy a chapter asserts, so a regression fails nbval.
        batch_size: examples per gradient step.
        learning_rate: Adam's step size.
        study_val_accuracy: the validation accuracy the original study reported, if any.
    """

    key: str
    title: str
    builder: Callable[[], keras.Model]
    epochs: int
    quality_bar: float
    batch_size: int = config.BATCH_SIZE
    learning_rate: float = config.LEARNING_RATE
    study_val_accuracy: float | None = None

    def build(self) -> keras.Model:
        """A fresh network from the builder, compiled with this spec's learning rate."""
        return models.compile_model(self.builder(), learning_rate=self.learning_rate)

    def replace(self, **changes: object) -> ModelSpec:
        """A copy with some fields changed (say, fewer epochs for a quick trial)."""
        return dataclasses.replace(self, **changes)


SPECS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="model_1",
            title="Model 1: a baseline CNN",
            builder=models.build_baseline_cnn,
            epochs=5,
            quality_bar=0.975,
            study_val_accuracy=0.975,
        ),
        ModelSpec(
            key="model_2",
            title="Model 2: a deeper CNN with dropout",
            builder=models.build_deeper_cnn,
            epochs=10,
            quality_bar=0.985,
            study_val_accuracy=0.985,
        ),
        ModelSpec(
            key="model_3",
            title="Model 3: a CNN with batch normalisation",
            builder=models.build_batchnorm_cnn,
            epochs=12,
            quality_bar=0.988,
            study_val_accuracy=0.992,
        ),
    )
}


def as_table(*chosen: ModelSpec) -> pd.DataFrame:
    """The training protocol of some specs, one row each, for a chapter to show."""
    rows = [
        {
            "model": s.key,
            "builder": f"models.{s.builder.__name__}",
            "epochs": s.epochs,
            "batch size": s.batch_size,
            "learning rate": s.learning_rate,
            "validation bar": s.quality_bar,
            "study's validation accuracy": s.study_val_accuracy,
        }
        for s in chosen
    ]
    return pd.DataFrame(rows).set_index("model")


def get(key: str) -> ModelSpec:
    """The spec registered under ``key``.

    Raises:
        KeyError: naming the keys that exist.
    """
    try:
        return SPECS[key]
    except KeyError:
        raise KeyError(f"no model spec {key!r}; known: {', '.join(SPECS)}") from None
