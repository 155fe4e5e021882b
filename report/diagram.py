"""Draw the structure diagram of the report (report/figures/structure.png) from this source.

The package's box lists the subpackages and top-level modules found in ``src/mnist_pipeline/``
and the notebooks' box the chapters found in ``notebooks/``, so a part or chapter added or
removed changes the diagram (and the test that compares it with the committed image fails until
it is redrawn).

Run from the repository root: ``.venv/bin/python report/diagram.py`` (``make report`` does).
The PNG is committed so the book renders it in HTML and PDF alike; a test redraws it and
checks that the committed image is up to date.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "report" / "figures" / "structure.png"
PACKAGE = ROOT / "src" / "mnist_pipeline"
NOTEBOOKS = ROOT / "notebooks"


def modules(package: Path = PACKAGE) -> dict[str, str]:
    """The package's parts, read from its source without importing it.

    A part is a public top-level module (``config``) or a subpackage (``data/``, described by
    its ``__init__.py``); what a subpackage holds is the structure appendix's to say.

    Args:
        package: the package's folder.

    Returns:
        Part name to its docstring's first paragraph on one line, alphabetically; names that
        start with an underscore (``__init__``, ``_tf``, ``__pycache__``) are private and left out.

    Raises:
        ValueError: for a part without a docstring, which the diagram cannot describe.
    """
    found = {}
    for path in sorted(package.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            name, source = f"{path.name}/", path / "__init__.py"
        elif path.suffix == ".py":
            name, source = path.stem, path
        else:
            continue
        doc = (ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or "").strip()
        if not doc:
            raise ValueError(f"{source.relative_to(package).as_posix()} has no docstring")
        found[name] = " ".join(doc.split("\n\n")[0].split())
    return found


def notebooks(folder: Path = NOTEBOOKS) -> list[str]:
    """The chapters' notebooks as ``"01 data-collection"``, in their reading order."""

    # A no-break space keeps a chapter's number with its name when the box wraps the list.
    return [
        path.stem.replace("-", "\u00a0", 1) for path in sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    ]


def _listing(title: str, names: list[str], width: int) -> str:
    """A box's text: its title, then the names wrapped to ``width`` characters a line."""
    return "\n".join([title, *textwrap.wrap("  ".join(names), width, break_on_hyphens=False)])


def boxes() -> dict[str, tuple]:
    """Every box of the diagram; the package's and the notebooks' are listed from the code.

    Returns:
        Name to ``(x, y, width, height, colour, text)`` in the diagram's units.
    """
    data = "data/\nraw/mnist.npz\n(verified cache)\nexternal/ (own digits)"
    package = _listing("src/mnist_pipeline/", list(modules()), 56)
    chapters = _listing("notebooks/ (with outputs)", notebooks(), 60)
    return {
        "data": (0.1, 6.9, 2.2, 2.4, "#d9ead3", data),
        "package": (3.1, 6.9, 5.8, 2.4, "#cfe2f3", package),
        "tests": (
            9.7,
            6.9,
            2.2,
            2.4,
            "#fce5cd",
            "tests/\nunit tests\nper module,\nthe service,\nthe book",
        ),
        "notebooks": (3.1, 3.5, 5.8, 2.1, "#fff2cc", chapters),
        "mlflow": (9.7, 3.6, 2.2, 1.9, "#ead1dc", "MLflow\nruns, models,\nregistry,\nchampion"),
        "nbval": (0.1, 3.6, 2.2, 1.9, "#fce5cd", "pytest --nbval\nre-executes,\ncompares\noutputs"),
        "book": (
            3.1,
            0.3,
            5.8,
            1.6,
            "#d0e0e3",
            "Quarto book\n_quarto.yml, index.qmd, report/\n_book/: HTML and PDF",
        ),
        "service": (9.7, 0.3, 2.2, 1.6, "#d9d2e9", "make serve\npage, /predict,\n/invocations"),
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
    fig = Figure(figsize=(7, 5.6))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 9.5)
    ax.axis("off")
    drawn = boxes()
    for x, y, w, h, colour, text in drawn.values():
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=colour, ec="#444444")
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)
    for index, (start, end, label) in enumerate(ARROWS):
        paired = (end, start) in [(a, b) for a, b, _ in ARROWS]
        offset = (0.35 if index % 2 else -0.35) if paired else 0.0
        (x0, y0), (x1, y1) = _anchor(drawn[start], drawn[end]), _anchor(drawn[end], drawn[start])
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
