"""One builder per architecture, written out as a Keras ``Sequential`` list to be read.

A builder returns the uncompiled network; :func:`compile_model` adds the optimiser, loss and
metric with the learning rate of the model's spec (:mod:`mnist_pipeline.models.specs`), so the
training protocol lives in one place.
"""

from __future__ import annotations

import pandas as pd

from mnist_pipeline import config
from mnist_pipeline._tf import keras
from mnist_pipeline.models.augment import augmentation
from mnist_pipeline.models.designs import DESIGNS, highpass_kernel, normalisation_layers

__all__ = [
    "STEPS_PER_EXECUTION",
    "build_baseline_cnn",
    "build_batchnorm_cnn",
    "build_deeper_cnn",
    "build_robust_cnn",
    "build_tunable_cnn",
    "compile_model",
    "summary_table",
]
layers = keras.layers
STEPS_PER_EXECUTION = 16


def compile_model(
    model: keras.Model,
    learning_rate: float = config.LEARNING_RATE,
    decay_steps: int | None = None,
) -> keras.Model:
    """Compile ``model`` for the study's protocol: Adam, categorical cross-entropy, accuracy.

    Several training steps run per call into TensorFlow (``steps_per_execution``), which
    saves Python overhead on a CPU and changes none of the mathematics.

    Args:
        model: an uncompiled network ending in a softmax over the ten digits.
        learning_rate: Adam's step size (the initial one, with a schedule).
        decay_steps: when given, the step size follows a cosine decay to zero over this
            many steps; else it is constant.

    Returns:
        The same model, compiled.
    """
    rate = (
        keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
        if decay_steps
        else learning_rate
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,
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


def build_tunable_cnn(
    filters: int = 32,
    kernel_size: int = 3,
    dense_units: int = 128,
    activation: str = "relu",
    conv_dropout: float = 0.0,
    dense_dropout: float = 0.5,
) -> keras.Model:
    """The hyperparameter search's candidates: two batch-normalised convolution blocks.

    Conv2D(filters), BatchNorm, activation, MaxPool, Dropout, then the same with twice the
    filters, Flatten, Dense(dense_units), Dropout, Dense(10).
    """
    blocks = []
    for width in (filters, 2 * filters):
        blocks += [
            layers.Conv2D(width, kernel_size, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.Activation(activation),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(conv_dropout),
        ]
    return keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            *blocks,
            layers.Flatten(),
            layers.Dense(dense_units, activation=activation),
            layers.Dropout(dense_dropout),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="tunable_cnn",
    )


def _conv_bn(filters: int, kernel: int, strides: int = 1, padding: str = "same") -> list:
    return [
        layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


def build_robust_cnn(design: str = "occlusion") -> keras.Model:
    """Model 4: one of :data:`DESIGNS`, then a batch-normalised CNN with strided convolutions.

    Two stages of Conv(3x3), Conv(3x3) and a strided Conv(5x5) that halves the resolution
    (16 then 32 filters), each stage followed by dropout, then Conv(4x4, 64), dropout and
    the softmax. Strided convolutions learn their downsampling instead of max pooling. The
    3x3 convolutions add no padding, so the maps shrink 28, 26, 24, 12, 10, 8, 4, 1: smaller maps,
    fewer operations per image.

    Args:
        design: a key of :data:`DESIGNS`; ``"plain"`` has neither augmentation nor
            normalisation: the ablation that measures what they buy.

    Raises:
        ValueError: for an unknown design.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; known: {', '.join(DESIGNS)}")
    chosen = DESIGNS[design]
    model = keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            *([augmentation(chosen.policy)] if chosen.policy != "none" else []),
            *normalisation_layers(chosen.normalise),
            *_conv_bn(16, 3, padding="valid"),
            *_conv_bn(16, 3, padding="valid"),
            *_conv_bn(16, 5, strides=2),
            layers.Dropout(0.3),
            *_conv_bn(32, 3, padding="valid"),
            *_conv_bn(32, 3, padding="valid"),
            *_conv_bn(32, 5, strides=2),
            layers.Dropout(0.3),
            *_conv_bn(64, 4, padding="valid"),
            layers.Flatten(name="features"),
            layers.Dropout(0.3),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name=f"robust_cnn_{design}",
    )
    if chosen.normalise == "highpass":
        model.get_layer("highpass").set_weights([highpass_kernel()])
    return model


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
