"""Facts the exploratory chapter states: border ink, intensity shares, each digit's share."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline.data import explore, prepare


def test_ink_on_border_counts_images_with_ink_in_the_frame():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[0, 0, 5] = 255  # on the outermost row
    images[1, 3, 14] = 9  # four pixels in: inside a 1-pixel frame, on a 4-pixel one
    assert explore.ink_on_border(images) == 1
    assert explore.ink_on_border(images, width=4) == 2


def test_intensity_shares_split_pixels_into_background_edge_and_ink():
    images = np.array([[[0, 0], [100, 200]]], dtype=np.uint8)
    assert explore.intensity_shares(images) == {"background": 0.5, "edge": 0.25, "ink": 0.25}


def test_class_shares_are_the_class_counts_as_fractions():
    labels = {"train": np.array([0, 1, 1, 9]), "test": np.array([2, 2])}
    shares = explore.class_shares(labels)
    counts = prepare.class_balance(**labels)
    np.testing.assert_allclose(shares.to_numpy(), counts.to_numpy() / [4, 2])
    assert list(shares.columns) == ["train", "test"] and shares.index.name == "digit"
    assert shares.loc[1, "train"] == pytest.approx(0.5)
