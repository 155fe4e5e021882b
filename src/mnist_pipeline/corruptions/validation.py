"""The validation corruption suite: eight corruptions that MNIST-C does not use, three severities.

Model 4's design is chosen on validation images under these corruptions, so that MNIST-C's 15
(:mod:`mnist_pipeline.corruptions.mnistc`) stay a test the model was never selected on. None of
them is one of MNIST-C's, and this module imports nothing from it (a test checks both): Gaussian
and speckle noise where MNIST-C has shot and impulse noise, defocus and zoom blur where it has
glass and motion blur, an elastic warp where it has affine maps, a contrast reduction where it has
brightness, pixelation and JPEG compression, which it has no counterpart of.

Every function takes float images ``(n, 28, 28)`` or ``(n, 28, 28, 1)`` in [0, 1] (white ink on
black, as :func:`mnist_pipeline.data.prepare.normalize` makes them), never modifies them, and
returns float32 images of the same shape rounded to 256 grey levels, as a uint8 file would hold.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

SIZE = 28
LEVELS = 255
SEVERITIES = (1, 2, 3)
# Each corruption's parameter at severities 1, 2 and 3: milder to harsher.
PARAMETERS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.12, 0.24, 0.36),  # standard deviation of the added noise
    "speckle_noise": (0.3, 0.6, 0.9),  # standard deviation of the multiplicative noise
    "defocus_blur": (1.0, 1.5, 2.0),  # radius of the disc, in pixels
    "zoom_blur": (0.1, 0.2, 0.3),  # largest zoom of the averaged copies, above 1
    "elastic": (20.0, 30.0, 40.0),  # displacement scale (alpha), smoothed at sigma 4
    "contrast": (0.5, 0.3, 0.15),  # share of the contrast kept around each image's mean
    "pixelate": (0.6, 0.45, 0.3),  # side of the coarse grid, as a share of 28 pixels
    "jpeg": (30.0, 15.0, 8.0),  # JPEG quality
}
CORRUPTIONS = tuple(PARAMETERS)
ELASTIC_SIGMA = 4.0


def gaussian_noise(x: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``sd`` to every pixel."""
    return x + rng.normal(0.0, sd, x.shape)


def speckle_noise(x: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative noise: ``x + x * N(0, sd)``, so only the ink is disturbed."""
    return x + x * rng.normal(0.0, sd, x.shape)


def _disc(radius: float) -> np.ndarray:
    reach = int(np.ceil(radius))
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    disc = (yy**2 + xx**2 <= radius**2).astype(np.float64)
    return disc / disc.sum()


def defocus_blur(x: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve each image with a flat disc of ``radius`` pixels (an out-of-focus lens)."""
    kernel = _disc(radius)[None]
    return ndimage.convolve(x, kernel, mode="constant", cval=0.0)


def _zoom_centre(x: np.ndarray, factor: float) -> np.ndarray:
    """Each image magnified by ``factor`` about its centre, cropped back to 28 x 28."""
    centre = (SIZE - 1) / 2
    grid = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    source = (grid - centre) / factor + centre
    return np.stack(
        [ndimage.map_coordinates(image, source, order=1, mode="constant") for image in x]
    )


def zoom_blur(x: np.ndarray, largest: float, rng: np.random.Generator) -> np.ndarray:
    """The average of the image and five copies zoomed by up to ``1 + largest``."""
    factors = 1.0 + np.linspace(0.0, largest, 6)[1:]
    return (x + sum(_zoom_centre(x, f) for f in factors)) / (len(factors) + 1)


def elastic(x: np.ndarray, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Simard et al.'s elastic distortion (2003): a random displacement field, smoothed at
    :data:`ELASTIC_SIGMA` and scaled by ``alpha``, moves each pixel; each image draws its own."""
    grid = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    out = np.empty_like(x)
    for i, image in enumerate(x):
        shift = rng.uniform(-1.0, 1.0, (2, SIZE, SIZE))
        shift = np.stack([ndimage.gaussian_filter(s, ELASTIC_SIGMA) for s in shift]) * alpha
        out[i] = ndimage.map_coordinates(image, grid + shift, order=1, mode="constant")
    return out


def contrast(x: np.ndarray, kept: float, rng: np.random.Generator) -> np.ndarray:
    """Pull every pixel towards its image's mean, keeping a share ``kept`` of the contrast."""
    mean = x.mean(axis=(1, 2), keepdims=True)
    return (x - mean) * kept + mean


def _resize(image: np.ndarray, side: int, resample: Image.Resampling) -> np.ndarray:
    picture = Image.fromarray(np.round(np.clip(image, 0, 1) * LEVELS).astype(np.uint8))
    return np.asarray(picture.resize((side, side), resample), dtype=np.float64) / LEVELS


def pixelate(x: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Average over a coarse grid (``share`` of 28 pixels a side), then blow it back up."""
    side = max(2, round(share * SIZE))
    coarse = [_resize(image, side, Image.Resampling.BOX) for image in x]
    return np.stack([_resize(c, SIZE, Image.Resampling.NEAREST) for c in coarse])


def jpeg(x: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Save each image as a greyscale JPEG of ``quality`` and read it back."""
    out = np.empty_like(x)
    for i, image in enumerate(x):
        buffer = io.BytesIO()
        picture = Image.fromarray(np.round(np.clip(image, 0, 1) * LEVELS).astype(np.uint8))
        picture.save(buffer, format="JPEG", quality=int(quality))
        out[i] = np.asarray(Image.open(buffer), dtype=np.float64) / LEVELS
    return out


_CORRUPTERS: dict[str, Callable[[np.ndarray, float, np.random.Generator], np.ndarray]] = {
    "gaussian_noise": gaussian_noise,
    "speckle_noise": speckle_noise,
    "defocus_blur": defocus_blur,
    "zoom_blur": zoom_blur,
    "elastic": elastic,
    "contrast": contrast,
    "pixelate": pixelate,
    "jpeg": jpeg,
}


def _as_stack(images: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """A float64 ``(n, 28, 28)`` copy of ``images`` and their shape, after checking both."""
    array = np.asarray(images)
    shape = array.shape
    if array.ndim not in (3, 4) or shape[1:3] != (SIZE, SIZE) or shape[3:] not in ((), (1,)):
        raise ValueError(f"expected images shaped (n, 28, 28) or (n, 28, 28, 1), got {shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"expected float images in [0, 1], got dtype {array.dtype}")
    stack = array.reshape(len(array), SIZE, SIZE).astype(np.float64)
    if stack.size and (not np.isfinite(stack).all() or stack.min() < 0 or stack.max() > 1):
        raise ValueError("expected pixel values in [0, 1] (divide uint8 images by 255)")
    return stack, shape


def corrupt(images: np.ndarray, name: str, severity: int, seed: int) -> np.ndarray:
    """Apply one corruption of the suite at one severity to a batch of digits.

    Args:
        images: float images in [0, 1], ``(n, 28, 28)`` or ``(n, 28, 28, 1)``.
        name: one of :data:`CORRUPTIONS`.
        severity: 1, 2 or 3 (:data:`SEVERITIES`), milder to harsher.
        seed: seeds the one random stream of the call: the same images give the same output.

    Returns:
        float32 images of the input's shape, in [0, 1], on 256 grey levels.

    Raises:
        ValueError: for an unknown name or severity, a wrong shape or dtype, values outside [0, 1].
    """
    if name not in _CORRUPTERS:
        raise ValueError(f"unknown corruption {name!r}; the suite's are: {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    stack, shape = _as_stack(images)
    parameter = PARAMETERS[name][severity - 1]
    changed = (
        _CORRUPTERS[name](stack, parameter, np.random.default_rng(seed)) if len(stack) else stack
    )
    rounded = np.round(np.clip(changed, 0.0, 1.0) * LEVELS) / LEVELS
    return rounded.astype(np.float32).reshape(shape)


def suite(images: np.ndarray, seed: int) -> dict[tuple[str, int], np.ndarray]:
    """Every corruption at every severity, each with its own seed derived from ``seed``.

    Returns:
        ``{(name, severity): images}`` in the order of :data:`CORRUPTIONS` and
        :data:`SEVERITIES`.
    """
    _as_stack(images)  # fail before any work
    out = {}
    for index, name in enumerate(CORRUPTIONS):
        for severity in SEVERITIES:
            derived = np.random.SeedSequence([seed, index, severity]).generate_state(1)[0]
            out[(name, severity)] = corrupt(images, name, severity, int(derived))
    return out
