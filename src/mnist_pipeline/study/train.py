"""Training: a quiet, timed fit that returns the Keras history, and the batch-norm repair after it.

:func:`fit` trains and times a compiled model; :func:`recalibrate_batchnorm` re-estimates the
batch-norm statistics on clean images after a model trained on augmented ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_pipeline import adapters, config
from mnist_pipeline._tf import keras
from mnist_pipeline.seeding import set_seed

__all__ = ["TrainingResult", "fit", "recalibrate_batchnorm", "set_seed"]
layers = keras.layers


@dataclass
class TrainingResult:
    """What a training run leaves behind: per-epoch metrics and wall time."""

    history: dict[str, list[float]]
    seconds: float

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    def final(self, metric: str) -> float:
        """The value of ``metric`` after the last epoch."""
        return float(self.history[metric][-1])


def fit(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    epochs: int,
    batch_size: int = config.BATCH_SIZE,
    verbose: int = 2,
    callbacks: list | None = None,
) -> TrainingResult:
    """Train ``model`` and time it; one log line per epoch (``verbose=2``), no progress bar.

    Args:
        model: a compiled model.
        x_train, y_train: training images and one-hot labels.
        x_val, y_val: validation images and one-hot labels.
        epochs: number of passes over the training set.
        batch_size: examples per gradient step.
        verbose: Keras verbosity; 2 prints one line per epoch, 0 nothing.
        callbacks: Keras callbacks, called at the end of each epoch and so on.

    Returns:
        The per-epoch history and the wall time in seconds.
    """
    history, seconds = adapters.KERAS.fit_arrays(
        model,
        x_train,
        y_train,
        x_val,
        y_val,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=callbacks,
    )
    return TrainingResult(history=history, seconds=seconds)


def recalibrate_batchnorm(model: keras.Model, images: np.ndarray, batch_size: int = 1_000) -> int:
    """Re-estimate every batch-normalisation layer's statistics on clean images, in place.

    During training a batch-norm layer keeps running averages of the mean and variance of
    what it sees, and a model that trains on augmented images (for the chosen design
    rotated, shifted, re-stroked, blurred, dimmed and noisy digits) averages statistics of
    those, not of the clean digits it will be asked about. This replaces them, layer after layer from the input, by the exact mean and
    (biased, as in training) variance over ``images`` passed through the layers before it in
    inference mode, so augmentation and dropout are off. The weights do not change.

    Args:
        model: a trained ``keras.Sequential``.
        images: clean inputs, shaped like the model's input.
        batch_size: images per forward pass (memory, not the result).

    Returns:
        How many batch-normalisation layers were recalibrated.

    Raises:
        TypeError: for a model that is not ``Sequential`` (the layers must run in order).
        ValueError: for an empty set of images, or a batch norm that is not channels-last.
    """
    if not isinstance(model, keras.Sequential):
        raise TypeError(
            f"recalibrate_batchnorm needs a Sequential model, not {type(model).__name__}"
        )
    if len(images) == 0:
        raise ValueError("recalibrate_batchnorm needs at least one image")
    count = 0
    for index, layer in enumerate(model.layers):
        if not isinstance(layer, layers.BatchNormalization):
            continue
        before = model.layers[:index]
        total = np.zeros(layer.moving_mean.shape, dtype=np.float64)
        squares = np.zeros_like(total)
        n = 0
        for start in range(0, len(images), batch_size):
            x = images[start : start + batch_size]
            for earlier in before:
                x = earlier(x, training=False)
            x = np.asarray(x, dtype=np.float64)
            if layer.axis not in (-1, x.ndim - 1):
                raise ValueError(f"{layer.name}: only channels-last batch norm is supported")
            x = x.reshape(-1, x.shape[-1])
            total += x.sum(axis=0)
            squares += (x * x).sum(axis=0)
            n += len(x)
        mean = total / n
        layer.moving_mean.assign(mean.astype("float32"))
        layer.moving_variance.assign(np.maximum(squares / n - mean**2, 0.0).astype("float32"))
        count += 1
    return count
