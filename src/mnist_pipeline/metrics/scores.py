"""Metrics with their uncertainty, confusion matrices, mistakes, the champion and comparisons."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)

from mnist_pipeline import adapters, config

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def predict_proba(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for each image, from a Keras model or a scikit-learn classifier.

    Keras models predict quietly (no progress bar in the outputs); scikit-learn ones take
    the images flattened.
    """
    return adapters.for_model(model).predict_proba(model, images, batch_size)


def parameter_count(model) -> int:
    """How many numbers a model holds to make its predictions.

    Keras: its weights. scikit-learn: the numbers in its fitted arrays (coefficients,
    support vectors, PCA components, tree nodes with their thresholds and values), summed
    over the members of a pipeline or an ensemble.
    """
    if hasattr(model, "count_params"):
        return int(model.count_params())
    if hasattr(model, "steps"):  # a Pipeline
        return sum(parameter_count(step) for _, step in model.steps)
    if hasattr(model, "calibrated_classifiers_"):  # Platt scaling: the model, 2 numbers a class
        return sum(
            parameter_count(c.estimator) + 2 * len(c.calibrators)
            for c in model.calibrated_classifiers_
        )
    if hasattr(model, "estimators_"):  # an ensemble: forest trees or voting members
        return sum(parameter_count(member) for member in model.estimators_)
    if hasattr(model, "estimator") and hasattr(model, "predict_proba"):  # a frozen estimator
        return parameter_count(model.estimator)
    if hasattr(model, "tree_"):
        tree = model.tree_
        return int(tree.node_count * 3 + tree.value.size)  # feature, threshold, child; values
    return int(
        sum(
            np.asarray(value).size
            for name, value in vars(model).items()
            if name.endswith("_")
            # scikit-learn keeps private copies of some fitted arrays (SVC's ``_dual_coef_``,
            # ``_intercept_``), and class weights are settings, not learnt numbers
            and not name.startswith("_")
            and name != "class_weight_"
            and isinstance(value, np.ndarray)
            and value.dtype.kind == "f"
        )
    )


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


def mcnemar(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict[str, float]:
    """McNemar's exact test of whether two classifiers' error rates differ on the same images.

    Only the discordant images count: ``a_only`` right by A and wrong by B, ``b_only`` the
    reverse. Under the null hypothesis each discordant image is a fair coin, so the p-value
    is a two-sided binomial test of ``a_only`` out of ``a_only + b_only``.

    Returns:
        ``a_only``, ``b_only`` and ``p_value`` (1.0 when there is no discordant image).
    """
    right_a = np.asarray(pred_a) == np.asarray(y_true)
    right_b = np.asarray(pred_b) == np.asarray(y_true)
    a_only, b_only = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    n = a_only + b_only
    p = 1.0 if n == 0 else float(stats.binomtest(a_only, n, 0.5).pvalue)
    return {"a_only": a_only, "b_only": b_only, "p_value": p}


def mistakes_table(y_true: np.ndarray, proba: np.ndarray, limit: int) -> pd.DataFrame:
    """The most confident mistakes with the true class's probability and the runner-up class.

    Returns:
        ``index``, ``true``, ``predicted``, ``confidence``, ``p(true)``, ``runner-up``.
    """
    table = misclassified(y_true, proba, limit=limit)
    rows = proba[table["index"]]
    table["p(true)"] = rows[np.arange(len(table)), table["true"]]
    table["runner-up"] = np.argsort(rows, axis=1)[:, -2]
    return table


def time_inference(model, images: np.ndarray, repeats: int = 50) -> dict[str, float]:
    """Wall time of one image and of a batch, by calling the model directly (no ``predict``).

    Returns:
        ``single_ms`` (median over ``repeats`` calls on one image) and ``batch_ms`` (the
        median of three calls on all of ``images``), after a warm-up call of each.
    """
    one = images[:1]
    call = adapters.for_model(model).direct_call(model)
    call(one), call(images)  # warm-up: graph tracing, caches
    singles = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(one)
        singles.append(time.perf_counter() - start)
    batches = []
    for _ in range(3):
        start = time.perf_counter()
        call(images)
        batches.append(time.perf_counter() - start)
    return {
        "single_ms": 1000 * float(np.median(singles)),
        "batch_ms": 1000 * float(np.median(batches)),
    }


def seeded_subset(n: int, size: int, seed: int) -> np.ndarray:
    """``size`` distinct indices out of ``n``, drawn with ``seed`` and sorted: the same sample of
    test images on every run."""
    if not 0 < size <= n:
        raise ValueError(f"cannot draw {size} of {n} images")
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def mistakes_for_readers(mistakes: pd.DataFrame) -> pd.DataFrame:
    """:func:`mistakes_table` with its columns in words."""
    return mistakes.rename(
        columns={
            "index": "test image",
            "true": "true digit",
            "predicted": "prediction",
            "p(true)": "probability of the true digit",
            "runner-up": "second choice",
        }
    )
