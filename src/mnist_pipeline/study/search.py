"""A tracked hyperparameter search with Optuna: each trial a nested MLflow run.

The search trains candidate CNNs (``models.build_tunable_cnn``) on a subset of the training
split for a few epochs and scores them on the validation split: a budget counted in trials,
set by the chapter, never in seconds. Each trial goes through the one train-and-log path
(:func:`mnist_pipeline.study.experiment.run`) as a nested run of one parent run; hopeless trials are
pruned after an epoch by Optuna's median rule. The study lives in an Optuna storage, an SQLite
file by default or any database URL from ``OPTUNA_STORAGE``, so several machines can join one
search against a shared database (Optuna's own distributed mode, :mod:`.workers`): each runs the
same chapter or :func:`run_search` with its own worker number (``MNIST_SEARCH_WORKER``: 0, 1, 2...), which
seeds its sampler apart from the others', and the study stops at ``n_trials`` finished trials
in all, plus at most one per extra worker (see :func:`run_search`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import optuna
import pandas as pd

from mnist_pipeline import config, models, tracking
from mnist_pipeline._tf import keras
from mnist_pipeline.book import narrate
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.models import specs
from mnist_pipeline.study import experiment
from mnist_pipeline.study.workers import (  # noqa: F401 (re-exported)
    WORKER_ENV,
    open_study,
    sampler_seed,
    storage_url,
    worker_number,
)

# What the search may choose; the *Nickara_MNIST_Model* card searched dropout, layer sizes and
# activations, and the AzureML capstone's sweep hidden units, batch size, dropout and epochs.
SPACE: dict[str, tuple] = {
    "filters": (16, 32, 48),
    "kernel_size": (3, 5),
    "dense_units": (64, 128, 256),
    "activation": ("relu", "elu", "gelu"),
    "conv_dropout": (0.0, 0.4),
    "dense_dropout": (0.1, 0.6),
    "learning_rate": (3e-4, 3e-3),
    "batch_size": (32, 64, 128),
}


# models.build_tunable_cnn's second convolution block has this many times the first's filters.
GROWTH = 2


def suggest(trial: optuna.Trial) -> dict[str, object]:
    """Draw one candidate's hyperparameters from ``SPACE``."""
    return {
        "filters": trial.suggest_categorical("filters", SPACE["filters"]),
        "kernel_size": trial.suggest_categorical("kernel_size", SPACE["kernel_size"]),
        "dense_units": trial.suggest_categorical("dense_units", SPACE["dense_units"]),
        "activation": trial.suggest_categorical("activation", SPACE["activation"]),
        "conv_dropout": trial.suggest_float("conv_dropout", *SPACE["conv_dropout"]),
        "dense_dropout": trial.suggest_float("dense_dropout", *SPACE["dense_dropout"]),
        "learning_rate": trial.suggest_float("learning_rate", *SPACE["learning_rate"], log=True),
        "batch_size": trial.suggest_categorical("batch_size", SPACE["batch_size"]),
    }


def candidate_spec(params: dict[str, object], epochs: int, number: int) -> specs.ModelSpec:
    """The spec of one trial's candidate model."""
    arch = {k: v for k, v in params.items() if k not in ("learning_rate", "batch_size")}
    return specs.ModelSpec(
        key=f"trial_{number:03d}",
        title=f"Search trial {number}",
        builder=functools.partial(models.build_tunable_cnn, **arch),
        epochs=epochs,
        quality_bar=0.0,
        batch_size=int(params["batch_size"]),
        learning_rate=float(params["learning_rate"]),
    )


class ReportAndPrune(keras.callbacks.Callback):
    """Report validation accuracy to Optuna after each epoch; stop a trial Optuna prunes."""

    def __init__(self, trial: optuna.Trial):
        super().__init__()
        self.trial = trial
        self.pruned = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.trial.report(float((logs or {})["val_accuracy"]), step=epoch + 1)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True


def objective(
    splits: Splits,
    epochs: int,
    parent_run_id: str,
    seed: int,
    experiment_name: str | None = None,
) -> Callable[[optuna.Trial], float]:
    """The function Optuna maximises: validation accuracy of a trained candidate."""

    def score(trial: optuna.Trial) -> float:
        params = suggest(trial)
        callback = ReportAndPrune(trial)
        result = experiment.run(
            candidate_spec(params, epochs, trial.number),
            splits,
            seed=seed,
            experiment=experiment_name,
            verbose=0,
            parent_run_id=parent_run_id,
            kind="search-trial",
            callbacks=[callback],
            log_model=False,
        )
        trial.set_user_attr("mlflow_run_id", result.run_id)
        trial.set_user_attr("seconds", result.training.seconds)
        if callback.pruned:
            raise optuna.TrialPruned()
        return result.val["accuracy"]

    return score


def run_search(
    splits: Splits,
    *,
    n_trials: int,
    epochs: int,
    seed: int = config.SEED,
    study_name: str | None = None,
    experiment_name: str | None = None,
    worker: int | None = None,
) -> tuple[optuna.Study, str]:
    """Run (or join, or reuse) the search until the study holds ``n_trials`` finished trials.

    With several workers on one storage, each checks the study's count after each of its
    trials and stops once ``n_trials`` are finished; the trials other workers have in flight
    at that moment still finish, so the study ends with ``n_trials`` to
    ``n_trials + workers - 1`` finished trials (at most one more per extra worker).

    The budget is counted in trials, never in seconds: a faster machine runs the same study.

    Args:
        splits: the data; trials train on ``splits.x_train`` and score on ``splits.x_val``.
        n_trials: finished trials (complete or pruned) the study stops at, across all workers.
        epochs: epochs per trial.
        seed: seeds every trial's training, and the sampler (TPE) through :func:`sampler_seed`.
        study_name: the study in the storage; ``None``, the profile's
            (:func:`config.search_study_name`).
        experiment_name: the MLflow experiment of the parent run and its trials.
        worker: this process's number among the study's workers (:func:`worker_number`;
            ``None`` reads ``MNIST_SEARCH_WORKER``, 0 when unset).

    Returns:
        The study and the MLflow parent run's id.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    worker = worker_number(worker)
    study_name = study_name or config.search_study_name()
    study = open_study(study_name)
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done = len(study.get_trials(deepcopy=False, states=finished))
    drawing_seed = sampler_seed(seed, worker, done)
    study.sampler = optuna.samplers.TPESampler(seed=drawing_seed)
    tags = {experiment.KIND_TAG: "search", "optuna_study": study_name}
    tags |= {"search_worker": str(worker), "sampler_seed": str(drawing_seed)}
    remaining = n_trials - done
    with tracking.start_run("search", tags, experiment_name) as parent:
        if remaining > 0:  # a finished study is read back, not extended
            study.optimize(
                objective(splits, epochs, parent.info.run_id, seed, experiment_name),
                n_trials=remaining,
                # Other workers on the same storage count too: stop at n_trials in all.
                callbacks=[optuna.study.MaxTrialsCallback(n_trials, states=finished)],
                gc_after_trial=True,
            )
        log_summary(study)
    return study, parent.info.run_id


def log_summary(study: optuna.Study) -> None:
    """Log the search's outcome on the active (parent) run: best trial, its value and params."""
    states = pd.Series([t.state.name for t in study.trials]).value_counts()
    tracking.log_params({f"best_{name}": value for name, value in study.best_params.items()})
    tracking.log_params({"search_space": repr(SPACE), "best_trial": study.best_trial.number})
    tracking.log_metrics(
        {
            "best_val_accuracy": study.best_value,
            **{f"trials_{state.lower()}": int(count) for state, count in states.items()},
        }
    )


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, validation accuracy, the epochs it reported (a pruned
    trial's value is its last reported epoch's), seconds and the parameters."""
    frame = study.trials_dataframe(attrs=("number", "value", "state", "params", "user_attrs"))
    frame = frame.rename(columns=lambda c: c.removeprefix("params_").removeprefix("user_attrs_"))
    frame["epochs"] = [len(t.intermediate_values) for t in study.trials]
    keep = ["number", "state", "value", "epochs", "seconds", *SPACE]
    return frame[[c for c in keep if c in frame]].set_index("number")


def importances(study: optuna.Study, seed: int = config.SEED) -> dict[str, float]:
    """How much of the variation in validation accuracy each hyperparameter explains.

    Optuna's fANOVA estimate over the completed trials, seeded; the values sum to 1.
    """
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    return optuna.importance.get_param_importances(study, evaluator=evaluator)


def best_trials(trials: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The ``k`` best completed trials of :func:`trials_table`, in eight short columns for print:
    the trial, its validation accuracy and its hyperparameters (convolutions as the filters of
    the first block, then of the second (:data:`GROWTH` times as many), and the kernel; dropout
    as convolution / dense)."""
    done = trials[trials["state"] == "COMPLETE"].sort_values("value", ascending=False).head(k)
    return pd.DataFrame(
        {
            "validation": [narrate.pct(v) for v in done["value"]],
            "convolutions": [
                f"{f}, then {GROWTH * f} of {s}×{s}"
                for f, s in zip(done["filters"], done["kernel_size"], strict=True)
            ],
            "dense units": done["dense_units"],
            "activation": done["activation"],
            "dropout": [
                f"{c:.2f} / {d:.2f}"
                for c, d in zip(done["conv_dropout"], done["dense_dropout"], strict=True)
            ],
            "learning rate": [f"{r:.2g}" for r in done["learning_rate"]],
            "batch": done["batch_size"],
        },
        index=done.index.rename("trial"),
    )


def _batch_words(trials: pd.DataFrame, size: int) -> str:
    """``batch 128: 4 completed (median 41.10 %) and 3 pruned``: how many trials drawn with a
    batch size completed, their median, and how many were pruned (``batch 64: no completed
    trial, 1 pruned``; ``none drawn``)."""
    drawn = trials[trials["batch_size"] == size]
    done = drawn[drawn["state"] == "COMPLETE"]
    stopped = len(drawn) - len(done)
    if len(done):
        return (
            f"batch {size}: {len(done)} completed (median {narrate.pct(done['value'].median())})"
            f" and {stopped} pruned"
        )
    return f"batch {size}: no completed trial" + (
        f", {stopped} pruned" if stopped else ", none drawn"
    )


def outcome(
    trials: pd.DataFrame, importances: dict[str, float], best: int, epochs: int, n_train: int
) -> str:
    """What the search found, with what its budget cannot show, in the same sentences.

    Args:
        trials: :func:`trials_table`.
        importances: :func:`importances`, most important first.
        best: the best trial's number.
        epochs, n_train: each trial's budget.
    """
    done = trials[trials["state"] == "COMPLETE"]
    row = trials.loc[best]
    params = ", ".join(
        f"{k} = {row[k]:.3g}" if isinstance(row[k], float) else f"{k} = {row[k]}"
        for k in SPACE
        if k in trials
    )
    text = (
        f"The best trial, number {best}, reached {narrate.pct(row['value'])} validation accuracy "
        f"after {epochs} epochs on {n_train:,} images, with {params}."
    )
    if "batch_size" in trials and len(done):
        listed = "; ".join(_batch_words(trials, size) for size in SPACE["batch_size"])
        text += (
            f" The trials by batch size: {listed}; each median mixes the batch size with the "
            "hyperparameters drawn with it, one run each on one seed, so it is not the batch "
            "size's effect."
        )
    text += (
        f" Every trial has this budget of {epochs} epoch{'s' if epochs != 1 else ''} on "
        f"{n_train:,} training images, so these scores rank the candidates under a short budget: "
        "they are not the accuracy a candidate reaches when fully trained."
    )
    top = list(importances)[:2]
    if len(top) == 2:
        text += (
            f" On {len(done)} completed trials, fANOVA ranks {top[0]} and {top[1]} first: a rough "
            "pointer from few trials, not a measured effect."
        )
    return text
