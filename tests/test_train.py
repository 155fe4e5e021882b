"""Seeding makes training repeatable; a short fit lowers the loss."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mnist_pipeline.data import prepare
from mnist_pipeline.models import augment, specs
from mnist_pipeline.seeding import set_seed
from mnist_pipeline.study import train


def tiny_training_set(n: int = 64):
    rng = np.random.default_rng(1)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
    for i, digit in enumerate(labels):  # a learnable pattern: a bright bar whose row is the digit
        images[i, 2 + 2 * digit : 4 + 2 * digit, 4:24] = 255
    return prepare.normalize(images), prepare.one_hot(labels)


def train_once(seed: int, epochs: int = 2) -> tuple[list[np.ndarray], train.TrainingResult]:
    x, y = tiny_training_set()
    set_seed(seed)
    model = specs.get("model_1").build()
    result = train.fit(model, x, y, x, y, epochs=epochs, batch_size=16, verbose=0)
    return model.get_weights(), result


def test_same_seed_gives_identical_weights():
    first, _ = train_once(seed=123)
    second, _ = train_once(seed=123)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_other_seed_gives_other_weights():
    first, _ = train_once(seed=123)
    other, _ = train_once(seed=124)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_fit_records_finite_falling_loss_and_time():
    _, result = train_once(seed=5, epochs=4)
    assert result.epochs == 4
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert np.all(np.isfinite(result.history["loss"]))
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.seconds > 0
    assert result.final("loss") == result.history["loss"][-1]


def test_set_seed_works_without_importing_tensorflow():
    code = (
        "import sys, random, numpy as np\n"
        "from mnist_pipeline.seeding import set_seed\n"
        "set_seed(7); a = (random.random(), np.random.rand())\n"
        "set_seed(7); b = (random.random(), np.random.rand())\n"
        "assert a == b, (a, b)\n"
        "assert 'tensorflow' not in sys.modules, 'set_seed imported TensorFlow'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _bn_net():
    from mnist_pipeline._tf import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1)),
            augment.RandomNoise(max_sigma=0.5, rate=1.0, seed=0),  # training-only: must be off
            layers.Conv2D(3, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.Dropout(0.5),  # training-only: must be off
            layers.Flatten(),
            layers.Dense(4),
            layers.BatchNormalization(),
            layers.Dense(2),
        ]
    )


def test_batchnorm_recalibration_uses_clean_population_statistics_layer_after_layer():
    net = _bn_net()
    images = np.random.default_rng(0).random((250, 6, 6, 1), dtype=np.float32)
    kernel = [w.copy() for w in net.get_weights()]
    assert train.recalibrate_batchnorm(net, images, batch_size=64) == 2
    conv_bn, dense_bn = net.layers[2], net.layers[6]
    features = np.asarray(net.layers[1](images), dtype=np.float64)  # conv of clean images
    np.testing.assert_allclose(conv_bn.moving_mean, features.mean(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(conv_bn.moving_variance, features.var(axis=(0, 1, 2)), rtol=1e-3)
    hidden = images
    for layer in net.layers[:6]:  # through the first, recalibrated, batch norm
        hidden = layer(hidden, training=False)
    hidden = np.asarray(hidden, dtype=np.float64)
    np.testing.assert_allclose(dense_bn.moving_mean, hidden.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dense_bn.moving_variance, hidden.var(axis=0), rtol=1e-3)
    changed = [not np.array_equal(a, b) for a, b in zip(kernel, net.get_weights(), strict=True)]
    names = [w.path for w in net.weights]
    assert all("moving" in n for n, c in zip(names, changed, strict=True) if c)  # weights kept


def test_batchnorm_recalibration_refuses_what_it_cannot_do():
    from mnist_pipeline._tf import keras

    inputs = keras.Input(shape=(4,))
    functional = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    with pytest.raises(TypeError, match="Sequential"):
        train.recalibrate_batchnorm(functional, np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="at least one image"):
        train.recalibrate_batchnorm(_bn_net(), np.zeros((0, 6, 6, 1), np.float32))
    plain = specs.get("model_2").build()
    assert train.recalibrate_batchnorm(plain, np.zeros((2, 28, 28, 1), np.float32)) == 0
