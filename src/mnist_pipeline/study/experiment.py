"""One path from a model spec to a logged, registered MLflow run, and the result it returns.

A chapter names *what* to train (a spec, the data); :func:`run` does the *how*: it seeds,
builds, trains, evaluates on validation and logs one MLflow run whose parameters it derives
itself (from the spec, the compiled model and the data fingerprint), registers the model
and returns a :class:`RunResult` that the chapter reads back in prose.
:mod:`mnist_pipeline.study.runs` names what a run carries and reads it back (:func:`latest_runs`),
and :mod:`mnist_pipeline.evaluation.findings` records the evaluation chapter's own run, linked to those.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnist_pipeline import adapters, config, metrics, plots, tracking
from mnist_pipeline.book import narrate
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.models import detector
from mnist_pipeline.models.augment import for_inference
from mnist_pipeline.models.cnn import summary_table
from mnist_pipeline.models.detector import DigitDetector
from mnist_pipeline.models.specs import ModelSpec
from mnist_pipeline.seeding import set_seed
from mnist_pipeline.study import train
from mnist_pipeline.study.runs import (
    KIND_TAG,
    METRICS,
    MODEL_KEY_TAG,
    PARAMS,
    RUN_COLUMNS,
    history,
    latest_run,
    latest_runs,
    run_metrics,
    run_params,
)

if TYPE_CHECKING:
    import pandas as pd

# The schema and its read-back live in ``runs``; chapters reach them from here too.
__all__ = [
    "COMPARED",
    "KIND_TAG",
    "METRICS",
    "MODEL_KEY_TAG",
    "PARAMS",
    "RUN_COLUMNS",
    "RunResult",
    "history",
    "latest_run",
    "latest_runs",
    "run",
    "run_metrics",
    "run_params",
    "runs_so_far",
]

#: What a model's chapter shows of every model's newest run (:func:`runs_so_far`).
COMPARED = ("n_parameters", "epochs", "val_accuracy", "val_errors", "training_seconds")


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
    detector: DigitDetector | None = None

    @property
    def history(self) -> dict[str, list[float]]:
        return self.training.history

    @property
    def val_pred(self) -> np.ndarray:
        return self.val_proba.argmax(axis=1)

    @property
    def val(self) -> dict[str, float]:
        """Validation accuracy, errors and 95 % interval of the trained model."""
        return metrics.accuracy_with_interval(self.val_labels, self.val_pred)

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

    def compare_with(self, earlier_key: str, experiment: str | None = None) -> str:
        """One sentence on validation errors and size against the newest run of ``earlier_key``.

        Raises:
            LookupError: when the store has no training run of ``earlier_key`` yet.
        """
        return narrate.compare_errors(
            self.spec.title,
            self.val["errors"],
            metrics.parameter_count(self.model),
            latest_run(earlier_key, experiment),
        )

    def check_quality_bar(self) -> str:
        """Fail loudly when validation accuracy is below the bar, else say it cleared it.

        The bar is the spec's under the ``full`` profile, and the profile's "it learns" floor
        under a smaller one (:meth:`config.Profile.bar`).

        Raises:
            AssertionError: below the bar, so that ``pytest --nbval`` fails on a regression.
        """
        profile = config.profile()
        accuracy, bar = self.val["accuracy"], profile.bar(self.spec.quality_bar)
        if accuracy < bar:
            raise AssertionError(
                f"{self.spec.key}: validation accuracy {accuracy:.4f} < {bar} "
                f"(profile {profile.name})"
            )
        if profile.learns_bar is None:
            return f"{self.spec.title} clears its {narrate.pct(bar, 1)} validation bar."
        return (
            f"{self.spec.title} clears the {profile.name} profile's {narrate.pct(bar, 0)} "
            "validation floor: it learns (chance is 10 %)."
        )


def _fit(spec: ModelSpec, splits: Splits, verbose: int, callbacks: Sequence) -> tuple:
    model = spec.build(n_train=len(splits.x_train))  # a scikit-learn builder ignores n_train
    history, seconds = adapters.for_family(spec.family).fit(
        model,
        splits,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        verbose=verbose,
        callbacks=list(callbacks),
    )
    training = train.TrainingResult(history=history, seconds=seconds)
    if spec.recalibrate_batchnorm:
        start = time.perf_counter()
        train.recalibrate_batchnorm(model, splits.x_train[: spec.recalibrate_batchnorm])
        training.seconds += time.perf_counter() - start
    return model, training


def run(
    spec: ModelSpec,
    splits: Splits,
    *,
    seed: int = config.SEED,
    experiment: str | None = None,
    verbose: int = 2,
    parent_run_id: str | None = None,
    kind: str = "training",
    callbacks: Sequence = (),
    log_model: bool = True,
    score: Callable[[object], Mapping[str, float]] | None = None,
) -> RunResult:
    """Seed, build, train, evaluate on validation and log one MLflow run for ``spec``.

    A spec with ``recalibrate_batchnorm`` has its batch-norm statistics re-estimated on clean
    training images after the last epoch (counted in the training time), so the per-epoch
    metrics describe the model before that step and the final validation figures after it.

    The run carries the parameters of :func:`run_params` and the git state, per-epoch
    metrics (Keras models), validation accuracy with its interval and error count, and,
    with ``log_model``, the training curves, the validation confusion matrix, the layer
    table and the model, registered as a new version of ``config.registered_model()``.

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
        log_model: log figures, the model and its "not a digit" detector (``detector.json``,
            fitted on the model's features of training and validation digits) and register
            the model (not for search trials).
        score: more metrics of the trained model, logged on the run (a design candidate's
            validation corruption suite).

    Returns:
        The trained model, its history, validation probabilities and the run's ids.
    """
    set_seed(seed)
    model, training = _fit(spec, splits, verbose, callbacks)
    val_proba = metrics.predict_proba(model, splits.x_val)
    val = metrics.accuracy_with_interval(splits.y_val, val_proba.argmax(axis=1))
    tags = {MODEL_KEY_TAG: spec.key, KIND_TAG: kind}
    with tracking.start_run(spec.key, tags, experiment, parent_run_id=parent_run_id) as active:
        tracking.log_params(run_params(spec, model, seed, splits))
        if training.history:
            tracking.log_history(training.history)
        tracking.log_metrics(run_metrics(val, training.seconds))
        if score is not None:
            tracking.log_metrics(score(model))
        version, digits = None, None
        if log_model:
            tracking.log_figures(_figures(spec, training, splits.y_val, val_proba))
            if adapters.for_family(spec.family).has_layers:
                tracking.log_text(summary_table(model).to_markdown(index=False), "model_summary.md")
            served = for_inference(model)
            digits = detector.fit_to_model(
                served,
                splits.x_train[: config.DETECTOR_TRAIN_IMAGES],
                splits.y_train[: config.DETECTOR_TRAIN_IMAGES],
                splits.x_val,
                reject=config.DETECTOR_REJECT,
            )
            tracking.log_text(json.dumps(digits.to_dict()), detector.ARTIFACT)
            tracking.log_metrics(
                {"detector_threshold": digits.threshold, "detector_val_reject": digits.reject}
            )
            version = tracking.log_model(served, splits.x_val[:5], spec.key)
    return RunResult(
        spec, model, training, val_proba, splits.y_val, active.info.run_id, version, digits
    )


def runs_so_far(experiment: str | None = None) -> pd.DataFrame:
    """The newest training run of each model so far, indexed by model key, with ``COMPARED``."""
    return latest_runs(experiment).set_index("model_key")[list(COMPARED)]


def _figures(spec: ModelSpec, training: train.TrainingResult, y_val, val_proba) -> dict:
    figures = {
        "confusion_matrix_val.png": plots.confusion_heatmap(
            metrics.confusion(y_val, val_proba.argmax(axis=1)), f"{spec.title}: validation"
        )
    }
    if training.history:
        figures["training_curves.png"] = plots.training_curves(training.history, spec.title)
    return figures
