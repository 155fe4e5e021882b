"""conclusions: a fresh _variables.yml against the committed one, by what the statistics decided."""

from __future__ import annotations

import copy

import pytest
import yaml

from mnist_pipeline.book import conclusions
from mnist_pipeline.book.conclusions import compare, percent

NBSP = "\u00a0"


def committed() -> dict:
    """A small variables mapping shaped like the book's (built by hand, not read from the repo)."""
    return {
        "champion": {"key": "model_4", "name": "model 4", "test_accuracy": "99.41 %"},
        "decisions": {
            "step_1_2": "better",
            "step_2_3": "undecided",
            "reproduction_model_2": "reproduces",
            "reproduction_model_3": "below_reported",
            "target_test_accuracy": "misses",
        },
        "model_1": {
            "test_accuracy": "98.41 %",
            "val_accuracy": f"98.28{NBSP}%",
            "test_ci": "98.15 to 98.64 %",
            "test_seeds": "98.48 ± 0.10 %",
            "training_time": "57 s",
            "parameters": "693,962",
        },
        "mnistc": {
            "model_4_mean": "84.8 %",
            "model_4_worst": "21.1 %",
            "model_4_worst_name": "fog",
        },
        "mnistc_model_4": {"fog": "21.1 %", "brightness": "66.8 %"},
        "verdicts": {"step_1_2": "Model 2 is better than model 1: McNemar p = 5.4e-05."},
        "provenance": {"machine": "AMD EPYC", "date": "2025-01-01", "total_time": "60 minutes"},
        "own_images": {"accuracy": "100 %", "n": 20},
        "detector": {"mnistc_refused_mean": "32.0 %"},
    }


def doctored(**changes: dict) -> dict:
    """A copy of :func:`committed` with some sections' values replaced (None deletes a key)."""
    values = copy.deepcopy(committed())
    for section, updates in changes.items():
        for key, value in updates.items():
            if value is None:
                del values[section][key]
            else:
                values[section][key] = value
    return values


def test_identical_values_pass_without_notes():
    result = compare(committed(), committed())
    assert result.ok, result.report()
    assert result.failures == [] and result.notes == []
    assert "the same conclusions" in result.report()


def test_a_different_champion_fails():
    result = compare(doctored(champion={"key": "model_3"}), committed())
    assert not result.ok
    assert any("champion.key" in f and "model_3" in f for f in result.failures)
    assert "DIFFER" in result.report()


def test_a_decided_verdict_flipped_fails():
    result = compare(doctored(decisions={"step_1_2": "worse"}), committed())
    assert not result.ok
    assert any("step_1_2" in f and "worse" in f for f in result.failures)


@pytest.mark.parametrize(
    ("name", "code"),
    [("step_1_2", "undecided"), ("reproduction_model_2", "above_reported")],
)
def test_a_change_to_or_from_an_undecided_verdict_is_a_note(name, code):
    result = compare(doctored(decisions={name: code}), committed())
    assert result.ok, result.report()
    assert len(result.notes) == 1
    assert name in result.notes[0] and conclusions.UNDECIDED_NOTE in result.notes[0]


def test_an_unknown_code_counts_as_decided():
    result = compare(doctored(decisions={"target_test_accuracy": "exceeds"}), committed())
    assert not result.ok


def test_a_missing_decision_fails_and_a_new_one_is_a_note():
    missing = compare(doctored(decisions={"step_2_3": None}), committed())
    assert not missing.ok
    assert any("decisions.step_2_3" in f and "missing" in f for f in missing.failures)
    added = compare(doctored(decisions={"ablation_clean": "more"}), committed())
    assert added.ok, added.report()
    assert any("ablation_clean" in note for note in added.notes)


@pytest.mark.parametrize(
    ("section", "key", "value", "ok"),
    [
        ("model_1", "test_accuracy", "98.71 %", True),  # 0.3 points
        ("model_1", "test_accuracy", "97.61 %", False),  # 0.8 points
        ("model_1", "val_accuracy", f"98.58{NBSP}%", True),
        ("champion", "test_accuracy", "98.61 %", False),
        ("mnistc_model_4", "fog", "25.1 %", True),  # 4 points
        ("mnistc_model_4", "fog", "15.1 %", False),  # 6 points
        ("mnistc", "model_4_worst", "25.1 %", True),  # a single corruption, 4 points
        ("mnistc", "model_4_mean", "86.3 %", True),  # 1.5 points
        ("mnistc", "model_4_mean", "87.8 %", False),  # 3 points
        # a refusal share, not an accuracy: the detector's decision codes compare it
        ("detector", "mnistc_refused_mean", "35.0 %", True),
    ],
)
def test_accuracies_within_their_tolerance(section, key, value, ok):
    result = compare(doctored(**{section: {key: value}}), committed())
    assert result.ok is ok, result.report()


def test_a_failure_names_the_key_both_values_and_the_tolerance():
    result = compare(doctored(model_1={"test_accuracy": "97.61 %"}), committed())
    [failure] = result.failures
    assert "model_1.test_accuracy" in failure
    assert "98.41 %" in failure and "97.61 %" in failure
    assert "0.5 points" in failure


def test_a_missing_or_unparsable_percentage_fails():
    assert not compare(doctored(model_1={"test_accuracy": None}), committed()).ok
    assert not compare(doctored(model_1={"test_accuracy": "n/a"}), committed()).ok


def test_non_percentages_provenance_and_own_images_are_ignored():
    fresh = doctored(
        model_1={"test_ci": "90.00 to 91.00 %", "test_seeds": "90.0 ± 1.0 %", "parameters": "1"},
        verdicts={"step_1_2": "Another sentence."},
        provenance={"machine": "Apple M2", "date": "2026-02-02", "total_time": "3 hours"},
        own_images={"accuracy": "50 %", "n": 2},
    )
    result = compare(fresh, committed())
    assert result.ok, result.report()
    assert result.notes == []


def test_structure_only_ignores_values_but_not_a_missing_section():
    wild = doctored(
        champion={"key": "model_1", "test_accuracy": "10 %"},
        decisions={"step_1_2": "worse"},
        mnistc={"model_4_mean": "1 %"},
    )
    assert compare(wild, committed(), structure_only=True).ok
    without = committed()
    del without["mnistc_model_4"]
    result = compare(without, committed(), structure_only=True)
    assert not result.ok
    assert any("mnistc_model_4" in f for f in result.failures)
    assert not compare(doctored(decisions={"step_1_2": None}), committed(), structure_only=True).ok


def test_a_missing_section_fails_once_in_a_full_comparison():
    without = committed()
    del without["mnistc_model_4"]
    result = compare(without, committed())
    assert result.failures == ["section 'mnistc_model_4' is missing from the fresh file"]


def test_a_committed_file_without_decisions_says_so():
    old = committed()
    del old["decisions"]
    result = compare(committed(), old)
    assert result.ok, result.report()
    assert any("no decisions section" in note for note in result.notes)


def test_empty_committed_values_do_not_pass():
    assert not compare(committed(), {}).ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("99.41 %", 99.41),
        (f"99.41{NBSP}%", 99.41),
        ("100 %", 100.0),
        ("99.41%", 99.41),
        ("98.48 ± 0.10 %", None),
        ("97.92 to 98.58 %", None),
        ("57 s", None),
        ("Model 4 falls short of the target of 99.5 % on test.", None),
        ("99.41", None),
        (99.41, None),
    ],
)
def test_percent_parses_single_percentages_only(text, expected):
    assert percent(text) == expected


def test_tolerance_rules():
    assert conclusions.tolerance_for("model_1", "test_accuracy").points == 0.5
    assert conclusions.tolerance_for("mnistc", "model_1_mean").points == 2.0
    assert conclusions.tolerance_for("mnistc_model_1", "fog").points == 5.0
    assert conclusions.tolerance_for("model_1", "test_ci") is None
    assert conclusions.tolerance_for("own_images", "accuracy") is None


def write(path, values: dict):
    path.write_text(yaml.safe_dump(values, allow_unicode=True))
    return path


def test_the_command_line_exits_with_1_on_differing_conclusions(tmp_path, capsys):
    old = write(tmp_path / "committed.yml", committed())
    same = write(tmp_path / "same.yml", committed())
    other = write(tmp_path / "other.yml", doctored(champion={"key": "model_3"}))
    assert conclusions.main([str(same), str(old)]) == 0
    assert "the same conclusions" in capsys.readouterr().out
    assert conclusions.main([str(other), str(old)]) == 1
    assert "champion.key" in capsys.readouterr().out
    assert conclusions.main([str(other), str(old), "--structure-only"]) == 0
    assert conclusions.main([str(tmp_path / "absent.yml"), str(old)]) == 2
