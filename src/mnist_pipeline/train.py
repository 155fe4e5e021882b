"""Quiet, timed training that returns the Keras history and the time it took."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mnist_pipeline import config
from mnist_pipeline._tf import keras
from mnist_pipeline.seeding import set_seed

__all__ = ["TrainingResult", "fit", "set_seed"]


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
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=verbose,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    return TrainingResult(
        history={k: [float(v) for v in vs] for k, vs in history.history.items()}, seconds=seconds
    )
