"""What arrays a chapter holds, as a small table: each one's shape, type and, for labels, how
many images each digit has."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mnist_pipeline import config


def _shape(shape: tuple[int, ...]) -> str:
    """``(54000, 28, 28, 1)`` as ``54,000 × 28 × 28 × 1``; a scalar as ``-``."""
    return " × ".join(f"{n:,}" for n in shape) or "-"


def _per_digit(array: np.ndarray) -> str | None:
    """For labels (integers 0-9 in one axis), each digit's count: ``2 each`` when they are
    equal, else the smallest to the largest; ``None`` for anything else."""
    if array.ndim != 1 or array.dtype.kind not in "iu" or array.size == 0:
        return None
    if array.min() < 0 or array.max() >= config.NUM_CLASSES:
        return None
    counts = np.bincount(array.astype(np.int64), minlength=config.NUM_CLASSES)
    low, high = int(counts.min()), int(counts.max())
    return f"{low:,} each" if low == high else f"{low:,} to {high:,}"


def shapes_table(**arrays: object) -> pd.DataFrame:
    """The shape and type of named arrays, one row each, for a chapter to show as a table.

    Args:
        **arrays: name to array (anything ``numpy.asarray`` takes), in the order to show them.

    Returns:
        Rows indexed by ``array`` in the order given, with ``shape`` (``60,000 × 28 × 28``) and
        ``dtype``, and, when one of them holds labels (integers 0-9 in one axis), ``per digit``:
        its images of each digit (``2 each``, or ``5,421 to 6,742``); missing for the others.

    Raises:
        ValueError: for no arrays.
    """
    if not arrays:
        raise ValueError("shapes_table needs at least one named array")
    rows = []
    for name, value in arrays.items():
        array = np.asarray(value)
        rows.append(
            {
                "array": name,
                "shape": _shape(array.shape),
                "dtype": str(array.dtype),
                "per digit": _per_digit(array),
            }
        )
    table = pd.DataFrame(rows).set_index("array")
    return table if table["per digit"].notna().any() else table.drop(columns="per digit")
