"""Turn a user's digit image (dark ink on white, as drawn in Paint) into an MNIST-like input.

MNIST's own normalisation (LeCun et al.): the digit is fitted into a 20x20 box
keeping its aspect ratio, anti-aliased to grey levels, and placed in a 28x28
field so that its centre of mass lies at the centre. ``load_digit`` reproduces
that, and refuses bad files with :class:`InvalidImageError` before any model sees them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from mnist_pipeline import config

MAX_PIXELS = 25_000_000  # about 5000x5000; larger files are refused before decoding
INK_THRESHOLD = 40  # grey levels (after inversion) that count as ink when cropping
BOX = 20


class InvalidImageError(ValueError):
    """The file cannot be turned into a digit input; the message says why."""


def read_grayscale(path: Path | str) -> np.ndarray:
    """Read an image file as uint8 greyscale, transparent areas as white paper.

    Args:
        path: a PNG, JPEG or other file that Pillow reads.

    Returns:
        A 2-D uint8 array, 0 = black, 255 = white.

    Raises:
        InvalidImageError: missing, empty, not an image, or too large.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidImageError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise InvalidImageError(f"{path.name}: the file is empty")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidImageError(
                    f"{path.name}: {width}x{height} pixels is too large (limit {MAX_PIXELS:,})"
                )
            rgba = image.convert("RGBA")
    except UnidentifiedImageError:
        raise InvalidImageError(f"{path.name}: not an image Pillow can read") from None
    except (OSError, SyntaxError) as exc:  # truncated or corrupt data
        raise InvalidImageError(f"{path.name}: unreadable image ({exc})") from None
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))


def to_mnist(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Normalise a greyscale digit (dark on light) the way MNIST was made.

    Invert, crop to the ink, fit into 20x20 keeping the aspect ratio, paste into
    28x28 and shift so the centre of mass is at the centre.

    Args:
        gray: 2-D uint8 array, dark ink on a light background.
        name: used in error messages.

    Returns:
        A ``(28, 28, 1)`` float32 array in [0, 1], ink high, like ``prepare.normalize``.

    Raises:
        InvalidImageError: when there is no ink (a blank page).
    """
    ink = 255 - np.asarray(gray, dtype=np.uint8)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:
        raise InvalidImageError(f"{name}: no digit found (the page is blank)")
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    boxed = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))
    field = np.zeros(config.IMAGE_SHAPE, dtype=np.float32)
    top = (config.IMAGE_SHAPE[0] - boxed.shape[0]) // 2
    left = (config.IMAGE_SHAPE[1] - boxed.shape[1]) // 2
    field[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    centre = (np.array(config.IMAGE_SHAPE) - 1) / 2
    shift = np.round(centre - np.array(ndimage.center_of_mass(field)))
    field = ndimage.shift(field, shift, order=0, mode="constant", cval=0.0)
    return (np.clip(field, 0, 255) / 255.0).astype(np.float32)[..., np.newaxis]


def load_digit(path: Path | str) -> np.ndarray:
    """Read a user's digit image and return the model's ``(28, 28, 1)`` input.

    Raises:
        InvalidImageError: for a missing, empty, non-image, oversized or blank file.
    """
    return to_mnist(read_grayscale(path), name=Path(path).name)
