"""MLflow plumbing: the store, runs, logged models, the registry and its aliases.

The package's one door to MLflow: no other module imports it, so every write and read of
the store goes through a function here, as ``tracking.<name>``: :mod:`.store` (the client,
experiments, runs and what they log) and :mod:`.registry` (logged models, registered
versions, the ``champion`` alias). What a run of the study contains (its parameters and
metrics) is decided in :mod:`mnist_pipeline.study.experiment`; this subpackage only knows how
to write and read it. MLflow's usage telemetry is turned off before MLflow is imported (it
starts at import) unless the user set the variable: nothing leaves the machine.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# TensorFlow first, quietly (see _tf): MLflow's Keras flavour would otherwise import it
# with its start-up log going to the notebook's stderr.
from mnist_pipeline import _tf  # noqa: F401

# isort: split
import mlflow
from mlflow.exceptions import MlflowException

from mnist_pipeline.tracking.registry import (
    SKOPS_TRUSTED_TYPES,
    champion_version,
    load_champion,
    load_model,
    load_model_version,
    log_model,
    register_model,
    set_champion,
    set_version_description,
    version_of_run,
)
from mnist_pipeline.tracking.store import (
    artifact_location,
    client,
    experiment_id,
    log_figures,
    log_history,
    log_metrics,
    log_params,
    log_text,
    metric_history,
    search_runs,
    setup_tracking,
    start_run,
)

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "MlflowException",
    "artifact_location",
    "champion_version",
    "client",
    "experiment_id",
    "load_champion",
    "load_model",
    "load_model_version",
    "log_figures",
    "log_history",
    "log_metrics",
    "log_model",
    "log_params",
    "log_text",
    "metric_history",
    "mlflow",
    "register_model",
    "search_runs",
    "set_champion",
    "set_version_description",
    "setup_tracking",
    "start_run",
    "version_of_run",
]
