"""Model 4's training-only augmentation: each layer's effect, and its removal for inference."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from mnist_pipeline import config
from mnist_pipeline.models import augment, specs


def test_stroke_width_layer_thickens_thins_or_keeps_each_image():
    layer = augment.RandomStrokeWidth(rate=0.5, seed=0)
    images = np.zeros((64, 28, 28, 1), dtype=np.float32)
    images[:, 10:18, 13:15] = 1.0  # a 2-pixel bar: 16 pixels of ink
    out = np.asarray(layer(images, training=True))
    ink = out.reshape(64, -1).sum(axis=1)
    assert set(np.round(ink).astype(int)) <= {0, 16, 40}  # thinned away, kept, or thickened
    assert len(set(np.round(ink).astype(int))) >= 2
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_noise_layer_clips_to_the_unit_range_and_spares_inference():
    layer = augment.RandomNoise(max_sigma=0.5, rate=1.0, seed=0)
    images = np.full((8, 28, 28, 1), 0.5, dtype=np.float32)
    out = np.asarray(layer(images, training=True))
    assert out.min() >= 0.0 and out.max() <= 1.0 and not np.allclose(out, images)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_the_inference_model_drops_augmentation_and_loads_without_the_package(tmp_path):
    model = specs.get("model_4").build(n_train=1000)
    inference = augment.for_inference(model)
    x = np.random.default_rng(0).random((3, *config.INPUT_SHAPE), dtype=np.float32)
    np.testing.assert_allclose(inference(x), model(x, training=False), rtol=1e-6)
    assert inference.count_params() == model.count_params()
    assert "augmentation" not in [layer.name for layer in inference.layers]
    inference.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        saved = json.loads(archive.read("config.json"))
    assert "mnist_pipeline" not in json.dumps(saved)  # only Keras' own layers: loads anywhere
    plain = specs.get("model_2").build(n_train=1000)
    assert augment.for_inference(plain) is plain


def _digitlike(n: int = 32) -> np.ndarray:
    images = np.zeros((n, 28, 28, 1), dtype=np.float32)
    images[:, 6:22, 12:16] = 1.0  # a bar in the middle, black around it
    return images


def test_affine_layer_moves_the_ink_and_keeps_it_in_frame():
    layer = augment.RandomAffine(seed=0)
    images = _digitlike()
    out = np.asarray(layer(images, training=True))
    assert out.shape == images.shape and out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
    moved = np.abs(out - images).reshape(len(images), -1).sum(axis=1)
    assert (moved > 1.0).mean() > 0.9  # almost every image changed
    ink = out.reshape(len(images), -1).sum(axis=1)
    # zoom runs 0.9 to 1.3 (out): the ink's area scales by 1/scale^2, give or take resampling
    assert ((ink > 64 / 1.3**2 * 0.8) & (ink < 64 / 0.9**2 * 1.2)).all()
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_affine_layer_with_no_range_is_the_identity():
    layer = augment.RandomAffine(degrees=0.0, zoom=(1.0, 1.0), shift=0.0, seed=0)
    images = _digitlike(4)
    np.testing.assert_allclose(np.asarray(layer(images, training=True)), images, atol=1e-5)


def test_illumination_lowers_contrast_over_a_grey_background():
    layer = augment.RandomIllumination(rate=1.0, seed=0)
    images = _digitlike()
    out = np.asarray(layer(images, training=True))
    assert out.min() >= 0.0 and out.max() <= 1.0
    background = out[:, :4, :4].mean(axis=(1, 2, 3))
    assert (background > 0.01).mean() > 0.8  # the page is no longer black
    ink = out[:, 10:18, 13:15].mean(axis=(1, 2, 3))
    assert (ink >= background).all()  # ink stays brighter than the page around it
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_blur_spreads_ink_to_the_neighbours_of_chosen_images_only():
    layer = augment.RandomBlur(rate=0.5, seed=0)
    images = _digitlike(64)
    out = np.asarray(layer(images, training=True))
    spread = out[:, 6:22, 11, 0].mean(axis=1) > 0  # the column beside the bar
    assert 0.2 < spread.mean() < 0.8
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2, 3)), rtol=1e-4)


def test_erasing_paints_one_rectangle_of_one_value():
    layer = augment.RandomErasing(rate=1.0, seed=0)
    images = np.full((32, 28, 28, 1), 0.5, dtype=np.float32)
    out = np.asarray(layer(images, training=True))
    changed = out != images
    for image, mask in zip(out, changed, strict=True):
        if not mask.any():
            continue  # painted 0.5 over 0.5
        rows, cols = np.flatnonzero(mask.any(axis=(1, 2))), np.flatnonzero(mask.any(axis=(0, 2)))
        assert mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
        assert len(np.unique(image[mask])) == 1
        assert 0.03 * 784 <= mask.sum() <= 0.27 * 784
    assert changed.any(axis=(1, 2, 3)).mean() > 0.9


def test_policies_chain_their_layers_and_refuse_unknown_names():
    for policy, chain in augment.POLICIES.items():
        if chain:
            assert len(augment.augmentation(policy).layers) == len(chain)
    with pytest.raises(ValueError, match="unknown augmentation policy"):
        augment.augmentation("none")
    with pytest.raises(ValueError, match="unknown augmentation policy"):
        augment.augmentation("everything")


def test_new_layers_round_trip_through_their_config():
    for layer in (
        augment.RandomAffine(10.0, (1.0, 1.2), 0.1, seed=3),
        augment.RandomIllumination(0.3, (0.5, 1.0), 0.5, 3, seed=3),
        augment.RandomBlur(0.2, seed=3),
        augment.RandomErasing(0.4, (0.1, 0.2), seed=3),
    ):
        again = type(layer).from_config(layer.get_config())
        assert again.get_config() == layer.get_config()


def test_each_run_seed_draws_its_own_augmentations_and_a_rerun_the_same():
    from mnist_pipeline.seeding import set_seed

    def seeds(run_seed):
        set_seed(run_seed)
        return [layer.seed for layer in augment.augmentation("photometric").layers]

    first = seeds(42)
    assert seeds(42) == first  # a rerun with the same seed draws the same augmentations
    assert seeds(43) != first  # another seed, other ones: the spread covers the augmentation
    assert len(set(first)) == len(first)  # no two layers share a stream
