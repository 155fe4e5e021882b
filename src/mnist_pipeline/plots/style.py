"""The house style of every figure: sized for the page, one colour map, drawn outside pyplot.

Figures are made for the page as well as the screen: at most :data:`MAX_WIDTH_IN` inches
wide (an A4 text block), stored at :data:`PNG_DPI` dots per inch, with no text under
8 points at that size, and one colour map for every digit image. A figure function decorated
with :func:`styled` draws under those settings (:data:`STYLE`) and leaves matplotlib's global
``rcParams`` as they were; :func:`subplots` and :func:`image_grid` give it its canvas, and
:func:`legend_below` a legend that stays on it.
"""

from __future__ import annotations

import functools
import io
import numbers
import re
from collections.abc import Callable, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.textpath import TextPath

from mnist_pipeline import config

PNG_DPI = 150  # sharp in print
MAX_WIDTH_IN = 7.0  # the text block of an A4 page
MIN_FONT_PT = 8
CAPTION_LINE_IN = 0.15  # one line of an 8-point panel title, with its spacing
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


def image_cell(n_cols: int, cell: float = 1.3) -> float:
    """The side in inches of one image panel of a grid ``n_cols`` wide: ``cell``, or less so
    that the row fits the page."""
    return min(cell, MAX_WIDTH_IN / n_cols)


def image_grid(
    n: int, n_cols: int, cell: float = 1.3, caption_lines: int = 1
) -> tuple[Figure, np.ndarray]:
    """A grid of ``n`` blank image panels, ``n_cols`` a row, no wider than the page.

    Args:
        n: the number of panels.
        n_cols: panels a row.
        cell: the side of a panel in inches, at most (the row is shrunk to the page).
        caption_lines: the lines of the longest panel title: each line past the first adds
            its height to every row, so that titles on two lines do not run into the images
            above them.

    Returns:
        The figure and its panels, flattened in reading order.
    """
    n_rows = max(1, int(np.ceil(n / n_cols)))
    cell = image_cell(n_cols, cell)
    row = cell + 0.2 + CAPTION_LINE_IN * (max(1, caption_lines) - 1)
    fig, axes = subplots(
        n_rows, n_cols, figsize=(cell * n_cols, row * n_rows + 0.45), squeeze=False
    )
    blank(axes)
    return fig, axes.ravel()


def text_width_in(text: str, size: float = MIN_FONT_PT) -> float:
    """The width in inches of the widest line of ``text`` at ``size`` points (no renderer)."""
    return max(
        (
            TextPath((0, 0), line, size=size).get_extents().width / 72
            for line in text.split("\n")
            if line.strip()
        ),
        default=0.0,
    )


def legend_below(fig: Figure, handles: Sequence[Artist], labels: Sequence[str], **kwargs) -> Legend:
    """A legend under the axes, inside the canvas, in as many columns as fit its width.

    ``loc="outside lower center"`` makes constrained layout keep room for it under the panels,
    so the saved PNG holds it whole; the columns are cut down from one per entry until the
    legend is no wider than the figure (a long label such as "RBF SVM on 50 PCA components"
    goes onto a second row instead of past the edge).
    """
    kwargs = {"frameon": False, **kwargs}
    width = fig.bbox.width
    for ncols in range(len(labels), 0, -1):
        legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kwargs)
        if ncols == 1 or legend.get_window_extent().width <= 0.98 * width:
            balanced = -(-len(labels) // -(-len(labels) // ncols))  # same rows, even columns
            if balanced == ncols:
                return legend
            legend.remove()
            return fig.legend(handles, labels, loc="outside lower center", ncols=balanced, **kwargs)
        legend.remove()
    return fig.legend(handles, labels, loc="outside lower center", **kwargs)  # no entries


DIGITS = list(range(config.NUM_CLASSES))


# A whole number printed as a float ("7.0", "1.00"), not part of a longer number or a word.
_WHOLE_FLOAT = re.compile(r"(?<![\w.])(-?\d+)\.0+(?![\w.])")


def caption(value: object) -> str:
    """A panel title with its labels as integers: ``7.0`` prints as ``7``.

    A number is formatted as an integer when it is one; in text, every whole number written
    as a float (``"7.0 as 1.0 (99%)"``, as an f-string prints the rows of a float array)
    loses its ``.0``; other numbers (``0.5``) are left as they are.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else f"{float(value):g}"
    return _WHOLE_FLOAT.sub(r"\1", str(value))


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.")  # not ":", which marks references (targets, counts)


def model_looks(names) -> dict[str, dict[str, object]]:
    """One colour, marker and line style per model, the same in every panel and figure.

    Colours follow matplotlib's default cycle in the order given (the order of the bars of
    :func:`per_class_recall`), markers and line styles tell the lines apart in grey print.
    """
    colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    return {
        name: {
            "color": colours[i % len(colours)],
            "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[i % len(LINESTYLES)],
        }
        for i, name in enumerate(names)
    }
