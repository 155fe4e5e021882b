"""Seeded, named corruptions of a batch of digits, each with a strength parameter.

Each corruption takes float images in [0, 1] shaped ``(n, 28, 28)`` or ``(n, 28, 28, 1)``
(white ink on black, as the models see them) and returns corrupted copies of the same shape
and dtype, clipped to [0, 1]; the input is never modified. Randomness (directions, noise,
occluder positions) comes from a generator seeded by the caller, so a corruption of the same
images with the same seed is the same on every run. Strength 0 (or 1 for scaling) returns
the images unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage


def _as_stack(images: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim not in (3, 4) or images.shape[1:3] != (28, 28):
        raise ValueError(f"expected (n, 28, 28) or (n, 28, 28, 1) images, got {images.shape}")
    return images.reshape(len(images), 28, 28).copy(), images.shape


def _per_image(
    images: np.ndarray, transform: Callable[[np.ndarray, int], np.ndarray]
) -> np.ndarray:
    stack, shape = _as_stack(images)
    out = np.stack([transform(image, i) for i, image in enumerate(stack)]) if len(stack) else stack
    return np.clip(out, 0.0, 1.0).astype(np.float32).reshape(shape)


def rotate(images: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """Rotate each digit by ``degrees``, clockwise or anticlockwise at random."""
    signs = rng.choice([-1.0, 1.0], size=len(images))
    return _per_image(
        images,
        lambda im, i: ndimage.rotate(im, signs[i] * degrees, reshape=False, order=1, cval=0.0),
    )


def translate(images: np.ndarray, pixels: float, rng: np.random.Generator) -> np.ndarray:
    """Shift each digit by ``pixels`` in a random direction (digits may leave the frame)."""
    angles = rng.uniform(0, 2 * np.pi, size=len(images))
    return _per_image(
        images,
        lambda im, i: ndimage.shift(
            im, (pixels * np.sin(angles[i]), pixels * np.cos(angles[i])), order=1, cval=0.0
        ),
    )


def scale(images: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Scale each digit about the centre of the frame by ``factor`` (<1 shrinks)."""
    del rng  # deterministic
    centre = np.array([13.5, 13.5])
    matrix = np.eye(2) / factor
    offset = centre - matrix @ centre
    return _per_image(
        images, lambda im, i: ndimage.affine_transform(im, matrix, offset, order=1, cval=0.0)
    )


def gaussian_noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add independent Gaussian noise of standard deviation ``sigma`` to every pixel."""
    stack, shape = _as_stack(images)
    noisy = stack + rng.normal(0.0, sigma, size=stack.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0).reshape(shape)


def blur(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma`` pixels."""
    del rng
    if sigma == 0:
        return _per_image(images, lambda im, i: im)
    return _per_image(images, lambda im, i: ndimage.gaussian_filter(im, sigma))


def thicken(images: np.ndarray, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """Thicker strokes: grey dilation with a ``(2*pixels+1)``-wide disc, ``pixels`` >= 0."""
    del rng
    return _per_image(images, lambda im, i: _morph(im, pixels, ndimage.grey_dilation))


def thin(images: np.ndarray, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """Thinner strokes: grey erosion with a ``(2*pixels+1)``-wide disc, ``pixels`` >= 0."""
    del rng
    return _per_image(images, lambda im, i: _morph(im, pixels, ndimage.grey_erosion))


def _morph(image: np.ndarray, pixels: int, operation: Callable) -> np.ndarray:
    if pixels <= 0:
        return image
    y, x = np.ogrid[-pixels : pixels + 1, -pixels : pixels + 1]
    return operation(image, footprint=(x**2 + y**2) <= pixels**2)


def occlude(images: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Black out a ``size`` x ``size`` square placed at random over the digit's central area."""
    stack, shape = _as_stack(images)
    if size > 0:
        # The square's top-left corner falls where the square stays within the 20x20 box
        # that holds MNIST's digits (rows and columns 4 to 23).
        corners = rng.integers(4, max(5, 25 - size), size=(len(stack), 2))
        for image, (top, left) in zip(stack, corners, strict=True):
            image[top : top + size, left : left + size] = 0.0
    return stack.reshape(shape)


@dataclass(frozen=True)
class Corruption:
    """A named corruption, the unit of its strength, and the strengths to measure."""

    name: str
    apply: Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
    unit: str
    strengths: tuple[float, ...]
    target: float | None = None  # the strength at which the study sets its robustness target


CORRUPTIONS: dict[str, Corruption] = {
    c.name: c
    for c in (
        Corruption("rotation", rotate, "degrees", (0, 10, 20, 30, 45), target=20),
        Corruption("translation", translate, "pixels", (0, 2, 4, 6), target=4),
        Corruption("scaling", scale, "factor", (1.0, 0.85, 0.7, 0.55), target=0.7),
        Corruption("noise", gaussian_noise, "sigma", (0, 0.1, 0.2, 0.3, 0.5), target=0.3),
        Corruption("blur", blur, "sigma (pixels)", (0, 0.5, 1.0, 1.5), target=1.0),
        Corruption("thicker strokes", thicken, "pixels", (0, 1, 2), target=1),
        Corruption("thinner strokes", thin, "pixels", (0, 1), target=1),
        Corruption("occlusion", occlude, "square side (pixels)", (0, 4, 8, 12), target=8),
    )
}


def corrupt(images: np.ndarray, name: str, strength: float, seed: int) -> np.ndarray:
    """Apply corruption ``name`` at ``strength`` with a generator seeded by ``seed``.

    Raises:
        KeyError: for an unknown corruption, naming the known ones.
    """
    if name not in CORRUPTIONS:
        raise KeyError(f"no corruption {name!r}; known: {', '.join(CORRUPTIONS)}")
    return CORRUPTIONS[name].apply(images, strength, np.random.default_rng(seed))


def accuracy_curves(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    labels: np.ndarray,
    seed: int,
    corruptions: dict[str, Corruption] | None = None,
) -> pd.DataFrame:
    """Accuracy of ``predict`` on every corruption at every strength.

    Args:
        predict: maps a batch of images ``(n, 28, 28, 1)`` to predicted labels.
        images: clean images in [0, 1].
        labels: their true labels.
        seed: the seed of every corruption (the same images get the same corruption
            for every model, so models are compared on identical inputs).
        corruptions: which to apply; all by default.

    Returns:
        Columns ``corruption``, ``strength``, ``unit``, ``accuracy``.
    """
    rows = []
    for corruption in (corruptions or CORRUPTIONS).values():
        for strength in corruption.strengths:
            corrupted = corrupt(images, corruption.name, strength, seed)
            accuracy = float((predict(corrupted) == labels).mean())
            rows.append(
                {
                    "corruption": corruption.name,
                    "strength": strength,
                    "unit": corruption.unit,
                    "accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)
