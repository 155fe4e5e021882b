"""Inference with as little overhead as the model allows: one compiled call per batch.

A Keras model is called directly inside one ``tf.function`` (``predict()`` builds a dataset on
every call); with a "not a digit" detector, the same call also gives the features it scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mnist_pipeline import adapters, config


def fast_predict(model: object) -> Callable[[np.ndarray], np.ndarray]:
    """A function computing class probabilities with as little overhead as the model allows.

    A Keras model is called directly inside one ``tf.function`` with a fixed signature
    (traced once; ``predict()`` builds a dataset and costs about 50 ms per call). A
    scikit-learn estimator gets its ``predict_proba`` on flattened pixels.

    Args:
        model: a Keras model or a scikit-learn estimator with ``predict_proba``.

    Returns:
        A function from a ``(n, 28, 28, 1)`` float32 batch to ``(n, 10)`` probabilities.
    """
    return adapters.for_model(model).fast_predict(model)


def fast_predict_and_features(
    model: object, layers: Sequence[str]
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Like :func:`fast_predict`, with the features of ``layers`` from the same call.

    A Keras model's :func:`~mnist_pipeline.models.detector.feature_model` (two outputs) is
    called inside one ``tf.function``: one pass gives both. A scikit-learn estimator's
    features are its pixels averaged over 4 x 4 blocks (``detector.PIXELS``).

    Args:
        model: a Keras model or a scikit-learn estimator with ``predict_proba``.
        layers: the detector's layers (``DigitDetector.layers``).

    Returns:
        A function from a ``(n, 28, 28, 1)`` float32 batch to ``(n, 10)`` probabilities and
        ``(n, d)`` features.

    Raises:
        ValueError: one of ``layers`` is not a layer of the model.
    """
    from mnist_pipeline.models import detector

    layers = tuple(layers)
    if layers == (detector.PIXELS,):
        probabilities = fast_predict(model)
        return lambda x: (probabilities(x), detector.features(model, x, layers))
    if not hasattr(model, "get_layer"):
        raise ValueError(f"a model without layers has no layer {layers[0]!r}")
    from mnist_pipeline._tf import tf

    both = detector.feature_model(model, layers)  # ValueError for a layer it does not have
    signature = [tf.TensorSpec((None, *config.INPUT_SHAPE), tf.float32)]
    call = tf.function(lambda x: both(x, training=False), input_signature=signature)

    def run(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probabilities, features = call(x)
        return probabilities.numpy(), features.numpy().reshape(len(x), -1)

    return run
