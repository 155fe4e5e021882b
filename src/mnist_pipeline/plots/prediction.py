"""Figures of prediction: a model's probabilities for a few digits, and files before and after
preparation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from mnist_pipeline import config
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    DIGITS,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    blank,
    caption,
    styled,
    subplots,
)


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
        picture.set_title(caption(titles[i]), fontsize=MIN_FONT_PT)
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
