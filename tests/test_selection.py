"""Choosing model 4's design on validation: the rule, the scores and what readers see."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline import config
from mnist_pipeline.study import selection

SRC = Path(config.PROJ_ROOT) / "src" / "mnist_pipeline"


def table(rows):
    return pd.DataFrame.from_dict(rows, orient="index")


def test_the_rule_takes_the_best_suite_mean_within_the_clean_margin():
    candidates = table(
        {
            "plain": {"val_accuracy": 0.990, "suite_mean": 0.80},
            "geometric": {"val_accuracy": 0.985, "suite_mean": 0.90},
            "occlusion": {"val_accuracy": 0.975, "suite_mean": 0.97},  # too far below on clean
        }
    )
    assert selection.choose(candidates, margin=0.01) == "geometric"
    assert selection.choose(candidates, margin=0.02) == "occlusion"
    assert selection.choose(candidates, margin=0.0) == "plain"
    with pytest.raises(ValueError, match="no candidates"):
        selection.choose(candidates.iloc[:0])


def test_ties_go_to_the_earlier_simpler_candidate():
    candidates = table(
        {
            "plain": {"val_accuracy": 0.99, "suite_mean": 0.9},
            "geometric": {"val_accuracy": 0.99, "suite_mean": 0.9},
        }
    )
    assert selection.choose(candidates) == "plain"


class Fixed:
    """Reads an image as the digit of its mean grey level (a stand-in for a model)."""

    def predict_proba(self, flat):
        digit = np.clip((flat.mean(axis=1) * 10).astype(int), 0, 9)
        return np.eye(10)[digit]


def test_suite_scores_average_severities_and_every_cell():
    labels = np.array([0, 0])
    dark, bright = np.zeros((2, 28, 28, 1), np.float32), np.ones((2, 28, 28, 1), np.float32)
    suite = {("noise", 1): dark, ("noise", 2): bright, ("blur", 1): dark}
    scores = selection.suite_scores(Fixed(), suite, labels)
    assert scores == {"suite_noise": 0.5, "suite_blur": 1.0, "suite_mean": pytest.approx(2 / 3)}
    with pytest.raises(ValueError, match="empty suite"):
        selection.suite_scores(Fixed(), {}, labels)


def test_readers_see_every_candidate_and_which_was_chosen():
    found = selection.Selection(
        table(
            {
                "plain": {
                    "val_accuracy": 0.99,
                    "suite_mean": 0.8,
                    "suite_contrast": 0.5,
                    "suite_jpeg": 0.99,
                    "seconds": 1.0,
                    "run_id": "a",
                },
                "geometric": {
                    "val_accuracy": 0.985,
                    "suite_mean": 0.9,
                    "suite_contrast": 0.7,
                    "suite_jpeg": 0.98,
                    "seconds": 1.0,
                    "run_id": "b",
                },
            }
        ),
        chosen="geometric",
        run_id="p",
        n_train=1000,
        epochs=2,
        n_images=100,
    )
    shown = found.for_readers()
    assert list(shown.index) == ["plain", "geometric"]
    assert shown.loc["geometric", "chosen"] == "yes" and shown.loc["plain", "chosen"] == ""
    assert shown.loc["plain", "weakest"] == "contrast 50.0"
    sentence = found.describe()
    assert "2 candidates" in sentence and "`geometric`" in sentence and "seed 42" in sentence
    values = found.variables()
    assert values["chosen"] == "geometric" and values["plain_suite"] == "80.0\u00a0%"


def test_the_sentence_says_how_close_the_choice_came_to_another():
    n_val = 6000
    rows = {  # plain is the best on clean digits; photometric sits exactly at the margin's edge
        "plain": {"val_accuracy": 5918 / n_val, "suite_mean": 0.867},
        "geometric": {"val_accuracy": 5878 / n_val, "suite_mean": 0.95710},
        "photometric": {"val_accuracy": 5858 / n_val, "suite_mean": 0.95737},
    }
    found = selection.Selection(
        pd.DataFrame.from_dict(rows, orient="index"), "photometric", "p", n_val=n_val
    )
    sentence = found.describe()
    assert (
        "The runner-up, `geometric`, is 0.03 points behind on the suite mean, the same at the "
        "table's rounding." in sentence
    )
    assert (
        "at the margin's edge: one more clean validation error would have excluded it" in sentence
    )
    rows["photometric"]["val_accuracy"] = 5861 / n_val  # 3 images inside
    rows["geometric"]["suite_mean"] = 0.94
    inside = selection.Selection(
        pd.DataFrame.from_dict(rows, orient="index"), "photometric", "p", n_val=n_val
    ).describe()
    assert "is 3 images inside the margin" in inside and "same at the table's" not in inside
    rows["photometric"]["val_accuracy"] = 5900 / n_val  # far inside: not said
    far = selection.Selection(
        pd.DataFrame.from_dict(rows, orient="index"), "photometric", "p", n_val=n_val
    ).describe()
    assert "inside the margin" not in far and "edge" not in far
    unknown = selection.Selection(  # no count of validation images: the edge is not said
        pd.DataFrame.from_dict(rows, orient="index"), "photometric", "p"
    ).describe()
    assert "margin's edge" not in unknown and "The runner-up" in unknown


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize(
    "module",
    [
        "study/selection.py",
        "study/experiment.py",
        "study/train.py",
        "models/augment.py",
        "models/cnn.py",
        "models/specs.py",
        "corruptions/validation.py",
    ],
)
def test_no_mnistc_function_reaches_training_or_selection(module):
    """MNIST-C is the test of robustness: training and choosing a design never import it."""
    imported = _imports(SRC / module)
    assert not [name for name in imported if "mnistc" in name], imported
