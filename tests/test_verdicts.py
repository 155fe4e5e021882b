"""Comparison sentences: the words follow the statistics that decide them."""

from __future__ import annotations

import math

import pandas as pd

from mnist_pipeline.book import verdicts

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
    assert "one seed only, a difference of 0.40\u00a0points" in out["step_3_4"]


def test_augmentation_says_what_was_measured_and_on_one_seed():
    clean = {"a_only": 20, "b_only": 25, "p_value": 0.55, "acc_a": 0.993, "acc_b": 0.9935}
    suite = {"a_only": 100, "b_only": 2000, "p_value": 1e-100, "acc_a": 0.70, "acc_b": 0.95}
    text = verdicts.ablation(("model_4_no_aug", "model_4"), clean, {"MNIST-C": suite})
    assert "model 4 is no different on clean test digits on this evidence" in text
    assert "it is more accurate on MNIST-C (95.0\u00a0% against 70.0\u00a0%" in text
    assert "+25.0\u00a0points" in text and "One seed each" in text
    # close clean accuracies keep two decimals, so the gain agrees with the figures shown
    assert "(99.35\u00a0% against 99.30\u00a0%, +0.05\u00a0points, McNemar p = 0.55)" in text
    underflow = verdicts.ablation(
        ("model_4_no_aug", "model_4"), clean, {"MNIST-C": {**suite, "p_value": 0.0}}
    )
    assert "McNemar p < 1e-300)" in underflow and "p = 0)" not in underflow


def test_target_says_how_far_short():
    assert verdicts.target("Model 4", 0.87, 0.90, "on MNIST-C").startswith(
        "Model 4 falls short of the target of 90\u00a0% on MNIST-C by 3.0\u00a0points"
    )
    assert "meets the target" in verdicts.target("Model 4", 0.93, 0.90, "on MNIST-C")


def test_the_interval_over_seeds_reads_as_one_range():
    spread = {"n_seeds": 3, "mean": 0.0057, "ci_low": 0.0009, "ci_high": 0.0105}
    flat = {"a_only": 44, "b_only": 42, "p_value": 0.91}
    assert "(95 % interval 0.09 to 1.05\u00a0points)" in verdicts.step("a", "b", flat, spread)


def test_a_target_with_a_decimal_is_printed_with_it_and_the_value_one_finer():
    met = verdicts.target("Model 4", 0.9953, 0.995, "on test")
    assert "meets" in met and "99.5\u00a0%" in met and "99.53\u00a0%" in met
    assert verdicts.target("Model 4", 0.8214, 0.90, "on MNIST-C").startswith(
        "Model 4 falls short of the target of 90\u00a0% on MNIST-C by 7.9\u00a0points: 82.1\u00a0%"
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


def test_paired_and_target_codes_leave_a_close_call_undecided():
    assert verdicts.paired_code({"p_value": 0.2, "acc_a": 0.9, "acc_b": 0.95}) == "undecided"
    assert verdicts.paired_code({"p_value": 0.01, "acc_a": 0.9, "acc_b": 0.95}) == "more"
    assert verdicts.paired_code({"p_value": 0.01, "acc_a": 0.95, "acc_b": 0.9}) == "less"
    # 99.5 % target on 10,000 images: a standard error is about 0.07 points
    assert verdicts.target_code(0.9953, 0.995, 10_000) == "at_goal"
    assert verdicts.target_code(0.9946, 0.995, 10_000) == "at_goal"
    assert verdicts.target_code(0.9960, 0.995, 10_000) == "meets"
    assert verdicts.target_code(0.9930, 0.995, 10_000) == "misses"
