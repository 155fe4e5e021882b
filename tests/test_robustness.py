"""Corruptions: shapes, ranges, identity at strength 0, determinism, and the effect each names."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mnist_pipeline.corruptions import target


@pytest.fixture
def digits() -> np.ndarray:
    """Four synthetic 'digits': a bar and a ring, in the 20x20 centre box, (n, 28, 28, 1)."""
    images = np.zeros((4, 28, 28, 1), dtype=np.float32)
    images[:, 6:22, 12:16] = 1.0  # a vertical bar
    yy, xx = np.ogrid[:28, :28]
    ring = np.abs(np.hypot(yy - 13.5, xx - 13.5) - 6) < 1.5
    images[2:, ..., 0][:, ring] = 0.8
    return images


@pytest.mark.parametrize("name", list(target.CORRUPTIONS))
def test_every_corruption_keeps_shape_dtype_range_and_input(name, digits):
    before = digits.copy()
    for strength in target.CORRUPTIONS[name].strengths:
        out = target.corrupt(digits, name, strength, seed=1)
        assert out.shape == digits.shape and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(digits, before)


@pytest.mark.parametrize("name", list(target.CORRUPTIONS))
def test_the_weakest_strength_is_the_identity(name, digits):
    weakest = target.CORRUPTIONS[name].strengths[0]
    out = target.corrupt(digits, name, weakest, seed=1)
    np.testing.assert_allclose(out, digits, atol=1e-6)


@pytest.mark.parametrize("name", list(target.CORRUPTIONS))
def test_same_seed_same_corruption(name, digits):
    strength = target.CORRUPTIONS[name].strengths[-1]
    first = target.corrupt(digits, name, strength, seed=3)
    np.testing.assert_array_equal(first, target.corrupt(digits, name, strength, seed=3))
    assert not np.allclose(first, digits)


def test_translation_moves_the_centre_of_mass_by_the_distance(digits):
    out = target.corrupt(digits[:1], "translation", 4, seed=0)
    moved = np.subtract(
        ndimage.center_of_mass(out[0, ..., 0]), ndimage.center_of_mass(digits[0, ..., 0])
    )
    assert np.hypot(*moved) == pytest.approx(4, abs=0.3)


def test_scaling_shrinks_the_ink_and_strokes_change_thickness(digits):
    ink = digits.sum()
    assert target.corrupt(digits, "scaling", 0.7, seed=0).sum() < 0.6 * ink
    assert target.corrupt(digits, "thicker strokes", 1, seed=0).sum() > 1.3 * ink
    assert target.corrupt(digits, "thinner strokes", 1, seed=0).sum() < 0.7 * ink


def test_rotation_by_90_degrees_lays_the_bar_down(digits):
    out = target.corrupt(digits[:1], "rotation", 90, seed=0)[0, ..., 0]
    rows, cols = np.nonzero(out > 0.5)
    assert np.ptp(cols) > np.ptp(rows)


def test_noise_has_the_requested_standard_deviation():
    grey = np.full((50, 28, 28), 0.5, dtype=np.float32)
    out = target.corrupt(grey, "noise", 0.1, seed=0)
    assert float((out - grey).std()) == pytest.approx(0.1, rel=0.05)


def test_occlusion_blacks_out_a_square_of_the_given_side():
    white = np.ones((3, 28, 28), dtype=np.float32)
    out = target.corrupt(white, "occlusion", 8, seed=0)
    assert [(image == 0).sum() for image in out] == [64, 64, 64]


def test_unknown_corruption_and_bad_shape():
    with pytest.raises(KeyError, match="known: rotation"):
        target.corrupt(np.zeros((1, 28, 28)), "melting", 1, seed=0)
    with pytest.raises(ValueError, match="28, 28"):
        target.corrupt(np.zeros((1, 32, 32)), "blur", 1, seed=0)


def test_accuracy_curves_score_every_strength(digits):
    labels = np.array([1, 1, 0, 0])
    perfect = target.accuracy_curves(lambda x: labels, digits, labels, seed=0)
    expected = sum(len(c.strengths) for c in target.CORRUPTIONS.values())
    assert len(perfect) == expected and (perfect["accuracy"] == 1.0).all()
    assert set(perfect.columns) == {"corruption", "strength", "unit", "accuracy"}
    half = target.accuracy_curves(lambda x: np.ones(len(x)), digits, labels, seed=0)
    assert (half["accuracy"] == 0.5).all()
