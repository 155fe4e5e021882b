"""One builder per architecture, written out as a Keras ``Sequential`` list to be read.

A builder returns the uncompiled network; :func:`compile_model` adds the optimiser, loss and
metric with the learning rate of the model's spec (:mod:`mnist_pipeline.specs`), so the
training protocol lives in one place.
"""

from __future__ import annotations

import pandas as pd

from mnist_pipeline import config
from mnist_pipeline._tf import keras

layers = keras.layers


def compile_model(model: keras.Model, learning_rate: float = config.LEARNING_RATE) -> keras.Model:
    """Compile ``model`` for the study's protocol: Adam, categorical cross-entropy, accuracy.

    Args:
        model: an uncompiled network ending in a softmax over the ten digits.
        learning_rate: Adam's step size.

    Returns:
        The same model, compiled.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_baseline_cnn() -> keras.Model:
    """Model 1: one convolution block and a dense head.

    Conv2D(32, 3x3, relu), MaxPooling(2x2), Flatten, Dense(128, relu), Dense(10, softmax).
    """
    return keras.Sequential(
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


def build_deeper_cnn() -> keras.Model:
    """Model 2: two convolution blocks and dropout before the output layer.

    Conv2D(32), MaxPool, Conv2D(64), MaxPool, Flatten, Dense(128), Dropout(0.5), Dense(10).
    """
    return keras.Sequential(
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


def build_batchnorm_cnn() -> keras.Model:
    """Model 3: model 2 with batch normalisation after each convolution and a wider head.

    Conv2D(32), BatchNorm, MaxPool, Conv2D(64), BatchNorm, MaxPool, Flatten,
    Dense(256), Dropout(0.5), Dense(10).
    """
    return keras.Sequential(
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
