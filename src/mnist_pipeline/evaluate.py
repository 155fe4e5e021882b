"""Metrics, confusion matrices, misclassified examples and the comparison of runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)

from mnist_pipeline import config


def predict_proba(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for each image, quietly (no progress bar in the outputs)."""
    return model.predict(images, batch_size=batch_size, verbose=0)


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

    Args:
        runs: one row per model with ``model_key`` and ``val_accuracy``.

    Returns:
        The winning row.

    Raises:
        ValueError: when there is no run to choose from.
    """
    if runs.empty:
        raise ValueError("no training runs to choose a champion from: run notebooks 03 to 05")
    ordered = runs.sort_values(["val_accuracy", "model_key"], ascending=[False, True])
    return ordered.iloc[0]


def comparison_table(runs: pd.DataFrame, test_metrics: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Our validation and test results beside the accuracies the original study reported.

    Args:
        runs: the latest run of each model (``tracking.latest_runs``).
        test_metrics: model key to its ``summary_metrics`` on the test set.

    Returns:
        One row per model, accuracies in percent.
    """
    rows = []
    for _, run in runs.iterrows():
        key = run["model_key"]
        test = test_metrics[key]
        rows.append(
            {
                "model": key,
                "architecture": run["architecture"],
                "epochs": run["epochs"],
                "study val. acc. (%)": 100 * config.STUDY_REPORTED_VAL_ACCURACY[key],
                "our val. acc. (%)": 100 * run["val_accuracy"],
                "test acc. (%)": 100 * test["accuracy"],
                "test macro F1 (%)": 100 * test["f1_macro"],
                "training (s)": run["training_seconds"],
            }
        )
    return pd.DataFrame(rows).set_index("model")
