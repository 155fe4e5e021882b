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
    DIGITS,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    blank,
    caption,
    image_cell,
    image_grid,
    styled,
    subplots,
    text_width_in,
)


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

    Grey levels are drawn on a fixed scale, reversed as on paper (``gray_r``): white at 0, dark
    ink at 1 (at 255 for integer images), never stretched to each image's own range: a low-contrast image looks as faint
    as it is.

    Args:
        images: ``(n, 28, 28)`` or ``(n, 28, 28, 1)`` arrays, in [0, 1] or, as integers, 0 to 255.
        titles: one caption per image: text, or a number (a label).
        title: the figure title.
        n_cols: images per row.
    """
    images = np.asarray(images).reshape(len(images), *config.IMAGE_SHAPE)
    if np.issubdtype(images.dtype, np.integer):  # MNIST's own uint8 arrays
        images = images / 255.0
    width = 0.9 * image_cell(n_cols)
    captions = [_wrap_caption(caption(t), width) for t in titles]
    lines = max((c.count("\n") + 1 for c in captions), default=1)
    fig, axes = image_grid(len(images), n_cols, caption_lines=lines)
    for ax, image, text in zip(axes, images, captions, strict=False):
        ax.imshow(image, cmap=DIGIT_CMAP, vmin=0, vmax=1)
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
    """The pixel-wise mean image of each digit, every panel on the images' own full scale (0 to
    255 for integers, 0 to 1 otherwise), so that darkness compares across digits."""
    fig, axes = image_grid(config.NUM_CLASSES, config.NUM_CLASSES, cell=1.2)
    top = 255 if np.issubdtype(np.asarray(images).dtype, np.integer) else 1
    for digit, ax in zip(DIGITS, axes, strict=True):
        ax.imshow(images[labels == digit].mean(axis=0), cmap=DIGIT_CMAP, vmin=0, vmax=top)
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
