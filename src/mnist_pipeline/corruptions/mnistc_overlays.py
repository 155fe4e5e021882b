"""MNIST-C's fog, spatter, dotted line, zigzag and Canny edges: drawn over or replacing the digit.

Same contract as :mod:`mnist_pipeline.corruptions.mnistc_ops`: float64 ``(n, 28, 28)`` images in [0, 1] and a
``np.random.Generator`` in, unrounded images out.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import feature

from mnist_pipeline.corruptions.mnistc_ops import SIZE


def plasma_fractal(
    rng: np.random.Generator,
    count: int,
    mapsize: int = 256,
    decay: float = 1.4,
    corner: int | None = None,
) -> np.ndarray:
    """Diamond-square height maps in [0, 1], ``count`` at once (ImageNet-C's ``plasma_fractal``).

    Each midpoint is the mean of its four neighbours (wrapping around) plus uniform noise of
    amplitude ``wibble^2``; ``wibble`` starts at 100 and is divided by ``decay`` per level. The
    maps are built in float32 with the batch on the last axis (contiguous strided writes), which
    is several times faster than float64 maps one by one; the rounding is far below a grey level.

    Args:
        rng: the source of the noise.
        count: how many maps to build.
        mapsize: the side of each map, a power of two.
        decay: the factor ``wibble`` shrinks by per level (1.4 is fog's severity 5).
        corner: if given, return only each map's top-left ``corner x corner`` pixels (still
            rescaled by the whole map's minimum and maximum), which saves rescaling the rest.

    Returns:
        ``(count, side, side)`` float32 maps rescaled so each whole map spans [0, 1].
    """
    maps = np.empty((mapsize, mapsize, count), dtype=np.float32)
    maps[0, 0] = 0.0
    step, wibble = mapsize, 100.0

    def wibbled_mean(total: np.ndarray) -> np.ndarray:
        amplitude = np.float32(wibble * wibble)
        noise = rng.random(total.shape, dtype=np.float32)  # U(-w, w) * w, as the original
        noise *= 2 * amplitude
        noise -= amplitude
        total *= np.float32(0.25)
        total += noise
        return total

    while step >= 2:
        half = step // 2
        corners = maps[0:mapsize:step, 0:mapsize:step]
        squares = corners + np.roll(corners, -1, axis=0)
        squares += np.roll(squares, -1, axis=1)
        maps[half:mapsize:step, half:mapsize:step] = wibbled_mean(squares)
        centres = maps[half:mapsize:step, half:mapsize:step]
        left = centres + np.roll(centres, 1, axis=0)
        left += corners
        left += np.roll(corners, -1, axis=1)
        maps[0:mapsize:step, half:mapsize:step] = wibbled_mean(left)
        top = centres + np.roll(centres, 1, axis=1)
        top += corners
        top += np.roll(corners, -1, axis=0)
        maps[half:mapsize:step, 0:mapsize:step] = wibbled_mean(top)
        step //= 2
        wibble /= decay
    low, high = maps.min(axis=(0, 1)), maps.max(axis=(0, 1))
    side = mapsize if corner is None else corner
    return ((maps[:side, :side] - low) / (high - low)).transpose(2, 0, 1)


def fog(x: np.ndarray, rng: np.random.Generator, chunk: int = 32) -> np.ndarray:
    """Add 3.0 x a plasma fractal (decay 1.4), then rescale by ``max / (max + 3)`` (severity 5)."""
    strength = 3.0
    out = np.empty_like(x)
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        haze = plasma_fractal(rng, len(part), corner=SIZE)
        peak = part.max(axis=(1, 2), keepdims=True)
        out[start : start + chunk] = (part + strength * haze) * peak / (peak + strength)
    return out


def _blur2d(x: np.ndarray, sigma: float) -> np.ndarray:
    """skimage's ``gaussian(image, sigma)`` on each image of a stack (mode 'nearest')."""
    return ndimage.gaussian_filter(x, sigma=(0.0, sigma, sigma), mode="nearest", truncate=4.0)


def spatter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mud spatter at severity 4: blobs where blurred noise exceeds 0.65, painted 63/255 grey."""
    loc, scale_, sigma, threshold, mask_sigma = 0.65, 0.3, 1.0, 0.65, 1.5
    liquid = _blur2d(rng.normal(loc, scale_, size=x.shape), sigma)
    liquid[liquid < threshold] = 0.0
    mask = _blur2d((liquid > threshold).astype(np.float64), mask_sigma)
    mask[mask < 0.8] = 0.0
    return x * (1.0 - mask) + 63.0 / 255.0 * mask


# --------------------------------------------------------------------------- lines


def _lines(c0: np.ndarray, r0: np.ndarray, c1: np.ndarray, r1: np.ndarray) -> np.ndarray:
    """The benchmark's ``line_from_points`` for arrays of segments, shape ``(*c0.shape, 28, 28)``.

    Intensity falls with the vertical distance ``d`` to the line as ``1 + log(1 - d / 2.3)``;
    columns left of ``floor(c0)`` and from ``ceil(c1)`` on are blank, and a vertical segment
    (``c1 == c0``) draws nothing.
    """
    grid = np.arange(SIZE, dtype=np.float64)
    c0, r0, c1, r1 = (np.asarray(v, dtype=np.float64)[..., None, None] for v in (c0, r0, c1, r1))
    run = np.where(c1 == c0, 1.0, c1 - c0)
    slope = (r1 - r0) / run
    dist = np.clip(np.abs(grid[:, None] - (slope * (grid[None, :] - c0) + r0)), 0, 2.3 - 1e-10)
    line = np.clip(np.log(1.0 - dist / 2.3) + 1.0, 0.0, 1.0)
    columns = grid[None, :]
    line = np.where((columns >= np.floor(c0)) & (columns < np.ceil(c1)), line, 0.0)
    return np.where(c1 == c0, 0.0, line)


def dotted_line(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One line from (0, r0) to (27, r1), ``r0, r1`` in 0..26, with every other 2-px dash blank."""
    ends = rng.integers(0, 27, size=(len(x), 2))
    zeros = np.zeros(len(x))
    line = _lines(zeros, ends[:, 0], zeros + 27.0, ends[:, 1])
    gaps = (np.arange(SIZE) // 2) % 2 == 0  # columns 0-1, 4-5, ..., 24-25 are blank
    line[:, :, gaps] = 0.0
    return x + line


def _zigzag_points(r0: float, r1: float, a: float = 2.0, b: float = 2.0) -> np.ndarray:
    """The benchmark's zigzag vertices from column 2 to 25, rotated to end near row ``r1``."""
    c0, c1 = 2.0, 25.0
    theta = np.arctan((r1 - r0) / (c1 - c0))
    d = (c1 - c0) / np.cos(theta)
    points = [(0.0, 0.0)]
    r_i = 0.0
    for i in range(int((d - a) // (2 * a)) + 1):
        r_i = (-1) ** i * b
        points.append(((2 * i + 1) * a, r_i))
    max_c = (2 * a) * (d // (2 * a))
    if d != max_c:
        points.append((d, r_i / (2 * (d - max_c))))
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    cs, rs = rotation @ np.array(points).T
    return np.stack([cs + c0, rs + r0])


def zigzag(x: np.ndarray, rng: np.random.Generator, chunk: int = 512) -> np.ndarray:
    """One zigzag (2-px teeth) from column 2 to 25, starting at row r0 in 0..26, drift -5..4."""
    starts = rng.integers(0, 27, size=len(x))
    drifts = rng.integers(-5, 5, size=len(x))
    vertices = np.stack([_zigzag_points(r, r + d) for r, d in zip(starts, drifts, strict=True)])
    cs, rs = vertices[:, 0], vertices[:, 1]  # (n, points)
    out = x.copy()
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        segments = _lines(cs[part, :-1], rs[part, :-1], cs[part, 1:], rs[part, 1:])
        out[part] += segments.sum(axis=1)  # clipping after each segment equals clipping once
    return out


def _canny_stack(x: np.ndarray, low: float = 0.1, high: float = 0.2) -> np.ndarray:
    """``skimage.feature.canny(image)`` (sigma 1, mode 'constant') for every image at once.

    The same steps as scikit-image's implementation, batched: Gaussian smoothing corrected by
    the bleed-over of the zero border, Sobel gradients per image, scikit-image's own bilinear
    non-maximum suppression on the images stacked into one tall array (each image's 1-px
    border is masked, so no pixel looks across images), and hysteresis with 8-connectivity
    inside each image only.
    """
    from skimage.feature._canny_cy import _nonmaximum_suppression_bilinear  # private, pinned

    n = len(x)
    bleed = ndimage.gaussian_filter(np.ones((SIZE, SIZE)), 1.0, mode="constant", truncate=4.0)
    smoothed = ndimage.gaussian_filter(x, (0.0, 1.0, 1.0), mode="constant", truncate=4.0)
    smoothed /= bleed + np.finfo(np.float64).eps

    def sobel(derivative_axis: int, smoothing_axis: int) -> np.ndarray:
        out = ndimage.correlate1d(smoothed, [-1, 0, 1], axis=derivative_axis, mode="reflect")
        return ndimage.correlate1d(out, [1, 2, 1], axis=smoothing_axis, mode="reflect")

    jsobel, isobel = sobel(2, 1), sobel(1, 2)
    magnitude = np.sqrt(isobel * isobel + jsobel * jsobel)
    inner = np.zeros((n, SIZE, SIZE), dtype=bool)
    inner[:, 1:-1, 1:-1] = True
    tall = (n * SIZE, SIZE)
    kept = _nonmaximum_suppression_bilinear(
        isobel.reshape(tall),
        jsobel.reshape(tall),
        magnitude.reshape(tall),
        inner.reshape(tall),
        low,
    )
    kept = np.asarray(kept).reshape(n, SIZE, SIZE)
    low_mask = kept > 0
    within_image = np.zeros((3, 3, 3), dtype=bool)
    within_image[1] = True
    labels, count = ndimage.label(low_mask, within_image)
    good = np.zeros(count + 1, dtype=bool)
    good[np.unique(labels[low_mask & (kept >= high)])] = True
    good[0] = False
    return good[labels]


def canny_edges(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image replaced by its Canny edge map (``skimage.feature.canny`` defaults, sigma 1).

    Batched by :func:`_canny_stack`, which the tests hold equal to ``feature.canny`` image by
    image; if scikit-image's private suppression routine moves, it falls back to that loop.
    """
    del rng
    try:
        return _canny_stack(x).astype(np.float64)
    except ImportError:
        return np.stack([feature.canny(image) for image in x]).astype(np.float64)
