"""The champion saved for the Docker image: the model, its metadata, card and detector.

``python -m mnist_pipeline.serve --export DIR`` (``make export-model``) writes what the image
copies, so that the container serves the champion without a tracking server.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from mnist_pipeline import adapters
from mnist_pipeline.serve.model import (
    DETECTOR_FILE,
    METADATA_FILE,
    MODEL_CARD_FILE,
    champion_info,
    detector_text,
    registry_card,
)


def export_champion(directory: Path | str) -> Path:
    """Save the champion as ``model.keras`` (or an MLflow model directory) with its metadata.

    The exported directory is what the Docker image copies, so that the container serves
    the champion without a tracking server: ``model.json`` says which version it is,
    ``model_card.md`` holds the version's description and ``detector.json`` the "not a digit"
    detector of its run, when it has them (a file left by an earlier export is removed).

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
    text, _ = detector_text(info.source, info.run_id)
    detector_file = directory / DETECTOR_FILE
    if text is not None:
        detector_file.write_text(text if text.endswith("\n") else text + "\n")
    else:
        detector_file.unlink(missing_ok=True)  # nor is a detector left from an earlier export
    return target
