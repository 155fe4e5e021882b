"""MNIST-C's corruptions keep shapes, ranges and seeds, and each does what the benchmark says."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import feature

from mnist_pipeline.corruptions import mnistc, mnistc_overlays

RANDOM = {
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "rotate",
    "translate",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
}
DETERMINISTIC = set(mnistc.CORRUPTIONS) - RANDOM


def _blank(n: int = 1) -> np.ndarray:
    return np.zeros((n, 28, 28), dtype=np.float32)


def _bar(n: int = 1, vertical: bool = True) -> np.ndarray:
    """A 2-px wide, 14-px long white bar through the centre: a stand-in for a '1'."""
    images = _blank(n)
    if vertical:
        images[:, 7:21, 13:15] = 1.0
    else:
        images[:, 13:15, 7:21] = 1.0
    return images


def _digits(n: int = 16) -> np.ndarray:
    """Hand-made digits on the 256 grey levels: bars, rings and crosses of varying ink."""
    rng = np.random.default_rng(7)
    images = _blank(n)
    for i in range(n):
        ink = rng.integers(128, 256) / 255
        top, left = rng.integers(4, 9, size=2)
        if i % 3 == 0:
            images[i, top : top + 16, left + 6 : left + 9] = ink
        elif i % 3 == 1:
            images[i, top : top + 14, left : left + 14] = ink
            images[i, top + 3 : top + 11, left + 3 : left + 11] = 0.0
        else:
            images[i, top + 6 : top + 9, left : left + 16] = ink
            images[i, top : top + 16, left + 6 : left + 9] = ink
    return images


def _centre_of_mass(image: np.ndarray) -> np.ndarray:
    return np.array(ndimage.center_of_mass(image))


def _orientation(image: np.ndarray) -> float:
    """Angle of the ink's main axis from the vertical, in radians (second moments)."""
    rows, cols = np.nonzero(image > 0.3)
    weights = image[rows, cols]
    r, c = rows - np.average(rows, weights=weights), cols - np.average(cols, weights=weights)
    cov = np.cov(np.stack([r, c]), aweights=weights)
    values, vectors = np.linalg.eigh(cov)
    dr, dc = vectors[:, np.argmax(values)]
    return float(np.arctan(dc / dr))


# --------------------------------------------------------------------------- the API


def test_the_fifteen_corruptions_in_the_papers_order():
    assert mnistc.CORRUPTIONS == (
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


@pytest.mark.parametrize("name", mnistc.CORRUPTIONS)
@pytest.mark.parametrize("shape", [(6, 28, 28), (6, 28, 28, 1)])
def test_shape_dtype_range_and_grey_levels_are_kept(name, shape):
    images = _digits(6).reshape(shape)
    before = images.copy()
    out = mnistc.corrupt(images, name, seed=0)
    assert out.shape == shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.allclose(out * 255, np.round(out * 255), atol=1e-4), "uint8 levels, as the files"
    assert np.array_equal(images, before), "the input is never modified"


@pytest.mark.parametrize("name", mnistc.CORRUPTIONS)
def test_same_seed_same_images(name):
    images = _digits()
    assert np.array_equal(mnistc.corrupt(images, name, 3), mnistc.corrupt(images, name, 3))


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_another_seed_other_images(name):
    images = _digits()
    assert not np.array_equal(mnistc.corrupt(images, name, 3), mnistc.corrupt(images, name, 4))


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_corruptions_ignore_the_seed(name):
    images = _digits()
    assert np.array_equal(mnistc.corrupt(images, name, 3), mnistc.corrupt(images, name, 4))


@pytest.mark.parametrize("name", mnistc.CORRUPTIONS)
def test_every_corruption_changes_a_digit(name):
    images = _digits()
    assert not np.allclose(mnistc.corrupt(images, name, 0), images)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown corruption 'snow'.*shot_noise.*canny_edges"):
        mnistc.corrupt(_digits(2), "snow", 0)


@pytest.mark.parametrize("shape", [(2, 28, 27), (2, 28, 28, 3), (28, 28), (2, 784)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        mnistc.corrupt(np.zeros(shape), "stripe", 0)


@pytest.mark.parametrize("bad", [255.0, -0.1, np.nan])
def test_values_outside_unit_range_are_refused(bad):
    images = _digits(2)
    images[0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mnistc.corrupt(images, "brightness", 0)


def test_an_empty_batch_stays_empty():
    assert mnistc.corrupt(np.zeros((0, 28, 28, 1)), "fog", 0).shape == (0, 28, 28, 1)


def test_corrupt_all_uses_one_derived_seed_per_corruption():
    images = _digits(4)
    everything = mnistc.corrupt_all(images, seed=5)
    assert tuple(everything) == mnistc.CORRUPTIONS
    for name, out in everything.items():
        assert np.array_equal(out, mnistc.corrupt(images, name, mnistc.corruption_seed(5, name)))
    seeds = [mnistc.corruption_seed(5, name) for name in mnistc.CORRUPTIONS]
    assert len(set(seeds)) == 15
    assert seeds != [mnistc.corruption_seed(6, name) for name in mnistc.CORRUPTIONS]


# --------------------------------------------------------------------------- noise


def test_shot_noise_keeps_the_mean_on_thirds():
    grey = np.full((40, 28, 28), 0.2, dtype=np.float32)
    out = mnistc.corrupt(grey, "shot_noise", 0)
    assert abs(out.mean() - 0.2) < 0.01  # Poisson(3 x) / 3 is unbiased below the clip
    assert np.allclose(np.unique(out), [0, 85 / 255, 170 / 255, 1][: len(np.unique(out))])
    assert 0.2 < out.std() < 0.3  # sqrt(0.2 / 3) = 0.26


def test_impulse_noise_flips_seventeen_percent_half_salt_half_pepper():
    grey = np.full((40, 28, 28), 128 / 255, dtype=np.float32)
    out = mnistc.corrupt(grey, "impulse_noise", 0)
    changed = out != grey
    assert abs(changed.mean() - 0.17) < 0.01
    assert set(np.unique(out[changed])) == {0.0, 1.0}
    assert abs((out[changed] == 1.0).mean() - 0.5) < 0.03


# --------------------------------------------------------------------------- blur


def test_glass_blur_leaves_a_flat_image_flat_and_keeps_the_ink():
    grey = np.full((3, 28, 28), 0.5, dtype=np.float32)
    assert np.allclose(mnistc.corrupt(grey, "glass_blur", 0), 127 / 255)  # uint8 truncation
    bars = _bar(8)
    out = mnistc.corrupt(bars, "glass_blur", 0)
    assert abs(out.sum() / bars.sum() - 1) < 0.05


def test_glass_blur_blurs_along_columns_only_as_the_benchmark_did():
    """gaussian(..., multichannel=True) on a 2-D image took its last axis for channels."""
    across = mnistc.corrupt(_bar(8, vertical=False), "glass_blur", 0)
    along = mnistc.corrupt(_bar(8, vertical=True), "glass_blur", 0)
    assert across.max() < 0.9  # a horizontal stroke is spread over rows
    assert along.max() == 1.0  # a vertical stroke keeps full ink where no swap reached it


def test_motion_blur_smears_a_dot_to_one_side_and_keeps_its_mass():
    dots = _blank(12)
    dots[:, 14, 14] = 1.0
    out = mnistc.corrupt(dots, "motion_blur", 0)
    assert np.allclose(out.sum(axis=(1, 2)), 1.0, atol=0.05)
    assert out.max() < 0.5
    assert out[:, :, 15:].sum() == 0  # angle within ±45°: the streak trails to the left
    streak_cols = (out > 0).any(axis=1).sum(axis=1)
    assert (streak_cols >= 5).all()


# --------------------------------------------------------------------------- geometry


def test_translate_moves_the_centre_of_mass_three_pixels_on_each_axis():
    images = _digits(12)
    out = mnistc.corrupt(images, "translate", 0)
    moves = np.array(
        [_centre_of_mass(o) - _centre_of_mass(i) for i, o in zip(images, out, strict=True)]
    )
    assert np.allclose(np.abs(moves), 3.0, atol=1e-6)
    assert len({tuple(np.sign(m)) for m in moves}) > 1  # random signs


def test_rotate_turns_a_bar_by_0_4_radians_either_way_and_keeps_its_mass():
    bars = _bar(12)
    out = mnistc.corrupt(bars, "rotate", 0)
    angles = np.array([_orientation(o) for o in out])
    assert np.allclose(np.abs(angles), 0.4, atol=0.05)
    assert {np.sign(a) for a in angles} == {-1.0, 1.0}
    assert np.allclose(out.sum(axis=(1, 2)), bars.sum(axis=(1, 2)), rtol=0.05)
    assert np.allclose([_centre_of_mass(o) for o in out], 13.5, atol=0.3)


def test_shear_slants_a_vertical_bar_by_sin_0_4():
    out = mnistc.corrupt(_bar(12), "shear", 0)
    slopes = np.array([np.tan(_orientation(o)) for o in out])  # columns per row
    assert np.allclose(np.abs(slopes), np.sin(0.4), atol=0.05)
    assert {np.sign(s) for s in slopes} == {-1.0, 1.0}


def test_scale_shrinks_the_bounding_box_to_seven_tenths_about_the_centre():
    square = _blank()
    square[0, 4:24, 4:24] = 1.0  # 20 px wide, centred on 13.5
    out = mnistc.corrupt(square, "scale", 0)[0]
    rows, cols = np.nonzero(out > 0.5)
    assert rows.max() - rows.min() + 1 == pytest.approx(14, abs=1)
    assert cols.max() - cols.min() + 1 == pytest.approx(14, abs=1)
    assert np.allclose(_centre_of_mass(out), 13.5, atol=0.1)


# --------------------------------------------------------------------------- photometric


def test_brightness_lifts_the_background_to_one_half():
    images = _blank()
    images[0, 10, 10:13] = [0.2, 0.6, 1.0]
    out = mnistc.corrupt(images, "brightness", 0)[0]
    assert out[0, 0] == pytest.approx(0.5, abs=1 / 255)
    assert out[10, 10:13] == pytest.approx([0.7, 1.0, 1.0], abs=1 / 255)


def test_stripe_inverts_exactly_the_seven_outer_columns_on_each_side():
    images = _digits(4)
    out = mnistc.corrupt(images, "stripe", 0)
    outer = np.r_[0:7, 21:28]
    assert np.allclose(out[:, :, outer], 1.0 - images[:, :, outer], atol=1e-6)
    assert np.array_equal(out[:, :, 7:21], images[:, :, 7:21])
    changed = (mnistc.corrupt(_blank(), "stripe", 0)[0] == 1.0).all(axis=0)
    assert changed.sum() == 14


def test_fog_adds_a_smooth_haze_scaled_by_the_images_maximum():
    images = _digits(4)
    images /= images.max(axis=(1, 2), keepdims=True)  # maximum 1: out = (x + 3 haze) / 4
    out = mnistc.corrupt(images, "fog", 0)
    haze = (4 * out - images) / 3
    assert haze.min() > -0.01 and haze.max() < 1.01
    assert (haze.std(axis=(1, 2)) > 0.02).all()
    neighbours = np.abs(np.diff(haze, axis=2)).mean()
    assert neighbours < haze.std(), "a fractal haze varies smoothly, unlike pixel noise"
    assert np.array_equal(mnistc.corrupt(_blank(), "fog", 0), _blank())  # max 0 scales to 0


def test_plasma_fractal_spans_zero_to_one():
    maps = mnistc.plasma_fractal(np.random.default_rng(0), count=3, mapsize=32)
    assert maps.shape == (3, 32, 32)
    assert np.allclose(maps.min(axis=(1, 2)), 0) and np.allclose(maps.max(axis=(1, 2)), 1)


def test_spatter_paints_mud_grey_blobs():
    white = np.ones((8, 28, 28), dtype=np.float32)
    out = mnistc.corrupt(white, "spatter", 0)
    assert out.min() >= 63 / 255 - 1e-6 and (out < 1).any()
    black = mnistc.corrupt(_blank(8), "spatter", 0)
    assert black.max() <= 63 / 255 + 1e-6 and (black > 0).any()


# --------------------------------------------------------------------------- lines and edges


def test_dotted_line_draws_dashes_in_every_other_pair_of_columns():
    out = mnistc.corrupt(_blank(10), "dotted_line", 0)
    drawn = np.flatnonzero((out > 0).any(axis=(0, 1)))
    assert set(drawn) <= {c for c in range(27) if (c // 2) % 2 == 1}
    per_image = (out > 0).any(axis=1).sum(axis=1)
    assert (per_image >= 10).all()  # a line across the image, not a dot
    rows_per_column = (out > 0).sum(axis=1)
    assert rows_per_column.max() <= 6  # thin: about 3 px measured vertically


def test_zigzag_runs_between_columns_2_and_25_and_zigzags():
    out = mnistc.corrupt(_blank(10), "zigzag", 0)
    drawn = np.flatnonzero((out > 0).any(axis=(0, 1)))
    assert drawn.min() >= 2 and drawn.max() <= 25
    for image in out:
        cols = np.flatnonzero((image > 0).any(axis=0))
        assert len(cols) >= 20
        centre_rows = [np.average(np.arange(28), weights=image[:, c]) for c in cols]
        assert np.ptp(np.diff(centre_rows)) > 1.0  # the slope flips: teeth, not a line


def test_canny_replaces_a_square_by_its_outline():
    square = _blank()
    square[0, 8:20, 8:20] = 1.0
    out = mnistc.corrupt(square, "canny_edges", 0)[0]
    assert set(np.unique(out)) == {0.0, 1.0}
    assert out[12:16, 12:16].sum() == 0 and out[0:5].sum() == 0
    assert out[7:21, 7:21].sum() >= 40  # a closed outline about 4 x 12 px long


def test_batched_canny_equals_scikit_image_image_by_image():
    images = np.random.default_rng(2).random((30, 28, 28)) * (np.arange(28) > 5)
    images = np.concatenate([images, _digits(10).astype(np.float64)])
    batched = mnistc_overlays._canny_stack(images)
    one_by_one = np.stack([feature.canny(image) for image in images])
    assert np.array_equal(batched, one_by_one)


def test_plasma_corner_is_the_top_left_of_the_whole_map():
    whole = mnistc.plasma_fractal(np.random.default_rng(3), count=2, mapsize=64)
    corner = mnistc.plasma_fractal(np.random.default_rng(3), count=2, mapsize=64, corner=28)
    assert np.array_equal(corner, whole[:, :28, :28])
