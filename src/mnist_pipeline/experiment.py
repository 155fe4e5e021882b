"""One path from a model spec to a logged MLflow run, and the schema that reads it back.

A chapter names *what* to train (a spec, the data); :func:`run` does the *how*: it seeds,
builds, trains, evaluates on validation and logs one MLflow run whose parameters it derives
itself (from the spec, the compiled model and the data fingerprint), registers the model
and returns a :class:`RunResult` that the chapter reads back in prose.
:func:`latest_runs` reads exactly the parameters and metrics :func:`run` writes, and
:func:`log_evaluation` records the evaluation chapter's own run, linked to those.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.figure
import mlflow
import numpy as np
import pandas as pd

from mnist_pipeline import config, evaluate, narrate, plots, tracking, train
from mnist_pipeline._tf import keras
from mnist_pipeline.models import summary_table
from mnist_pipeline.prepare import Splits
from mnist_pipeline.seeding import set_seed
from mnist_pipeline.specs import ModelSpec

# The run's schema: the tag that marks a study run, the parameters and metrics it carries.
MODEL_KEY_TAG = "model_key"
KIND_TAG = "kind"
PARAMS = (
    "title",
    "architecture",
    "n_parameters",
    "epochs",
    "batch_size",
    "optimizer",
    "learning_rate",
    "loss",
    "seed",
    "data_sha256",
    "n_train",
    "n_val",
    "quality_bar",
    "study_val_accuracy",
)
VAL_METRICS = ("val_accuracy_final", "val_errors", "val_ci_low", "val_ci_high")
RUN_COLUMNS = [
    "model_key",
    "title",
    "run_id",
    "architecture",
    "n_parameters",
    "epochs",
    "study_val_accuracy",
    "val_accuracy",
    "val_errors",
    "val_ci_low",
    "val_ci_high",
    "train_accuracy",
    "training_seconds",
    "model_version",
]


@dataclass
class RunResult:
    """What :func:`run` leaves behind, for the chapter to show and read back."""

    spec: ModelSpec
    model: keras.Model
    training: train.TrainingResult
    val_proba: np.ndarray
    val_labels: np.ndarray
    run_id: str
    model_version: str

    @property
    def history(self) -> dict[str, list[float]]:
        return self.training.history

    @property
    def val_pred(self) -> np.ndarray:
        return self.val_proba.argmax(axis=1)

    @property
    def val(self) -> dict[str, float]:
        """Validation accuracy, errors and 95 % interval of the trained model."""
        return evaluate.accuracy_with_interval(self.val_labels, self.val_pred)

    def describe(self) -> str:
        """One sentence on the run: validation accuracy with its interval, time, MLflow ids."""
        return narrate.describe_run(
            self.spec.title,
            self.val,
            self.spec.epochs,
            self.training.seconds,
            self.run_id,
            self.model_version,
        )

    def check_quality_bar(self) -> str:
        """Fail loudly when validation accuracy is below the spec's bar, else say it cleared it.

        Raises:
            AssertionError: below the bar, so that ``pytest --nbval`` fails on a regression.
        """
        accuracy, bar = self.val["accuracy"], self.spec.quality_bar
        if accuracy < bar:
            raise AssertionError(f"{self.spec.key}: validation accuracy {accuracy:.4f} < {bar}")
        return f"{self.spec.title} clears its {narrate.pct(bar, 1)} validation bar."


def run_params(
    spec: ModelSpec, model: keras.Model, seed: int, data_sha256: str, splits: Splits
) -> dict[str, object]:
    """The parameters of a run, read from the spec and from the compiled model itself.

    The optimiser and its learning rate come from ``model.optimizer``, so what is logged is
    what trained, not what a configuration file says.
    """
    params = {
        "title": spec.title,
        "architecture": model.name,
        "n_parameters": model.count_params(),
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
        "optimizer": type(model.optimizer).__name__,
        "learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
        "loss": str(model.loss),
        "seed": seed,
        "data_sha256": data_sha256,
        "n_train": len(splits.x_train),
        "n_val": len(splits.x_val),
        "quality_bar": spec.quality_bar,
        "study_val_accuracy": "" if spec.study_val_accuracy is None else spec.study_val_accuracy,
    }
    assert tuple(params) == PARAMS  # the schema latest_runs reads
    return params


def run(
    spec: ModelSpec,
    splits: Splits,
    *,
    data_sha256: str,
    seed: int = config.SEED,
    experiment: str = config.MLFLOW_EXPERIMENT,
    verbose: int = 2,
) -> RunResult:
    """Seed, build, train, evaluate on validation and log one MLflow run for ``spec``.

    The run carries the parameters of :func:`run_params` and the git state, per-epoch
    metrics, validation accuracy with its interval, the training curves, the validation
    confusion matrix, the layer table and the model, registered as a new version of
    ``config.REGISTERED_MODEL``.

    Args:
        spec: the model to train.
        splits: the prepared data; the test set is not touched.
        data_sha256: the dataset's fingerprint (``data.fingerprint``), logged for provenance.
        seed: seeds every generator before the model is built.
        experiment: the MLflow experiment.
        verbose: Keras' verbosity; 2 prints one line per epoch.

    Returns:
        The trained model, its history, validation probabilities and the run's ids.
    """
    set_seed(seed)
    model = spec.build()
    training = train.fit(
        model,
        splits.x_train,
        splits.onehot("train"),
        splits.x_val,
        splits.onehot("val"),
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        verbose=verbose,
    )
    val_proba = evaluate.predict_proba(model, splits.x_val)
    val = evaluate.accuracy_with_interval(splits.y_val, val_proba.argmax(axis=1))
    figures = {
        "training_curves.png": plots.training_curves(training.history, spec.title),
        "confusion_matrix_val.png": plots.confusion_heatmap(
            evaluate.confusion(splits.y_val, val_proba.argmax(axis=1)),
            f"{spec.title}: validation",
        ),
    }
    tags = {MODEL_KEY_TAG: spec.key, KIND_TAG: "training"}
    with tracking.start_run(spec.key, tags, experiment) as active:
        mlflow.log_params(run_params(spec, model, seed, data_sha256, splits))
        tracking.log_history(training.history)
        mlflow.log_metrics(
            {
                "training_seconds": training.seconds,
                "val_accuracy_final": val["accuracy"],
                "val_errors": val["errors"],
                "val_ci_low": val["ci_low"],
                "val_ci_high": val["ci_high"],
            }
        )
        tracking.log_figures(figures)
        mlflow.log_text(summary_table(model).to_markdown(index=False), "model_summary.md")
        version = tracking.log_keras_model(model, splits.x_val[:5], spec.key)
    return RunResult(spec, model, training, val_proba, splits.y_val, active.info.run_id, version)


def latest_runs(experiment: str = config.MLFLOW_EXPERIMENT) -> pd.DataFrame:
    """The newest finished training run of each model, with its registered version.

    Args:
        experiment: the experiment name.

    Returns:
        One row per model key, sorted by key, with the columns of ``RUN_COLUMNS``.
    """
    tracking.client()
    runs = mlflow.search_runs(
        experiment_ids=[tracking.experiment_id(experiment)],
        filter_string=f"status = 'FINISHED' and tags.{KIND_TAG} = 'training'",
        order_by=["attributes.start_time DESC"],
    )
    if runs.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    newest = runs.drop_duplicates(f"tags.{MODEL_KEY_TAG}").sort_values(f"tags.{MODEL_KEY_TAG}")
    rows = []
    for _, r in newest.iterrows():
        rows.append(
            {
                "model_key": r[f"tags.{MODEL_KEY_TAG}"],
                "title": r["params.title"],
                "run_id": r["run_id"],
                "architecture": r["params.architecture"],
                "n_parameters": int(r["params.n_parameters"]),
                "epochs": int(r["params.epochs"]),
                "study_val_accuracy": float(r["params.study_val_accuracy"] or "nan"),
                "val_accuracy": r["metrics.val_accuracy_final"],
                "val_errors": int(r["metrics.val_errors"]),
                "val_ci_low": r["metrics.val_ci_low"],
                "val_ci_high": r["metrics.val_ci_high"],
                "train_accuracy": r["metrics.final_accuracy"],
                "training_seconds": r["metrics.training_seconds"],
                "model_version": tracking.version_of_run(r["run_id"]),
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS).reset_index(drop=True)


def latest_run(key: str, experiment: str = config.MLFLOW_EXPERIMENT) -> pd.Series:
    """The newest training run of model ``key``.

    Raises:
        LookupError: when the store has none, saying which chapter to run first.
    """
    runs = latest_runs(experiment).set_index("model_key", drop=False)
    if key not in runs.index:
        raise LookupError(
            f"no training run of {key} in {config.mlflow_tracking_uri()}: "
            "run its chapter (or make notebooks) first"
        )
    return runs.loc[key]


def log_evaluation(
    runs: pd.DataFrame,
    test: Mapping[str, Mapping[str, float]],
    champion: pd.Series,
    figures: Mapping[str, matplotlib.figure.Figure],
    tables: Mapping[str, pd.DataFrame],
    experiment: str = config.MLFLOW_EXPERIMENT,
) -> str:
    """Log the evaluation chapter's own run: test metrics of every model and the champion.

    The run is linked to the training runs it evaluated by their ids (a parameter per
    model and a JSON artifact), and leaves those finished runs untouched.

    Args:
        runs: the training runs evaluated (``latest_runs``).
        test: model key to its test metrics (``accuracy`` and friends).
        champion: the chosen row of ``runs``.
        figures: artifact file name to figure.
        tables: artifact file name (``.md``) to table.
        experiment: the MLflow experiment.

    Returns:
        The evaluation run's id.
    """
    links = {f"training_run_{r.model_key}": r.run_id for r in runs.itertuples()}
    with tracking.start_run(config.EVALUATION_RUN, {KIND_TAG: "evaluation"}, experiment) as active:
        mlflow.log_params(
            {
                **links,
                "champion_model_key": champion["model_key"],
                "champion_version": champion["model_version"],
                "champion_rule": "best validation accuracy; ties to fewer parameters",
            }
        )
        mlflow.log_metrics(
            {
                f"test_{name}_{key}": float(value)
                for key, metrics in test.items()
                for name, value in metrics.items()
            }
        )
        mlflow.log_text(json.dumps(links, indent=2), "training_runs.json")
        tracking.log_figures(figures)
        for name, table in tables.items():
            mlflow.log_text(table.to_markdown(), name)
    return active.info.run_id
