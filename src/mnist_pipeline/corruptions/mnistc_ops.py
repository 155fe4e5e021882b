"""MNIST-C's noise, blur, geometric and photometric corruptions, vectorised over a batch.

Each takes float64 images ``(n, 28, 28)`` in [0, 1] and a ``np.random.Generator`` and returns
unrounded images; :func:`mnist_pipeline.corruptions.mnistc.corrupt` validates, seeds and rounds. The
benchmark's parameters and where this code may differ from it are in :mod:`mnist_pipeline.corruptions.mnistc`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

SIZE = 28
CENTRE = 13.5  # the benchmark's fixed point for shear, scale and rotate
LEVELS = 255  # the benchmark's files are uint8


# --------------------------------------------------------------------------- noise


def shot_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson noise at rate 3 (severity 5): ``poisson(3 x) / 3``."""
    return rng.poisson(x * 3.0) / 3.0


def impulse_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Salt and pepper on a random 17 % of the pixels (severity 4), half of them salt."""
    flipped = rng.random(x.shape) < 0.17
    salted = rng.random(x.shape) < 0.5
    out = x.copy()
    out[flipped & salted] = 1.0
    out[flipped & ~salted] = 0.0
    return out


# --------------------------------------------------------------------------- blur


def _row_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """The benchmark's ``gaussian(x, sigma, multichannel=True)`` on 2-D images: rows axis only."""
    return ndimage.gaussian_filter1d(x, sigma, axis=1, mode="nearest", truncate=4.0)


def glass_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur (sigma 0.7), two sweeps of local pixel swaps (max offset 1), blur again (severity 1).

    The sweep visits rows and columns 27 down to 2; at each pixel, with probability 1/2, it
    swaps the pixel with its neighbour at offset ``(dy, dx)``, each drawn from {-1, 0} as the
    benchmark's ``randint(-1, 1)`` does. Swaps are sequential within an image, so a pixel can
    travel; the batch is swept in lock step.
    """
    sigma, delta, sweeps = 0.7, 1, 2
    levels = np.floor(np.clip(_row_blur(x, sigma), 0.0, 1.0) * LEVELS)  # np.uint8(... * 255)
    n = len(x)
    positions = range(SIZE - delta, delta, -1)
    for _ in range(sweeps):
        for h in positions:
            for w in positions:
                swap = np.flatnonzero(rng.random(n) < 0.5)
                offsets = rng.integers(-delta, delta, size=(len(swap), 2))  # dx, dy in {-1, 0}
                h2, w2 = h + offsets[:, 1], w + offsets[:, 0]
                here = levels[swap, h, w]
                levels[swap, h, w] = levels[swap, h2, w2]
                levels[swap, h2, w2] = here
    return _row_blur(levels / LEVELS, sigma)


def _motion_kernel(radius: int, sigma: float) -> np.ndarray:
    """ImageMagick's one-sided motion-blur weights: ``2 radius + 1`` Gaussian taps from 0."""
    taps = np.arange(2 * radius + 1)
    weights = np.exp(-(taps**2) / (2.0 * sigma**2))
    return weights / weights.sum()


def motion_blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A streak along a random angle in [-45°, 45°], radius 10, sigma 3 (severity 1).

    Each output pixel is the weighted sum of the pixels ``i`` steps along the angle
    (``i = 0..20``), edge pixels repeated beyond the frame, as ImageMagick's MotionBlurImage.
    """
    angles = np.deg2rad(rng.uniform(-45.0, 45.0, size=len(x)))
    grid = np.arange(SIZE)
    batch = np.arange(len(x))[:, None, None]
    out = np.zeros_like(x)
    for i, weight in enumerate(_motion_kernel(radius=10, sigma=3.0)):
        dy = np.ceil(i * np.sin(angles) - 0.5).astype(int)
        dx = np.ceil(i * np.cos(angles) - 0.5).astype(int)
        rows = np.clip(grid[None, :, None] + dy[:, None, None], 0, SIZE - 1)
        cols = np.clip(grid[None, None, :] + dx[:, None, None], 0, SIZE - 1)
        out += weight * x[batch, rows, cols]
    return out


# --------------------------------------------------------------------------- geometry


def _warp(x: np.ndarray, matrix: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Apply an inverse map given in skimage's (x=column, y=row) convention to every image.

    ``matrix`` and ``translation`` map an output pixel (x, y) to the input point it samples,
    as ``skimage.transform.warp(image, inverse_map=AffineTransform(...))`` does.
    """
    (a1, a2), (b1, b2) = matrix
    a3, b3 = translation
    rows_cols = np.array([[1.0, 0.0, 0.0], [0.0, b2, b1], [0.0, a2, a1]])
    return ndimage.affine_transform(
        x, rows_cols, offset=(0.0, b3, a3), order=1, mode="grid-constant", cval=0.0
    )


def _about_centre(matrix: np.ndarray) -> np.ndarray:
    """The translation that keeps (13.5, 13.5) fixed, as the benchmark computes it."""
    return CENTRE * (1.0 - matrix.sum(axis=1))


def _signed_warp(
    x: np.ndarray, rng: np.random.Generator, matrix_for: Callable[[float], np.ndarray]
) -> np.ndarray:
    """Warp each image with ``matrix_for(+1)`` or ``matrix_for(-1)``, the sign drawn per image."""
    signs = rng.choice([-1, 1], size=len(x))
    out = np.empty_like(x)
    for sign in (-1, 1):
        chosen = signs == sign
        if chosen.any():
            matrix = matrix_for(float(sign))
            out[chosen] = _warp(x[chosen], matrix, _about_centre(matrix))
    return out


def _shear_matrix(sign: float, angle: float = 0.4) -> np.ndarray:
    # skimage < 0.19 AffineTransform(shear=c): [[1, -sin c], [0, cos c]]
    c = sign * angle
    return np.array([[1.0, -np.sin(c)], [0.0, np.cos(c)]])


def _rotation_matrix(sign: float, angle: float = 0.4) -> np.ndarray:
    c = sign * angle
    return np.array([[np.cos(c), -np.sin(c)], [np.sin(c), np.cos(c)]])


def shear(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shear by 0.4 rad, random sign, about the centre (severity 2)."""
    return _signed_warp(x, rng, _shear_matrix)


def rotate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotate by 0.4 rad (about 23°), random sign, about the centre (severity 2)."""
    return _signed_warp(x, rng, _rotation_matrix)


def scale(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shrink to 0.7 about the centre (severity 3); the inverse map scales by 1/0.7."""
    del rng  # deterministic
    matrix = np.eye(2) / 0.7
    return _warp(x, matrix, _about_centre(matrix))


def translate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift by 3 px on each axis with random signs, zeros shifted in (severity 3).

    The benchmark's inverse map samples ``(x + dx, y + dy)``, so content moves by ``-dx, -dy``.
    """
    steps = 3 * rng.choice([-1, 1], size=(len(x), 2))  # (dx, dy) per image
    padded = np.pad(x, ((0, 0), (3, 3), (3, 3)))
    out = np.empty_like(x)
    for i, (dx, dy) in enumerate(steps):
        out[i] = padded[i, 3 + dy : 3 + dy + SIZE, 3 + dx : 3 + dx + SIZE]
    return out


# --------------------------------------------------------------------------- photometric


def brightness(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add 0.5 to HSV value (severity 5); for grey pixels the round trip is ``min(x + 0.5, 1)``."""
    del rng
    return np.minimum(x + 0.5, 1.0)


def stripe(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Invert the 7 leftmost and the 7 rightmost columns."""
    del rng
    out = x.copy()
    out[:, :, :7] = 1.0 - out[:, :, :7]
    out[:, :, SIZE - 7 :] = 1.0 - out[:, :, SIZE - 7 :]
    return out
