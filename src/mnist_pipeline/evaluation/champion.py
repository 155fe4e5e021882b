"""The champion rule: chosen on validation only, among candidates, the simplest within noise."""

from __future__ import annotations

import pandas as pd

from mnist_pipeline import metrics
from mnist_pipeline.models import specs

# How the champion is chosen, as the evaluation run logs it and the chapter states it.
CHAMPION_RULE = (
    "one-standard-error rule: among the candidates within one binomial standard error of the best "
    "validation accuracy, the one with the fewest parameters (of equal sizes, the more accurate); "
    "an ablation is a control, not a candidate"
)


GROUP_ORDER = ("baseline", "study", "beyond", "ablation")


def order_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs in the book's order: baselines, the study's CNNs, model 4, its ablation."""
    rank = {group: i for i, group in enumerate(GROUP_ORDER)}
    ordered = runs.assign(_rank=runs["group"].map(rank).fillna(len(rank)))
    return ordered.sort_values(["_rank", "model_key"]).drop(columns="_rank").reset_index(drop=True)


def keys_of(runs: pd.DataFrame, *groups: str) -> list[str]:
    """The model keys of ``runs`` whose spec belongs to one of ``groups``, in the runs' order."""
    return [
        key for key, group in zip(runs["model_key"], runs["group"], strict=True) if group in groups
    ]


def best_of(runs: pd.DataFrame, group: str) -> str:
    """The model key of ``group``'s run with the best validation accuracy."""
    return str(runs[runs["group"] == group].sort_values("val_accuracy").iloc[-1]["model_key"])


def runner_up_of(runs: pd.DataFrame, champion_key: str) -> str:
    """The candidate other than the champion with the best validation accuracy."""
    others = specs.candidates(runs)
    return str(
        others[others["model_key"] != champion_key]
        .sort_values("val_accuracy")
        .iloc[-1]["model_key"]
    )


def choose_champion(runs: pd.DataFrame, n_val: int) -> pd.Series:
    """The champion by :data:`CHAMPION_RULE`, on validation only (the test set plays no part).

    The candidates are the runs outside :data:`specs.CONTROL_GROUPS`: an ablation measures what
    one change buys and is not meant to be served. Of models of equal size the more accurate
    wins; exact ties on both accuracy and size go to the first model key.

    Raises:
        ValueError: when there is no candidate to choose from.
    """
    candidates = specs.candidates(runs)
    if candidates.empty:
        raise ValueError("no training runs to choose a champion from: run the training chapters")
    best = float(candidates["val_accuracy"].max())
    within = candidates[candidates["val_accuracy"] >= best - metrics.standard_error(best, n_val)]
    order = ["n_parameters", "val_accuracy", "model_key"]
    return within.sort_values(order, ascending=[True, False, True]).iloc[0]
