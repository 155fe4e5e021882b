"""Model 4's targets, each over every seed it has, against a value and its 95 % interval."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mnist_pipeline import config
from mnist_pipeline import models as models_
from mnist_pipeline.corruptions import target
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.evaluation import robustness
from mnist_pipeline.metrics import clustered
from mnist_pipeline.models import augment


def clean_of(every_seed: Mapping[str, list], key: str, splits: Splits) -> np.ndarray:
    """Whether each seed's model of ``key`` reads each clean test digit right,
    ``(seeds, 1, images)``."""
    return robustness.suite_correct(
        {key: every_seed[key]}, {"clean": splits.x_test}, splits.y_test
    )[key]


def unseen_targets(runs: pd.DataFrame, key: str = "model_4") -> tuple[str, ...]:
    """The target suite's corruptions that model 4's logged design never trains on."""
    found = runs.loc[runs["model_key"] == key, "architecture"]
    design = models_.design_named(str(found.iloc[0])) if len(found) else None
    if design is None or design.policy == "none":  # no augmentation: it saw none of them
        return tuple(target.CORRUPTIONS)
    return augment.unseen_targets(design.policy)


def target_check(value: float, low: float, high: float, goal: float) -> dict:
    """A target against a measured value and its 95 % interval: ``meets`` (the value reaches
    the goal), ``misses``; ``straddles`` says whether the interval holds the goal, where
    another set of seeds or images could land on the other side."""
    return {
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "goal": goal,
        "code": "meets" if value >= goal else "misses",
        "straddles": bool(low <= goal <= high),
    }


def model_4_targets(clean: np.ndarray, mnistc: pd.DataFrame, key: str = "model_4") -> dict:
    """Model 4's three targets, each over every seed it has: clean test accuracy, the mean
    over MNIST-C, and its worst MNIST-C corruption (issue: no corruption below the floor)."""
    found = clustered.mean_interval(clustered.image_scores(clean))
    rows = mnistc[mnistc["model"] == key].set_index("corruption")
    mean = rows.loc["mean"]
    worst_name = rows.drop(index="mean")["accuracy"].idxmin()
    worst = rows.loc[worst_name]
    return {
        "clean": target_check(
            found["mean"], found["ci_low"], found["ci_high"], config.ACCURACY_TARGET
        ),
        "mnistc_mean": target_check(
            mean["accuracy"], mean["ci_low"], mean["ci_high"], config.MNISTC_TARGET
        ),
        "mnistc_worst": {
            **target_check(
                worst["accuracy"], worst["ci_low"], worst["ci_high"], config.MNISTC_FLOOR
            ),
            "corruption": worst_name,
        },
        "n_seeds": int(found["n_seeds"]),
    }
