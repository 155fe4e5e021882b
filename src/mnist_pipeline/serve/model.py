"""The model the service answers with: found, loaded once, exported for the Docker image.

The model is the registry's ``models:/mnist-cnn@champion``, or what ``MNIST_MODEL_PATH``
names (an exported ``.keras`` file, an MLflow model directory or any MLflow model URI).
Its model card (Markdown) is the registered version's description, or the
``model_card.md`` exported beside the model file. Its "not a digit" detector
(:class:`mnist_pipeline.models.detector.DigitDetector`) is the ``detector.json`` logged in the
version's run, or the one exported beside the model file; a model without one still serves,
and its answers say ``is_digit: null``. Inference calls the model directly through one compiled
``tf.function``, not ``predict()``: with a detector, one call gives the probabilities and the
features the detector scores.

Loading needs none of this package's model code: the registered Keras models are saved
without their training-only layers.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_pipeline import config
from mnist_pipeline.serve.predict import fast_predict, fast_predict_and_features

if TYPE_CHECKING:
    from mnist_pipeline.models.detector import DigitDetector

MODEL_PATH_ENV = "MNIST_MODEL_PATH"
METADATA_FILE = "model.json"
MODEL_CARD_FILE = "model_card.md"
DETECTOR_FILE = "detector.json"  # models.detector.ARTIFACT; a test checks they agree
_REGISTRY_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")
_RUN_URI = re.compile(r"runs:/(?P<run_id>[^/]+)/")
_log = logging.getLogger(__name__)


class NoModelError(RuntimeError):
    """No model to serve: the message says what to run first."""


@dataclass(frozen=True)
class ModelInfo:
    """Which model answers: registered name, version, alias and where it was loaded from."""

    name: str
    version: str
    alias: str
    source: str
    run_id: str = ""


@dataclass
class LoadedModel:
    """A model ready to answer: ``predict`` maps ``(n, 28, 28, 1)`` float32 to ``(n, 10)``.

    ``card`` is the model card in Markdown, or None when the model has none. ``detector``
    says which inputs are not digits, or is None (``detector_note`` then says why);
    ``predict_and_features`` gives the probabilities and the detector's features in one call
    (:func:`fast_predict_and_features`), and is required with a detector.
    """

    predict: Callable[[np.ndarray], np.ndarray]
    info: ModelInfo
    card: str | None = None
    detector: DigitDetector | None = None
    predict_and_features: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    detector_note: str = field(default="")

    def __post_init__(self) -> None:
        if self.detector is not None and self.predict_and_features is None:
            raise ValueError("a model with a detector needs predict_and_features")
        if not self.detector_note:
            self.detector_note = (
                "no 'not a digit' detector: answers say is_digit null"
                if self.detector is None
                else f"'not a digit' detector on layers {', '.join(self.detector.layers)}, "
                f"threshold {self.detector.threshold:.4g}"
            )

    def read(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Class probabilities and, with a detector, its score of each image (else None).

        Scores are finite: one that overflows is the largest float, far above any threshold.
        """
        if self.detector is None:
            return self.predict(batch), None
        probabilities, features = self.predict_and_features(batch)
        scores = self.detector.score(features)
        big = np.finfo(np.float64).max
        return probabilities, np.nan_to_num(scores, nan=big, posinf=big)

    def detector_summary(self) -> dict:
        """What ``/health`` says about the detector: loaded or not, its threshold, and why."""
        from mnist_pipeline.models.detector import METHOD

        found = self.detector
        return {
            "loaded": found is not None,
            "method": METHOD if found is not None else None,
            "layers": list(found.layers) if found is not None else None,
            "threshold": float(found.threshold) if found is not None else None,
            "validation_reject": float(found.reject) if found is not None else None,
            "note": self.detector_note,
        }


def _is_uri(source: str) -> bool:
    return "://" in source or ":" in source.split("/")[0]


def _load_any(source: str) -> object:
    """Load a ``.keras`` file, an MLflow model directory or an MLflow model URI."""
    if source.endswith(".keras"):
        import keras

        if not Path(source).is_file():
            raise NoModelError(f"{MODEL_PATH_ENV}={source}: no such file")
        return keras.saving.load_model(source)
    if not _is_uri(source) and not Path(source).exists():
        raise NoModelError(f"{MODEL_PATH_ENV}={source}: no such file or directory")
    from mnist_pipeline import tracking

    return tracking.load_model(source)


def _registered(uri: str) -> object | None:
    """The registry's entry (an MLflow ModelVersion) for ``models:/NAME@ALIAS`` or ``/VERSION``."""
    match = _REGISTRY_URI.match(uri)
    if match is None:
        return None
    from mnist_pipeline import tracking

    client = tracking.client()
    try:
        if match["alias"]:
            return client.get_model_version_by_alias(match["name"], match["alias"])
        return client.get_model_version(match["name"], match["version"])
    except tracking.MlflowException:  # MLflow's error type, through the one door to MLflow
        return None


def registry_card(uri: str) -> str | None:
    """The description of the registered version that ``uri`` names, if it has one.

    Args:
        uri: ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``; any other URI has no card.

    Returns:
        The Markdown text, or None (another kind of URI, no such version, no description).
    """
    found = _registered(uri)
    return (found.description or None) if found is not None else None


def _from_path(source: str) -> tuple[ModelInfo, str | None]:
    """What the metadata and card files beside an exported model say about it."""
    beside = Path(source).parent if not _is_uri(source) else None
    meta_file = beside / METADATA_FILE if beside else None
    meta = json.loads(meta_file.read_text()) if meta_file and meta_file.is_file() else {}
    info = ModelInfo(
        name=meta.get("name", Path(source).stem),
        version=str(meta.get("version", "")),
        alias=meta.get("alias", ""),
        source=meta.get("source", Path(source).name if beside else source),
        run_id=meta.get("run_id", ""),
    )
    if beside:
        card_file = beside / MODEL_CARD_FILE
        return info, card_file.read_text() if card_file.is_file() else None
    found = _registered(source)
    if found is None:
        return info, None
    match = _REGISTRY_URI.match(source)
    info = ModelInfo(
        match["name"], str(found.version), match["alias"] or "", source, found.run_id or ""
    )
    return info, found.description or None


def detector_text(source: str, run_id: str = "") -> tuple[str | None, str]:
    """The ``detector.json`` that belongs to a model, and where it was looked for.

    Beside an exported model file (or MLflow model directory), else in the run that logged
    the model: ``run_id`` (a registered version's run) or the run of a ``runs:/`` URI.

    Returns:
        The JSON text, or None when there is none, and a sentence saying where it was (not)
        found.
    """
    if not _is_uri(source):
        beside = Path(source).parent / DETECTOR_FILE
        if beside.is_file():
            return beside.read_text(), f"{DETECTOR_FILE} beside {Path(source).name}"
        return None, f"no {DETECTOR_FILE} beside {Path(source).name}"
    match = _RUN_URI.match(source)
    run_id = run_id or (match["run_id"] if match else "")
    if not run_id:
        return None, f"{source} names no run to read {DETECTOR_FILE} from"
    from mnist_pipeline import tracking

    tracking.client()  # MLflow pointed at the project's store
    try:  # MLflow's artifact access, through the one door to MLflow
        text = tracking.mlflow.artifacts.load_text(f"runs:/{run_id}/{DETECTOR_FILE}")
    except (tracking.MlflowException, OSError):
        return None, f"run {run_id} has no {DETECTOR_FILE} (a run logged before detectors)"
    return text, f"{DETECTOR_FILE} of run {run_id}"


def _with_detector(
    model: object, text: str | None, where: str
) -> tuple[DigitDetector | None, Callable | None, str]:
    """The detector read from ``text``, the one-call inference that feeds it, and a note.

    Raises:
        NoModelError: a ``detector.json`` that cannot be read, or that does not fit the model.
    """
    if text is None:
        return None, None, f"no 'not a digit' detector ({where}): answers say is_digit null"
    from mnist_pipeline.models.detector import DigitDetector  # after the model has loaded

    try:
        found = DigitDetector.from_dict(json.loads(text))
        both = fast_predict_and_features(model, found.layers)
        found.score(both(np.zeros((1, *config.INPUT_SHAPE), np.float32))[1])  # trace once, now
    except (ValueError, KeyError, TypeError) as exc:
        raise NoModelError(f"the model's {where} cannot be used: {exc}") from exc
    note = (
        f"'not a digit' detector from {where}: the largest, over {len(found.layers)} layers "
        f"({', '.join(found.layers)}), of an image's squared Mahalanobis distance to the nearest "
        "digit class divided by its median on validation digits, against the threshold "
        f"{found.threshold:.4g} (set to refuse {100 * found.reject:.1f}\u00a0% of validation digits)"
    )
    return found, both, note


def load(source: str | None = None) -> LoadedModel:
    """Load the model to serve, once, and warm it up.

    Args:
        source: a ``.keras`` file, an MLflow model directory or URI; by default
            ``MNIST_MODEL_PATH``, else the registry's champion.

    Returns:
        The model ready to answer, with what it is, its card and its detector (None for a
        model without one: a bare ``.keras`` file, a run logged before detectors).

    Raises:
        NoModelError: nothing to serve (no champion, or a path that does not exist), or a
            ``detector.json`` that does not fit the model.
    """
    source = source or os.environ.get(MODEL_PATH_ENV)
    if source:
        model = _load_any(source)
        info, card = _from_path(source)
    else:
        info = champion_info()
        model = _load_any(info.source)
        card = registry_card(info.source)
    found, both, note = _with_detector(model, *detector_text(source or info.source, info.run_id))
    (_log.info if found is not None else _log.warning)("%s", note)
    loaded = LoadedModel(fast_predict(model), info, card, found, both, note)
    loaded.predict(np.zeros((1, *config.INPUT_SHAPE), np.float32))  # trace once, now
    return loaded


def champion_info() -> ModelInfo:
    """The registry's champion.

    Raises:
        NoModelError: no version carries the alias; the message says what to run first.
    """
    from mnist_pipeline import tracking

    try:
        found = tracking.client().get_model_version_by_alias(
            config.registered_model(), config.CHAMPION_ALIAS
        )
    except tracking.MlflowException:  # MLflow's error type, through the one door to MLflow
        raise NoModelError(
            f"no model version carries the '{config.CHAMPION_ALIAS}' alias of "
            f"'{config.registered_model()}' in {config.mlflow_tracking_uri()}: run "
            "'make notebooks' first (chapter 09 chooses the champion), or set "
            f"{MODEL_PATH_ENV} to a model file"
        ) from None
    return ModelInfo(
        name=config.registered_model(),
        version=str(found.version),
        alias=config.CHAMPION_ALIAS,
        source=f"models:/{config.registered_model()}@{config.CHAMPION_ALIAS}",
        run_id=found.run_id or "",
    )
