"""Pure plotting functions: each returns a matplotlib Figure with a title and labelled axes.

Nothing here calls ``plt.show()`` or writes files; notebooks display the figure and
``tracking`` logs it. Figures are built as ``matplotlib.figure.Figure`` objects outside
pyplot's global state, so a notebook cell that ends on ``fig`` shows it exactly once
and nothing accumulates in memory across calls.

Every figure follows the house style of :mod:`mnist_pipeline.plots.style` (sized for the page,
one colour map) and draws under it through :func:`styled`, leaving matplotlib's global
``rcParams`` as they were: importing or calling this module changes no one else's figures.
The evaluation chapter's figures are in :mod:`mnist_pipeline.plots.evaluation`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from mnist_pipeline import config
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    blank,
    image_grid,
    styled,
    subplots,
)

DIGITS = list(range(config.NUM_CLASSES))


@styled
def digit_grid(images: np.ndarray, titles: Sequence[str], title: str, n_cols: int = 10) -> Figure:
    """Show images in a grid, each with its own caption (label, prediction...).

    Args:
        images: ``(n, 28, 28)`` or ``(n, 28, 28, 1)`` arrays.
        titles: one caption per image.
        title: the figure title.
        n_cols: images per row.
    """
    images = np.asarray(images).reshape(len(images), *config.IMAGE_SHAPE)
    fig, axes = image_grid(len(images), n_cols)
    for ax, image, caption in zip(axes, images, titles, strict=False):
        ax.imshow(image, cmap=DIGIT_CMAP)
        ax.set_title(caption, fontsize=MIN_FONT_PT)
    fig.suptitle(title)
    return fig


@styled
def label_distribution(labels: dict[str, np.ndarray]) -> Figure:
    """A seaborn count plot of the digits in each named split."""
    long = pd.DataFrame(
        {
            "digit": np.concatenate([np.asarray(y) for y in labels.values()]),
            "split": np.repeat(list(labels), [len(y) for y in labels.values()]),
        }
    )
    fig, ax = subplots(figsize=(MAX_WIDTH_IN, 3.2))
    sns.countplot(data=long, x="digit", hue="split", order=DIGITS, ax=ax)
    ax.set(title="Digit counts per split", xlabel="digit", ylabel="number of images")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), title="split", frameon=False)
    return fig


@styled
def mean_images(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The pixel-wise mean image of each digit."""
    fig, axes = image_grid(config.NUM_CLASSES, config.NUM_CLASSES, cell=1.2)
    for digit, ax in zip(DIGITS, axes, strict=True):
        ax.imshow(images[labels == digit].mean(axis=0), cmap=DIGIT_CMAP)
        ax.set_title(f"digit {digit}", fontsize=MIN_FONT_PT)
    fig.suptitle("Mean image of each digit (training set)")
    return fig


@styled
def pixel_histogram(images: np.ndarray) -> Figure:
    """Histogram of pixel intensities, on a log scale (most pixels are background).

    The 256 integer levels fall into 64 bins of exactly 4 levels each: bins that do not
    align with integers hold 3 or 4 levels in turn and draw spikes that are not in the data.
    """
    fig, ax = subplots(figsize=(MAX_WIDTH_IN, 3.2))
    ax.hist(np.asarray(images).ravel(), bins=np.arange(-0.5, 256, 4), color="steelblue")
    ax.set_yscale("log")
    ax.set(
        title="Pixel intensities (training set)",
        xlabel="intensity (0 = background, 255 = ink; bins of 4 levels)",
        ylabel="number of pixels (log scale)",
    )
    return fig


@styled
def projection_scatter(
    coords: np.ndarray,
    labels: np.ndarray,
    title: str,
    explained: Sequence[float] | None = None,
) -> Figure:
    """A 2-D embedding of images, coloured by digit.

    Args:
        coords: ``(n, 2)`` coordinates.
        labels: the digit of each point.
        title: the figure title.
        explained: the share of variance each axis explains (a PCA's
            ``explained_variance_ratio_``), printed on the axes.
    """
    fig, ax = subplots(figsize=(5.8, 4.6))
    points = ax.scatter(coords[:, 0], coords[:, 1], c=labels, cmap="tab10", s=5, alpha=0.8)
    ax.legend(
        *points.legend_elements(),
        title="digit",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    axis = [f"component {i + 1}" for i in range(2)]
    if explained is not None:
        axis = [
            f"{name} ({share:.1%} of variance)"
            for name, share in zip(axis, explained, strict=False)
        ]
    ax.set(title=title, xlabel=axis[0], ylabel=axis[1])
    return fig


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
def probability_bars(
    images: np.ndarray, proba: np.ndarray, titles: Sequence[str], title: str, n_cols: int = 4
) -> Figure:
    """Each image beside a bar chart of its predicted class probabilities, ``n_cols`` to a row."""
    n = len(images)
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = subplots(
        n_rows,
        2 * n_cols,
        figsize=(MAX_WIDTH_IN, 1.45 * n_rows + 0.4),
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 1.6] * n_cols},
    )
    for i in range(n_rows * n_cols):
        picture, bars = axes[i // n_cols, 2 * (i % n_cols)], axes[i // n_cols, 2 * (i % n_cols) + 1]
        if i >= n:
            picture.set_visible(False)
            bars.set_visible(False)
            continue
        picture.imshow(np.asarray(images[i]).reshape(config.IMAGE_SHAPE), cmap=DIGIT_CMAP)
        picture.set_title(titles[i], fontsize=MIN_FONT_PT)
        picture.axis("off")
        bars.bar(DIGITS, proba[i], color="steelblue")
        bars.set_ylim(0, 1)
        bars.set_xticks(DIGITS[::3], [str(d) for d in DIGITS[::3]])
        bars.set_yticks([0, 1])
        bars.set_xlabel("digit", fontsize=MIN_FONT_PT, labelpad=1)
    fig.suptitle(title)
    return fig


@styled
def before_after(
    originals: Sequence[np.ndarray],
    processed: np.ndarray,
    titles: Sequence[str],
    title: str,
    n_cols: int = 10,
) -> Figure:
    """Each user image above its 28x28 MNIST-like input, ``n_cols`` images to a row pair."""
    n = len(originals)
    n_rows = 2 * int(np.ceil(n / n_cols))
    cell = min(1.3, MAX_WIDTH_IN / n_cols)
    fig, axes = subplots(
        n_rows, n_cols, figsize=(cell * n_cols, (cell + 0.15) * n_rows + 0.4), squeeze=False
    )
    blank(axes)
    for i in range(n):
        top, bottom = axes[2 * (i // n_cols), i % n_cols], axes[2 * (i // n_cols) + 1, i % n_cols]
        top.imshow(originals[i], cmap="gray", vmin=0, vmax=255)
        bottom.imshow(processed[i].reshape(config.IMAGE_SHAPE), cmap=DIGIT_CMAP)
        bottom.set_title(titles[i], fontsize=MIN_FONT_PT)
        for ax in (top, bottom):
            ax.set_frame_on(True)
    for row in range(0, n_rows, 2):
        axes[row, 0].set_ylabel("file", fontsize=MIN_FONT_PT)
        axes[row + 1, 0].set_ylabel("28x28 input", fontsize=MIN_FONT_PT)
    fig.suptitle(title)
    return fig


@styled
def augmented_samples(originals: np.ndarray, augmented: Sequence[np.ndarray], title: str) -> Figure:
    """Each original digit (top row) above several random augmentations of it.

    Args:
        originals: ``(n, 28, 28[, 1])`` images.
        augmented: one array per augmentation round, each shaped like ``originals``.
        title: the figure title.
    """
    n = len(originals)
    rows = [np.asarray(originals), *[np.asarray(a) for a in augmented]]
    cell = min(1.0, MAX_WIDTH_IN / n)
    fig, axes = subplots(
        len(rows), n, figsize=(cell * n, (cell + 0.05) * len(rows) + 0.5), squeeze=False
    )
    blank(axes)
    for r, batch in enumerate(rows):
        for i in range(n):
            axes[r, i].imshow(batch[i].reshape(config.IMAGE_SHAPE), cmap=DIGIT_CMAP, vmin=0, vmax=1)
        axes[r, 0].set_ylabel("original" if r == 0 else f"random {r}", fontsize=MIN_FONT_PT)
    fig.suptitle(title)
    return fig


@styled
def search_history(trials: pd.DataFrame, title: str) -> Figure:
    """Validation accuracy of each trial in order, the best so far, pruned trials marked."""
    fig, ax = subplots(figsize=(7, 3.8))
    done = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    ax.scatter(done.index, done["value"], label="completed trial", color="steelblue", s=20)
    ax.scatter(pruned.index, pruned["value"], label="pruned trial", marker="x", color="grey", s=20)
    ax.step(
        done.index, done["value"].cummax(), where="post", color="darkorange", label="best so far"
    )
    ax.set(title=title, xlabel="trial", ylabel="validation accuracy")
    ax.legend(loc="lower right")
    return fig


@styled
def param_importance(importances: dict[str, float], title: str) -> Figure:
    """How much of the variation in validation accuracy each hyperparameter explains."""
    names = list(importances)[::-1]
    fig, ax = subplots(figsize=(6, 0.35 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="steelblue")
    ax.set(title=title, xlabel="importance (fANOVA, sums to 1)", ylabel="hyperparameter")
    return fig
