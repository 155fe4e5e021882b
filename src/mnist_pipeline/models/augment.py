"""Training-only augmentation: the layers that change each training image, and their removal.

Two layers of ours (:class:`RandomStrokeWidth`, :class:`RandomNoise`) join Keras' own
preprocessing layers in :func:`augmentation`, which model 4 puts first. Augmentation is the
identity at inference, so :func:`for_inference` drops it before a model is saved: what is
registered then holds only Keras' own layers and loads without this package.
"""

from __future__ import annotations

from mnist_pipeline import config
from mnist_pipeline._tf import keras

layers = keras.layers


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
