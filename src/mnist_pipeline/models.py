"""One builder per architecture, written out as a Keras ``Sequential`` list to be read.

A builder returns the uncompiled network; :func:`compile_model` adds the optimiser, loss and
metric with the learning rate of the model's spec (:mod:`mnist_pipeline.specs`), so the
training protocol lives in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mnist_pipeline import config
from mnist_pipeline._tf import keras

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


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomStrokeWidth(layers.Layer):
    """Make each image's strokes a pixel thicker or thinner at random, in training only.

    With probability ``rate`` a 3x3 grey dilation (thicker), with probability ``rate`` a 3x3
    grey erosion (thinner), else nothing: pens and scanners differ in stroke width.
    """

    def __init__(self, rate: float = 0.25, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        thick = keras.ops.max_pool(images, 3, strides=1, padding="same")
        thin = -keras.ops.max_pool(-images, 3, strides=1, padding="same")
        draw = keras.random.uniform((keras.ops.shape(images)[0], 1, 1, 1), seed=self.generator)
        return keras.ops.where(
            draw < self.rate, thick, keras.ops.where(draw < 2 * self.rate, thin, images)
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomNoise(layers.Layer):
    """Add Gaussian noise of a random strength to some images and clip to [0, 1], in training.

    With probability ``rate`` an image gets noise whose standard deviation is drawn uniformly
    up to ``max_sigma``; clipping makes it what a noisy scan looks like (speckles on the
    paper), unlike Keras' ``GaussianNoise``, which is symmetric and unbounded.
    """

    def __init__(
        self, max_sigma: float = 0.35, rate: float = 0.5, seed: int | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.max_sigma, self.rate, self.seed = max_sigma, rate, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = (keras.ops.shape(images)[0], 1, 1, 1)
        sigma = self.max_sigma * keras.random.uniform(batch, seed=self.generator)
        on = keras.ops.cast(
            keras.random.uniform(batch, seed=self.generator) < self.rate, images.dtype
        )
        noise = keras.random.normal(keras.ops.shape(images), seed=self.generator)
        return keras.ops.clip(images + on * sigma * noise, 0.0, 1.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_sigma": self.max_sigma,
            "rate": self.rate,
            "seed": self.seed,
        }


def augmentation() -> keras.Sequential:
    """Random changes to each training image, active only in training.

    Keras 3 preprocessing layers first: rotation up to 15 degrees, as the model card's
    ``ImageDataGenerator`` did; shifts up to 12 % of the frame (the card's 20 % moves a digit
    by 5.6 pixels, more than any target here, and slowed learning in our trials); zoom from
    10 % in to 30 % out (the card zoomed out to half size, leaving a 10-pixel digit). Then two
    layers of ours: strokes a pixel thicker or thinner, and clipped noise as on a bad scan.
    ``RandomRotation``'s factor is a fraction of a full turn; a positive ``RandomZoom`` factor
    zooms out. Areas brought in from outside the frame are black, like MNIST's paper.
    """
    return keras.Sequential(
        [
            layers.RandomRotation(15 / 360, fill_mode="constant", seed=config.SEED),
            layers.RandomTranslation(0.12, 0.12, fill_mode="constant", seed=config.SEED),
            layers.RandomZoom((-0.1, 0.3), fill_mode="constant", seed=config.SEED),
            RandomStrokeWidth(0.25, seed=config.SEED),
            RandomNoise(0.35, 0.5, seed=config.SEED),
        ],
        name="augmentation",
    )


def _conv_bn(filters: int, kernel: int, strides: int = 1, padding: str = "same") -> list:
    return [
        layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


def build_augmented_cnn(augment: bool = True) -> keras.Model:
    """Model 4: augmentation, then a batch-normalised CNN with strided convolutions.

    Two stages of Conv(3x3), Conv(3x3) and a strided Conv(5x5) that halves the resolution
    (32 then 64 filters), each stage followed by dropout, then Conv(4x4, 128), dropout and
    the softmax. Strided convolutions learn their downsampling instead of max pooling.

    Args:
        augment: ``False`` drops the augmentation layers and keeps everything else: the
            ablation that measures what augmentation buys.
    """
    return keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            *([augmentation()] if augment else []),
            *_conv_bn(32, 3),
            *_conv_bn(32, 3),
            *_conv_bn(32, 5, strides=2),
            layers.Dropout(0.3),
            *_conv_bn(64, 3),
            *_conv_bn(64, 3),
            *_conv_bn(64, 5, strides=2),
            layers.Dropout(0.3),
            *_conv_bn(128, 4, padding="valid"),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="augmented_cnn" if augment else "unaugmented_cnn",
    )


def for_inference(model: keras.Model) -> keras.Model:
    """The same model without its training-only augmentation layers, sharing their weights.

    Augmentation is the identity at inference, so the outputs are the same; what is saved
    then holds only Keras' own layers and loads anywhere (``mlflow models serve``, a
    Docker image) without importing this package's custom layers.
    """
    if not isinstance(model, keras.Sequential) or not any(
        layer.name == "augmentation" for layer in model.layers
    ):
        return model
    kept = [layer for layer in model.layers if layer.name != "augmentation"]
    inference = keras.Sequential([keras.Input(shape=model.input_shape[1:]), *kept], name=model.name)
    return inference


def recalibrate_batchnorm(model: keras.Model, images: np.ndarray, batch_size: int = 1_000) -> int:
    """Re-estimate every batch-normalisation layer's statistics on clean images, in place.

    During training a batch-norm layer keeps running averages of the mean and variance of
    what it sees, and a model that trains on augmented images (noise, thinner strokes,
    shrunken digits) averages statistics of those, not of the clean digits it will be asked
    about. This replaces them, layer after layer from the input, by the exact mean and
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
