"""Metrics with their uncertainty, confusion matrices, mistakes, the champion and comparisons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)

from mnist_pipeline import config

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def predict_proba(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for each image, quietly (no progress bar in the outputs)."""
    return model.predict(images, batch_size=batch_size, verbose=0)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default).

    Unlike the normal approximation it stays inside [0, 1] and behaves near 0 and 1,
    where accuracies on MNIST live.

    Args:
        successes: how many were right.
        n: how many there were.
        z: the normal quantile of the confidence level.

    Returns:
        The lower and upper bounds.

    Raises:
        ValueError: for ``n`` < 1 or ``successes`` outside ``0..n``.
    """
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def standard_error(accuracy: float, n: int) -> float:
    """The binomial standard error of an accuracy measured on ``n`` examples."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def accuracy_with_interval(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, its error count and its 95 % Wilson interval.

    Returns:
        ``accuracy``, ``errors``, ``n``, ``ci_low``, ``ci_high``.
    """
    n = len(y_true)
    right = int((np.asarray(y_true) == np.asarray(y_pred)).sum())
    low, high = wilson_interval(right, n)
    return {"accuracy": right / n, "errors": n - right, "n": n, "ci_low": low, "ci_high": high}


def summary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-averaged precision, recall and F1.

    Args:
        y_true: integer labels.
        y_pred: predicted integer labels.

    Returns:
        ``accuracy``, ``precision_macro``, ``recall_macro``, ``f1_macro``.
    """
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="macro", zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
    }


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support of each digit."""
    report = classification_report(
        y_true, y_pred, labels=list(range(config.NUM_CLASSES)), output_dict=True, zero_division=0
    )
    table = pd.DataFrame({str(d): report[str(d)] for d in range(config.NUM_CLASSES)}).T
    table.index.name = "digit"
    table["support"] = table["support"].astype(int)
    return table


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """The 10x10 confusion matrix: rows are true digits, columns predictions."""
    return confusion_matrix(y_true, y_pred, labels=list(range(config.NUM_CLASSES)))


def most_confused(matrix: np.ndarray, k: int = 3) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells of a confusion matrix.

    Returns:
        ``(true digit, predicted digit, count)`` triples, largest count first
        (ties in reading order), zero counts left out.
    """
    off = np.array(matrix, copy=True)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:k]
    pairs = [(int(i // off.shape[1]), int(i % off.shape[1])) for i in order]
    return [(t, p, int(off[t, p])) for t, p in pairs if off[t, p] > 0]


def misclassified(y_true: np.ndarray, proba: np.ndarray, limit: int | None = None) -> pd.DataFrame:
    """The wrongly predicted examples, the most confident mistakes first.

    Args:
        y_true: integer labels.
        proba: predicted class probabilities, one row per example.
        limit: keep at most this many rows.

    Returns:
        Columns ``index``, ``true``, ``predicted``, ``confidence``.
    """
    predicted = proba.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    table = pd.DataFrame(
        {
            "index": wrong,
            "true": np.asarray(y_true)[wrong],
            "predicted": predicted[wrong],
            "confidence": proba[wrong, predicted[wrong]],
        }
    ).sort_values(["confidence", "index"], ascending=[False, True], kind="stable")
    return table.head(limit).reset_index(drop=True) if limit else table.reset_index(drop=True)


def choose_champion(runs: pd.DataFrame) -> pd.Series:
    """The run with the best validation accuracy (never test); ties go to the simpler model.

    The simpler model is the one with fewer parameters; an exact tie on both goes to the
    first model key.

    Args:
        runs: one row per model with ``model_key``, ``val_accuracy`` and ``n_parameters``.

    Returns:
        The winning row.

    Raises:
        ValueError: when there is no run to choose from.
    """
    if runs.empty:
        raise ValueError("no training runs to choose a champion from: run notebooks 03 to 05")
    ordered = runs.sort_values(
        ["val_accuracy", "n_parameters", "model_key"], ascending=[False, True, True]
    )
    return ordered.iloc[0]


def comparison_table(runs: pd.DataFrame, test: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Our validation and test results, with 95 % intervals, beside the study's reported figures.

    Args:
        runs: the latest run of each model (``experiment.latest_runs``).
        test: model key to its ``accuracy_with_interval`` on the test set.

    Returns:
        One row per model, accuracies in percent.
    """
    rows = []
    for run in runs.itertuples():
        t = test[run.model_key]
        rows.append(
            {
                "model": run.model_key,
                "parameters": run.n_parameters,
                "epochs": run.epochs,
                "study val. (%)": 100 * run.study_val_accuracy,
                "val. (%)": 100 * run.val_accuracy,
                "val. 95 % CI": _interval(run.val_ci_low, run.val_ci_high),
                "test (%)": 100 * t["accuracy"],
                "test 95 % CI": _interval(t["ci_low"], t["ci_high"]),
                "test errors": t["errors"],
                "training (s)": run.training_seconds,
            }
        )
    return pd.DataFrame(rows).set_index("model")


def _interval(low: float, high: float) -> str:
    return f"{100 * low:.2f} to {100 * high:.2f}"
