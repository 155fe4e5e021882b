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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.figure
import mlflow
import numpy as np
import pandas as pd

from mnist_pipeline import config, evaluate, narrate, plots, tracking, train
from mnist_pipeline.models import for_inference, recalibrate_batchnorm, summary_table
from mnist_pipeline.prepare import Splits
from mnist_pipeline.seeding import set_seed
from mnist_pipeline.specs import ModelSpec

# The run's schema: the tag that marks a study run, the parameters and metrics it carries.
MODEL_KEY_TAG = "model_key"
KIND_TAG = "kind"
PARAMS = (
    "title",
    "group",
    "family",
    "n_parameters",
    "architecture",
    "estimator",
    "epochs",
    "batch_size",
    "optimizer",
    "learning_rate",
    "schedule",
    "batchnorm_recalibration",
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
    "group",
    "family",
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
    model: object
    training: train.TrainingResult
    val_proba: np.ndarray
    val_labels: np.ndarray
    run_id: str
    model_version: str | None

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


def run_params(spec: ModelSpec, model: object, seed: int, splits: Splits) -> dict[str, object]:
    """The parameters of a run, read from the spec and from the built model itself.

    For a Keras model the optimiser and its learning rate come from ``model.optimizer``, so
    what is logged is what trained, not what a configuration file says; for a scikit-learn
    estimator, ``estimator`` holds its own parameters. Fields that do not apply are ``-``.
    """
    if spec.family == "keras":
        rate = model.optimizer._learning_rate  # the schedule itself (Keras 3 keeps it private)
        fitted = {
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
    else:
        fitted = {
            "architecture": type(model).__name__,
            "estimator": str(model)[:500],
            **dict.fromkeys(("epochs", "batch_size", "optimizer", "learning_rate"), "-"),
            "schedule": "-",
            "batchnorm_recalibration": "-",
            "loss": "-",
        }
    params = {
        "title": spec.title,
        "group": spec.group,
        "family": spec.family,
        "n_parameters": evaluate.parameter_count(model),
        **fitted,
        "seed": seed,
        "data_sha256": splits.data_sha256,
        "n_train": len(splits.x_train),
        "n_val": len(splits.x_val),
        "quality_bar": spec.quality_bar,
        "study_val_accuracy": "-" if spec.study_val_accuracy is None else spec.study_val_accuracy,
    }
    assert set(params) == set(PARAMS)  # the schema latest_runs reads
    return params


def _fit(spec: ModelSpec, splits: Splits, verbose: int, callbacks: Sequence) -> tuple:
    if spec.family == "sklearn":
        model = spec.build()
        start = time.perf_counter()
        model.fit(evaluate.flat(splits.x_train), splits.y_train)
        return model, train.TrainingResult(history={}, seconds=time.perf_counter() - start)
    model = spec.build(n_train=len(splits.x_train))
    training = train.fit(
        model,
        splits.x_train,
        splits.onehot("train"),
        splits.x_val,
        splits.onehot("val"),
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        verbose=verbose,
        callbacks=list(callbacks),
    )
    if spec.recalibrate_batchnorm:
        start = time.perf_counter()
        recalibrate_batchnorm(model, splits.x_train[: spec.recalibrate_batchnorm])
        training.seconds += time.perf_counter() - start
    return model, training


def run(
    spec: ModelSpec,
    splits: Splits,
    *,
    seed: int = config.SEED,
    experiment: str = config.MLFLOW_EXPERIMENT,
    verbose: int = 2,
    parent_run_id: str | None = None,
    kind: str = "training",
    callbacks: Sequence = (),
    log_model: bool = True,
) -> RunResult:
    """Seed, build, train, evaluate on validation and log one MLflow run for ``spec``.

    A spec with ``recalibrate_batchnorm`` has its batch-norm statistics re-estimated on clean
    training images after the last epoch (counted in the training time), so the per-epoch
    metrics describe the model before that step and the final validation figures after it.

    The run carries the parameters of :func:`run_params` and the git state, per-epoch
    metrics (Keras models), validation accuracy with its interval and error count, and,
    with ``log_model``, the training curves, the validation confusion matrix, the layer
    table and the model, registered as a new version of ``config.REGISTERED_MODEL``.

    Args:
        spec: the model to train.
        splits: the prepared data, with the dataset's fingerprint that the run logs; the test
            set is not touched.
        seed: seeds every generator before the model is built.
        experiment: the MLflow experiment.
        verbose: Keras' verbosity; 2 prints one line per epoch.
        parent_run_id: makes the run a nested child of this run (a search's trials).
        kind: the run's ``kind`` tag; ``latest_runs`` reads ``training`` runs only.
        callbacks: Keras callbacks (a search's pruning).
        log_model: log figures and the model and register it (not for search trials).

    Returns:
        The trained model, its history, validation probabilities and the run's ids.
    """
    set_seed(seed)
    model, training = _fit(spec, splits, verbose, callbacks)
    val_proba = evaluate.predict_proba(model, splits.x_val)
    val = evaluate.accuracy_with_interval(splits.y_val, val_proba.argmax(axis=1))
    tags = {MODEL_KEY_TAG: spec.key, KIND_TAG: kind}
    with tracking.start_run(spec.key, tags, experiment, parent_run_id=parent_run_id) as active:
        mlflow.log_params(run_params(spec, model, seed, splits))
        if training.history:
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
        version = None
        if log_model:
            tracking.log_figures(_figures(spec, training, splits.y_val, val_proba))
            if spec.family == "keras":
                mlflow.log_text(summary_table(model).to_markdown(index=False), "model_summary.md")
            version = tracking.log_model(for_inference(model), splits.x_val[:5], spec.key)
    return RunResult(spec, model, training, val_proba, splits.y_val, active.info.run_id, version)


def _figures(spec: ModelSpec, training: train.TrainingResult, y_val, val_proba) -> dict:
    figures = {
        "confusion_matrix_val.png": plots.confusion_heatmap(
            evaluate.confusion(y_val, val_proba.argmax(axis=1)), f"{spec.title}: validation"
        )
    }
    if training.history:
        figures["training_curves.png"] = plots.training_curves(training.history, spec.title)
    return figures


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
                "group": r["params.group"],
                "family": r["params.family"],
                "run_id": r["run_id"],
                "architecture": r["params.architecture"],
                "n_parameters": int(r["params.n_parameters"]),
                "epochs": int(r["params.epochs"]) if r["params.epochs"] != "-" else 0,
                "study_val_accuracy": _number(r["params.study_val_accuracy"]),
                "val_accuracy": r["metrics.val_accuracy_final"],
                "val_errors": int(r["metrics.val_errors"]),
                "val_ci_low": r["metrics.val_ci_low"],
                "val_ci_high": r["metrics.val_ci_high"],
                "train_accuracy": r.get("metrics.final_accuracy", float("nan")),
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


def history(run_id: str) -> dict[str, list[float]]:
    """The per-epoch metrics a training run logged (``loss``, ``val_accuracy``...), in order."""
    mlflow_client = tracking.client()
    names = ("loss", "accuracy", "val_loss", "val_accuracy")
    return {
        name: [
            m.value
            for m in sorted(mlflow_client.get_metric_history(run_id, name), key=lambda m: m.step)
        ]
        for name in names
    }


def _number(text: str | None) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


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
