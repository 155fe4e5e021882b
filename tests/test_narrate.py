"""Sentences that state results print the values they were given, and read curves correctly."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline.book import narrate, reproduction
from mnist_pipeline.models import specs
from tests.helpers import runs_table


def test_describe_run_states_accuracy_interval_errors_and_ids():
    val = {"accuracy": 0.981, "errors": 114, "n": 6000, "ci_low": 0.9773, "ci_high": 0.9842}
    text = narrate.describe_run("Model 1", val, 5, 80.0, "0123456789abcdef", "3")
    assert "**98.10\u00a0%**" in text and "97.73 to 98.42\u00a0%" in text
    assert "114 errors among 6,000" in text and "5 epochs" in text and "80 s" in text
    assert "`01234567`" in text and "version 3" in text


def history(val_loss):
    n = len(val_loss)
    return {
        "loss": [1.0 - 0.1 * i for i in range(n)],
        "accuracy": [0.9] * n,
        "val_loss": val_loss,
        "val_accuracy": [0.95 + 0.01 * i for i in range(n)],
    }


def test_read_curves_finds_the_best_epoch_when_validation_loss_rises():
    text = narrate.read_curves(history([0.5, 0.3, 0.4]))
    assert "lowest after epoch 2 of 3 (0.3000)" in text and "ends at 0.4000" in text


def test_read_curves_says_when_validation_loss_is_still_falling():
    text = narrate.read_curves(history([0.5, 0.4, 0.3]))
    assert "lowest at the last epoch" in text
    assert "peaks at 97.00\u00a0% after epoch 3" in text


def test_read_curves_names_every_epoch_that_reaches_the_peak():
    tied = history([0.5, 0.4, 0.3]) | {"val_accuracy": [0.95, 0.9898, 0.9898]}
    assert "peaks at 98.98\u00a0% after epochs 2 and 3;" in narrate.read_curves(tied)


def test_batchnorm_recalibration_counts_the_errors_before_and_after():
    val = {"accuracy": 0.9935, "errors": 39, "n": 6000}
    text = narrate.batchnorm_recalibration(0.993, val, 10_000)
    assert "99.30\u00a0% (42 errors)" in text and "99.35\u00a0% (39 errors)" in text
    assert "10,000 clean training images" in text and "3 fewer errors" in text
    # two unpaired accuracies: the sentence states the change, and calls it neither a gain
    # nor noise (that needs the images only one of the two reads right: a paired test)
    assert "a net change of 0.05 points" in text
    assert "noise" not in text and "standard error" not in text
    assert "do not test whether the change is more than chance" in text
    worse = narrate.batchnorm_recalibration(0.9940, val, 10_000)
    assert "3 more errors" in worse
    assert "same number" in narrate.batchnorm_recalibration(0.9935, val, 10)
    one = narrate.batchnorm_recalibration(0.99333, val, 10_000)  # 40 errors before, 39 after
    assert "1 fewer error " in one and "errors among" not in one
    assert "1 more error among" in narrate.batchnorm_recalibration(0.99367, val, 10_000)


def test_compare_errors_counts_fewer_and_more():
    earlier = {"val_errors": 100, "model_key": "model_1", "n_parameters": 10}
    assert "against 100 for model 1, 40 fewer" in narrate.compare_errors("Model 2", 60, 5, earlier)
    assert "20 more" in narrate.compare_errors("Model 2", 120, 5, earlier)


def test_reproduction_verdicts_say_what_the_code_decides():
    says = {
        "not_reproduced": "does not reproduce",
        "reproduces": "it reproduces",
        "better_than_reported": "do better than that figure",
    }
    cases = [([0.9870], 0.992), ([0.9815], 0.980), ([0.99], 0.975)]
    for measured, reported in cases:
        code = reproduction.reproduction_code(measured, 6000, reported)
        text = reproduction.reproduction("M", measured, 6000, reported)
        assert [words for words in says.values() if words in text] == [says[code]], text
        assert "one seed" in text and "a seed and a protocol it does not give" in text
    assert {reproduction.reproduction_code(m, 6000, r) for m, r in cases} == set(says)


def test_reproduction_widens_with_the_spread_between_seeds():
    # One run of 98.70 % on 6,000 images does not reach 99.2 %; three seeds that spread by
    # half a point do: the reported figure is inside what one run of ours varies.
    assert reproduction.reproduction_code([0.9870], 6000, 0.992) == "not_reproduced"
    spread = [0.9842, 0.9892, 0.9942]
    assert reproduction.reproduction_code(spread, 6000, 0.992) == "reproduces"
    found = reproduction.reproduction_range(spread, 6000)
    assert found["n_seeds"] == 3 and abs(found["sd"] - 0.005) < 1e-9
    assert found["high"] - found["mean"] > 1.96 * found["sd"]
    text = reproduction.reproduction("Model 3", spread, 6000, 0.992, "the original study", "test")
    assert text.startswith("Model 3, test accuracy: ours is a mean of 98.92\u00a0% over 3 seeds")
    assert "standard deviation 0.50 points between seeds" in text


def test_lower_first_keeps_acronyms():
    assert narrate.lower_first("Random forest on pixels") == "random forest on pixels"
    assert narrate.lower_first("RBF SVM on 50 PCA components") == "RBF SVM on 50 PCA components"
    assert narrate.lower_first("A dense network (MLP)") == "a dense network (MLP)"


def test_models_are_named_by_their_spec_label_for_readers():
    runs = runs_table(
        {"model_key": "model_4", "val_accuracy": 0.995, "architecture": "a"},  # 30 errors
        {"model_key": "pca_svm", "val_accuracy": 0.983},  # 102 errors
    )
    choice = narrate.champion_choice(runs, runs.iloc[0], n_val=6000)
    assert choice.startswith(f"The champion is {specs.label('model_4')} (architecture `a`)")
    assert f"The runner-up, {specs.label('pca_svm')}, makes 72 more" in choice


def test_a_one_image_margin_reads_as_one_image():
    runs = runs_table(
        {"model_key": "model_4", "val_accuracy": 0.99, "architecture": "a", "n_parameters": 10},
        {"model_key": "model_2", "val_accuracy": 0.99 + 1 / 6000, "n_parameters": 99},
    )
    choice = narrate.champion_choice(runs, runs.iloc[0], n_val=6000)
    assert "(1 image)" in choice and "1 images" not in choice


def test_target_suite_counts_what_the_augmentation_covers_and_names_what_it_never_saw():
    table = pd.DataFrame(
        {
            "corruption": ["rotation", "noise", "occlusion", "mean"],
            "model": ["model_4"] * 4,
            "accuracy": [0.97, 0.94, 0.79, 0.9],
        }
    )
    text = narrate.target_suite(table, "model_4", 0.95, unseen=("occlusion",))
    assert text.startswith("Model 4 reaches 95\u00a0% or more on 1 of the 2 corruptions")
    assert "(it misses noise)" in text and "occlusion 79.0\u00a0%" in text
    assert "under the kind it never produces" in text
    two = narrate.target_suite(table, "model_4", 0.95, unseen=("occlusion", "noise"))
    assert "under the kinds it never produces" in two
    # a design whose augmentation produces every kind: no dangling clause
    every = narrate.target_suite(table, "model_4", 0.95, unseen=())
    assert every.endswith("within them for others).") and ": ." not in every


def test_confident_errors_counts_the_sure_mistakes():
    proba = np.array([[0.995, 0.005], [0.6, 0.4], [0.2, 0.8]])
    text = narrate.confident_errors(np.array([1, 1, 1]), proba)  # wrong: rows 1 and 2
    assert re.findall(r"\d+", text) == ["2", "1", "99"]  # errors, of them sure, the threshold


def test_champion_choice_explains_a_smaller_champion_within_one_standard_error():
    runs = runs_table(
        {"model_key": "model_2", "val_accuracy": 0.9900, "n_parameters": 225_034},  # 60 errors
        {"model_key": "model_3", "val_accuracy": 0.9905, "n_parameters": 431_626},  # 57 errors
    )
    text = narrate.champion_choice(runs, runs.iloc[0], n_val=6000)
    assert "Model 3 is more accurate on validation by 0.05 points (3 images)" in text
    assert "the rule takes the smaller model" in text and "-3 more" not in text
    assert "inside the rule's band" not in text  # 3 images from the best, about 4.5 inside


def test_champion_choice_says_when_the_champion_is_less_than_an_image_inside_the_band():
    runs = runs_table(
        {"model_key": "model_4", "val_accuracy": 5934 / 6000, "n_parameters": 82_522},
        {"model_key": "model_2", "val_accuracy": 5941 / 6000, "n_parameters": 225_034},
    )
    text = narrate.champion_choice(runs, runs.iloc[0], n_val=6000)
    assert "(7 images)" in text
    assert "it lies 0.6 of an image inside the rule's band" in text
    assert "one more validation error would have put it outside" in text


def test_rule_margin_says_how_close_the_rule_s_choice_was_for_the_card():
    runs = runs_table(
        {"model_key": "model_4", "val_accuracy": 5934 / 6000, "n_parameters": 82_522},
        {"model_key": "model_2", "val_accuracy": 5941 / 6000, "n_parameters": 225_034},
    )
    text = narrate.rule_margin(runs, runs.iloc[0], n_val=6000)
    assert text.startswith(
        "Model 2 (225,034 parameters against 82,522) is 0.12 points more accurate on validation "
        "(7 images, one seed)"
    )
    assert "model 4, the smaller, lies 0.6 of an image inside the rule's band" in text
    assert "would have put it outside" in text
    wider = runs_table(
        {"model_key": "model_2", "val_accuracy": 0.9900, "n_parameters": 225_034},
        {"model_key": "model_3", "val_accuracy": 0.9905, "n_parameters": 431_626},
    )
    far = narrate.rule_margin(wider, wider.iloc[0], n_val=6000)
    assert "4.5 images inside the rule's band" in far and "outside" not in far
    # the champion is also the most accurate: nothing to say
    assert narrate.rule_margin(wider, wider.iloc[1], n_val=6000) == ""


def test_champion_choice_names_an_ablation_as_a_control_not_a_runner_up():
    runs = runs_table(
        {"model_key": "model_4", "val_accuracy": 0.9937, "n_parameters": 346_026},  # 38 errors
        {"model_key": "model_4_no_aug", "val_accuracy": 0.9945, "n_parameters": 346_026},
        {"model_key": "model_2", "val_accuracy": 0.9902, "n_parameters": 225_034},  # 59 errors
    )
    text = narrate.champion_choice(runs, runs.iloc[0], n_val=6000)
    assert "The runner-up, model 2, makes 21 more validation errors" in text
    assert "is more accurate" not in text
    control = text[text.lower().index(specs.label("model_4_no_aug")) :]  # after the runner-up
    assert "99.45\u00a0%" in control and "control" in control and "runner-up" not in control


def test_a_p_value_too_small_for_a_double_is_never_zero():
    assert narrate.p_value(0.0712) == "0.071" and narrate.p_value(1.8e-242) == "1.8e-242"
    assert narrate.p_value(0.0) == "< 1e-300"
    assert narrate.p_clause(0.0) == "< 1e-300" and narrate.p_clause(0.05) == "= 0.05"


def test_reproduction_codes_follow_the_interval():
    assert reproduction.reproduction_code([0.9870], 6000, 0.992) == "not_reproduced"
    assert reproduction.reproduction_code([0.9815], 6000, 0.980) == "reproduces"
    assert reproduction.reproduction_code([0.99], 6000, 0.975) == "better_than_reported"


def test_a_sign_flip_p_at_its_floor_is_given_as_a_bound():
    from mnist_pipeline.book.narrate import flips_p

    assert flips_p(1 / 2001, 2_000).startswith("\u2264 0.0005")
    assert "2,000 flips" in flips_p(1 / 2001, 2_000)
    assert flips_p(0.03, 2_000) == "= 0.03"


def test_a_spread_from_three_seeds_counts_as_estimated_not_known():
    # Three seeds' standard deviation is itself uncertain: the range uses Student's t with the
    # Welch-Satterthwaite degrees of freedom and the mean's own error, so a figure 0.1 point
    # below a 1.96-SD range (the "better than reported" of an earlier version) reproduces.
    from scipy import stats

    seeds = [0.9842, 0.9820, 0.9793]
    found = reproduction.reproduction_range(seeds, 6000)
    between = found["sd"] ** 2 * (1 + 1 / 3)
    total = between + found["se"] ** 2
    dof = 2 * total**2 / between**2  # Welch-Satterthwaite: between 2 and many
    assert 2 < dof < 10
    assert found["high"] - found["mean"] == pytest.approx(stats.t.ppf(0.975, dof) * total**0.5)
    naive_low = found["mean"] - 1.96 * (found["sd"] ** 2 + found["se"] ** 2) ** 0.5
    assert naive_low > 0.975 and reproduction.reproduction_code(seeds, 6000, 0.975) == "reproduces"


def test_a_reported_figure_counts_with_its_rounding():
    # 99.2 % stands for 99.15 to 99.25 %: a range ending at 99.17 % reaches it.
    edge = reproduction.reproduction_range([0.9891], 6000)
    assert 0.9915 < edge["high"] < 0.992
    assert reproduction.reproduction_code([0.9891], 6000, 0.992) == "reproduces"


def test_a_reproduction_says_what_else_the_source_leaves_out():
    text = reproduction.reproduction(
        "the MLP", [0.981, 0.977, 0.981], 10_000, 0.978, "the example,", "test", " (nor a net)"
    )
    assert "does not give in full (nor a net), " in text and "prediction interval" in text


def test_curves_are_read_without_naming_layers_a_model_may_lack():
    history = {
        "loss": [0.5, 0.3, 0.2],
        "val_loss": [0.4, 0.3, 0.35],
        "accuracy": [0.9, 0.95, 0.97],
        "val_accuracy": [0.92, 0.96, 0.95],
    }
    text = narrate.read_curves(history)
    assert "dropout" not in text and "average over the epoch's batches" in text


def test_an_error_count_comparison_carries_its_caveat():
    earlier = {"val_errors": 100, "model_key": "model_1", "n_parameters": 10}
    text = narrate.compare_errors("Model 2", 60, 5, earlier)
    assert "one seed each" in text and "no test here" in text


def test_seeds_that_barely_differ_leave_the_binomial_error_with_its_normal_multiplier():
    # Model 2's seeds differ by hundredths of a point: almost all of one run's spread is the
    # binomial error on 6,000 images, which is not estimated from three seeds.
    found = reproduction.reproduction_range([0.9902, 0.9905, 0.9903], 6000)
    assert (found["high"] - found["mean"]) / found["se"] == pytest.approx(1.96, abs=0.02)
    assert reproduction.reproduction_code([0.9902, 0.9905, 0.9903], 6000, 0.985) == (
        "better_than_reported"
    )
