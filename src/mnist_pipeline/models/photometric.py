"""Training-only changes of an image's grey levels: noise, blur, lighting and erased patches.

Each layer is active only in training (the identity at inference) and registered with Keras so
that a model holding it saves and loads; :func:`mnist_pipeline.models.augment.for_inference`
removes them all before a model is logged.
"""

from __future__ import annotations

from mnist_pipeline._tf import keras

layers = keras.layers


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


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomIllumination(layers.Layer):
    """Lower the contrast and light the page unevenly at random, in training only.

    With probability ``rate`` an image becomes ``c x + a f``, clipped to [0, 1]: its ink kept
    at a share ``c`` drawn from ``contrast``, over a smooth background ``f`` (a random 4 x 4
    grid in [0, 1], resized bilinearly to the frame) of strength ``a`` drawn up to
    ``max_light``. A uniform grey page is the special case of a flat grid. Poor lighting and
    grey paper are generic photometric changes, as in AugMix's brightness and contrast.
    """

    def __init__(
        self,
        rate: float = 0.5,
        contrast: tuple[float, float] = (0.25, 1.0),
        max_light: float = 0.75,
        grid: int = 4,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rate, self.contrast, self.max_light = rate, tuple(contrast), max_light
        self.grid, self.seed = grid, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        n = ops.shape(images)[0]
        batch = (n, 1, 1, 1)
        on = ops.cast(keras.random.uniform(batch, seed=self.generator) < self.rate, images.dtype)
        kept = keras.random.uniform(batch, *self.contrast, seed=self.generator)
        light = self.max_light * keras.random.uniform(batch, seed=self.generator)
        coarse = keras.random.uniform((n, self.grid, self.grid, 1), seed=self.generator)
        field = ops.image.resize(coarse, images.shape[1:3], interpolation="bilinear")
        changed = ops.clip(kept * images + light * field, 0.0, 1.0)
        return on * changed + (1.0 - on) * images

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "contrast": self.contrast,
            "max_light": self.max_light,
            "grid": self.grid,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomBlur(layers.Layer):
    """Blur some images with a 5 x 5 Gaussian (sigma 1 pixel), in training only: a soft pen,
    a scan slightly out of focus."""

    def __init__(self, rate: float = 0.25, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.generator = keras.random.SeedGenerator(seed)
        offsets = [-2.0, -1.0, 0.0, 1.0, 2.0]
        weights = [pow(2.718281828459045, -(o * o) / 2.0) for o in offsets]
        total = sum(weights)
        self.taps = [[wy * wx / total**2 for wx in weights] for wy in weights]

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        kernel = ops.reshape(ops.convert_to_tensor(self.taps, dtype=images.dtype), (5, 5, 1, 1))
        blurred = ops.conv(images, kernel, padding="same")
        batch = (ops.shape(images)[0], 1, 1, 1)
        on = ops.cast(keras.random.uniform(batch, seed=self.generator) < self.rate, images.dtype)
        return on * blurred + (1.0 - on) * images

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomErasing(layers.Layer):
    """Paint a random rectangle of each chosen image one grey level, in training only.

    Zhong et al.'s random erasing (2020): with probability ``rate`` a rectangle covering a
    share ``area`` of the frame, of aspect ratio between 1/3 and 3, at a random place, is
    filled with black, white or a uniform grey (a third each): ink blots, tape, a torn corner.
    """

    def __init__(
        self,
        rate: float = 0.5,
        area: tuple[float, float] = (0.05, 0.25),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rate, self.area, self.seed = rate, tuple(area), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        n = ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]

        def draw(low=0.0, high=1.0):
            return keras.random.uniform((n, 1, 1, 1), low, high, seed=self.generator)

        area = draw(*self.area) * height * width
        aspect = ops.exp(draw(-1.0986, 1.0986))  # log(3)
        h = ops.minimum(ops.sqrt(area * aspect), height)
        w = ops.minimum(ops.sqrt(area / aspect), width)
        top = draw() * (height - h)
        left = draw() * (width - w)
        rows = ops.reshape(ops.arange(height, dtype=images.dtype), (1, height, 1, 1))
        cols = ops.reshape(ops.arange(width, dtype=images.dtype), (1, 1, width, 1))
        inside = (rows >= top) & (rows < top + h) & (cols >= left) & (cols < left + w)
        on = draw() < self.rate
        kind = draw()
        value = ops.where(kind < 1 / 3, 0.0, ops.where(kind < 2 / 3, 1.0, draw()))
        return ops.where(inside & on, value, images)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "area": self.area, "seed": self.seed}
