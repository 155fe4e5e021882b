"""Training-only augmentation: the layers that change each training image, and their removal.

Our layers (one affine map, stroke width, blur, lighting, erasing, noise) are chained by
:func:`augmentation` into the policies of :data:`POLICIES`, which model 4's candidate designs
put first. Augmentation is the identity at inference, so :func:`for_inference` drops it before
a model is saved: what is registered then holds only Keras' own layers and loads without this
package.
"""

from __future__ import annotations

import random

from mnist_pipeline._tf import keras
from mnist_pipeline.models.photometric import (
    RandomBlur,
    RandomErasing,
    RandomIllumination,
    RandomNoise,
)

layers = keras.layers


@keras.saving.register_keras_serializable(package="mnist_pipeline")
class RandomStrokeWidth(layers.Layer):
    """Make strokes a pixel thicker or thinner on each side at random, in training only.

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
    # Each layer's seed is drawn from Python's generator, which set_seed seeds with the run's
    # seed: a rerun with the same seed draws the same augmentations, another seed other ones
    # (so the spread over seeds covers the augmentation too), and no two layers share a stream.
    seed = random.randrange(2**31)
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
    by up to 5.6 pixels, beyond MNIST's 4-pixel margin around its 20-pixel box); a frame scale from 0.9 to 1.3 (the digit
    between 0.77 and 1.11 times its size), all in
    one resampling (:class:`RandomAffine`); strokes a pixel thicker or thinner on each side; clipped noise
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
