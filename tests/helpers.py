"""Helpers several test modules share: tiny data, runs tables, image bytes, the book's patterns.

Test modules import these from here (``from tests.helpers import make_tiny_mnist``), never
from one another, so that a test module can move or change without breaking another.
"""

from __future__ import annotations

import ast
import io
import json
import re
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from mnist_pipeline import data

if TYPE_CHECKING:
    import pandas as pd

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# "(Chapter 4.)", "Chapter 7. gives", "Chapter 2..": the template's period, not a sentence's. At a
# line's end, the PDF's next line may be a code block's ("until Chapter 10." then "splits = ..."):
# a line that starts with a name and "=", "(" or "[", or with "from"/"import", is not the sentence
# going on. tests/test_book.py checks the pattern on samples of both.
_CODE_LINE = r"(?:[A-Za-z_][\w.]*\s*[=(\[]|from\s|import\s)"
STRAY_PERIOD = re.compile(
    rf"Chapter\s\d+\.(?:\.|\)|[ \t]+[a-z]|[ \t]*\n(?!{_CODE_LINE})[ \t]*[a-z])"
)


def make_tiny_mnist(seed: int = 0, n_train: int = 40, n_test: int = 20) -> data.MnistData:
    """A deterministic MNIST-like dataset: every digit equally often, random uint8 pixels."""
    rng = np.random.default_rng(seed)
    return data.MnistData(
        x_train=rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        y_train=(np.arange(n_train) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        y_test=(np.arange(n_test) % 10).astype(np.uint8),
    )


def expectation_for(arrays: data.MnistData) -> data.Expectation:
    """The pins that ``arrays`` satisfy, in the form ``load_mnist`` checks."""
    return data.Expectation(
        sha256={name: data.array_sha256(getattr(arrays, name)) for name in data.ARRAY_NAMES},
        train_counts=tuple(int(c) for c in np.bincount(arrays.y_train, minlength=10)),
        test_counts=tuple(int(c) for c in np.bincount(arrays.y_test, minlength=10)),
    )


def runs_table(*rows: Mapping[str, object], n_val: int = 6000) -> pd.DataFrame:
    """A runs table shaped like ``study.runs.latest_runs``'s, one row per mapping, in order.

    Each mapping needs ``model_key`` and ``val_accuracy`` and may set any other column of
    ``RUN_COLUMNS``. The others follow from those two: title, group and family from the spec
    (the key itself, ``study`` and ``keras`` for a key that is no spec), the errors among
    ``n_val`` validation images, an interval of 0.2 points either side, a run id and a
    registered version per row, and placeholders (one epoch, 1,000 parameters, 1 s).
    """
    import pandas as pd

    from mnist_pipeline.models import specs
    from mnist_pipeline.study.runs import RUN_COLUMNS

    frame = []
    for i, row in enumerate(rows):
        key, accuracy = row["model_key"], row["val_accuracy"]
        spec = specs.SPECS.get(key)
        defaults = {
            "title": spec.title if spec else key,
            "group": spec.group if spec else "study",
            "family": spec.family if spec else "keras",
            "run_id": f"{i:032x}",
            "architecture": "a",
            "n_parameters": 1000,
            "epochs": 1,
            "study_val_accuracy": float("nan"),
            "val_errors": round((1 - accuracy) * n_val),
            "val_ci_low": accuracy - 0.002,
            "val_ci_high": accuracy + 0.002,
            "train_accuracy": float("nan"),
            "training_seconds": 1.0,
            "model_version": str(i + 1),
        }
        unknown = set(row) - set(RUN_COLUMNS)
        if unknown:
            raise KeyError(f"not columns of a runs table: {sorted(unknown)}")
        frame.append(defaults | dict(row))
    return pd.DataFrame(frame, columns=RUN_COLUMNS)


def chapter_calls(name: str) -> set[str]:
    """The attributes of ``name`` (``plots``, ``models``...) that the chapters' code reads.

    Parsed from the committed notebooks' code cells, so a chapter's ``plots.X`` is found
    whether or not the notebook has run; names in strings and comments do not count.
    """
    found = set()
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                reads = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                if reads and node.value.id == name:
                    found.add(node.attr)
    return found


def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels (the pixel data is cut short)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))


def png_bytes(image: Image.Image, format: str = "PNG") -> bytes:
    """``image`` encoded in ``format``, as the bytes an upload would carry."""
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def stamped(path: Path) -> bool:
    """Whether a committed notebook carries a provenance stamp (``make notebooks`` writes one
    after executing it). Outputs committed before the series' full re-execution carry none:
    tests of how stored outputs agree apply to stamped notebooks, and the provenance check
    requires every chapter to be stamped once the re-execution has landed."""
    metadata = json.loads(Path(path).read_text()).get("metadata", {})
    return bool(metadata.get("mnist_pipeline", {}).get("provenance"))
