"""Helpers that several test modules share: tiny data, image bytes, patterns of the book.

Test modules import these from here (``from tests.helpers import make_tiny_mnist``), never
from one another, so that a test module can move or change without breaking another.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

import numpy as np
from PIL import Image

from mnist_pipeline import data

# "(Chapter 4.)", "Chapter 7. gives", "Chapter 2..": the template's period, not a sentence's.
STRAY_PERIOD = re.compile(r"Chapter\s\d+\.(\.|\)|\s+[a-z])")


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
