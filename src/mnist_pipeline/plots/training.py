"""Figures of training: curves per epoch, a confusion matrix, and the search's trials."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from mnist_pipeline.plots.style import (
    DIGITS,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    legend_below,
    styled,
    subplots,
)


@styled
def training_curves(history: dict[str, list[float]], title: str) -> Figure:
    """Loss and accuracy per epoch, training against validation."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = subplots(1, 2, figsize=(MAX_WIDTH_IN, 2.9))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, history[metric], marker="o", label="training")
        ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        ax.set(title=metric.capitalize(), xlabel="epoch", ylabel=metric)
        ax.set_xticks(epochs)
        ax.legend()
    fig.suptitle(title)
    return fig


def _draw_confusion(ax, matrix: np.ndarray, title: str) -> None:
    sns.heatmap(
        matrix,
        annot=True,
        fmt="d",
        cmap="Blues",
        cbar=False,
        ax=ax,
        xticklabels=DIGITS,
        yticklabels=DIGITS,
        annot_kws={"fontsize": MIN_FONT_PT},
    )
    ax.set(title=title, xlabel="predicted digit", ylabel="true digit")


@styled
def confusion_heatmap(matrix: np.ndarray, title: str) -> Figure:
    """A confusion matrix as an annotated heatmap (rows true, columns predicted)."""
    fig, ax = subplots(figsize=(5.2, 4.6))
    _draw_confusion(ax, matrix, title)
    return fig


@styled
def search_history(trials: pd.DataFrame, title: str) -> Figure:
    """Validation accuracy of each trial in order, the best so far, pruned trials marked.

    Accuracy is in percent; the best-so-far line runs on to the last trial, and the legend sits
    under the axes (:func:`legend_below`) where it can hide no trial.
    """
    fig, ax = subplots(figsize=(7, 3.8))
    done = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    ax.scatter(done.index, done["value"], label="completed trial", color="steelblue", s=20)
    ax.scatter(pruned.index, pruned["value"], label="pruned trial", marker="x", color="grey", s=20)
    if len(done):
        best = done["value"].cummax()
        last = max(trials.index.max(), done.index.max())
        ax.step(
            [*done.index, last],
            [*best, best.iloc[-1]],
            where="post",
            color="darkorange",
            label="best so far",
        )
    ax.set(title=title, xlabel="trial", ylabel="validation accuracy")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    legend_below(fig, *ax.get_legend_handles_labels())
    return fig


@styled
def param_importance(importances: dict[str, float], title: str) -> Figure:
    """How much of the variation in validation accuracy each hyperparameter explains."""
    names = list(importances)[::-1]
    fig, ax = subplots(figsize=(6, 0.35 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="steelblue")
    ax.set(title=title, xlabel="importance (fANOVA, sums to 1)", ylabel="hyperparameter")
    return fig
