"""Keras or scikit-learn: the one place that tells the two model families apart.

Every other module asks :func:`for_model` (a model in hand) or :func:`for_family` (a spec's
``family``) for an adapter, and calls it: how the family predicts probabilities, how it is
called directly for speed or served, its size on disk, its MLflow flavour, how it fits and
which parameters a run records.

Cheap to import (the service and ``tracking`` load models without the package's model code):
TensorFlow loads only when a Keras model is compiled into a ``tf.function``.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from mnist_pipeline import config

Predict = Callable[[np.ndarray], np.ndarray]


def flat(images: np.ndarray) -> np.ndarray:
    """Images as rows of pixels, the input of the scikit-learn baselines."""
    return np.asarray(images).reshape(len(images), -1)


class KerasAdapter:
    """A compiled Keras network: images in, trained in epochs against the validation split."""

    family = "keras"  # the spec's family, and MLflow's flavour (``mlflow.keras``)
    has_layers = True  # a run logs its layer table (``models.summary_table``)
    file_suffix: str | None = ".keras"  # saved as one file of its own format

    def predict_proba(self, model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Class probabilities through ``predict``, quietly (no progress bar in the outputs)."""
        return model.predict(images, batch_size=batch_size, verbose=0)

    def direct_call(self, model) -> Predict:
        """Probabilities by calling the model eagerly, without ``predict``'s set-up cost."""
        return lambda x: np.asarray(model(x, training=False))

    def fast_predict(self, model) -> Predict:
        """Probabilities through one ``tf.function`` with a fixed signature (traced once)."""
        from mnist_pipeline._tf import tf

        signature = [tf.TensorSpec((None, *config.INPUT_SHAPE), tf.float32)]
        call = tf.function(lambda x: model(x, training=False), input_signature=signature)
        return lambda x: call(x).numpy()

    def signature_example(self, model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and outputs MLflow infers the model's signature from: the images."""
        return images, np.asarray(model(images, training=False))

    def save(self, model, stem: Path) -> Path:
        """Save as ``stem.keras`` (Keras' own format, as MLflow saves it); returns the path."""
        path = stem.with_suffix(".keras")
        model.save(path)
        return path

    def fit_arrays(
        self,
        model,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_val: np.ndarray,
        y_val: np.ndarray,
        *,
        epochs: int,
        batch_size: int,
        verbose: int = 2,
        callbacks: list | None = None,
    ) -> tuple[dict[str, list[float]], float]:
        """Train on one-hot labels, shuffled, scored on the validation data after each epoch.

        Returns:
            The per-epoch history and the wall time in seconds.
        """
        start = time.perf_counter()
        history = model.fit(
            x_train,
            y_train,
            validation_data=(x_val, y_val),
            epochs=epochs,
            batch_size=batch_size,
            shuffle=True,
            verbose=verbose,
            callbacks=callbacks,
        )
        seconds = time.perf_counter() - start
        return {k: [float(v) for v in vs] for k, vs in history.history.items()}, seconds

    def fit(
        self, model, splits, *, epochs: int, batch_size: int, verbose: int, callbacks: list
    ) -> tuple[dict[str, list[float]], float]:
        """Train on ``splits`` (``data.prepare.Splits``): see :meth:`fit_arrays`."""
        return self.fit_arrays(
            model,
            splits.x_train,
            splits.onehot("train"),
            splits.x_val,
            splits.onehot("val"),
            epochs=epochs,
            batch_size=batch_size,
            verbose=verbose,
            callbacks=callbacks,
        )

    def fitted_params(self, model, spec) -> dict[str, object]:
        """What trained, read from the compiled model: optimiser, its rate and schedule, loss."""
        rate = model.optimizer._learning_rate  # the schedule itself (Keras 3 keeps it private)
        return {
            "architecture": model.name,
            "estimator": "-",
            "epochs": spec.epochs,
            "batch_size": spec.batch_size,
            "optimizer": type(model.optimizer).__name__,
            "learning_rate": float(rate.initial_learning_rate if spec.cosine_decay else rate),
            "schedule": type(rate).__name__ if spec.cosine_decay else "constant",
            "batchnorm_recalibration": spec.recalibrate_batchnorm or "-",
            "loss": str(model.loss),
        }


class SklearnAdapter:
    """A scikit-learn classifier: flattened pixels in, fitted in one call."""

    family = "sklearn"  # the spec's family, and MLflow's flavour (``mlflow.sklearn``)
    has_layers = False
    file_suffix: str | None = None  # no format of its own: pickled, or MLflow's directory

    def predict_proba(self, model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Class probabilities of the flattened images, as float32 (``batch_size`` unused)."""
        return np.asarray(model.predict_proba(flat(images)), dtype=np.float32)

    def direct_call(self, model) -> Predict:
        """``predict_proba`` on the flattened images."""
        return lambda x: model.predict_proba(flat(x))

    def fast_predict(self, model) -> Predict:
        """``predict_proba`` on the flattened images, as float32."""
        return lambda x: np.asarray(model.predict_proba(x.reshape(len(x), -1)), np.float32)

    def signature_example(self, model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and outputs MLflow infers the model's signature from: flattened images."""
        rows = images.reshape(len(images), -1)
        return rows, model.predict_proba(rows)

    def save(self, model, stem: Path) -> Path:
        """Pickle to ``stem`` (what MLflow's pickle serialisation writes); returns the path."""
        stem.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        return stem

    def fit(self, model, splits, **_: object) -> tuple[dict[str, list[float]], float]:
        """Fit on the flattened training images (the Keras protocol's options do not apply).

        Returns:
            An empty history and the wall time in seconds.
        """
        start = time.perf_counter()
        model.fit(flat(splits.x_train), splits.y_train)
        return {}, time.perf_counter() - start

    def fitted_params(self, model, spec) -> dict[str, object]:
        """The estimator's own parameters; the Keras protocol's fields are ``-``."""
        return {
            "architecture": type(model).__name__,
            "estimator": str(model)[:500],
            **dict.fromkeys(("epochs", "batch_size", "optimizer", "learning_rate"), "-"),
            "schedule": "-",
            "batchnorm_recalibration": "-",
            "loss": "-",
        }


Adapter = KerasAdapter | SklearnAdapter
KERAS, SKLEARN = KerasAdapter(), SklearnAdapter()
FAMILIES: dict[str, Adapter] = {KERAS.family: KERAS, SKLEARN.family: SKLEARN}


def for_model(model: object) -> Adapter:
    """The adapter of a model in hand: scikit-learn's classifiers have ``predict_proba``."""
    return SKLEARN if hasattr(model, "predict_proba") else KERAS


def for_family(family: str) -> Adapter:
    """The adapter of a spec's ``family`` (``"keras"`` or ``"sklearn"``).

    Raises:
        ValueError: for another family.
    """
    try:
        return FAMILIES[family]
    except KeyError:
        known = sorted(FAMILIES)
        raise ValueError(f"unknown model family {family!r}: expected one of {known}") from None


def for_flavours(flavours: Iterable[str]) -> Adapter:
    """The adapter of a logged MLflow model, from the flavours it was logged with."""
    return KERAS if KERAS.family in set(flavours) else SKLEARN


def size_on_disk(model: object) -> int:
    """Bytes of the model saved the way MLflow saves it (``.keras`` file or pickle)."""
    with tempfile.TemporaryDirectory() as tmp:
        return for_model(model).save(model, Path(tmp) / "model").stat().st_size


__all__ = [
    "FAMILIES",
    "KERAS",
    "SKLEARN",
    "Adapter",
    "KerasAdapter",
    "SklearnAdapter",
    "flat",
    "for_family",
    "for_flavours",
    "for_model",
    "size_on_disk",
]
