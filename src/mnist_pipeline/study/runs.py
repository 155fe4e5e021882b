"""The schema of a study run: what :func:`mnist_pipeline.study.experiment.run` logs, read back.

The tags, parameters and final metrics a training run carries are named once here;
:func:`run_params` and :func:`run_metrics` build what is written, and :func:`latest_runs`
reads the same names back into one row per model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from mnist_pipeline import adapters, config, metrics, tracking
from mnist_pipeline.book import narrate
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.models import specs
from mnist_pipeline.models.specs import ModelSpec

# The run's schema: the tag that marks a study run, the parameters and metrics it carries.
MODEL_KEY_TAG = "model_key"
KIND_TAG = "kind"
# The kind of a run that repeats a spec on another seed (evaluation.seeds.repeat writes them,
# evaluation.seeds reads them back).
SEED_KIND = "seed"
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


@dataclass(frozen=True)
class Metric:
    """One final metric of a training run: its name in MLflow and its column in ``RUN_COLUMNS``."""

    logged: str
    column: str
    kind: type = float


# The run's final metrics: :func:`run_metrics` writes exactly these, :func:`latest_runs`
# reads them back. ``final_accuracy`` is logged by ``tracking.log_history`` (Keras only).
METRICS = (
    Metric("val_accuracy_final", "val_accuracy"),
    Metric("val_errors", "val_errors", int),
    Metric("val_ci_low", "val_ci_low"),
    Metric("val_ci_high", "val_ci_high"),
    Metric("final_accuracy", "train_accuracy"),
    Metric("training_seconds", "training_seconds"),
)
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


def run_params(spec: ModelSpec, model: object, seed: int, splits: Splits) -> dict[str, object]:
    """The parameters of a run, read from the spec and from the built model itself.

    For a Keras model the optimiser and its learning rate come from ``model.optimizer``, so
    what is logged is what trained, not what a configuration file says; for a scikit-learn
    estimator, ``estimator`` holds its own parameters. Fields that do not apply are ``-``.
    """
    fitted = adapters.for_family(spec.family).fitted_params(model, spec)
    params = {
        "title": spec.title,
        "group": spec.group,
        "family": spec.family,
        "n_parameters": metrics.parameter_count(model),
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


def run_metrics(val: Mapping[str, float], seconds: float) -> dict[str, float]:
    """The final metrics :func:`run` logs, named as ``METRICS`` says.

    Args:
        val: validation accuracy, errors and interval (``metrics.accuracy_with_interval``).
        seconds: the training time.

    Returns:
        Logged name to value, for the metrics of ``METRICS`` that :func:`run` writes itself.
    """
    values = {f"val_{name}": val[name] for name in ("accuracy", "errors", "ci_low", "ci_high")}
    values["training_seconds"] = seconds
    return {m.logged: values[m.column] for m in METRICS if m.column in values}


def latest_runs(experiment: str | None = None) -> pd.DataFrame:
    """The newest finished training run of each model, with its registered version.

    Args:
        experiment: the experiment name.

    Returns:
        One row per model key, sorted by key, with the columns of ``RUN_COLUMNS``.
    """
    runs = tracking.search_runs(
        experiment,
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
                **_read_metrics(r),
                "model_version": tracking.version_of_run(r["run_id"]),
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS).reset_index(drop=True)


def latest_run(key: str, experiment: str | None = None) -> pd.Series:
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
    return tracking.metric_history(run_id, ("loss", "accuracy", "val_loss", "val_accuracy"))


def _read_metrics(row: pd.Series) -> dict[str, float]:
    """The ``METRICS`` of one row of ``tracking.search_runs``, by column; NaN where absent."""
    read = {}
    for m in METRICS:
        value = row.get(f"metrics.{m.logged}", float("nan"))
        read[m.column] = m.kind(value) if m.kind is int else value
    return read


def _number(text: str | None) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def validation_table(results: Sequence) -> pd.DataFrame:
    """Training runs on the validation set, for readers: accuracy with its interval, errors,
    training time and size (``experiment.RunResult`` objects)."""
    return pd.DataFrame(
        [
            {
                "model": specs.label(r.spec.key),
                "validation": narrate.pct(r.val["accuracy"]),
                "95 % interval": narrate.interval(r.val["ci_low"], r.val["ci_high"]),
                "errors": f"{r.val['errors']:,}",
                "training": narrate.duration(r.training.seconds),
                "parameters": f"{metrics.parameter_count(r.model):,}",
            }
            for r in results
        ]
    ).set_index("model")


#: A group's name for readers, where its key alone would be ambiguous ("study": whose?).
GROUP_WORDS = {"study": "original study"}


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The training runs evaluated, for readers: group, size, validation, time, registry version."""
    return pd.DataFrame(
        {
            "model": [specs.label(k) for k in runs["model_key"]],
            "group": [GROUP_WORDS.get(g, g) for g in runs["group"]],
            "parameters": [f"{n:,}" for n in runs["n_parameters"]],
            "epochs": [str(e) if e else "-" for e in runs["epochs"]],
            "validation": [narrate.pct(a) for a in runs["val_accuracy"]],
            "errors": [f"{e:,}" for e in runs["val_errors"]],
            "training": [narrate.duration(s) for s in runs["training_seconds"]],
            "version": runs["model_version"],
        }
    ).set_index("model")


def compared_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Each model's newest run for readers, as a model's chapter compares it with the others.

    Args:
        runs: ``experiment.runs_so_far()`` (indexed by model key) or :func:`latest_runs`.

    Returns:
        One row per model, in the registry's order (study CNNs, then baselines), named by
        ``specs.label``: parameters, epochs (``-`` for a model fitted in one call), validation
        accuracy in percent to two decimals, errors and training time in whole seconds.
    """
    runs = runs.set_index("model_key") if "model_key" in runs.columns else runs
    order = {key: i for i, key in enumerate(specs.SPECS)}
    runs = runs.loc[sorted(runs.index, key=lambda key: (order.get(key, len(order)), key))]
    return pd.DataFrame(
        {
            "parameters": [f"{n:,}" for n in runs["n_parameters"]],
            "epochs": [str(e) if e else "-" for e in runs["epochs"]],
            "validation": ["-" if pd.isna(a) else narrate.pct(a) for a in runs["val_accuracy"]],
            "errors": [f"{e:,}" for e in runs["val_errors"]],
            "training (s)": [_seconds(s) for s in runs["training_seconds"]],
        },
        index=pd.Index([specs.label(k) for k in runs.index], name="model"),
    )


def _seconds(seconds: float) -> str:
    """A training time in whole seconds with thousands separators; ``< 1`` below half a second."""
    if pd.isna(seconds):  # not logged
        return "-"
    return "< 1" if seconds < 0.5 else f"{seconds:,.0f}"
