"""Robustness suites: the same corrupted images for every model, tables with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline.corruptions import mnistc
from mnist_pipeline.corruptions import target as corruptions_target
from mnist_pipeline.evaluation import robustness


def answers():
    labels = np.array([0, 1, 2, 3])
    return labels, {
        "rotation": {"a": np.array([0, 1, 2, 3]), "b": np.array([0, 1, 0, 0])},
        "noise": {"a": np.array([0, 1, 2, 0]), "b": np.array([0, 0, 0, 0])},
    }


def test_suite_table_gives_each_accuracy_with_its_interval_and_a_pooled_mean():
    labels, by_corruption = answers()
    table = robustness.suite_table(by_corruption, labels).set_index(["corruption", "model"])
    assert table.loc[("rotation", "a"), "accuracy"] == 1.0
    assert table.loc[("noise", "b"), "accuracy"] == 0.25
    assert table.loc[("mean", "a"), "accuracy"] == pytest.approx(7 / 8)
    assert table.loc[("mean", "b"), "accuracy"] == pytest.approx(3 / 8)
    assert (table["ci_low"] <= table["accuracy"]).all() and (
        table["accuracy"] <= table["ci_high"]
    ).all()


def test_suite_mcnemar_pools_every_corrupted_image():
    labels, by_corruption = answers()
    result = robustness.suite_mcnemar(by_corruption, labels, "b", "a")
    assert (result["a_only"], result["b_only"]) == (0, 4)
    assert result["acc_a"] == pytest.approx(3 / 8) and result["acc_b"] == pytest.approx(7 / 8)


def test_accuracy_grid_names_models_for_readers_and_keeps_the_order():
    long = pd.DataFrame(
        {
            "corruption": ["noise", "noise", "mean", "mean"],
            "model": ["model_1", "model_4", "model_1", "model_4"],
            "accuracy": [0.9, 0.99, 0.9, 0.99],
            "ci_low": [0.88, 0.985, 0.89, 0.988],
            "ci_high": [0.91, 0.994, 0.91, 0.992],
        }
    )
    grid = robustness.accuracy_grid(long, ["model_4", "model_1"])
    assert list(grid.columns) == ["model 4", "model 1"] and list(grid.index) == ["noise", "mean"]
    assert grid.loc["noise", "model 1"] == "90.0 ± 2.0"  # the larger side of the interval


def test_every_model_sees_the_same_corrupted_images():
    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28, 1)).astype(np.float32)
    target = robustness.target_suite(images, seed=3)
    assert list(target) == list(corruptions_target.CORRUPTIONS)
    np.testing.assert_array_equal(
        target["rotation"], robustness.target_suite(images, seed=3)["rotation"]
    )
    held_out = robustness.mnistc_suite(images, seed=3)
    assert list(held_out) == list(mnistc.CORRUPTIONS)
    seen = []
    answers_ = robustness.suite_predictions(
        {
            "a": lambda x: seen.append(x) or np.zeros(len(x), int),
            "b": lambda x: seen.append(x) or np.ones(len(x), int),
        },
        {"stripe": held_out["stripe"]},
    )
    np.testing.assert_array_equal(seen[0], seen[1])
    assert answers_["stripe"]["b"].tolist() == [1] * 6
