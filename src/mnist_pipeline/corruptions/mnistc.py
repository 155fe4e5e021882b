"""MNIST-C's 15 corruptions (Mu and Gilmer, 2019), rebuilt with NumPy, SciPy and scikit-image.

MNIST-C (arXiv:1906.02337) is the standard held-out robustness benchmark for MNIST. Its files
cannot be downloaded here, so this module regenerates its 15 corruptions at the severities the
benchmark fixed: the default severities of the ``corruptions.py`` in google-research/mnist-c,
which produced the published files. The parameters follow that script; the code is our own and
vectorised over the batch. The corruptions live in :mod:`mnist_pipeline.corruptions.mnistc_ops` (noise, blur,
geometry, brightness, stripe) and :mod:`mnist_pipeline.corruptions.mnistc_overlays` (fog, spatter, lines, Canny
edges); this module names, seeds, checks and rounds them, and re-exports them.

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

# The corruptions live in mnistc_ops and mnistc_overlays; they stay importable from here.
from mnist_pipeline.corruptions.mnistc_ops import (
    CENTRE,  # noqa: F401 (re-exported)
    LEVELS,
    SIZE,
    brightness,
    glass_blur,
    impulse_noise,
    motion_blur,
    rotate,
    scale,
    shear,
    shot_noise,
    stripe,
    translate,
)
from mnist_pipeline.corruptions.mnistc_overlays import (
    canny_edges,
    dotted_line,
    fog,
    plasma_fractal,  # noqa: F401 (re-exported)
    spatter,
    zigzag,
)

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
