"""Metrics, confusion matrix, misclassified examples, champion choice, comparison table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import metrics


def test_summary_metrics_on_known_predictions():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 1, 1])
    scores = metrics.summary_metrics(y_true, y_pred)
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["precision_macro"] == pytest.approx((1 + 2 / 3) / 2)
    assert scores["recall_macro"] == pytest.approx((0.5 + 1) / 2)


def test_confusion_is_10_by_10_and_counts_everything():
    y = np.array([0, 1, 2, 9, 9])
    matrix = metrics.confusion(y, np.array([0, 1, 3, 9, 8]))
    assert matrix.shape == (10, 10) and matrix.sum() == 5
    assert matrix[2, 3] == 1 and matrix[9, 9] == 1


def test_per_class_report_has_ten_digits():
    y = np.arange(10)
    report = metrics.per_class_report(y, y)
    assert list(report.index) == [str(d) for d in range(10)]
    assert (report["f1-score"] == 1).all() and report["support"].sum() == 10


def test_misclassified_sorted_by_confidence():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    table = metrics.misclassified(np.array([0, 0, 0, 1]), proba)
    assert list(table["index"]) == [1, 3, 2]
    assert list(table["predicted"]) == [1, 0, 1]
    assert table["confidence"].is_monotonic_decreasing
    assert len(metrics.misclassified(np.array([0, 0, 0, 1]), proba, limit=1)) == 1


def test_wilson_interval_matches_a_known_value_and_stays_in_bounds():
    # 95 % Wilson interval of 81/263 (Wilson 1927; as computed by statsmodels' proportion_confint).
    low, high = metrics.wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    assert metrics.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert metrics.wilson_interval(0, 10)[0] == pytest.approx(0.0)
    low, high = metrics.wilson_interval(5935, 6000)
    assert low < 5935 / 6000 < high
    with pytest.raises(ValueError):
        metrics.wilson_interval(11, 10)


def test_standard_error_near_99_percent_on_6000_images():
    assert metrics.standard_error(0.99, 6000) == pytest.approx(0.00128, abs=1e-5)


def test_accuracy_with_interval_counts_errors():
    result = metrics.accuracy_with_interval(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 0]))
    assert result["accuracy"] == 0.75 and result["errors"] == 1 and result["n"] == 4
    assert result["ci_low"] < 0.75 < result["ci_high"]


def test_mcnemar_counts_discordant_pairs_and_tests_them():
    y = np.zeros(100, dtype=int)
    a = np.zeros(100, dtype=int)
    b = np.zeros(100, dtype=int)
    b[:10] = 1  # B wrong on 10 images A gets right
    a[95:] = 1  # A wrong on 5 that B gets right... overlapping none
    result = metrics.mcnemar(y, a, b)
    assert (result["a_only"], result["b_only"]) == (10, 5)
    assert result["p_value"] == pytest.approx(0.3018, abs=1e-3)  # binomial(10 of 15), two-sided
    assert metrics.mcnemar(y, a, a)["p_value"] == 1.0


def test_reliability_and_ece_of_a_perfectly_calibrated_and_an_overconfident_model():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    proba = np.tile([0.2, 0.8], (10, 1))  # says class 1 with 80 %: right 6 times in 10
    assert metrics.expected_calibration_error(proba, y) == pytest.approx(0.2)
    bins = metrics.reliability(proba, y)
    assert len(bins) == 1 and bins["accuracy"].iloc[0] == pytest.approx(0.6)
    honest = np.tile([0.4, 0.6], (10, 1))
    assert metrics.expected_calibration_error(honest, y) == pytest.approx(0.0, abs=1e-9)


def test_temperature_scaling_softens_an_overconfident_model():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    right = rng.random(2000) < 0.8  # 80 % accurate but always 99 % sure
    predicted = np.where(right, y, 1 - y)
    proba = np.where(predicted[:, None] == np.arange(2), 0.99, 0.01)
    temperature = metrics.fit_temperature(proba, y)
    assert temperature > 1
    scaled = metrics.temperature_scale(proba, temperature)
    assert scaled.max(axis=1).mean() == pytest.approx(0.8, abs=0.03)
    np.testing.assert_allclose(metrics.temperature_scale(proba, 1.0), proba, rtol=1e-6)


def test_mistakes_table_gives_true_probability_and_runner_up():
    proba = np.array([[0.1, 0.7, 0.2], [0.8, 0.15, 0.05]])
    table = metrics.mistakes_table(np.array([2, 0]), proba, limit=5)
    assert list(table["index"]) == [0]
    assert table["p(true)"].iloc[0] == pytest.approx(0.2) and table["runner-up"].iloc[0] == 2


def test_most_confused_pairs():
    matrix = np.diag([10] * 10)
    matrix[3, 5], matrix[4, 9], matrix[7, 1] = 6, 4, 4
    assert metrics.most_confused(matrix, k=2) == [(3, 5, 6), (4, 9, 4)]


def test_time_inference_and_size_on_disk_of_a_classifier():
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).random((50, 28, 28, 1)).astype(np.float32)
    model = LogisticRegression(max_iter=50).fit(x.reshape(50, -1), np.arange(50) % 10)
    timing = metrics.time_inference(model, x, repeats=3)
    assert timing["single_ms"] > 0 and timing["batch_ms"] > 0
    assert metrics.size_on_disk(model) > 784 * 10 * 4


def test_a_seeded_subset_is_sorted_distinct_and_the_same_every_time():
    subset = metrics.seeded_subset(10_000, 2_000, seed=42)
    assert len(set(subset)) == 2_000 and (np.diff(subset) > 0).all()
    np.testing.assert_array_equal(subset, metrics.seeded_subset(10_000, 2_000, seed=42))
    with pytest.raises(ValueError, match="cannot draw"):
        metrics.seeded_subset(10, 11, seed=0)


def test_mistakes_for_readers_names_the_columns_in_words():
    proba = np.array([[0.1, 0.9], [0.8, 0.2]])
    table = metrics.mistakes_for_readers(metrics.mistakes_table(np.array([0, 1]), proba, limit=2))
    assert {"test image", "true digit", "prediction", "second choice"} <= set(table.columns)
