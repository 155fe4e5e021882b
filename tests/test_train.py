"""Seeding makes training repeatable; a short fit lowers the loss."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from mnist_pipeline import prepare, specs, train
from mnist_pipeline.seeding import set_seed


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
