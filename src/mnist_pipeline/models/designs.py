"""Model 4's candidate designs: an augmentation policy and a normalisation inside the model.

:func:`mnist_pipeline.models.cnn.build_robust_cnn` puts a design's layers in front of model 4's
network body; :mod:`mnist_pipeline.study.selection` chooses among :data:`DESIGNS` on validation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_pipeline._tf import keras

layers = keras.layers


@dataclass(frozen=True)
class Design:
    """One candidate design of model 4: what it learns from, and how it sees its input.

    Attributes:
        name: the key of :data:`DESIGNS`, logged with every run of it.
        policy: the training augmentation (:data:`augment.POLICIES`).
        normalise: inside the model, before the first convolution: ``None``; ``"image"``,
            each image standardised to mean 0 and standard deviation 1 (Keras'
            ``LayerNormalization`` over the image, so it travels with the model); or
            ``"highpass"``, a fixed filter that removes the image's smooth background (the
            image minus its Gaussian blur, sigma 2 pixels), then the same standardisation.
    """

    name: str
    policy: str
    normalise: str | None = None

    @property
    def robust(self) -> bool:
        """Whether the design adds anything for robustness (augmentation or normalisation)."""
        return self.policy != "none" or self.normalise is not None


DESIGNS: dict[str, Design] = {
    design.name: design
    for design in (
        Design("plain", "none"),
        Design("geometric", "geometric"),
        Design("photometric", "photometric"),
        Design("occlusion", "occlusion"),
        Design("standardised", "occlusion", "image"),
        Design("highpass", "occlusion", "highpass"),
    )
}


def design_named(architecture: str) -> Design | None:
    """The design a logged ``architecture`` (``robust_cnn_<design>``) was built with, if any."""
    if not architecture.startswith("robust_cnn_"):
        return None
    return DESIGNS.get(architecture.removeprefix("robust_cnn_"))


HIGHPASS_SIGMA = 2.0


HIGHPASS_SIZE = 9


def highpass_kernel(sigma: float = HIGHPASS_SIGMA, size: int = HIGHPASS_SIZE) -> np.ndarray:
    """A ``(size, size, 1, 1)`` kernel: the identity minus a normalised Gaussian of ``sigma``."""
    offsets = np.arange(size) - size // 2
    gauss = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    kernel = -gauss / gauss.sum()
    kernel[size // 2, size // 2] += 1.0
    return kernel[:, :, None, None].astype("float32")


def normalisation_layers(kind: str | None) -> list:
    if kind is None:
        return []
    if kind not in ("image", "highpass"):
        raise ValueError(f"unknown normalisation {kind!r}; known: image, highpass")
    standardise = layers.LayerNormalization(
        axis=(1, 2, 3), center=False, scale=False, name="standardise"
    )
    if kind == "image":
        return [standardise]
    highpass = layers.Conv2D(
        1, HIGHPASS_SIZE, padding="same", use_bias=False, trainable=False, name="highpass"
    )
    return [highpass, standardise]
