"""Facts about the images for the exploratory chapter: ink at the border, intensity shares."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mnist_pipeline.data import prepare


def ink_on_border(images: np.ndarray, width: int = 1) -> int:
    """How many images have any non-zero pixel in their outer ``width`` rows or columns.

    Args:
        images: ``(n, 28, 28)`` uint8 images.
        width: the border's width in pixels.
    """
    images = np.asarray(images)
    mask = np.ones(images.shape[1:], dtype=bool)
    mask[width:-width, width:-width] = False
    return int((images[:, mask] > 0).any(axis=1).sum())


def intensity_shares(images: np.ndarray) -> dict[str, float]:
    """The share of pixels that are background (0), grey edge (1-127) and ink (128-255)."""
    images = np.asarray(images)
    return {
        "background": float((images == 0).mean()),
        "edge": float(((images > 0) & (images < 128)).mean()),
        "ink": float((images >= 128).mean()),
    }


def class_shares(labels: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Each digit's share of each named split (fractions; columns are splits).

    The exploratory chapter's spelling of :func:`mnist_pipeline.data.prepare.class_balance`,
    which does the counting.

    Args:
        labels: split name to its labels.

    Returns:
        One row per digit, one column of fractions per split.
    """
    return prepare.class_balance(shares=True, **labels)
