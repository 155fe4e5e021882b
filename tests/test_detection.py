"""How the champion's "not a digit" detector is judged: refusal shares, AUROC, targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline.book import verdicts
from mnist_pipeline.evaluation import detection


def scores():
    digits = np.linspace(0.0, 10.0, 200)  # threshold 9.5 refuses 10 of 200 (5 %)
    families = {
        "uniform_noise": np.full(100, 50.0),
        "gaussian_blobs": np.r_[np.full(97, 50.0), np.full(3, 1.0)],
        "near_blank": np.r_[np.full(50, np.inf), np.full(50, 20.0)],  # half refused by preparation
        "natural_patches": np.r_[np.full(90, 50.0), np.full(10, 2.0)],
        "letters": np.linspace(0.0, 20.0, 100),
        "scribbles": np.linspace(5.0, 30.0, 100),
    }
    return digits, families


def test_refusal_table_counts_preparation_and_detector_refusals():
    digits, families = scores()
    table = detection.refusal_table(digits, families, threshold=9.5)
    assert list(table.index) == ["digits", *families]
    assert table.loc["digits", "refused"] == pytest.approx(10 / 200)
    assert (
        table.loc["near_blank", "refused"] == 1.0
        and table.loc["near_blank", "by preparation"] == 50
    )
    assert table.loc["gaussian_blobs", "refused"] == pytest.approx(0.97)
    assert np.isnan(table.loc["digits", "auroc"])
    assert table.loc["uniform_noise", "auroc"] == 1.0
    assert 0.5 < table.loc["letters", "auroc"] < 1.0
    assert (table["ci_low"] <= table["refused"]).all() and (
        table["refused"] <= table["ci_high"]
    ).all()


def test_target_codes_follow_the_shares():
    digits, families = scores()
    codes = detection.target_codes(detection.refusal_table(digits, families, threshold=9.5))
    assert codes["detector_digits"] == "misses"  # 5 % of digits refused, above 1 %
    assert codes["detector_uniform_noise"] == "meets"
    assert codes["detector_gaussian_blobs"] == "meets"
    assert codes["detector_natural_patches"] == "misses"  # 90 %
    assert "detector_letters" not in codes
    strict = detection.refusal_table(digits, families, threshold=10.0)
    # none of 200 refused: the interval (0 to 1.9 %) still holds 1 %, too few digits to tell
    assert detection.target_codes(strict)["detector_digits"] == "at_goal"
    many = detection.refusal_table(np.linspace(0, 1, 5000), families, threshold=2.0)
    assert detection.target_codes(many)["detector_digits"] == "meets"


def test_the_sentences_say_what_each_target_got():
    digits, families = scores()
    table = detection.refusal_table(digits, families, threshold=9.5)
    said = verdicts.refusals(table, detection.MUST_REFUSE, detection.HARD, 0.95, 0.01)
    assert "above the target" in said[0]
    assert any(s.startswith("It meets") and "uniform noise" in s for s in said)
    assert all("the preparation and the detector together" in s for s in said[1:3])
    assert any(s.startswith("It misses") and "natural patches" in s for s in said)
    assert "AUROC" in said[-1] and "letters" in said[-1]


def test_readers_table_names_sets_and_gives_percent():
    digits, families = scores()
    shown = detection.for_readers(detection.refusal_table(digits, families, threshold=9.5))
    assert shown.loc["near blank", "refused (%)"] == "100.0"
    assert shown.loc["digits", "AUROC"] == "-"
    assert isinstance(shown, pd.DataFrame) and shown.index.name == "images of"


def test_refusals_of_corrupted_digits_are_called_a_cost():
    said = verdicts.corrupted_refusals(pd.Series({"fog": 0.30, "shot_noise": 0.02}))
    assert "16.0\u00a0% on average" in said and "most under fog (30.0\u00a0%)" in said
    assert "cost" in said
    assert "given to the detector as they are (not prepared as an upload)" in said


def test_digits_refused_near_the_threshold_s_own_rate_are_at_goal():
    digits = np.linspace(0.0, 10.0, 1000)  # the threshold refuses about 1 % of them
    table = detection.refusal_table(digits, {"uniform_noise": np.full(10, 50.0)}, threshold=9.9)
    assert table.loc["digits", "ci_low"] <= 0.01 <= table.loc["digits", "ci_high"]
    assert detection.target_codes(table)["detector_digits"] == "at_goal"


def test_a_digit_share_whose_interval_reaches_the_target_says_so():
    _, families = scores()
    # none of 200 digits refused: within 1 %, but the interval (0 to 1.9 %) reaches it
    table = detection.refusal_table(np.linspace(0.0, 10.0, 200), families, threshold=10.0)
    first = verdicts.refusals(table, detection.MUST_REFUSE, detection.HARD, 0.95, 0.01)[0]
    assert "within the target" in first and "its 95 % interval includes 1\u00a0%" in first
    many = detection.refusal_table(np.linspace(0, 1, 5000), families, threshold=2.0)
    clear = verdicts.refusals(many, detection.MUST_REFUSE, detection.HARD, 0.95, 0.01)[0]
    assert "within the target" in clear and "reaches" not in clear


def test_held_out_families_are_marked_judged_on_their_own_targets_and_said_apart():
    digits, families = scores()
    held = {
        "sparse_noise": np.full(100, 50.0),  # all refused
        "stripes": np.r_[np.full(80, 50.0), np.full(20, 1.0)],  # 80 %: below 95 %
        "shapes": np.linspace(0.0, 20.0, 100),
        "symbols": np.linspace(5.0, 30.0, 100),
    }
    table = detection.refusal_table(digits, {**families, **held}, threshold=9.5)
    codes = detection.target_codes(table)
    assert codes["detector_sparse_noise"] == "meets" and codes["detector_stripes"] == "misses"
    assert "detector_shapes" not in codes and "detector_symbols" not in codes
    shown = detection.for_readers(table)
    assert "stripes (held out)" in shown.index and "letters" in shown.index
    said = verdicts.held_out_refusals(
        table, detection.HELD_OUT_MUST_REFUSE, detection.HELD_OUT_HARD, 0.95
    )
    assert said.startswith("On 4 families added after the detector's design was settled")
    assert "it and the service's preparation together refuse" in said  # the combined shares
    assert "sparse noise 100.0\u00a0%" in said and "meets the target" in said
    assert "stripes 80.0\u00a0%" in said and "misses the target" in said
    assert "sparse noise" in said and "reaches below" not in said  # 100 of 100: clear
    close = {**held, "stripes": np.r_[np.full(96, 50.0), np.full(4, 1.0)]}  # 96 %, CI under 95
    table2 = detection.refusal_table(digits, {**families, **close}, threshold=9.5)
    near = verdicts.held_out_refusals(
        table2, detection.HELD_OUT_MUST_REFUSE, detection.HELD_OUT_HARD, 0.95
    )
    assert "stripes 96.0\u00a0%" in near and "though its interval reaches below it" in near
    assert "shapes" in said and "AUROC" in said and "no target" in said
    # the first six families never enter this sentence
    assert "letters" not in said and "uniform noise" not in said
    assert verdicts.held_out_refusals(detection.refusal_table(digits, families, 9.5),
                                      detection.HELD_OUT_MUST_REFUSE, (), 0.95) == ""  # fmt: skip


def test_the_held_out_families_targets_cover_every_held_out_family_once():
    from mnist_pipeline.data import nondigits

    named = detection.HELD_OUT_MUST_REFUSE + detection.HELD_OUT_HARD
    assert sorted(named) == sorted(nondigits.HELD_OUT)
    assert not set(named) & set(detection.MUST_REFUSE + detection.HARD)
