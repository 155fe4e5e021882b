"""One builder per architecture; each returns a compiled Keras Sequential model."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from mnist_pipeline import config
from mnist_pipeline._tf import keras

layers = keras.layers


def _compile(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_baseline_cnn(learning_rate: float = config.LEARNING_RATE) -> keras.Model:
    """Model 1: one convolution block and a dense head.

    Conv2D(32, 3x3, relu), MaxPooling(2x2), Flatten, Dense(128, relu), Dense(10, softmax).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="baseline_cnn",
    )
    return _compile(model, learning_rate)


def build_deeper_cnn(learning_rate: float = config.LEARNING_RATE) -> keras.Model:
    """Model 2: two convolution blocks and dropout before the output layer.

    Conv2D(32), MaxPool, Conv2D(64), MaxPool, Flatten, Dense(128), Dropout(0.5), Dense(10).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="deeper_cnn_dropout",
    )
    return _compile(model, learning_rate)


def build_batchnorm_cnn(learning_rate: float = config.LEARNING_RATE) -> keras.Model:
    """Model 3: model 2 with batch normalisation after each convolution and a wider head.

    Conv2D(32), BatchNorm, MaxPool, Conv2D(64), BatchNorm, MaxPool, Flatten,
    Dense(256), Dropout(0.5), Dense(10).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="batchnorm_cnn",
    )
    return _compile(model, learning_rate)


BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "model_1": build_baseline_cnn,
    "model_2": build_deeper_cnn,
    "model_3": build_batchnorm_cnn,
}


def summary_table(model: keras.Model) -> pd.DataFrame:
    """Describe a model layer by layer as a plain table (Keras' summary prints box characters).

    Args:
        model: a built Keras model.

    Returns:
        One row per layer: name, type, output shape, parameter count, with a total row.
    """
    rows = [
        {
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(layer.output.shape)),
            "parameters": layer.count_params(),
        }
        for layer in model.layers
    ]
    total = {"layer": "total", "type": "", "output shape": "", "parameters": model.count_params()}
    return pd.DataFrame([*rows, total])
