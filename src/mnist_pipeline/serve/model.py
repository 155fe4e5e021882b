"""The model the service answers with: found, loaded once, exported for the Docker image.

The model is the registry's ``models:/mnist-cnn@champion``, or what ``MNIST_MODEL_PATH``
names (an exported ``.keras`` file, an MLflow model directory or any MLflow model URI).
Its model card (Markdown) is the registered version's description, or the
``model_card.md`` exported beside the model file. Inference calls the model directly
through one compiled ``tf.function``, not ``predict()``.

Loading needs none of this package's model code: the registered Keras models are saved
without their training-only layers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnist_pipeline import adapters, config

MODEL_PATH_ENV = "MNIST_MODEL_PATH"
METADATA_FILE = "model.json"
MODEL_CARD_FILE = "model_card.md"
_REGISTRY_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


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

    ``card`` is the model card in Markdown, or None when the model has none.
    """

    predict: Callable[[np.ndarray], np.ndarray]
    info: ModelInfo
    card: str | None = None


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


def load(source: str | None = None) -> LoadedModel:
    """Load the model to serve, once, and warm it up.

    Args:
        source: a ``.keras`` file, an MLflow model directory or URI; by default
            ``MNIST_MODEL_PATH``, else the registry's champion.

    Returns:
        The model ready to answer, with what it is and its card.

    Raises:
        NoModelError: nothing to serve (no champion, or a path that does not exist).
    """
    source = source or os.environ.get(MODEL_PATH_ENV)
    if source:
        model = _load_any(source)
        info, card = _from_path(source)
    else:
        info = champion_info()
        model = _load_any(info.source)
        card = registry_card(info.source)
    loaded = LoadedModel(fast_predict(model), info, card)
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


def export_champion(directory: Path | str) -> Path:
    """Save the champion as ``model.keras`` (or an MLflow model directory) with its metadata.

    The exported directory is what the Docker image copies, so that the container serves
    the champion without a tracking server: ``model.json`` says which version it is, and
    ``model_card.md`` holds the version's description when it has one.

    Args:
        directory: where to write; created if missing.

    Returns:
        The path of the saved model.

    Raises:
        NoModelError: the registry has no champion.
    """
    from mnist_pipeline import tracking

    info = champion_info()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = tracking.load_model(info.source)
    adapter = adapters.for_model(model)
    if adapter.file_suffix is None:  # scikit-learn: MLflow's model directory, not a pickle
        target = directory / "mlflow-model"
        # MLflow's artifact download, through the one door to MLflow
        tracking.mlflow.artifacts.download_artifacts(artifact_uri=info.source, dst_path=str(target))
    else:
        target = adapter.save(model, directory / "model")  # model.keras
    meta = {**asdict(info), "exported_from": info.source, "source": target.name}
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    card = registry_card(info.source)
    card_file = directory / MODEL_CARD_FILE
    if card:
        card_file.write_text(card if card.endswith("\n") else card + "\n")
    else:
        card_file.unlink(missing_ok=True)  # a card left from an earlier export is not this one's
    return target
