"""Comparison sentences: the words follow the statistics that decide them."""

from __future__ import annotations

import math

import pandas as pd

from mnist_pipeline.book import design_words, verdicts
from mnist_pipeline.models import specs

NO_SEEDS = {"n_seeds": 1, "mean": 0.001, "ci_low": math.nan, "ci_high": math.nan}


def test_a_step_is_better_only_when_mcnemar_and_the_seeds_agree():
    significant = {"a_only": 30, "b_only": 160, "p_value": 1e-22}
    up = {"n_seeds": 3, "mean": 0.008, "ci_low": 0.006, "ci_high": 0.010}
    assert verdicts.step("model 1", "model 2", significant, up).startswith(
        "Model 2 is better than model 1"
    )
    flat = {"a_only": 44, "b_only": 42, "p_value": 0.91}
    spread = {"n_seeds": 3, "mean": -0.0003, "ci_low": -0.002, "ci_high": 0.0015}
    text = verdicts.step("model 2", "model 3", flat, spread)
    assert text.startswith("Model 3 is no better than model 2")
    assert "p = 0.91" in text and "over 3 seeds" in text
    mixed = verdicts.step("model 2", "model 3", significant, spread)
    assert mixed.startswith("The evidence on model 3 against model 2 is mixed")
    assert "one seed only" in verdicts.step("a", "b", flat, NO_SEEDS)


def test_steps_reads_the_tables_and_falls_back_to_one_seed():
    mcnemar = pd.DataFrame(
        [{"first": "model_3", "second": "model_4", "a_only": 25, "b_only": 59, "p_value": 3e-4}]
    )
    test = {"model_3": {"accuracy": 0.991}, "model_4": {"accuracy": 0.995}}
    out = verdicts.steps(mcnemar, pd.DataFrame(), test, [("model_3", "model_4")])
    assert list(out) == ["step_3_4"]
    assert out["step_3_4"].startswith("Model 4 is better than model 3")
    assert "one seed only, a difference in test accuracy of 0.40\u00a0points" in out["step_3_4"]


def test_augmentation_says_what_was_measured_over_seeds_and_by_image():
    clean = {
        "p_value": 0.55,
        "acc_a": 0.993,
        "acc_b": 0.9935,
        "ci_low": -0.0005,
        "ci_high": 0.0015,
        "n_seeds": 3,
    }
    suite = {
        "p_value": 0.0005,
        "acc_a": 0.70,
        "acc_b": 0.95,
        "ci_low": 0.22,
        "ci_high": 0.28,
        "n_seeds": 3,
    }
    text = verdicts.ablation(
        ("model_4_no_aug", "model_4"), {"clean test digits": clean, "MNIST-C": suite}
    )
    assert "model 4 is no different on clean test digits on this evidence" in text
    assert "it is more accurate on MNIST-C (95.0\u00a0% against 70.0\u00a0%" in text
    assert "+25.0 points, 95 % interval +22.0 to +28.0" in text and "3 seeds each" in text
    # close clean accuracies keep two decimals, so the gain agrees with the figures shown
    assert "(99.35\u00a0% against 99.30\u00a0%, +0.05 points" in text
    one = {**suite, "n_seeds": 1}
    assert "one seed each" in verdicts.ablation(("model_4_no_aug", "model_4"), {"MNIST-C": one})


def test_the_ablation_names_the_parts_the_chosen_design_has_and_no_other():
    suite = {"p_value": 0.0005, "acc_a": 0.70, "acc_b": 0.95, "ci_low": 0.22, "ci_high": 0.28}
    paired = {"MNIST-C": {**suite, "n_seeds": 3}}
    pair = ("model_4_no_aug", "model_4")
    photometric = verdicts.ablation(pair, paired, "robust_cnn_photometric")
    # photometric augments its training images but does not normalise its input
    assert "photometric design adds training augmentation (affine, stroke, blur," in photometric
    assert "but no input normalisation" in photometric
    assert "augmentation or normalisation" not in photometric
    assert "and input normalisation" not in photometric
    highpass = verdicts.ablation(pair, paired, "robust_cnn_highpass")
    assert "erasing, noise) and input normalisation (highpass)" in highpass
    # the ablation's own design has neither, which the sentence says of it
    assert (
        design_words.parts(specs.ABLATION_DESIGN) == "neither augmentation nor input normalisation"
    )
    assert "trained on MNIST's images as they are" in photometric
    unknown = verdicts.ablation(pair, paired)  # no logged design: none is named
    assert "design" not in unknown and "normalisation" not in unknown


def check(value, low, high, goal):
    return {
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "goal": goal,
        "code": "meets" if value >= goal else "misses",
        "straddles": low <= goal <= high,
    }


def test_target_met_says_how_far_and_whether_the_interval_is_safe():
    short = verdicts.target_met("Model 4", check(0.87, 0.85, 0.89, 0.92), "on MNIST-C", 3)
    assert short.startswith("Model 4 misses the target of 92\u00a0% on MNIST-C by 5.0\u00a0points")
    assert "the mean of 3 seeds" in short and "within the noise" not in short
    close = verdicts.target_met("Model 4", check(0.9953, 0.9940, 0.9966, 0.995), "on test", 3)
    assert close.startswith("Model 4 meets the target of 99.5\u00a0% on test: 99.53\u00a0%")
    assert "not a safe margin" in close
    near_miss = verdicts.target_met("Model 4", check(0.9945, 0.9930, 0.9960, 0.995), "on test", 1)
    assert "misses" in near_miss and "one seed" in near_miss
    assert "too wide to rule out" in near_miss and "noise" not in near_miss


def test_a_miss_whose_interval_reaches_the_target_is_a_miss_not_noise():
    # the worst MNIST-C corruption: 63.4 % against 75 %, the interval just reaching 75.0
    worst = verdicts.target_met(
        "Model 4", check(0.634, 0.518, 0.750, 0.75), "under every MNIST-C corruption", 3
    )
    assert worst.startswith("Model 4 misses the target of 75\u00a0% under every MNIST-C")
    assert "noise" not in worst
    assert "the target is missed on the measured mean" in worst
    assert (
        "its interval, which resamples the images and the seeds, is too wide to rule out" in worst
    )
    assert "with 3 seeds" not in worst  # the width is not put down to the seeds alone
    assert "(95 % interval 51.8 to 75.0\u00a0%" in worst


def test_the_interval_over_seeds_reads_as_one_range():
    spread = {"n_seeds": 3, "mean": 0.0057, "ci_low": 0.0009, "ci_high": 0.0105}
    flat = {"a_only": 44, "b_only": 42, "p_value": 0.91}
    assert (
        "(paired by seed; 95 % t interval 0.09 to 1.05\u00a0points, on the same test images)"
        in verdicts.step("a", "b", flat, spread)
    )


def test_step_codes_are_what_the_sentences_say():
    significant = {"a_only": 30, "b_only": 160, "p_value": 1e-22}
    worse = {"a_only": 160, "b_only": 30, "p_value": 1e-22}
    flat = {"a_only": 44, "b_only": 42, "p_value": 0.91}
    up = {"n_seeds": 3, "mean": 0.008, "ci_low": 0.006, "ci_high": 0.010}
    down = {"n_seeds": 3, "mean": -0.008, "ci_low": -0.010, "ci_high": -0.006}
    spread = {"n_seeds": 3, "mean": -0.0003, "ci_low": -0.002, "ci_high": 0.0015}
    assert verdicts.step_code(significant, up) == "better"
    assert verdicts.step_code(worse, down) == "worse"
    assert verdicts.step_code(flat, spread) == "undecided"
    assert verdicts.step_code(significant, spread) == "mixed"
    assert verdicts.step_code(worse, NO_SEEDS) == "worse"  # one seed: McNemar alone decides
    table = pd.DataFrame([{"first": "model_1", "second": "model_2", **significant}])
    test = {"model_1": {"accuracy": 0.98}, "model_2": {"accuracy": 0.99}}
    assert verdicts.step_codes(table, pd.DataFrame(), test, [("model_1", "model_2")]) == {
        "step_1_2": "better"
    }


def test_paired_codes_leave_a_close_call_undecided():
    assert verdicts.paired_code({"p_value": 0.2, "acc_a": 0.9, "acc_b": 0.95}) == "undecided"
    assert verdicts.paired_code({"p_value": 0.01, "acc_a": 0.9, "acc_b": 0.95}) == "more"
    assert verdicts.paired_code({"p_value": 0.01, "acc_a": 0.95, "acc_b": 0.9}) == "less"


def test_a_paired_verdict_needs_the_interval_to_agree_with_the_test():
    tested = {"p_value": 0.01, "acc_a": 0.90, "acc_b": 0.95}
    assert verdicts.paired_code({**tested, "ci_low": 0.01, "ci_high": 0.09}) == "more"
    # the sign-flip test rejects, but the interval (which resamples seeds) holds 0
    assert verdicts.paired_code({**tested, "ci_low": -0.01, "ci_high": 0.09}) == "undecided"


def test_a_cnn_beats_the_best_baseline_only_when_mcnemar_says_so():
    from mnist_pipeline.book import baselines

    mcnemar = pd.DataFrame(
        [
            {"first": "svm_pca", "second": "model_1", "a_only": 60, "b_only": 50, "p_value": 0.39},
            # held the other way round: the lookup must swap the counts
            {"first": "model_2", "second": "svm_pca", "a_only": 90, "b_only": 30, "p_value": 1e-7},
        ]
    )
    test = {
        k: {"accuracy": a}
        for k, a in (("svm_pca", 0.9851), ("model_1", 0.9841), ("model_2", 0.9901))
    }
    text = baselines.against_baselines(test, mcnemar, ["model_1", "model_2"], "svm_pca")
    assert "model 1 (98.41\u00a0%) is no different on this evidence (p = 0.39; 50 images" in text
    assert "model 2 (99.01\u00a0%) is better (p = 1e-07; 90 images only it reads right, 30" in text
    assert "one seed (42) of each" in text
    worse = mcnemar.assign(a_only=[90, 30], b_only=[30, 90], p_value=[1e-7, 1e-7])
    assert "model 1 (98.41\u00a0%) is worse" in baselines.against_baselines(
        test, worse, ["model_1"], "svm_pca"
    )


def test_every_augmentation_layer_has_words_and_resembles_only_real_mnistc_corruptions():
    from mnist_pipeline.corruptions import mnistc
    from mnist_pipeline.models import augment

    layers = {layer for chain in augment.POLICIES.values() for layer in chain}
    assert set(design_words.RESEMBLES) == layers
    for _, corruptions in design_words.RESEMBLES.values():
        assert set(corruptions) <= set(mnistc.CORRUPTIONS)
    assert design_words.resemblance(["stroke", "erasing"]) == ""
