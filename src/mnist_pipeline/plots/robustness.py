"""Figures of robustness: accuracy against the strength of each corruption, and one digit under
every MNIST-C corruption."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mnist_pipeline import config
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    image_grid,
    model_looks,
    styled,
    subplots,
)


def _wilson(accuracy: np.ndarray, n: np.ndarray | float, z: float = 1.96) -> tuple:
    """The Wilson score interval (95 % by default) of accuracies each measured on ``n`` images."""
    p, n = np.clip(np.asarray(accuracy, dtype=float), 0, 1), np.asarray(n, dtype=float)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def _intervals(rows: pd.DataFrame, n: int | None) -> tuple | None:
    """``(low, high)`` of each row's accuracy, or None when nothing gives them."""
    if {"ci_low", "ci_high"} <= set(rows):
        return rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy()
    if "n" in rows:
        return _wilson(rows["accuracy"], rows["n"])
    if n is not None:
        return _wilson(rows["accuracy"], n)
    return None


@styled
def robustness_curves(
    curves: pd.DataFrame,
    title: str,
    targets: Mapping[str, float] | None = None,
    n: int | None = None,
) -> Figure:
    """Accuracy against corruption strength, one panel per corruption, one line per model.

    Every model keeps one colour, marker and line style in all panels. A shaded band gives
    each line's 95 % interval: ``ci_low`` and ``ci_high`` if ``curves`` holds them, else a
    Wilson interval from the number of images (an ``n`` column, or the ``n`` argument), which
    counts images as independent and so leaves out the spread between training seeds; with
    neither, no band is drawn. A dotted vertical line marks the study's target strength of
    each corruption named in ``targets``.

    Args:
        curves: columns ``model``, ``corruption``, ``strength``, ``unit``, ``accuracy``; and
            optionally ``ci_low`` and ``ci_high``, or ``n``.
        title: the figure title.
        targets: corruption to its target strength (as ``corruptions.target.CORRUPTIONS``
            gives them: ``{name: c.target for name, c in CORRUPTIONS.items()}``).
        n: the images every accuracy was measured on, for the Wilson interval.
    """
    names = list(dict.fromkeys(curves["corruption"]))
    looks = model_looks(dict.fromkeys(curves["model"]))
    targets = dict(targets or {})
    n_cols = 3
    n_rows = int(np.ceil((len(names) + 1) / n_cols))  # one more panel for the legend
    fig, axes = subplots(n_rows, n_cols, figsize=(MAX_WIDTH_IN, 2.0 * n_rows + 0.3), squeeze=False)
    banded = marked = False
    for ax, name in zip(axes.flat, names, strict=False):
        part = curves[curves["corruption"] == name]
        for model, rows in part.groupby("model", sort=False):
            rows = rows.sort_values("strength")
            look = looks[model]
            ax.plot(rows["strength"], rows["accuracy"], markersize=3.5, label=model, **look)
            band = _intervals(rows, n)
            if band is not None:
                ax.fill_between(
                    rows["strength"], *band, color=look["color"], alpha=0.2, linewidth=0
                )
                banded = True
        if targets.get(name) is not None:
            ax.axvline(targets[name], color="black", linestyle=":", linewidth=1, zorder=0)
            marked = True
        ax.set(title=name, xlabel=part["unit"].iloc[0], ylabel="accuracy", ylim=(0, 1.02))
    spare = list(axes.flat)[len(names) :]
    for ax in spare:
        ax.axis("off")
    labels = list(looks)
    handles = [Line2D([], [], markersize=3.5, **looks[model]) for model in labels]
    if banded:
        handles.append(Patch(color="grey", alpha=0.3, linewidth=0))
        labels.append("95 % interval")
    if marked:
        handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1))
        labels.append("target strength")
    spare[0].legend(handles, labels, loc="center", frameon=False)
    fig.suptitle(title)
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
