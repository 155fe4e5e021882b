"""Saying when an image is not a digit: a distance in the model's own features, and a threshold.

The score is the Mahalanobis distance of an image's penultimate features to the nearest
digit class, with one covariance shared by the classes, both fitted on training images (Lee et
al., 2018). A digit lands near its class's mean; noise, blobs and photographs, which the model
never saw, land far from all ten. The threshold is the distance that a share ``reject`` of
*validation* digits exceeds (1 % by default), so the rate at which real digits are refused is
set before any non-digit is looked at. Nothing here is fitted or chosen on non-digits.

A :class:`DigitDetector` is plain numbers (``to_dict``/``from_dict``, JSON), logged beside the
model it belongs to and loaded with it: the package, the REST API and the page use the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The "layer" of a model without features of its own (a scikit-learn estimator): the image
# averaged over 4 x 4 blocks, 49 numbers.
PIXELS = "pixels_7x7"
ARTIFACT = "detector.json"  # beside the model in its run, and beside an exported model file
RIDGE = 1e-3  # added to the covariance's diagonal, relative to its mean variance


@dataclass(frozen=True)
class DigitDetector:
    """Class means and a shared precision matrix in a model's features, and a threshold.

    Attributes:
        layer: the layer whose output are the features (``"pixels"``: the image itself).
        means: ``(10, d)`` mean features of each digit on training images.
        precision: ``(d, d)`` inverse of the shared within-class covariance.
        threshold: images whose score exceeds it are "not a digit".
        reject: the share of validation digits above the threshold, as fitted.
    """

    layer: str
    means: np.ndarray
    precision: np.ndarray
    threshold: float
    reject: float

    def __post_init__(self) -> None:
        # precision = W W^T, so a squared distance is |(x - m) W|^2: whiten once, then subtract.
        whitening = np.linalg.cholesky(self.precision)
        object.__setattr__(self, "_whitening", whitening)
        object.__setattr__(self, "_white_means", self.means @ whitening)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance to the nearest class mean, one per row of features."""
        features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
        if features.shape[1] != self.means.shape[1]:
            raise ValueError(
                f"features have {features.shape[1]} dimensions, the detector {self.means.shape[1]}"
            )
        white = features @ self._whitening
        squared = (
            (white**2).sum(axis=1)[:, None]
            - 2 * white @ self._white_means.T
            + (self._white_means**2).sum(axis=1)[None, :]
        )
        return np.maximum(squared.min(axis=1), 0.0)

    def is_digit(self, scores: np.ndarray) -> np.ndarray:
        """True where a score is within the threshold."""
        return np.asarray(scores) <= self.threshold

    def to_dict(self) -> dict:
        """Plain lists and numbers, for JSON."""
        return {
            "method": "mahalanobis",
            "layer": self.layer,
            "threshold": float(self.threshold),
            "reject": float(self.reject),
            "means": self.means.tolist(),
            "precision": self.precision.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> DigitDetector:
        """The detector :meth:`to_dict` wrote.

        Raises:
            ValueError: for another method, or inconsistent shapes.
        """
        if data.get("method") != "mahalanobis":
            raise ValueError(f"unknown detector method {data.get('method')!r}")
        means = np.asarray(data["means"], dtype=np.float64)
        precision = np.asarray(data["precision"], dtype=np.float64)
        if means.ndim != 2 or precision.shape != (means.shape[1], means.shape[1]):
            raise ValueError(
                f"inconsistent shapes: means {means.shape}, precision {precision.shape}"
            )
        return cls(data["layer"], means, precision, float(data["threshold"]), float(data["reject"]))


def fit(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    val_features: np.ndarray,
    *,
    layer: str,
    reject: float = 0.01,
    num_classes: int = 10,
) -> DigitDetector:
    """Fit class means and the shared covariance on training features; set the threshold on
    validation features so that a share ``reject`` of validation digits is refused.

    Args:
        train_features: ``(n, d)`` features of training digits.
        train_labels: their digits.
        val_features: ``(m, d)`` features of validation digits (never those of non-digits).
        layer: where the features come from, recorded with the detector.
        reject: the share of validation digits to refuse, in (0, 1).
        num_classes: how many classes the labels hold.

    Raises:
        ValueError: for a reject share outside (0, 1), a class without examples, or no
            validation features.
    """
    if not 0 < reject < 1:
        raise ValueError(f"reject must be in (0, 1), not {reject}")
    x = np.asarray(train_features, dtype=np.float64).reshape(len(train_features), -1)
    labels = np.asarray(train_labels)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(
            f"no training features for digit(s) {np.flatnonzero(counts == 0).tolist()}"
        )
    if len(val_features) == 0:
        raise ValueError("the threshold needs validation features")
    means = np.stack([x[labels == k].mean(axis=0) for k in range(num_classes)])
    centred = x - means[labels]
    covariance = centred.T @ centred / len(x)
    covariance += RIDGE * np.trace(covariance) / len(covariance) * np.eye(len(covariance))
    precision = np.linalg.inv(covariance)
    unfitted = DigitDetector(layer, means, precision, np.inf, 0.0)
    val_scores = unfitted.score(val_features)
    threshold = float(np.quantile(val_scores, 1.0 - reject, method="higher"))
    rejected = float((val_scores > threshold).mean())
    return DigitDetector(layer, means, precision, threshold, rejected)


def feature_layer(model: object) -> str:
    """Where a model's features are read: its layer named ``features``, else the input of its
    last layer (a Keras model), else the pixels (a scikit-learn estimator)."""
    layers = getattr(model, "layers", None)
    if not layers:
        return PIXELS
    names = [layer.name for layer in layers]
    return "features" if "features" in names else names[-2]


def feature_model(model: object, layer: str) -> object:
    """A Keras model with two outputs, the probabilities and the features of ``layer``.

    A Sequential model is called afresh, layer by layer: its layers may also belong to another
    model (:func:`~mnist_pipeline.models.augment.for_inference` shares them with the trained
    model), and then a layer's ``output`` is that of its first call, not connected to this
    model's input.
    """
    from mnist_pipeline._tf import keras

    if isinstance(model, keras.Sequential):
        inputs = keras.Input(shape=model.input_shape[1:])
        outputs, wanted = inputs, None
        for each in model.layers:
            outputs = each(outputs)
            if each.name == layer:
                wanted = outputs
        if wanted is None:
            raise ValueError(f"{model.name} has no layer named {layer!r}")
        return keras.Model(inputs, [outputs, wanted])
    return keras.Model(model.inputs[0], [model.outputs[0], model.get_layer(layer).output])


def features(model: object, images: np.ndarray, layer: str, batch_size: int = 1_000) -> np.ndarray:
    """The features of ``images`` at ``layer`` (:func:`feature_layer`), one row per image."""
    images = np.asarray(images, dtype=np.float32)
    if layer == PIXELS:
        return images.reshape(len(images), 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(images), -1)
    both = feature_model(model, layer)
    parts = [
        np.asarray(both(images[start : start + batch_size], training=False)[1])
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts).reshape(len(images), -1)


def fit_to_model(
    model: object,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    val_images: np.ndarray,
    reject: float = 0.01,
) -> DigitDetector:
    """:func:`fit` on ``model``'s own features of training and validation digits."""
    layer = feature_layer(model)
    return fit(
        features(model, train_images, layer),
        train_labels,
        features(model, val_images, layer),
        layer=layer,
        reject=reject,
    )
