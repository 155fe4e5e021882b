"""Metrics, confusion matrix, misclassified examples, champion choice, comparison table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline import evaluate


def test_summary_metrics_on_known_predictions():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 1, 1])
    metrics = evaluate.summary_metrics(y_true, y_pred)
    assert metrics["accuracy"] == pytest.approx(0.75)
    assert metrics["precision_macro"] == pytest.approx((1 + 2 / 3) / 2)
    assert metrics["recall_macro"] == pytest.approx((0.5 + 1) / 2)


def test_confusion_is_10_by_10_and_counts_everything():
    y = np.array([0, 1, 2, 9, 9])
    matrix = evaluate.confusion(y, np.array([0, 1, 3, 9, 8]))
    assert matrix.shape == (10, 10) and matrix.sum() == 5
    assert matrix[2, 3] == 1 and matrix[9, 9] == 1


def test_per_class_report_has_ten_digits():
    y = np.arange(10)
    report = evaluate.per_class_report(y, y)
    assert list(report.index) == [str(d) for d in range(10)]
    assert (report["f1-score"] == 1).all() and report["support"].sum() == 10


def test_misclassified_sorted_by_confidence():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    table = evaluate.misclassified(np.array([0, 0, 0, 1]), proba)
    assert list(table["index"]) == [1, 3, 2]
    assert list(table["predicted"]) == [1, 0, 1]
    assert table["confidence"].is_monotonic_decreasing
    assert len(evaluate.misclassified(np.array([0, 0, 0, 1]), proba, limit=1)) == 1


def runs_frame(val_accuracies):
    keys = [f"model_{i}" for i in range(1, len(val_accuracies) + 1)]
    return pd.DataFrame(
        {
            "model_key": keys,
            "architecture": keys,
            "epochs": 1,
            "val_accuracy": val_accuracies,
            "training_seconds": 1.0,
        }
    )


def test_champion_is_best_validation_accuracy_with_ties_to_simpler_model():
    assert evaluate.choose_champion(runs_frame([0.97, 0.99, 0.98]))["model_key"] == "model_2"
    assert evaluate.choose_champion(runs_frame([0.99, 0.99, 0.98]))["model_key"] == "model_1"


def test_champion_needs_runs():
    with pytest.raises(ValueError, match="no training runs"):
        evaluate.choose_champion(runs_frame([]))


def test_comparison_table_places_study_figures_beside_ours():
    runs = runs_frame([0.98, 0.99, 0.989])
    test = {k: {"accuracy": 0.5, "f1_macro": 0.4} for k in runs["model_key"]}
    table = evaluate.comparison_table(runs, test)
    assert table.loc["model_3", "study val. acc. (%)"] == pytest.approx(99.2)
    assert table.loc["model_2", "our val. acc. (%)"] == pytest.approx(99.0)
    assert table.loc["model_1", "test acc. (%)"] == pytest.approx(50.0)
