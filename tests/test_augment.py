"""Model 4's training-only augmentation: each layer's effect, and its removal for inference."""

from __future__ import annotations

import json
import zipfile

import numpy as np

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
