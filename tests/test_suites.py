"""Robustness suites: the same corrupted images for every model, tables with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline.corruptions import mnistc
from mnist_pipeline.corruptions import target as corruptions_target
from mnist_pipeline.evaluation import robustness


class Constant:
    """A stand-in model whose answer for each image is fixed: ``predict_proba`` on pixels."""

    def __init__(self, answers):
        self.answers = np.asarray(answers)

    def predict_proba(self, flat):
        out = np.zeros((len(flat), 10))
        out[np.arange(len(flat)), self.answers[: len(flat)]] = 1.0
        return out


def correct_table():
    labels = np.array([0, 1, 2, 3])
    suite = {
        "rotation": np.zeros((4, 28, 28, 1), np.float32),
        "noise": np.ones((4, 28, 28, 1), np.float32),
    }
    models = {"a": [Constant([0, 1, 2, 3]), Constant([0, 1, 2, 0])], "b": [Constant([0, 0, 0, 0])]}
    return robustness.suite_correct(models, suite, labels), list(suite)


def test_suite_correct_has_one_row_per_seed_and_corruption():
    correct, _ = correct_table()
    assert correct["a"].shape == (2, 2, 4) and correct["b"].shape == (1, 2, 4)
    assert correct["a"][1, 0].tolist() == [True, True, True, False]


def test_suite_table_averages_over_seeds_with_intervals_that_hold_the_mean():
    correct, names = correct_table()
    table = robustness.suite_table(correct, names).set_index(["corruption", "model"])
    assert table.loc[("rotation", "a"), "accuracy"] == pytest.approx(7 / 8)
    assert table.loc[("mean", "b"), "accuracy"] == pytest.approx(1 / 4)
    assert table.loc[("mean", "a"), "n_seeds"] == 2 and table.loc[("mean", "b"), "n_seeds"] == 1
    assert (table["ci_low"] <= table["accuracy"]).all()
    assert (table["accuracy"] <= table["ci_high"]).all()
    with pytest.raises(ValueError, match="corruptions answered"):
        robustness.suite_table(correct, ["only one"])


def test_the_mean_interval_counts_images_not_copies():
    # 200 images, 15 copies each, every copy of an image answered alike: 200 pieces of
    # evidence, not 3,000. The clustered interval is as wide as that of 200 coin flips.
    rng = np.random.default_rng(0)
    per_image = rng.random(200) < 0.8
    correct = {"m": np.repeat(per_image[None, None, :], 15, axis=1)}
    row = robustness.suite_table(correct, [f"c{i}" for i in range(15)]).set_index("corruption")
    width = row.loc["mean", "ci_high"] - row.loc["mean", "ci_low"]
    assert width > 2 * 1.96 * np.sqrt(0.8 * 0.2 / 200) * 0.8  # about 0.11, not 0.03


def test_paired_compares_the_same_images_over_seeds():
    correct, _ = correct_table()
    result = robustness.paired(correct["b"], correct["a"])
    assert result["acc_a"] == pytest.approx(1 / 4) and result["acc_b"] == pytest.approx(7 / 8)
    assert result["difference"] == pytest.approx(5 / 8) and result["n_seeds"] == 1
    assert result["ci_low"] <= result["difference"] <= result["ci_high"]


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

    class Watch:
        def __init__(self, label):
            self.label = label

        def predict_proba(self, flat):
            seen.append(flat)
            out = np.zeros((len(flat), 10))
            out[:, self.label] = 1.0
            return out

    correct = robustness.suite_correct(
        {"a": [Watch(0)], "b": [Watch(1)]}, {"stripe": held_out["stripe"]}, np.ones(6, int)
    )
    np.testing.assert_array_equal(seen[0], seen[1])
    assert correct["b"].all() and not correct["a"].any()


def test_mnistc_splits_into_the_corruptions_like_the_augmentation_and_the_others():
    names = ["rotate", "stripe", "fog", "canny_edges"]
    groups = robustness.resemblance_groups(names, ("rotate", "fog", "shot_noise"))
    assert groups == {"like": [0, 2], "unlike": [1, 3]}
    assert robustness.resemblance_groups(names, ()) == {"unlike": [0, 1, 2, 3]}
    # (seeds, corruptions, images): A reads the 'like' copies badly, B reads everything right
    a = np.ones((2, 4, 50), bool)
    a[:, [0, 2], :25] = False
    b = np.ones((2, 4, 50), bool)
    table = robustness.group_table({"a": a, "b": b}, groups).set_index(["group", "model"])
    assert table.loc[("like", "a"), "accuracy"] == pytest.approx(0.5)
    assert table.loc[("unlike", "a"), "accuracy"] == pytest.approx(1.0)
    assert table.loc[("like", "a"), "n_corruptions"] == 2
    compared = robustness.paired_by_group({"a": a, "b": b}, groups, "a", "b")
    assert compared["like"]["difference"] == pytest.approx(0.5)
    assert compared["like"]["p_value"] < 0.05
    assert compared["unlike"]["difference"] == pytest.approx(0.0)
    # B's gain is 0.5 on 'like' and 0 on 'unlike': the contrast is their difference, decided
    contrast = robustness.group_contrast({"a": a, "b": b}, groups, "a", "b")
    assert contrast["difference"] == pytest.approx(0.5) and contrast["p_value"] < 0.05
    assert contrast["ci_low"] > 0
    # the same gain in both groups: no contrast
    even = np.ones((2, 4, 50), bool)
    even[:, :, :10] = False
    flat = robustness.group_contrast({"a": even, "b": b}, groups, "a", "b")
    assert flat["difference"] == pytest.approx(0.0) and flat["p_value"] == 1.0
    assert robustness.group_contrast({"a": a, "b": b}, {"unlike": [0, 1, 2, 3]}, "a", "b") is None


def test_the_split_verdict_names_each_group_with_its_count():
    from mnist_pipeline.book import verdicts

    like = {"acc_a": 0.71, "acc_b": 0.97, "difference": 0.26, "ci_low": 0.2, "ci_high": 0.3}
    unlike = {"acc_a": 0.90, "acc_b": 0.88, "difference": -0.02, "ci_low": -0.05, "ci_high": 0.01}
    paired = {
        "like": {**like, "p_value": 0.0005, "n_seeds": 3, "n_images": 2000},
        "unlike": {**unlike, "p_value": 0.2, "n_seeds": 3, "n_images": 2000},
    }
    said = verdicts.by_resemblance(("model_4_no_aug", "model_4"), paired, {"like": 9, "unlike": 6})
    assert "more accurate on the 9 MNIST-C corruptions that resemble" in said
    assert "no different on the 6 other MNIST-C corruptions on this evidence" in said
    assert "3 seeds each" in said
    assert "2 tests on the same images" in said and "written by hand" in said
    contrast = {"acc_a": -0.19, "acc_b": 0.09, "difference": 0.28, "ci_low": 0.22,
                "ci_high": 0.34, "p_value": 0.0005}  # fmt: skip
    both = verdicts.by_resemblance(
        ("model_4_no_aug", "model_4"), paired, {"like": 9, "unlike": 6}, contrast
    )
    assert (
        "is larger on the resembling corruptions (the resembling group's difference minus" in both
    )
    assert "+28.0 points" in both and "3 tests on the same images" in both
    undecided = {**contrast, "p_value": 0.3}
    said = verdicts.by_resemblance(
        ("model_4_no_aug", "model_4"), paired, {"like": 9, "unlike": 6}, undecided
    )
    assert "does not differ between the two groups on this evidence" in said
