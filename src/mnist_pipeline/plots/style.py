"""The house style of every figure: sized for the page, one colour map, drawn outside pyplot.

Figures are made for the page as well as the screen: at most :data:`MAX_WIDTH_IN` inches
wide (an A4 text block), stored at :data:`PNG_DPI` dots per inch, with no text under
8 points at that size, and one colour map for every digit image. A figure function decorated
with :func:`styled` draws under those settings (:data:`STYLE`) and leaves matplotlib's global
``rcParams`` as they were; :func:`subplots` and :func:`image_grid` give it its canvas.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

PNG_DPI = 150  # sharp in print
MAX_WIDTH_IN = 7.0  # the text block of an A4 page
MIN_FONT_PT = 8
DIGIT_CMAP = "gray_r"  # ink dark on light paper, for every digit image
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 10.5,
    "image.cmap": DIGIT_CMAP,
    "figure.dpi": PNG_DPI,
    "savefig.dpi": PNG_DPI,
}


def styled(function: Callable[..., Figure]) -> Callable[..., Figure]:
    """Make a figure function draw under :data:`STYLE` without changing global settings.

    Args:
        function: returns a Figure; everything it creates takes its sizes from ``STYLE``.

    Returns:
        The function, run inside ``matplotlib.rc_context(STYLE)``.
    """

    @functools.wraps(function)
    def under_style(*args, **kwargs) -> Figure:
        with mpl.rc_context(STYLE):
            return function(*args, **kwargs)

    return under_style


class NotebookFigure(Figure):
    """A Figure that Jupyter displays as a PNG when a cell ends on it.

    Figures made outside pyplot get no display hook from matplotlib's inline backend;
    ``_repr_png_`` gives them one that works in any kernel, nbconvert and nbval alike.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buffer.getvalue()


def subplots(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (6, 4), **kwargs
) -> tuple[Figure, object]:
    """A constrained-layout figure, scaled down to :data:`MAX_WIDTH_IN` if it is wider."""
    width, height = figsize
    if width > MAX_WIDTH_IN:
        width, height = MAX_WIDTH_IN, height * MAX_WIDTH_IN / width
    fig = NotebookFigure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def blank(axes: np.ndarray) -> None:
    """Hide ticks and frames: image panels need neither."""
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)


def image_grid(n: int, n_cols: int, cell: float = 1.3) -> tuple[Figure, np.ndarray]:
    """A grid of ``n`` blank image panels, ``n_cols`` a row, no wider than the page.

    Returns:
        The figure and its panels, flattened in reading order.
    """
    n_rows = max(1, int(np.ceil(n / n_cols)))
    cell = min(cell, MAX_WIDTH_IN / n_cols)
    fig, axes = subplots(
        n_rows, n_cols, figsize=(cell * n_cols, (cell + 0.2) * n_rows + 0.45), squeeze=False
    )
    blank(axes)
    return fig, axes.ravel()
