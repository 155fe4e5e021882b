"""Robustness suites: corrupted copies of the same test images, and every model's answers.

Two suites: the *target suite* (:mod:`mnist_pipeline.corruptions.target`, the corruptions model 4's
augmentation was designed against, at the study's target strengths, plus occlusion) and MNIST-C
(:mod:`mnist_pipeline.corruptions.mnistc`, 15 held-out corruptions). Every model sees identical corrupted
images, so models are compared on the same inputs, and paired tests apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from mnist_pipeline import metrics
from mnist_pipeline.corruptions import mnistc, target
from mnist_pipeline.models import specs

Predict = Callable[[np.ndarray], np.ndarray]


def predictor(model: object) -> Predict:
    """A function from a batch of images to predicted labels."""
    return lambda images: metrics.predict_proba(model, images).argmax(axis=1)


def robustness_curves(
    predicts: Mapping[str, Predict], images: np.ndarray, labels: np.ndarray, seed: int
) -> pd.DataFrame:
    """Accuracy at every strength of the target suite's corruptions, for the figure.

    Returns:
        Columns ``corruption``, ``strength``, ``unit``, ``accuracy``, ``model``.
    """
    return pd.concat(
        [
            target.accuracy_curves(predict, images, labels, seed=seed).assign(model=key)
            for key, predict in predicts.items()
        ],
        ignore_index=True,
    )


def target_suite(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The target suite: each corruption of :mod:`corruptions.target` at the study's target strength."""
    return {
        name: target.corrupt(images, name, c.target, seed) for name, c in target.CORRUPTIONS.items()
    }


def mnistc_suite(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """MNIST-C's 15 corruptions of ``images`` (:mod:`mnistc`), each with its own seed."""
    return mnistc.corrupt_all(images, seed)


def suite_predictions(
    predicts: Mapping[str, Predict], suite: Mapping[str, np.ndarray]
) -> dict[str, dict[str, np.ndarray]]:
    """Every model's labels for every corrupted set: ``{corruption: {model: labels}}``."""
    return {name: {key: p(batch) for key, p in predicts.items()} for name, batch in suite.items()}


def suite_table(
    predictions: Mapping[str, Mapping[str, np.ndarray]], labels: np.ndarray
) -> pd.DataFrame:
    """Accuracy and 95 % Wilson interval of each model on each corrupted set, and the ``mean``
    over the sets (its interval pools the sets' images as one sample).

    Returns:
        Long format: ``corruption``, ``model``, ``accuracy``, ``ci_low``, ``ci_high``.
    """
    keep = ("accuracy", "ci_low", "ci_high")
    rows = []
    for name, by_model in predictions.items():
        for key, pred in by_model.items():
            scores = metrics.accuracy_with_interval(labels, pred)
            rows.append({"corruption": name, "model": key, **{k: scores[k] for k in keep}})
    pooled_labels = np.tile(labels, len(predictions))
    for key in next(iter(predictions.values())):
        pooled = np.concatenate([by_model[key] for by_model in predictions.values()])
        scores = metrics.accuracy_with_interval(pooled_labels, pooled)
        rows.append({"corruption": "mean", "model": key, **{k: scores[k] for k in keep}})
    return pd.DataFrame(rows)


def suite_mcnemar(
    predictions: Mapping[str, Mapping[str, np.ndarray]], labels: np.ndarray, a: str, b: str
) -> dict[str, float]:
    """McNemar's test of models ``a`` and ``b`` over every corrupted image of a suite, pooled,
    with both accuracies (``acc_a``, ``acc_b``)."""
    pred_a = np.concatenate([by_model[a] for by_model in predictions.values()])
    pred_b = np.concatenate([by_model[b] for by_model in predictions.values()])
    truth = np.tile(labels, len(predictions))
    return {
        **metrics.mcnemar(truth, pred_a, pred_b),
        "acc_a": float((pred_a == truth).mean()),
        "acc_b": float((pred_b == truth).mean()),
    }


def accuracy_grid(long: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """A long robustness table as corruptions by models, cells "97.5 ± 0.7" (percent, the larger
    side of the 95 % interval), columns named for readers."""

    def cell(row: pd.Series) -> str:
        half = max(row["accuracy"] - row["ci_low"], row["ci_high"] - row["accuracy"])
        return f"{100 * row['accuracy']:.1f} ± {100 * half:.1f}"

    grid = long.assign(cell=long.apply(cell, axis=1)).pivot(
        index="corruption", columns="model", values="cell"
    )
    order = list(dict.fromkeys(long["corruption"]))
    grid = grid.rename(index=lambda name: name.replace("_", " "))
    order = [name.replace("_", " ") for name in order]
    return (
        grid.loc[order, list(models)]
        .rename(columns=specs.label)
        .rename_axis(index="corruption", columns=None)
    )
