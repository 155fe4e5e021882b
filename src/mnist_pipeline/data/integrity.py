"""MNIST's four arrays and their integrity: pinned checksums and label counts, verification, npz reading."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnist_pipeline import config

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")


class MnistData(NamedTuple):
    """The standard MNIST split as uint8 arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Expectation:
    """What verified data must match: sha256 of each array's C-contiguous bytes, label counts."""

    sha256: dict[str, str]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]
    image_shape: tuple[int, int] = config.IMAGE_SHAPE


MNIST_EXPECTATION = Expectation(
    sha256={
        "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    train_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    test_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
)


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
