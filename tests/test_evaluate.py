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


def runs_frame(val_accuracies, n_parameters=None):
    keys = [f"model_{i}" for i in range(1, len(val_accuracies) + 1)]
    return pd.DataFrame(
        {
            "model_key": keys,
            "n_parameters": n_parameters or [100] * len(keys),
            "epochs": 1,
            "study_val_accuracy": 0.99,
            "val_accuracy": val_accuracies,
            "val_ci_low": [v - 0.01 for v in val_accuracies],
            "val_ci_high": [v + 0.01 for v in val_accuracies],
            "training_seconds": 1.0,
        }
    )


def test_champion_is_best_validation_accuracy():
    assert evaluate.choose_champion(runs_frame([0.97, 0.99, 0.98]))["model_key"] == "model_2"


def test_champion_ties_go_to_the_model_with_fewer_parameters():
    runs = runs_frame([0.99, 0.99, 0.98], n_parameters=[500, 200, 100])
    assert evaluate.choose_champion(runs)["model_key"] == "model_2"
    assert evaluate.choose_champion(runs_frame([0.99, 0.99]))["model_key"] == "model_1"


def test_champion_needs_runs():
    with pytest.raises(ValueError, match="no training runs"):
        evaluate.choose_champion(runs_frame([]))


def test_comparison_table_places_study_figures_beside_ours():
    runs = runs_frame([0.98, 0.99, 0.989])
    test = {
        k: {"accuracy": 0.5, "errors": 5, "ci_low": 0.4, "ci_high": 0.6} for k in runs["model_key"]
    }
    table = evaluate.comparison_table(runs, test)
    assert table.loc["model_3", "study val. (%)"] == pytest.approx(99.0)
    assert table.loc["model_2", "val. (%)"] == pytest.approx(99.0)
    assert table.loc["model_1", "test (%)"] == pytest.approx(50.0)
    assert table.loc["model_1", "test 95 % CI"] == "40.00 to 60.00"


def test_wilson_interval_matches_a_known_value_and_stays_in_bounds():
    # 95 % Wilson interval of 81/263 (Wilson 1927; as computed by statsmodels' proportion_confint).
    low, high = evaluate.wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    assert evaluate.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert evaluate.wilson_interval(0, 10)[0] == pytest.approx(0.0)
    low, high = evaluate.wilson_interval(5935, 6000)
    assert low < 5935 / 6000 < high
    with pytest.raises(ValueError):
        evaluate.wilson_interval(11, 10)


def test_standard_error_near_99_percent_on_6000_images():
    assert evaluate.standard_error(0.99, 6000) == pytest.approx(0.00128, abs=1e-5)


def test_accuracy_with_interval_counts_errors():
    result = evaluate.accuracy_with_interval(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 0]))
    assert result["accuracy"] == 0.75 and result["errors"] == 1 and result["n"] == 4
    assert result["ci_low"] < 0.75 < result["ci_high"]
