"""Draw the structure diagram of the report (report/figures/structure.png) from this source.

Run from the repository root: ``.venv/bin/python report/diagram.py`` (``make report`` does).
The PNG is committed so the book renders it in HTML and PDF alike; a test redraws it and
checks that the committed image is up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

OUT = Path(__file__).resolve().parent / "figures" / "structure.png"

# name: (x, y, width, height, colour, text)
BOXES = {
    "data": (
        0.1,
        6.6,
        3.1,
        1.7,
        "#d9ead3",
        "data/\nraw/mnist.npz\n(verified cache)\nexternal/ (own digits)",
    ),
    "package": (
        4.1,
        6.6,
        3.9,
        1.7,
        "#cfe2f3",
        "src/mnist_pipeline/\nspecs  experiment  models\ntracking  evaluate  search\nplots  preprocess  serve",
    ),
    "tests": (
        8.9,
        6.6,
        3.0,
        1.7,
        "#fce5cd",
        "tests/\nunit tests per module,\nthe service, the book",
    ),
    "notebooks": (
        3.3,
        3.5,
        5.4,
        1.9,
        "#fff2cc",
        "notebooks/ (with outputs)\n01 data  02 EDA  03 baselines\n04-06 models 1-3  07 search\n08 model 4  09 evaluation\n10 prediction  11 serving",
    ),
    "mlflow": (9.6, 3.5, 2.3, 1.9, "#ead1dc", "MLflow\nruns, models,\nregistry,\nchampion"),
    "nbval": (0.1, 3.5, 2.4, 1.9, "#fce5cd", "pytest --nbval\nre-executes,\ncompares\noutputs"),
    "book": (
        3.3,
        0.3,
        5.4,
        1.6,
        "#d0e0e3",
        "Quarto book\n_quarto.yml, index.qmd, report/\n_book/: HTML and PDF",
    ),
    "service": (9.6, 0.3, 2.3, 1.6, "#d9d2e9", "make serve\npage, /predict,\n/invocations"),
}
ARROWS = [
    ("data", "package", "read by"),
    ("tests", "package", "test"),
    ("package", "notebooks", "imported by"),
    ("notebooks", "mlflow", "log"),
    ("mlflow", "notebooks", "read"),
    ("nbval", "notebooks", "checks"),
    ("notebooks", "book", "chapters"),
    ("mlflow", "service", "champion"),
]


def _anchor(box: tuple, towards: tuple) -> tuple[float, float]:
    """The point on the edge of ``box`` facing the centre of ``towards``."""
    x, y, w, h = box[:4]
    cx, cy = x + w / 2, y + h / 2
    tx, ty = towards[0] + towards[2] / 2, towards[1] + towards[3] / 2
    dx, dy = tx - cx, ty - cy
    scale = min(w / 2 / abs(dx) if dx else float("inf"), h / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def draw() -> Figure:
    """The diagram: how data, package, notebooks, MLflow, tests and the book fit together."""
    fig = Figure(figsize=(7, 5))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 8.5)
    ax.axis("off")
    for x, y, w, h, colour, text in BOXES.values():
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=colour, ec="#444444")
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)
    for index, (start, end, label) in enumerate(ARROWS):
        paired = (end, start) in [(a, b) for a, b, _ in ARROWS]
        offset = (0.35 if index % 2 else -0.35) if paired else 0.0
        (x0, y0), (x1, y1) = _anchor(BOXES[start], BOXES[end]), _anchor(BOXES[end], BOXES[start])
        ax.annotate(
            "",
            xy=(x1, y1 + offset),
            xytext=(x0, y0 + offset),
            arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.2},
        )
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2 + offset * 1.6 + 0.12,
            label,
            ha="center",
            fontsize=8,
            color="#333333",
            bbox={"fc": "white", "ec": "none", "pad": 0.5},
        )
    return fig


def main(out: Path = OUT) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    draw().savefig(out, dpi=150, metadata={"Software": None})


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
