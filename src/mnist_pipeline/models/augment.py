"""Training-only augmentation: the layers that change each training image, and their removal.

Our layers (one affine map, stroke width, blur, lighting, erasing, noise) are chained by
:func:`augmentation` into the policies of :data:`POLICIES`, which model 4's candidate designs
put first. Augmentation is the identity at inference, so :func:`for_inference` drops it before
a model is saved: what is registered then holds only Keras' own layers and loads without this
package.
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


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomAffine(layers.Layer):
    """Rotate, zoom and shift each image at random in one resampling, in training only.

    Keras' ``RandomRotation``, ``RandomZoom`` and ``RandomTranslation`` each resample the
    batch; composing the three maps into one affine transform resamples once, which is both
    faster on a CPU and blurs the strokes less. Each image draws an angle up to ``degrees``
    either way, a scale in ``zoom`` (above 1 zooms out: the digit shrinks) and a shift up to
    ``shift`` of the frame in each direction. Areas brought in from outside are black.
    """

    def __init__(
        self,
        degrees: float = 15.0,
        zoom: tuple[float, float] = (0.9, 1.3),
        shift: float = 0.12,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.degrees, self.zoom, self.shift, self.seed = degrees, tuple(zoom), shift, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        n = ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]

        def draw(low, high):
            return keras.random.uniform((n,), low, high, seed=self.generator)

        angle = draw(-self.degrees, self.degrees) * (3.141592653589793 / 180.0)
        scale = draw(*self.zoom)
        dx = draw(-self.shift, self.shift) * width
        dy = draw(-self.shift, self.shift) * height
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        # Output pixel (x, y) reads input pixel A (x - c) + c - d, A = scale * rotation.
        a0, a1 = scale * ops.cos(angle), -scale * ops.sin(angle)
        b0, b1 = scale * ops.sin(angle), scale * ops.cos(angle)
        a2 = cx - a0 * cx - a1 * cy - dx
        b2 = cy - b0 * cx - b1 * cy - dy
        zero = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)
        return ops.image.affine_transform(
            images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "degrees": self.degrees,
            "zoom": self.zoom,
            "shift": self.shift,
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


# Augmentation policies, from none to the most: each names its layers, in the order they apply.
POLICIES: dict[str, tuple[str, ...]] = {
    "none": (),
    "geometric": ("affine", "stroke", "noise"),
    "photometric": ("affine", "stroke", "blur", "illumination", "noise"),
    "occlusion": ("affine", "stroke", "blur", "illumination", "erasing", "noise"),
}


# The target suite's corruptions (evaluation) that a policy covers only with one of its layers.
TARGET_COVERAGE = {"blur": "blur", "occlusion": "erasing"}


def unseen_targets(policy: str) -> tuple[str, ...]:
    """The target suite's corruptions that ``policy`` never produces in training."""
    return tuple(name for name, layer in TARGET_COVERAGE.items() if layer not in POLICIES[policy])


def _layer(name: str) -> layers.Layer:
    seed = config.SEED
    return {
        "affine": lambda: RandomAffine(15.0, (0.9, 1.3), 0.12, seed=seed),
        "stroke": lambda: RandomStrokeWidth(0.25, seed=seed),
        "blur": lambda: RandomBlur(0.25, seed=seed),
        "illumination": lambda: RandomIllumination(0.5, seed=seed),
        "erasing": lambda: RandomErasing(0.5, seed=seed),
        "noise": lambda: RandomNoise(0.35, 0.5, seed=seed),
    }[name]()


def augmentation(policy: str = "geometric") -> keras.Sequential:
    """Random changes to each training image, active only in training.

    ``geometric``: rotation up to 15 degrees either way, as the model card's
    ``ImageDataGenerator`` did; shifts up to 12 % of the frame (the card's 20 % moves a digit
    by 5.6 pixels and slowed learning in our trials); zoom from 10 % in to 30 % out, all in
    one resampling (:class:`RandomAffine`); strokes a pixel thicker or thinner; clipped noise
    as on a bad scan. ``photometric`` adds a soft blur and poor lighting (lower contrast over
    a smooth grey background); ``occlusion`` adds random erasing. None of them is one of
    MNIST-C's corruption functions or uses its parameters: MNIST-C stays a test.

    Args:
        policy: one of :data:`POLICIES`.

    Raises:
        ValueError: for an unknown policy, or ``none`` (a model without augmentation has no
            augmentation block).
    """
    if policy not in POLICIES or not POLICIES[policy]:
        known = ", ".join(name for name, chain in POLICIES.items() if chain)
        raise ValueError(f"unknown augmentation policy {policy!r}; known: {known}")
    return keras.Sequential([_layer(name) for name in POLICIES[policy]], name="augmentation")


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
