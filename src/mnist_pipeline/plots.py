"""Pure plotting functions: each returns a matplotlib Figure with a title and labelled axes.

Nothing here calls ``plt.show()`` or writes files; notebooks display the figure and
``tracking`` logs it. Figures are built as ``matplotlib.figure.Figure`` objects outside
pyplot's global state, so a notebook cell that ends on ``fig`` shows it exactly once
and nothing accumulates in memory across calls.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from mnist_pipeline import config

DIGITS = list(range(config.NUM_CLASSES))
PNG_DPI = 110


class NotebookFigure(Figure):
    """A Figure that Jupyter displays as a PNG when a cell ends on it.

    Figures made outside pyplot get no display hook from matplotlib's inline backend;
    ``_repr_png_`` gives them one that works in any kernel, nbconvert and nbval alike.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buffer.getvalue()


def _subplots(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (6, 4), **kwargs
) -> tuple[Figure, object]:
    fig = NotebookFigure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _blank(axes: np.ndarray) -> None:
    """Hide ticks and frames: image panels need neither."""
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)


def _image_grid(n: int, n_cols: int, cell: float = 1.3) -> tuple[Figure, np.ndarray]:
    n_rows = max(1, int(np.ceil(n / n_cols)))
    fig, axes = _subplots(
        n_rows, n_cols, figsize=(cell * n_cols, cell * n_rows + 0.6), squeeze=False
    )
    _blank(axes)
    return fig, axes.ravel()


def digit_grid(images: np.ndarray, titles: Sequence[str], title: str, n_cols: int = 10) -> Figure:
    """Show images in a grid, each with its own caption (label, prediction...).

    Args:
        images: ``(n, 28, 28)`` or ``(n, 28, 28, 1)`` arrays.
        titles: one caption per image.
        title: the figure title.
        n_cols: images per row.
    """
    images = np.asarray(images).reshape(len(images), *config.IMAGE_SHAPE)
    fig, axes = _image_grid(len(images), n_cols)
    for ax, image, caption in zip(axes, images, titles, strict=False):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(caption, fontsize=8)
    fig.suptitle(title)
    return fig


def label_distribution(labels: dict[str, np.ndarray]) -> Figure:
    """A seaborn count plot of the digits in each named split."""
    long = pd.DataFrame(
        {
            "digit": np.concatenate([np.asarray(y) for y in labels.values()]),
            "split": np.repeat(list(labels), [len(y) for y in labels.values()]),
        }
    )
    fig, ax = _subplots(figsize=(9, 4))
    sns.countplot(data=long, x="digit", hue="split", order=DIGITS, ax=ax)
    ax.set(title="Digit counts per split", xlabel="digit", ylabel="number of images")
    return fig


def mean_images(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The pixel-wise mean image of each digit."""
    fig, axes = _image_grid(config.NUM_CLASSES, config.NUM_CLASSES, cell=1.2)
    for digit, ax in zip(DIGITS, axes, strict=True):
        ax.imshow(images[labels == digit].mean(axis=0), cmap="magma")
        ax.set_title(f"digit {digit}", fontsize=9)
    fig.suptitle("Mean image of each digit (training set)")
    return fig


def pixel_histogram(images: np.ndarray) -> Figure:
    """Histogram of pixel intensities, on a log scale (most pixels are background)."""
    fig, ax = _subplots(figsize=(7, 3.5))
    ax.hist(np.asarray(images).ravel(), bins=64, color="steelblue")
    ax.set_yscale("log")
    ax.set(
        title="Pixel intensities (training set)",
        xlabel="intensity (0 = background, 255 = ink)",
        ylabel="number of pixels (log scale)",
    )
    return fig


def projection_scatter(coords: np.ndarray, labels: np.ndarray, title: str) -> Figure:
    """A 2-D embedding of images, coloured by digit."""
    fig, ax = _subplots(figsize=(6.5, 5.5))
    points = ax.scatter(coords[:, 0], coords[:, 1], c=labels, cmap="tab10", s=5, alpha=0.8)
    ax.legend(
        *points.legend_elements(),
        title="digit",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=8,
    )
    ax.set(title=title, xlabel="component 1", ylabel="component 2")
    return fig


def training_curves(history: dict[str, list[float]], title: str) -> Figure:
    """Loss and accuracy per epoch, training against validation."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = _subplots(1, 2, figsize=(10, 3.8))
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
        annot_kws={"fontsize": 7},
    )
    ax.set(title=title, xlabel="predicted digit", ylabel="true digit")


def confusion_heatmap(matrix: np.ndarray, title: str) -> Figure:
    """A confusion matrix as an annotated heatmap (rows true, columns predicted)."""
    fig, ax = _subplots(figsize=(6.5, 5.5))
    _draw_confusion(ax, matrix, title)
    return fig


def confusion_grid(matrices: dict[str, np.ndarray], title: str) -> Figure:
    """Several confusion matrices side by side, one panel per named model."""
    fig, axes = _subplots(1, len(matrices), figsize=(5.2 * len(matrices), 5), squeeze=False)
    for ax, (name, matrix) in zip(axes[0], matrices.items(), strict=True):
        _draw_confusion(ax, matrix, name)
    fig.suptitle(title)
    return fig


def probability_bars(
    images: np.ndarray, proba: np.ndarray, titles: Sequence[str], title: str
) -> Figure:
    """Each image above a bar chart of its predicted class probabilities."""
    n = len(images)
    fig, axes = _subplots(
        2, n, figsize=(1.6 * n, 3.6), squeeze=False, gridspec_kw={"height_ratios": [1.2, 1]}
    )
    for i in range(n):
        axes[0, i].imshow(np.asarray(images[i]).reshape(config.IMAGE_SHAPE), cmap="gray_r")
        axes[0, i].set_title(titles[i], fontsize=8)
        axes[0, i].axis("off")
        axes[1, i].bar(DIGITS, proba[i], color="steelblue")
        axes[1, i].set_ylim(0, 1)
        axes[1, i].set_xticks(DIGITS, [str(d) for d in DIGITS], fontsize=6)
        axes[1, i].set_xlabel("digit", fontsize=7)
        axes[1, i].tick_params(axis="y", labelsize=6)
    axes[1, 0].set_ylabel("probability", fontsize=7)
    fig.suptitle(title)
    return fig


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
    fig, axes = _subplots(n_rows, n_cols, figsize=(1.3 * n_cols, 1.45 * n_rows), squeeze=False)
    _blank(axes)
    for i in range(n):
        top, bottom = axes[2 * (i // n_cols), i % n_cols], axes[2 * (i // n_cols) + 1, i % n_cols]
        top.imshow(originals[i], cmap="gray", vmin=0, vmax=255)
        bottom.imshow(processed[i].reshape(config.IMAGE_SHAPE), cmap="gray_r")
        bottom.set_title(titles[i], fontsize=8)
        for ax in (top, bottom):
            ax.set_frame_on(True)
    for row in range(0, n_rows, 2):
        axes[row, 0].set_ylabel("file", fontsize=8)
        axes[row + 1, 0].set_ylabel("28x28 input", fontsize=8)
    fig.suptitle(title)
    return fig


def augmented_samples(originals: np.ndarray, augmented: Sequence[np.ndarray], title: str) -> Figure:
    """Each original digit (top row) above several random augmentations of it.

    Args:
        originals: ``(n, 28, 28[, 1])`` images.
        augmented: one array per augmentation round, each shaped like ``originals``.
        title: the figure title.
    """
    n = len(originals)
    rows = [np.asarray(originals), *[np.asarray(a) for a in augmented]]
    fig, axes = _subplots(len(rows), n, figsize=(1.0 * n, 1.05 * len(rows) + 0.5), squeeze=False)
    _blank(axes)
    for r, batch in enumerate(rows):
        for i in range(n):
            axes[r, i].imshow(batch[i].reshape(config.IMAGE_SHAPE), cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel("original" if r == 0 else f"random {r}", fontsize=8)
    fig.suptitle(title)
    return fig


def search_history(trials: pd.DataFrame, title: str) -> Figure:
    """Validation accuracy of each trial in order, the best so far, pruned trials marked."""
    fig, ax = _subplots(figsize=(7, 3.8))
    done = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    ax.scatter(done.index, done["value"], label="completed trial", color="steelblue", s=20)
    ax.scatter(pruned.index, pruned["value"], label="pruned trial", marker="x", color="grey", s=20)
    ax.step(
        done.index, done["value"].cummax(), where="post", color="darkorange", label="best so far"
    )
    ax.set(title=title, xlabel="trial", ylabel="validation accuracy")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def param_importance(importances: dict[str, float], title: str) -> Figure:
    """How much of the variation in validation accuracy each hyperparameter explains."""
    names = list(importances)[::-1]
    fig, ax = _subplots(figsize=(6, 0.35 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="steelblue")
    ax.set(title=title, xlabel="importance (fANOVA, sums to 1)", ylabel="hyperparameter")
    return fig


def validation_curves(histories: dict[str, dict[str, list[float]]], title: str) -> Figure:
    """Validation loss and accuracy per epoch of several models, overlaid."""
    fig, axes = _subplots(1, 2, figsize=(10, 3.8))
    for name, history in histories.items():
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        axes[0].plot(epochs, history["val_loss"], marker="o", markersize=3, label=name)
        axes[1].plot(epochs, history["val_accuracy"], marker="o", markersize=3, label=name)
    axes[0].set(title="Validation loss", xlabel="epoch", ylabel="loss")
    axes[1].set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
    axes[1].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def robustness_curves(curves: pd.DataFrame, title: str) -> Figure:
    """Accuracy against corruption strength, one panel per corruption, one line per model.

    Args:
        curves: columns ``model``, ``corruption``, ``strength``, ``unit``, ``accuracy``.
        title: the figure title.
    """
    names = list(dict.fromkeys(curves["corruption"]))
    n_cols = 4
    n_rows = int(np.ceil(len(names) / n_cols))
    fig, axes = _subplots(n_rows, n_cols, figsize=(12, 3 * n_rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        part = curves[curves["corruption"] == name]
        for model, rows in part.groupby("model", sort=False):
            ax.plot(rows["strength"], rows["accuracy"], marker="o", markersize=3, label=model)
        ax.set(title=name, xlabel=part["unit"].iloc[0], ylabel="accuracy", ylim=(0, 1.02))
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title)
    return fig


def reliability_diagram(bins: dict[str, pd.DataFrame], title: str) -> Figure:
    """Accuracy against confidence per bin for each model; the diagonal is perfect calibration."""
    fig, ax = _subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, table in bins.items():
        ax.plot(table["confidence"], table["accuracy"], marker="o", markersize=3, label=name)
    ax.set(title=title, xlabel="confidence (top probability)", ylabel="accuracy")
    ax.legend(fontsize=7)
    return fig


def per_class_recall(recalls: pd.DataFrame, title: str) -> Figure:
    """Recall of each digit for every model: rows digits, columns models."""
    fig, ax = _subplots(figsize=(8, 4))
    width = 0.8 / len(recalls.columns)
    for i, name in enumerate(recalls.columns):
        ax.bar(np.arange(len(recalls)) + i * width, recalls[name], width=width, label=name)
    ax.set_xticks(np.arange(len(recalls)) + 0.4 - width / 2, [str(d) for d in recalls.index])
    low = float(recalls.min().min())
    ax.set(title=title, xlabel="digit", ylabel="recall", ylim=(max(0.0, low - 0.02), 1.0))
    ax.legend(fontsize=7, ncols=3)
    return fig
