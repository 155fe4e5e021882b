"""MLflow's store: the client, experiments, runs and what a run logs, and reading runs back.

Every function here talks to the store that :func:`mnist_pipeline.config.mlflow_tracking_uri`
names, through :func:`client`, which also points MLflow's fluent API at that store: no call
depends on another having run first, and none writes to a stray ``mlruns/`` in the working
directory.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import matplotlib.figure
import mlflow
import pandas as pd
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from mnist_pipeline import config
from mnist_pipeline.provenance import git_state


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


def client() -> MlflowClient:
    """A client for the project's store, with MLflow's fluent API pointed at the same store.

    Returns:
        An ``MlflowClient`` for ``config.mlflow_tracking_uri()`` (tracking and registry).
    """
    # Store creation and migrations log at INFO level: keep them out of notebook outputs.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = config.mlflow_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(experiment: str | None = None) -> str:
    """The id of ``experiment`` in the project's store, created on first use.

    Args:
        experiment: the experiment name; ``None``, the profile's (:func:`config.experiment_name`),
            as for every function here that takes one.

    Returns:
        The experiment id.
    """
    experiment = experiment or config.experiment_name()
    mlflow_client = client()
    existing = mlflow_client.get_experiment_by_name(experiment)
    if existing is not None:
        return existing.experiment_id
    location = artifact_location(config.mlflow_tracking_uri())
    try:
        return mlflow_client.create_experiment(experiment, artifact_location=location)
    except mlflow.exceptions.MlflowException:
        # Another process (a second search worker starting at the same moment) created it
        # between the lookup and here: use theirs.
        existing = mlflow_client.get_experiment_by_name(experiment)
        if existing is None:
            raise
        return existing.experiment_id


def setup_tracking(experiment: str | None = None) -> str:
    """Make ``experiment`` the active one for MLflow's fluent API (``mlflow.log_metric``...).

    The package's own functions do not need it; it is for a user's own calls in a notebook.

    Returns:
        The experiment id.
    """
    exp_id = experiment_id(experiment)
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


@contextlib.contextmanager
def start_run(
    run_name: str,
    tags: Mapping[str, str],
    experiment: str | None = None,
    parent_run_id: str | None = None,
) -> Iterator[Run]:
    """Open a run in ``experiment`` of the project's store, tagged, with the git state and the
    profile it ran under (the ``profile`` parameter: ``full`` or ``smoke``).

    Args:
        run_name: the run's display name.
        tags: tags to set (the study's ``model_key`` or ``kind``...).
        experiment: the experiment name.
        parent_run_id: open the run as a nested child of this one.

    Yields:
        The active run; the fluent ``mlflow.log_*`` functions write to it.
    """
    exp_id = experiment_id(experiment)
    with mlflow.start_run(
        experiment_id=exp_id,
        run_name=run_name,
        tags=dict(tags),
        nested=parent_run_id is not None,
        parent_run_id=parent_run_id,
    ) as run:
        mlflow.log_params({**git_state(), "profile": config.profile().name})
        yield run


def log_params(params: Mapping[str, object]) -> None:
    """Log parameters on the active run (each value as its ``str``)."""
    mlflow.log_params(dict(params))


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log metrics on the active run, at ``step`` when given."""
    mlflow.log_metrics({name: float(value) for name, value in metrics.items()}, step=step)


def log_text(text: str, name: str) -> None:
    """Log ``text`` as an artifact file of the active run, under ``name``."""
    mlflow.log_text(text, name)


def search_runs(
    experiment: str | None = None,
    filter_string: str = "",
    order_by: list[str] | None = None,
) -> pd.DataFrame:
    """The runs of ``experiment`` that match a filter, as MLflow's table of them.

    Args:
        experiment: the experiment name.
        filter_string: MLflow's search filter (``"tags.kind = 'training'"``).
        order_by: MLflow's ordering clauses (``["attributes.start_time DESC"]``).

    Returns:
        One row per run: ``run_id``, ``params.*``, ``metrics.*``, ``tags.*`` columns.
    """
    return mlflow.search_runs(
        experiment_ids=[experiment_id(experiment)],
        filter_string=filter_string,
        order_by=order_by or [],
    )


def metric_history(run_id: str, names: Iterable[str]) -> dict[str, list[float]]:
    """Every value a run logged for each metric in ``names``, in step order."""
    mlflow_client = client()
    return {
        name: [
            m.value
            for m in sorted(mlflow_client.get_metric_history(run_id, name), key=lambda m: m.step)
        ]
        for name in names
    }


def log_history(history: Mapping[str, list[float]]) -> None:
    """Log per-epoch metrics (step = epoch, from 1) and each metric's last value as ``final_*``."""
    for step, values in enumerate(zip(*history.values(), strict=True), start=1):
        mlflow.log_metrics(dict(zip(history, values, strict=True)), step=step)
    mlflow.log_metrics({f"final_{name}": float(values[-1]) for name, values in history.items()})


def log_figures(figures: Mapping[str, matplotlib.figure.Figure]) -> None:
    """Log each figure as a PNG artifact under its file name."""
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)
