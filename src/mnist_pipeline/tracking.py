"""MLflow plumbing: the store, runs, logged models, the registry and its aliases.

The package's one door to MLflow: no other module imports it, so every write and read of
the store goes through a function here.

Every function here talks to the store that :func:`mnist_pipeline.config.mlflow_tracking_uri`
names, through :func:`client`, which also points MLflow's fluent API at that store: no call
depends on another having run first, and none writes to a stray ``mlruns/`` in the working
directory. What a run of the study contains (its parameters and metrics) is decided in
:mod:`mnist_pipeline.study.experiment`; this module only knows how to write and read it.
MLflow's usage telemetry is turned off before MLflow is imported (it starts at import)
unless the user set the variable: nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# TensorFlow first, quietly (see _tf): MLflow's Keras flavour would otherwise import it
# with its start-up log going to the notebook's stderr.
from mnist_pipeline import _tf  # noqa: F401

# isort: split
import matplotlib.figure
import mlflow
import mlflow.keras
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.entities import Run
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from mnist_pipeline import adapters, config
from mnist_pipeline.provenance import git_state

# scikit-learn types the baselines hold that skops, MLflow's safe serialisation, does not trust
# by default; all are scikit-learn's own (found with skops.io.get_untrusted_types).
SKOPS_TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.tree._tree.Tree",
    "sklearn.utils._bunch.Bunch",
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


def _tensorflow() -> str:
    """The TensorFlow distribution installed here: ``tensorflow-cpu`` on Linux x86_64 and
    Windows, ``tensorflow`` elsewhere or with the GPU extra (the markers of pyproject.toml)."""
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            version(name)
            return name
        except PackageNotFoundError:
            continue
    raise PackageNotFoundError("tensorflow")


def log_model(model: object, x_example: np.ndarray, model_key: str) -> str:
    """Log the active run's model (Keras or scikit-learn) with its signature and register it.

    The signature is inferred from float32 arrays (no ``input_example``: it fails for
    Keras models in MLflow 3.17); a scikit-learn model takes flattened images. Registration
    goes through the client, since ``log_model(registered_model_name=...)`` prints notices
    to stderr.

    Args:
        model: the trained model.
        x_example: a few images ``(n, 28, 28, 1)``, to infer the signature.
        model_key: tagged on the new model version.

    Returns:
        The new version of ``config.registered_model()``, as a string.
    """
    adapter = adapters.for_model(model)
    x_example = np.asarray(x_example, dtype=np.float32)
    signature = infer_signature(*adapter.signature_example(model, x_example))
    flavour = getattr(mlflow, adapter.family)  # mlflow.keras or mlflow.sklearn
    info = flavour.log_model(
        model, name="model", signature=signature, **_FLAVOUR_OPTIONS[adapter.family]()
    )
    return register_model(info.model_uri, mlflow.active_run().info.run_id, model_key)


def _keras_options() -> dict[str, object]:
    # Pinned here: MLflow would infer them by loading the model in a fresh process, which
    # cannot rebuild a custom layer (``augment.for_inference`` drops model 4's before this).
    requirements = [f"{name}=={version(name)}" for name in ("keras", _tensorflow(), "numpy")]
    return {"pip_requirements": requirements}


# What each MLflow flavour needs besides the model and its signature, by family.
_FLAVOUR_OPTIONS = {
    "keras": _keras_options,
    "sklearn": lambda: {"skops_trusted_types": SKOPS_TRUSTED_TYPES},
}


def register_model(model_uri: str, run_id: str, model_key: str) -> str:
    """Register a logged model as a new version of ``config.registered_model()``.

    Returns:
        The new version number, as a string.
    """
    mlflow_client = client()
    try:
        mlflow_client.get_registered_model(config.registered_model())
    except MlflowException:
        mlflow_client.create_registered_model(
            config.registered_model(),
            description="Models of the MNIST study; see the mnist-pipeline book.",
        )
    # MLflow 3 logs a model as ``models:/<model id>``; a tracking server refuses that source
    # unless the version names the id too (a local store does not check).
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    version = mlflow_client.create_model_version(
        config.registered_model(),
        source=model_uri,
        run_id=run_id,
        tags={"model_key": model_key},
        model_id=model_id,
    )
    return str(version.version)


def version_of_run(run_id: str) -> str | None:
    """The registered version logged by ``run_id``, if it registered one."""
    versions = client().search_model_versions(f"run_id = '{run_id}'")
    return str(versions[0].version) if versions else None


def load_model(uri: str) -> object:
    """Load a logged model in its own flavour: a Keras model or a scikit-learn estimator.

    A Keras model is logged without its training-only layers (``augment.for_inference``),
    so loading it needs none of this package's custom layers.
    """
    client()
    adapter = adapters.for_flavours(mlflow.models.get_model_info(uri).flavors)
    return getattr(mlflow, adapter.family).load_model(uri)


def load_model_version(version: str) -> object:
    """Load a registered version of the project's model."""
    return load_model(f"models:/{config.registered_model()}/{version}")


def load_champion() -> object:
    """Load the model that carries the ``champion`` alias in the registry."""
    return load_model(f"models:/{config.registered_model()}@{config.CHAMPION_ALIAS}")


def set_champion(version: str) -> None:
    """Point the ``champion`` alias at a registered model version."""
    client().set_registered_model_alias(config.registered_model(), config.CHAMPION_ALIAS, version)


def champion_version() -> str:
    """The registered version that the ``champion`` alias points at."""
    found = client().get_model_version_by_alias(config.registered_model(), config.CHAMPION_ALIAS)
    return str(found.version)


def set_version_description(version: str, text: str) -> None:
    """Write ``text`` (Markdown: the model card) as a registered version's description,
    which the MLflow UI shows on the version's page."""
    client().update_model_version(config.registered_model(), version, description=text)
