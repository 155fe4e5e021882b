"""MNIST-C's 15 corruptions (Mu and Gilmer, 2019), rebuilt with NumPy, SciPy and scikit-image.

MNIST-C (arXiv:1906.02337) is the standard held-out robustness benchmark for MNIST. Its files
cannot be downloaded here, so this module regenerates its 15 corruptions at the severities the
benchmark fixed: the default severities of the ``corruptions.py`` in google-research/mnist-c,
which produced the published files. The parameters follow that script; the code is our own and
vectorised over the batch.

===============  ============================================================================
corruption       what it does (at the benchmark's severity)
===============  ============================================================================
shot_noise       Poisson noise, rate 3: ``poisson(3 x) / 3``
impulse_noise    salt and pepper on 17 % of the pixels (half salt, half pepper)
glass_blur       Gaussian sigma 0.7, 2 passes of local pixel swaps (offsets in {-1, 0}), blur
motion_blur      ImageMagick-style one-sided Gaussian streak, radius 10, sigma 3, angle ±45°
shear            shear angle 0.4 rad, random sign, about the centre (13.5, 13.5)
scale            shrink to 0.7 about the centre
rotate           0.4 rad, random sign, about the centre
brightness       +0.5 in HSV value (for a grey image: ``min(x + 0.5, 1)``)
translate        3 px on each axis, random signs, zeros shifted in
stripe           the 7 leftmost and 7 rightmost columns inverted
fog              plasma fractal (256 x 256, top-left 28 x 28), strength 3.0, decay 1.4
spatter          mud spatter at severity 4 (thresholded blurred noise, grey 63/255)
dotted_line      one dotted line from the left to the right edge
zigzag           one zigzag line across the image
canny_edges      the image replaced by its Canny edges (scikit-image defaults)
===============  ============================================================================

Every output is rounded to 256 grey levels, as the benchmark's files are ``uint8`` arrays.

Where this implementation may differ from the benchmark's files:

- Random numbers: NumPy's ``Generator`` (one stream per call) instead of the global
  ``np.random`` state, so no image is corrupted exactly as in the published files; only the
  distributions match.
- motion_blur: the benchmark called ImageMagick's ``MotionBlurImage`` through Wand; here a NumPy
  line kernel rebuilds it as the ``imagecorruptions`` package does (21 taps, weights
  ``exp(-i^2 / 18)``, offsets ``ceil(i cos a - 0.5)``, ``ceil(i sin a - 0.5)``, edge pixels
  repeated). ImageMagick's own rounding and its PNG round trip are not reproduced.
- glass_blur: the benchmark's ``gaussian(..., multichannel=True)`` on a 2-D image took the
  last axis for colour channels, so it blurred vertically only (along each column); this is
  reproduced on purpose. The pixel swaps are the same sequential sweep (offsets drawn by
  ``randint(-1, 1)``, that is -1 or 0), run for the whole batch in lock step.
- Geometric corruptions (shear, scale, rotate, translate): ``scipy.ndimage.affine_transform``
  (bilinear, zeros outside the frame) with the matrices of the scikit-image version the
  benchmark used (its ``AffineTransform(shear=...)`` convention changed in later releases),
  instead of ``skimage.transform.warp``; interpolation at the frame's edge may differ slightly.
- fog: the 256 x 256 plasma fractal is built in float32 for speed; its rounding is far below
  one grey level.
- impulse_noise: each pixel is hit with probability 0.17, as scikit-image's ``random_noise``
  did in 2019 (later releases draw the noisy pixels differently).
- canny_edges: today's ``skimage.feature.canny``, batched (tested equal to it image by image);
  its border handling changed across releases, so pixels next to the frame may differ.
- Rounding: the benchmark's conversion of its float output to ``uint8`` is not published;
  this module rounds to the nearest level, so a pixel may differ by one grey level.
- brightness: the HSV round trip reduces to ``min(x + 0.5, 1)`` for grey images and is
  computed directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage
from skimage import feature

CORRUPTIONS: tuple[str, ...] = (
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "scale",
    "rotate",
    "brightness",
    "translate",
    "stripe",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
    "canny_edges",
)

# Test accuracy of the paper's clean-trained CNN per corruption, as fractions, keyed like
# CORRUPTIONS. Only figures read in the paper itself (PAPER_CNN_SOURCE) belong here, never
# recalled or estimated ones. It is empty because no stored copy of the paper's results table
# could be read from this machine (offline; the searchable copies of arXiv:1906.02337 hold its
# abstract and introduction only), so a comparison with the paper must wait for that table.
PAPER_CNN_ACCURACY: dict[str, float] = {}
PAPER_CNN_SOURCE = (
    "Mu, N. and Gilmer, J. (2019). MNIST-C: A Robustness Benchmark for Computer Vision. "
    "arXiv:1906.02337."
)

SIZE = 28
CENTRE = 13.5  # the benchmark's fixed point for shear, scale and rotate
LEVELS = 255  # the benchmark's files are uint8


# --------------------------------------------------------------------------- input checks


def _as_stack(images: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate ``images`` and return a float64 ``(n, 28, 28)`` copy and the input shape."""
    array = np.asarray(images)
    shape = array.shape
    if not (
        (array.ndim == 3 and shape[1:] == (SIZE, SIZE))
        or (array.ndim == 4 and shape[1:] == (SIZE, SIZE, 1))
    ):
        raise ValueError(f"expected images shaped (n, 28, 28) or (n, 28, 28, 1), got {shape}")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"expected real-valued images, got dtype {array.dtype}")
    stack = array.reshape(len(array), SIZE, SIZE).astype(np.float64)
    if stack.size and (not np.isfinite(stack).all() or stack.min() < 0 or stack.max() > 1):
        raise ValueError(
            "expected pixel values in [0, 1] (divide uint8 images by 255), got "
            f"range [{np.nanmin(stack):g}, {np.nanmax(stack):g}]"
        )
    return stack, shape


def _check_name(name: str) -> None:
    if name not in _CORRUPTERS:
        raise ValueError(
            f"unknown corruption {name!r}; MNIST-C's corruptions are: {', '.join(CORRUPTIONS)}"
        )


def _quantise(stack: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the 256 levels of a ``uint8`` image."""
    return (np.round(np.clip(stack, 0.0, 1.0) * LEVELS) / LEVELS).astype(np.float32)


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


_CORRUPTERS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "glass_blur": glass_blur,
    "motion_blur": motion_blur,
    "shear": shear,
    "scale": scale,
    "rotate": rotate,
    "brightness": brightness,
    "translate": translate,
    "stripe": stripe,
    "fog": fog,
    "spatter": spatter,
    "dotted_line": dotted_line,
    "zigzag": zigzag,
    "canny_edges": canny_edges,
}


# --------------------------------------------------------------------------- public API


def corrupt(images: np.ndarray, name: str, seed: int) -> np.ndarray:
    """Apply one MNIST-C corruption to a batch of digits.

    Args:
        images: float images in [0, 1] (white ink on black), shaped ``(n, 28, 28)`` or
            ``(n, 28, 28, 1)``; never modified.
        name: one of :data:`CORRUPTIONS`.
        seed: seeds one ``np.random.default_rng`` stream that every random draw of the call
            comes from, so the same images in the same order give the same output. Splitting
            a batch into chunks changes the draws.

    Returns:
        float32 images of the input's shape, in [0, 1], rounded to 256 grey levels.

    Raises:
        ValueError: for an unknown corruption name, a wrong shape, or values outside [0, 1].
    """
    _check_name(name)
    stack, shape = _as_stack(images)
    if len(stack) == 0:
        return stack.astype(np.float32).reshape(shape)
    corrupted = _CORRUPTERS[name](stack, np.random.default_rng(seed))
    return _quantise(corrupted).reshape(shape)


def corruption_seed(seed: int, name: str) -> int:
    """The seed :func:`corrupt_all` uses for ``name``: derived from ``seed`` and its index.

    Args:
        seed: the caller's seed.
        name: one of :data:`CORRUPTIONS`.

    Returns:
        A 32-bit integer from ``np.random.SeedSequence([seed, index])``.
    """
    _check_name(name)
    return int(np.random.SeedSequence([seed, CORRUPTIONS.index(name)]).generate_state(1)[0])


def corrupt_all(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Apply each of the 15 corruptions to the same images, each with its own derived seed.

    Args:
        images: as for :func:`corrupt`.
        seed: the seed each corruption's own seed is derived from (:func:`corruption_seed`).

    Returns:
        ``{name: corrupted images}`` in the order of :data:`CORRUPTIONS`.
    """
    _as_stack(images)  # fail before any work
    return {name: corrupt(images, name, corruption_seed(seed, name)) for name in CORRUPTIONS}
