"""Figures of the evaluation chapter: models side by side on validation, under corruption,
in calibration and digit by digit, and one digit under every MNIST-C corruption."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mnist_pipeline import config
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    image_grid,
    styled,
    subplots,
)


@styled
def validation_curves(histories: dict[str, dict[str, list[float]]], title: str) -> Figure:
    """Validation loss and accuracy per epoch of several models, overlaid."""
    fig, axes = subplots(1, 2, figsize=(MAX_WIDTH_IN, 2.9))
    for name, history in histories.items():
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        axes[0].plot(epochs, history["val_loss"], marker="o", markersize=3, label=name)
        axes[1].plot(epochs, history["val_accuracy"], marker="o", markersize=3, label=name)
    axes[0].set(title="Validation loss", xlabel="epoch", ylabel="loss")
    axes[1].set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
    axes[1].legend()
    fig.suptitle(title)
    return fig


@styled
def robustness_curves(curves: pd.DataFrame, title: str) -> Figure:
    """Accuracy against corruption strength, one panel per corruption, one line per model.

    Args:
        curves: columns ``model``, ``corruption``, ``strength``, ``unit``, ``accuracy``.
        title: the figure title.
    """
    names = list(dict.fromkeys(curves["corruption"]))
    n_cols = 3
    n_rows = int(np.ceil((len(names) + 1) / n_cols))  # one more panel for the legend
    fig, axes = subplots(n_rows, n_cols, figsize=(MAX_WIDTH_IN, 2.0 * n_rows + 0.3), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        part = curves[curves["corruption"] == name]
        for model, rows in part.groupby("model", sort=False):
            ax.plot(rows["strength"], rows["accuracy"], marker="o", markersize=3, label=model)
        ax.set(title=name, xlabel=part["unit"].iloc[0], ylabel="accuracy", ylim=(0, 1.02))
    spare = list(axes.flat)[len(names) :]
    for ax in spare:
        ax.axis("off")
    spare[0].legend(*axes.flat[0].get_legend_handles_labels(), loc="center", title="model")
    fig.suptitle(title)
    return fig


@styled
def reliability_diagram(bins: dict[str, pd.DataFrame], title: str) -> Figure:
    """Accuracy against confidence per bin for each model; the diagonal is perfect calibration."""
    fig, ax = subplots(figsize=(5.0, 4.4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, table in bins.items():
        ax.plot(table["confidence"], table["accuracy"], marker="o", markersize=3, label=name)
    ax.set(title=title, xlabel="confidence (top probability)", ylabel="accuracy")
    ax.legend(loc="upper left")
    return fig


@styled
def per_class_recall(recalls: pd.DataFrame, title: str) -> Figure:
    """Recall of each digit for every model: rows digits, columns models."""
    fig, ax = subplots(figsize=(MAX_WIDTH_IN, 3.4))
    width = 0.8 / len(recalls.columns)
    for i, name in enumerate(recalls.columns):
        ax.bar(np.arange(len(recalls)) + i * width, recalls[name], width=width, label=name)
    ax.set_xticks(np.arange(len(recalls)) + 0.4 - width / 2, [str(d) for d in recalls.index])
    low = float(recalls.min().min())
    ax.set(title=title, xlabel="digit", ylabel="recall", ylim=(max(0.0, low - 0.02), 1.0))
    fig.legend(loc="outside lower center", ncols=min(5, len(recalls.columns)), frameon=False)
    return fig


@styled
def corruption_gallery(image: np.ndarray, corrupted: Mapping[str, np.ndarray]) -> Figure:
    """One digit clean and under each corruption, in the order of ``corrupted``.

    Args:
        image: one ``(28, 28)`` or ``(28, 28, 1)`` digit, floats in [0, 1].
        corrupted: corruption name to that digit corrupted (one image or a batch of one): for
            MNIST-C's 15, ``corruptions.mnistc.corrupt_all(image[None], seed)``.
    """
    digit = np.asarray(image, dtype=np.float32).reshape(config.IMAGE_SHAPE)
    panels = [("clean", digit)]
    panels += [
        (name.replace("_", " "), np.reshape(one, config.IMAGE_SHAPE))
        for name, one in corrupted.items()
    ]
    fig, axes = image_grid(len(panels), n_cols=8)
    for ax, (caption, picture) in zip(axes, panels, strict=True):
        ax.imshow(picture, cmap=DIGIT_CMAP, vmin=0, vmax=1)
        ax.set_title(caption, fontsize=MIN_FONT_PT)
    fig.suptitle("One test digit under each MNIST-C corruption")
    return fig
