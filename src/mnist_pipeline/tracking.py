"""MLflow: set-up, logging of a training run, the model registry and its aliases.

Every path here is absolute (from ``config``), so a notebook kernel started in
``notebooks/`` and ``make mlflow-ui`` started at the root see the same store.
MLflow's usage telemetry is turned off before MLflow is imported (it starts at
import) unless the user set the variable: nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# TensorFlow first, quietly (see _tf): MLflow's Keras flavour would otherwise import it
# with its start-up log going to the notebook's stderr.
from mnist_pipeline._tf import keras

# isort: split
import matplotlib.figure
import mlflow
import mlflow.keras
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from mnist_pipeline import config
from mnist_pipeline.train import TrainingResult

RUN_COLUMNS = [
    "model_key",
    "run_id",
    "run_name",
    "architecture",
    "epochs",
    "val_accuracy",
    "train_accuracy",
    "training_seconds",
    "model_version",
]


def artifact_location(tracking_uri: str) -> str | None:
    """Where an experiment of a local SQLite store keeps its artifacts.

    Args:
        tracking_uri: an MLflow tracking URI.

    Returns:
        A ``file://`` URI of ``mlartifacts/`` beside the database for ``sqlite:///`` stores
        (MLflow's own default is relative to the working directory), else ``None``
        so that a tracking server chooses.
    """
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    return (Path(tracking_uri[len(prefix) :]).resolve().parent / "mlartifacts").as_uri()


def setup_tracking(experiment: str = config.MLFLOW_EXPERIMENT) -> str:
    """Point MLflow at the project's store and experiment, creating them on first use.

    Args:
        experiment: the experiment name.

    Returns:
        The experiment id.
    """
    # Store creation and migrations log at INFO level: keep them out of notebook outputs.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = config.mlflow_tracking_uri()
    mlflow.set_tracking_uri(uri)
    existing = mlflow.get_experiment_by_name(experiment)
    if existing is None:
        experiment_id = mlflow.create_experiment(experiment, artifact_location(uri))
    else:
        experiment_id = existing.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def git_commit() -> str:
    """The project's current git commit, or ``"unknown"`` outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=config.PROJ_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def log_training_run(
    model: keras.Model,
    model_key: str,
    result: TrainingResult,
    params: dict[str, object],
    figures: dict[str, matplotlib.figure.Figure],
    summary: pd.DataFrame,
    x_example: np.ndarray,
) -> tuple[str, str]:
    """Log one training run: params, per-epoch and final metrics, artifacts, the model.

    The model is logged with a signature inferred from float32 arrays (no
    ``input_example``: it fails for Keras models in MLflow 3.17) and registered as a
    new version of ``config.REGISTERED_MODEL``.

    Args:
        model: the trained Keras model.
        model_key: ``model_1``, ``model_2`` or ``model_3``.
        result: the training history and time.
        params: hyperparameters and provenance (epochs, batch size, seed, data checksum...).
        figures: artifact file name to figure.
        summary: the layer table of the model.
        x_example: a few float32 inputs, to infer the signature.

    Returns:
        The run id and the registered model version.
    """
    with mlflow.start_run(run_name=model_key) as run:
        mlflow.set_tag("model_key", model_key)
        mlflow.log_params({**params, "git_commit": git_commit()})
        for step, values in enumerate(zip(*result.history.values(), strict=True), start=1):
            mlflow.log_metrics(dict(zip(result.history, values, strict=True)), step=step)
        mlflow.log_metrics({f"final_{k}": result.final(k) for k in result.history})
        mlflow.log_metric("training_seconds", result.seconds)
        for name, fig in figures.items():
            mlflow.log_figure(fig, name)
        mlflow.log_text(summary.to_markdown(index=False), "model_summary.md")
        x_example = np.asarray(x_example, dtype=np.float32)
        signature = infer_signature(x_example, model.predict(x_example, verbose=0))
        info = mlflow.keras.log_model(model, name="model", signature=signature)
    return run.info.run_id, register_model(info.model_uri, run.info.run_id, model_key)


def register_model(model_uri: str, run_id: str, model_key: str) -> str:
    """Register a logged model as a new version of ``config.REGISTERED_MODEL``.

    Uses the client rather than ``log_model(registered_model_name=...)``, which prints
    registration notices to stderr that would land in notebook outputs.

    Returns:
        The new version number, as a string.
    """
    client = MlflowClient()
    try:
        client.get_registered_model(config.REGISTERED_MODEL)
    except MlflowException:
        client.create_registered_model(
            config.REGISTERED_MODEL,
            description="CNNs for MNIST digits; see the mnist-pipeline book.",
        )
    version = client.create_model_version(
        config.REGISTERED_MODEL, source=model_uri, run_id=run_id, tags={"model_key": model_key}
    )
    return str(version.version)


def latest_runs(experiment: str = config.MLFLOW_EXPERIMENT) -> pd.DataFrame:
    """The newest finished run of each model in the experiment, with its registered version.

    Args:
        experiment: the experiment name.

    Returns:
        One row per model key, sorted by key, with the columns of ``RUN_COLUMNS``.
    """
    runs = mlflow.search_runs(
        experiment_names=[experiment],
        filter_string="status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
    )
    if runs.empty or "tags.model_key" not in runs:
        return pd.DataFrame(columns=RUN_COLUMNS)
    # Runs logged by hand into the experiment carry no model key: they are not ours to compare.
    ours = runs.dropna(subset=["tags.model_key"])
    newest = ours.drop_duplicates("tags.model_key").sort_values("tags.model_key")
    client = MlflowClient()
    rows = []
    for _, run in newest.iterrows():
        versions = client.search_model_versions(f"run_id = '{run['run_id']}'")
        rows.append(
            {
                "model_key": run["tags.model_key"],
                "run_id": run["run_id"],
                "run_name": run["tags.mlflow.runName"],
                "architecture": run["params.architecture"],
                "epochs": int(run["params.epochs"]),
                "val_accuracy": run["metrics.final_val_accuracy"],
                "train_accuracy": run["metrics.final_accuracy"],
                "training_seconds": run["metrics.training_seconds"],
                "model_version": str(versions[0].version) if versions else None,
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS).reset_index(drop=True)


def load_model_version(version: str) -> keras.Model:
    """Load a registered version of the project's model as a Keras model."""
    return mlflow.keras.load_model(f"models:/{config.REGISTERED_MODEL}/{version}")


def load_champion() -> keras.Model:
    """Load the model that carries the ``champion`` alias in the registry."""
    return mlflow.keras.load_model(f"models:/{config.REGISTERED_MODEL}@{config.CHAMPION_ALIAS}")


def set_champion(version: str) -> None:
    """Point the ``champion`` alias at a registered model version."""
    MlflowClient().set_registered_model_alias(
        config.REGISTERED_MODEL, config.CHAMPION_ALIAS, version
    )


def champion_version() -> str:
    """The registered version that the ``champion`` alias points at."""
    version = MlflowClient().get_model_version_by_alias(
        config.REGISTERED_MODEL, config.CHAMPION_ALIAS
    )
    return str(version.version)


def log_test_metrics(run_id: str, metrics: dict[str, float]) -> None:
    """Add held-out test metrics to a finished training run."""
    client = MlflowClient()
    for key, value in metrics.items():
        client.log_metric(run_id, key, float(value))
