"""Turn a user's digit image (a photo, a scan, a drawing) into an MNIST-like input.

MNIST's own normalisation (LeCun et al.): the digit is fitted into a 20x20 box
keeping its aspect ratio, anti-aliased to grey levels, and placed in a 28x28
field so that its centre of mass lies at the centre. ``load_digit`` (a file) and
``digit_from_bytes`` (an upload) reproduce that. Dark ink on light paper and light
ink on a dark background are both accepted: the background is read from the
image's border. Bad input is refused with :class:`InvalidImageError` (or its
subclass :class:`ImageTooLargeError`) before any model sees it.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from mnist_pipeline import config

MAX_PIXELS = 25_000_000  # about 5000x5000; larger images are refused before decoding
DRAFT_SIDE = 512  # a JPEG at least twice this on each side is decoded at 1/2, 1/4 or 1/8 scale
MIN_SIDE = 8  # pixels: a smaller image cannot hold a legible digit
INK_THRESHOLD = 40  # grey levels above the background that count as ink when cropping
MIN_CONTRAST = 32  # grey levels between the darkest and lightest pixel of a non-uniform image
MAX_INK_SHARE = 0.5  # a digit on a page covers less than half of it
BOX = 20


class InvalidImageError(ValueError):
    """The file cannot be turned into a digit input; the message says why."""


class ImageTooLargeError(InvalidImageError):
    """The image has more pixels than :data:`MAX_PIXELS`; refused before it is decoded."""


def _upright(image: Image.Image, name: str) -> Image.Image:
    """The opened image decoded the right way up, at no more resolution than needed.

    The pixel limit is checked on the stored size, before any decoding. A JPEG far larger
    than needed is decoded at a reduced scale (``Image.draft``: the decoder skips the fine
    DCT coefficients, several times faster than decoding everything and resizing). Then the
    EXIF orientation a phone or camera writes is applied, so a photo stored sideways is read
    as it was taken.

    Raises:
        ImageTooLargeError: more pixels than :data:`MAX_PIXELS`.
    """
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLargeError(
            f"{name}: {width}x{height} pixels is too large (limit {MAX_PIXELS:,})"
        )
    if image.format == "JPEG" and min(width, height) >= 2 * DRAFT_SIDE:
        image.draft("L", (DRAFT_SIDE, DRAFT_SIDE))
    return ImageOps.exif_transpose(image)


def _decode(source: str | Path | BinaryIO, name: str) -> np.ndarray:
    """Decode an image to uint8 greyscale, upright, transparent areas as white paper."""
    try:
        with warnings.catch_warnings():
            # Pillow warns about (and past twice its limit refuses) huge images in open();
            # our own, lower limit below gives the message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                rgba = _upright(image, name).convert("RGBA")
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{name}: too large ({exc})") from None
    except UnidentifiedImageError:
        raise InvalidImageError(f"{name}: not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        if isinstance(exc, InvalidImageError):
            raise
        raise InvalidImageError(f"{name}: unreadable image ({exc})") from None
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))


def read_grayscale(path: Path | str) -> np.ndarray:
    """Read an image file as uint8 greyscale, transparent areas as white paper.

    Args:
        path: a PNG, JPEG or other file that Pillow reads.

    Returns:
        A 2-D uint8 array, 0 = black, 255 = white.

    Raises:
        InvalidImageError: missing, empty, not an image, truncated, or too large.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidImageError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise InvalidImageError(f"{path.name}: the file is empty")
    return _decode(path, path.name)


def image_format(data: bytes) -> str | None:
    """The format Pillow recognises in ``data`` ("PNG", "JPEG", ...), or None; decodes nothing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.format
    except Image.DecompressionBombError:
        return "too large"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def read_grayscale_bytes(data: bytes, name: str = "upload") -> np.ndarray:
    """Like :func:`read_grayscale`, for the bytes of an uploaded file."""
    if not data:
        raise InvalidImageError(f"{name}: the file is empty")
    return _decode(io.BytesIO(data), name)


def ink_map(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Grey levels of ink above the background, 0-255, whatever the background's colour.

    The background is the median of the image's border: light paper gives dark ink, a
    dark background (chalk on a board, a digit drawn white on black) gives light ink.

    Raises:
        InvalidImageError: the image is too small, uniform (blank or all ink), or mostly ink.
    """
    gray = np.asarray(gray, dtype=np.uint8)
    if gray.ndim != 2:
        raise InvalidImageError(f"{name}: expected a 2-D greyscale image, got shape {gray.shape}")
    height, width = gray.shape
    if min(height, width) < MIN_SIDE:
        raise InvalidImageError(
            f"{name}: {width}x{height} pixels is too small to hold a digit "
            f"(at least {MIN_SIDE}x{MIN_SIDE})"
        )
    if int(gray.max()) - int(gray.min()) < MIN_CONTRAST:
        if gray.mean() < 128:
            raise InvalidImageError(f"{name}: no digit found (the image is all ink)")
        raise InvalidImageError(f"{name}: no digit found (the page is blank)")
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    background = int(np.median(border))
    if background >= 128:  # light paper, dark ink
        ink = np.clip(background - gray.astype(np.int16), 0, 255)
    else:  # dark background, light ink
        ink = np.clip(gray.astype(np.int16) - background, 0, 255)
    share = float(np.mean(ink > INK_THRESHOLD))
    if share == 0.0:
        raise InvalidImageError(f"{name}: no digit found (the page is blank)")
    if share > MAX_INK_SHARE:
        raise InvalidImageError(
            f"{name}: ink covers {share:.0%} of the image; expected one digit on a plain background"
        )
    return (ink * (255.0 / ink.max())).astype(np.uint8)


def to_mnist(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Normalise a greyscale digit the way MNIST was made.

    Find the ink (:func:`ink_map`), crop to it, fit it into 20x20 keeping the aspect
    ratio, paste into 28x28 and shift so the centre of mass is at the centre.

    Args:
        gray: 2-D uint8 array, dark ink on a light background or light ink on a dark one.
        name: used in error messages.

    Returns:
        A ``(28, 28, 1)`` float32 array in [0, 1], ink high, like ``prepare.normalize``.

    Raises:
        InvalidImageError: too small, blank, all ink, or mostly ink.
    """
    ink = ink_map(gray, name)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
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


def digit_from_bytes(data: bytes, name: str = "upload") -> np.ndarray:
    """The model's ``(28, 28, 1)`` input from the bytes of an uploaded image file.

    Raises:
        InvalidImageError: for empty, non-image, truncated, oversized, blank or all-ink data.
    """
    return to_mnist(read_grayscale_bytes(data, name), name=name)
