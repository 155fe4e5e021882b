"""MNIST's four arrays and their integrity: verification against the pins of ``config``, npz reading."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnist_pipeline.config import MNIST_EXPECTATION, Expectation  # the pins, re-exported

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")


class MnistData(NamedTuple):
    """The standard MNIST split as uint8 arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class DataVerificationError(ValueError):
    """Arrays that do not match the pinned shapes, dtypes, checksums or label counts."""


def sha256_bytes(payload: bytes) -> str:
    """Return the hex sha256 of ``payload``."""
    return hashlib.sha256(payload).hexdigest()


def array_sha256(array: np.ndarray) -> str:
    """Return the hex sha256 of an array's C-contiguous bytes."""
    return sha256_bytes(np.ascontiguousarray(array).tobytes())


def _check_sha256(payload: bytes, expected: str, what: str) -> None:
    actual = sha256_bytes(payload)
    if actual != expected:
        raise DataVerificationError(f"{what} sha256 is {actual}, expected {expected}")


def verify(data: MnistData, expected: Expectation = MNIST_EXPECTATION) -> MnistData:
    """Check shapes, dtypes, label counts and checksums of the four arrays.

    Args:
        data: the arrays to check.
        expected: what they must match.

    Returns:
        ``data`` unchanged, when every check passes.

    Raises:
        DataVerificationError: naming every check that failed.
    """
    n_train, n_test = sum(expected.train_counts), sum(expected.test_counts)
    shapes = {
        "x_train": (n_train, *expected.image_shape),
        "y_train": (n_train,),
        "x_test": (n_test, *expected.image_shape),
        "y_test": (n_test,),
    }
    problems = []
    for name in ARRAY_NAMES:
        array = getattr(data, name)
        if array.dtype != np.uint8 or array.shape != shapes[name]:
            problems.append(f"{name} is {array.dtype}{array.shape}, expected uint8{shapes[name]}")
        elif (digest := array_sha256(array)) != expected.sha256[name]:
            problems.append(f"{name} sha256 is {digest}, not the pinned one")
    for name, counts in (("y_train", expected.train_counts), ("y_test", expected.test_counts)):
        actual = tuple(int(c) for c in np.bincount(getattr(data, name).ravel(), minlength=10))
        if actual != tuple(counts):
            problems.append(f"{name} label counts are {list(actual)}, expected {list(counts)}")
    if problems:
        raise DataVerificationError("; ".join(problems))
    return data


def read_npz(source: Path | io.BytesIO) -> MnistData:
    """Read the four arrays from an ``.npz`` file or buffer, refusing pickled objects."""
    with np.load(source, allow_pickle=False) as archive:
        missing = [name for name in ARRAY_NAMES if name not in archive.files]
        if missing:
            raise DataVerificationError(f"the archive lacks {', '.join(missing)}")
        return MnistData(*(archive[name] for name in ARRAY_NAMES))
