"""Figures of the evaluation chapter: models side by side on validation, under corruption,
in calibration and digit by digit, and one digit under every MNIST-C corruption."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from mnist_pipeline.plots.style import (
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    legend_below,
    model_looks,
    styled,
    subplots,
)

MIN_BIN_COUNT = 20  # fewer images in a reliability bin and its accuracy is mostly chance


def _settled_range(series: list[np.ndarray], settled_side: str) -> tuple[float, float]:
    """Axis limits that show every model once its first epoch is past.

    One side of the range (``"low"`` for accuracy, ``"high"`` for loss) comes from every
    epoch but each model's first (a model of one epoch keeps it): the first epoch starts from
    random weights and is the one that squashes the region where the models differ. The
    other side holds every value. A margin of a tenth of the range is added on both sides.
    """
    every = np.concatenate(series)
    settled = np.concatenate([s[1:] if len(s) > 1 else s for s in series])
    low = settled.min() if settled_side == "low" else every.min()
    high = settled.max() if settled_side == "high" else every.max()
    pad = 0.1 * max(high - low, 1e-3)
    return float(low - pad), float(high + pad)


@styled
def validation_curves(
    histories: dict[str, dict[str, list[float]]], title: str, clip: bool = True
) -> Figure:
    """Validation loss and accuracy per epoch of several models, overlaid.

    The y-axes are chosen for the differences between models, not for one model's start:
    with ``clip``, the accuracy axis starts just under the lowest accuracy of any epoch after
    a model's first, and the loss axis ends just over the highest such loss
    (:func:`_settled_range`). A first epoch far off that range (one model at 90 % when the
    others are at 98 %) runs off the axis and is marked at its edge by an arrow pointing the
    way it left (↓ below, ↑ above), so the figure says that it is there. ``clip=False`` shows
    every value.

    Args:
        histories: model name to its Keras history (``val_loss``, ``val_accuracy``).
        title: the figure title.
        clip: choose the axes from the settled epochs as above.
    """
    fig, axes = subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.1))
    looks = model_looks(histories)
    panels = (("val_loss", "high", r"$\uparrow$"), ("val_accuracy", "low", r"$\downarrow$"))
    # the arrows of models clipped at one epoch stand side by side, not on top of each other
    offsets = 0.1 * (np.arange(len(histories)) - (len(histories) - 1) / 2)
    shifts = dict(zip(histories, offsets, strict=True))
    off_scale = {}
    for ax, (key, settled_side, pointer) in zip(axes, panels, strict=True):
        series = [np.asarray(h[key], dtype=float) for h in histories.values()]
        low, high = _settled_range(series, settled_side) if clip else (None, None)
        if key == "val_accuracy" and high is not None:
            high = min(high, 1.0)
        if key == "val_loss" and low is not None:
            low = max(low, 0.0)
        for name, values in zip(histories, series, strict=True):
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, markersize=3.5, label=name, **looks[name])
            if not clip:
                continue
            out = values > high if settled_side == "high" else values < low
            if out.any():
                ax.plot(
                    epochs[out] + shifts[name],
                    np.full(out.sum(), 0.95 if settled_side == "high" else 0.05),
                    transform=ax.get_xaxis_transform(),  # x in epochs, y in the axes
                    linestyle="none",
                    marker=pointer,
                    markersize=9,
                    color=looks[name]["color"],
                    zorder=5,
                )
                off_scale[key] = pointer
        if clip:
            ax.set_ylim(low, high)
    axes[0].set(title="Validation loss", xlabel="epoch", ylabel="loss")
    axes[1].set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
    axes[1].yaxis.set_major_formatter(PercentFormatter(1.0))
    longest = max((len(h["val_loss"]) for h in histories.values()), default=1)
    for ax in axes:
        ax.set_xlim(0.5, longest + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[1].get_legend_handles_labels()
    words = {"val_loss": "loss above the axis", "val_accuracy": "accuracy below the axis"}
    for key, pointer in off_scale.items():
        handles.append(Line2D([], [], color="grey", marker=pointer, markersize=9, linestyle="none"))
        labels.append(words[key])
    legend_below(fig, handles, labels)
    fig.suptitle(title)
    return fig


@styled
def reliability_diagram(
    bins: dict[str, pd.DataFrame], title: str, min_count: int = MIN_BIN_COUNT
) -> Figure:
    """Accuracy against confidence per bin for each model; the diagonal is perfect calibration.

    A bin of a handful of images has an accuracy of 0 or 1 by chance, so when the tables hold
    each bin's ``count`` (as :func:`mnist_pipeline.metrics.reliability` returns them), bins of
    fewer than ``min_count`` images are drawn hollow and left out of the model's line, and a
    second panel under the first gives the images in every bin on a log scale.

    Args:
        bins: model name to its reliability table: ``confidence`` and ``accuracy`` per bin,
            and ``count`` if known.
        title: the figure title.
        min_count: the fewest images of a bin that the line joins.
    """
    counted = all("count" in table for table in bins.values())
    if counted:
        fig, (ax, below) = subplots(
            2, 1, figsize=(5.4, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]}
        )
    else:
        fig, ax = subplots(figsize=(5.0, 4.4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    looks = model_looks(bins)
    for name, table in bins.items():
        table = table.sort_values("confidence")
        few = table["count"] < min_count if counted else pd.Series(False, index=table.index)
        look = {**looks[name], "markersize": 4}
        kept = table[~few]
        ax.plot(kept["confidence"], kept["accuracy"], label=name, **look)
        hollow = {**look, "linestyle": "none", "markerfacecolor": "white"}
        ax.plot(table.loc[few, "confidence"], table.loc[few, "accuracy"], **hollow)
        if counted:
            below.plot(table["confidence"], table["count"], **{**look, "markersize": 3})
            below.plot(table.loc[few, "confidence"], table.loc[few, "count"], **hollow)
    ax.set(title=title, ylabel="accuracy", xlim=(0, 1.01), ylim=(-0.03, 1.03))
    handles, labels = ax.get_legend_handles_labels()
    if counted:
        below.axhline(min_count, color="grey", linestyle=":", linewidth=1)
        below.text(
            0.01,
            min_count,
            f"{min_count} images",
            transform=below.get_yaxis_transform(),
            fontsize=MIN_FONT_PT,
            color="grey",
            va="bottom",
        )
        below.set_yscale("log")
        below.set(xlabel="confidence (top probability)", ylabel="images in bin")
        handles.append(
            Line2D([], [], color="grey", marker="o", markerfacecolor="white", linestyle="none")
        )
        labels.append(f"bin of under {min_count} images (not joined)")
    else:
        ax.set(xlabel="confidence (top probability)")
    legend_below(fig, handles, labels)
    return fig


@styled
def per_class_recall(recalls: pd.DataFrame, title: str) -> Figure:
    """Recall of each digit for every model: rows digits, columns models.

    The legend goes under the axes in as many columns as fit the page (:func:`legend_below`),
    so a long model name wraps the legend onto another row instead of leaving the canvas.
    """
    fig, ax = subplots(figsize=(MAX_WIDTH_IN, 3.4))
    width = 0.8 / len(recalls.columns)
    for i, name in enumerate(recalls.columns):
        ax.bar(np.arange(len(recalls)) + i * width, recalls[name], width=width, label=name)
    ax.set_xticks(np.arange(len(recalls)) + 0.4 - width / 2, [str(d) for d in recalls.index])
    low = float(recalls.min().min())
    ax.set(title=title, xlabel="digit", ylabel="recall", ylim=(max(0.0, low - 0.02), 1.0))
    legend_below(fig, *ax.get_legend_handles_labels())
    return fig
