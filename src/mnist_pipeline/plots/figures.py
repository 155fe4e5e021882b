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

import numbers
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator, PercentFormatter

from mnist_pipeline import config
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    blank,
    image_cell,
    image_grid,
    legend_below,
    styled,
    subplots,
    text_width_in,
)

DIGITS = list(range(config.NUM_CLASSES))


# A whole number printed as a float ("7.0", "1.00"), not part of a longer number or a word.
_WHOLE_FLOAT = re.compile(r"(?<![\w.])(-?\d+)\.0+(?![\w.])")


def _caption(value: object) -> str:
    """A panel title with its labels as integers: ``7.0`` prints as ``7``.

    A number is formatted as an integer when it is one; in text, every whole number written
    as a float (``"7.0 as 1.0 (99%)"``, as an f-string prints the rows of a float array)
    loses its ``.0``; other numbers (``0.5``) are left as they are.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else f"{float(value):g}"
    return _WHOLE_FLOAT.sub(r"\1", str(value))


def _wrap_caption(text: str, width_in: float, size: float = MIN_FONT_PT) -> str:
    """``text`` broken at spaces into lines no wider than ``width_in`` inches if it can be.

    A title that already holds a line break is the caller's layout and is kept as it is. A
    break before an opening parenthesis comes first (``"7 as 1\\n(99%)"``), then greedy
    breaks at spaces; a single word wider than ``width_in`` stays whole.
    """
    if "\n" in text or text_width_in(text, size) <= width_in:
        return text
    head, paren, tail = text.partition(" (")
    if (
        paren
        and text_width_in(head, size) <= width_in
        and text_width_in("(" + tail, size) <= width_in
    ):
        return f"{head}\n({tail}"
    lines: list[str] = []
    for word in text.split():
        if lines and text_width_in(f"{lines[-1]} {word}", size) <= width_in:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


@styled
def digit_grid(
    images: np.ndarray, titles: Sequence[object], title: str, n_cols: int = 10
) -> Figure:
    """Show images in a grid, each with its own caption (label, prediction...).

    Captions are made legible at the page's width: numbers print as integers when they are
    whole (:func:`_caption`: ``"7.0 as 1.0 (99%)"`` becomes ``"7 as 1 (99%)"``), a caption
    wider than its image is broken onto two lines (:func:`_wrap_caption`), and the rows are
    spaced for the longest caption so that no title runs into its neighbours or off the canvas.

    Args:
        images: ``(n, 28, 28)`` or ``(n, 28, 28, 1)`` arrays.
        titles: one caption per image: text, or a number (a label).
        title: the figure title.
        n_cols: images per row.
    """
    images = np.asarray(images).reshape(len(images), *config.IMAGE_SHAPE)
    width = 0.9 * image_cell(n_cols)
    captions = [_wrap_caption(_caption(t), width) for t in titles]
    lines = max((c.count("\n") + 1 for c in captions), default=1)
    fig, axes = image_grid(len(images), n_cols, caption_lines=lines)
    for ax, image, text in zip(axes, images, captions, strict=False):
        ax.imshow(image, cmap=DIGIT_CMAP)
        ax.set_title(text, fontsize=MIN_FONT_PT, linespacing=1.1)
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


def _share(p: float) -> str:
    """A probability as a percentage that never rounds up to a certainty: 0.99996 is ">99.99%"."""
    return ">99.99%" if p > 0.9999 else f"{p:.2%}"


@styled
def probability_bars(
    images: np.ndarray,
    proba: np.ndarray,
    titles: Sequence[str],
    title: str,
    n_cols: int = 4,
    log: bool = True,
    floor: float = 1e-8,
) -> Figure:
    """Each image beside a bar chart of its predicted class probabilities, ``n_cols`` to a row.

    A good model gives nearly all its probability to one digit, and on a linear axis every
    chart is one bar at 1: on a log axis (``log``, the default) the other digits' small
    probabilities show what the model held as second choices and how far below the first.
    Bars start at ``floor``; a probability under it draws nothing. The predicted digit's bar is
    in another colour, and its probability is written over the chart (above 99.99 % it reads
    ">99.99%", never "100%").

    Args:
        images: one image per chart.
        proba: ``(n, 10)`` class probabilities.
        titles: one caption per image (the true label...).
        title: the figure title.
        n_cols: image and chart pairs a row.
        log: a log probability axis from ``floor`` to 1; ``False`` draws the linear 0 to 1.
        floor: the lowest probability the log axis shows.
    """
    n = len(images)
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = subplots(
        n_rows,
        2 * n_cols,
        figsize=(MAX_WIDTH_IN, (1.7 if log else 1.45) * n_rows + 0.4),
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 1.6] * n_cols},
    )
    decades = int(np.floor(np.log10(floor)))
    for i in range(n_rows * n_cols):
        picture, bars = axes[i // n_cols, 2 * (i % n_cols)], axes[i // n_cols, 2 * (i % n_cols) + 1]
        if i >= n:
            picture.set_visible(False)
            bars.set_visible(False)
            continue
        picture.imshow(np.asarray(images[i]).reshape(config.IMAGE_SHAPE), cmap=DIGIT_CMAP)
        picture.set_title(_caption(titles[i]), fontsize=MIN_FONT_PT)
        picture.axis("off")
        p = np.asarray(proba[i], dtype=float)
        top = int(p.argmax())
        colours = ["darkorange" if d == top else "steelblue" for d in DIGITS]
        if log:
            bars.set_yscale("log")
            bars.bar(DIGITS, np.clip(p - floor, 0, None), bottom=floor, color=colours)
            bars.set_ylim(floor, 1.5)
            bars.set_yticks([10.0**decades, 10.0 ** (decades // 2), 1.0])
            bars.yaxis.set_major_formatter(_decade_label)  # a FuncFormatter of its own
            bars.yaxis.set_minor_locator(NullLocator())
        else:
            bars.bar(DIGITS, p, color=colours)
            bars.set_ylim(0, 1)
            bars.set_yticks([0, 1])
        bars.set_title(f"{top}: {_share(p[top])}", fontsize=MIN_FONT_PT)
        bars.set_xticks(DIGITS[::3], [str(d) for d in DIGITS[::3]])
        bars.set_xlabel("digit", fontsize=MIN_FONT_PT, labelpad=1)
        if i % n_cols == 0:
            bars.set_ylabel("probability (log)" if log else "probability", labelpad=1)
    fig.suptitle(title)
    return fig


def _decade_label(value: float, _position) -> str:
    """A tick of a log probability axis: "1" or "1e-6"."""
    return "1" if value >= 1 else f"1e{round(np.log10(value))}"


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
