"""Sentences that state results, each built from the values it states.

A chapter ends a cell on one of these (through ``display.say``), so a number in its prose
is printed by the code that computed it and cannot drift from the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from mnist_pipeline import evaluate, specs


def pct(fraction: float, digits: int = 2) -> str:
    """A fraction as a percentage with a (thin-spaced in print) unit: ``0.9812`` -> ``98.12 %``."""
    return f"{100 * fraction:.{digits}f} %"


def duration(seconds: float) -> str:
    """A wall time in words: seconds under two minutes, minutes above."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} minutes"


def interval(low: float, high: float) -> str:
    """A 95 % interval of two fractions, in percent."""
    return f"{100 * low:.2f} to {100 * high:.2f} %"


def describe_run(
    title: str, val: Mapping[str, float], epochs: int, seconds: float, run_id: str, version: str
) -> str:
    """One sentence on a finished training run: validation accuracy, errors, time, MLflow ids."""
    return (
        f"{title} reached **{pct(val['accuracy'])}** validation accuracy "
        f"(95 % Wilson interval {interval(val['ci_low'], val['ci_high'])}), "
        f"{val['errors']:,} errors among {val['n']:,} validation images, after "
        f"{f'{epochs} epochs and ' if epochs else ''}{duration(seconds)} of training on this "
        "machine. "
        f"The run is `{run_id[:8]}` in MLflow"
        + (f", its model version {version} of the registry." if version else ".")
    )


def read_curves(history: Mapping[str, list[float]]) -> str:
    """Read training curves back in words: where validation loss bottoms out, the final gap."""
    val_loss = np.asarray(history["val_loss"])
    loss = np.asarray(history["loss"])
    n = len(val_loss)
    best = int(val_loss.argmin()) + 1
    if best == n:
        loss_part = (
            f"Validation loss is lowest at the last epoch ({val_loss[-1]:.4f}): "
            "it was still falling when training stopped."
        )
    else:
        loss_part = (
            f"Validation loss is lowest after epoch {best} of {n} ({val_loss.min():.4f}) "
            f"and ends at {val_loss[-1]:.4f}: the epochs after {best} fit the training data "
            "better without generalising better."
        )
    val_acc = np.asarray(history["val_accuracy"])
    return (
        f"Training loss falls from {loss[0]:.4f} after the first epoch to {loss[-1]:.4f}. "
        f"{loss_part} Validation accuracy peaks at {pct(val_acc.max())} after epoch "
        f"{int(val_acc.argmax()) + 1}; after the last epoch the training accuracy is "
        f"{pct(history['accuracy'][-1])} against {pct(val_acc[-1])} on validation."
    )


def batchnorm_recalibration(last_epoch_accuracy: float, val: Mapping, n_images: int) -> str:
    """What re-estimating batch-norm statistics after training did to validation accuracy.

    Args:
        last_epoch_accuracy: validation accuracy after the last epoch, before the step.
        val: the final validation figures (``accuracy``, ``errors``, ``n``), after it.
        n_images: the clean training images the statistics were estimated on.
    """
    before = round((1 - last_epoch_accuracy) * val["n"])
    change = before - val["errors"]
    if change > 0:
        effect = f"{change:,} fewer errors"
    elif change < 0:
        effect = f"{-change:,} more errors"
    else:
        effect = "the same number of errors"
    return (
        f"After the last epoch, with batch-norm statistics averaged over augmented training "
        f"batches, validation accuracy was {pct(last_epoch_accuracy)} ({before:,} errors); with "
        f"the statistics re-estimated on {n_images:,} clean training images it is "
        f"{pct(val['accuracy'])} ({val['errors']:,} errors): {effect} among {val['n']:,} images."
    )


def compare_errors(title: str, errors: int, n_parameters: int, earlier: Mapping) -> str:
    """How a model's validation errors and size compare with an earlier model's."""
    change = earlier["val_errors"] - errors
    verb = "fewer" if change >= 0 else "more"
    return (
        f"{title} makes {errors:,} validation errors against {earlier['val_errors']:,} for "
        f"{specs.label(earlier['model_key'])}, {abs(change):,} {verb}, with "
        f"{n_parameters:,} parameters against {earlier['n_parameters']:,}."
    )


def reproduction(name: str, measured: float, n: int, reported: float) -> str:
    """Whether a reported accuracy reproduced, in standard errors of our measurement.

    Args:
        name: the model's name.
        measured: our accuracy.
        n: how many examples it was measured on.
        reported: the accuracy the original study reported.
    """
    low, high = evaluate.wilson_interval(round(measured * n), n)
    se = evaluate.standard_error(measured, n)
    z = (measured - reported) / se if se > 0 else math.copysign(math.inf, measured - reported)
    if low <= reported <= high:
        verdict = "inside our 95 % interval: it reproduces"
    elif measured > reported:
        verdict = "below our 95 % interval: we do better than reported"
    else:
        verdict = "above our 95 % interval: it does not reproduce in this run"
    return (
        f"{name}: {pct(measured)} on {n:,} validation images (95 % interval "
        f"{interval(low, high)}, standard error {100 * se:.2f} points) against the study's "
        f"{pct(reported, 1)}, {abs(z):.1f} standard errors {'above' if z >= 0 else 'below'} "
        f"it; the study's figure is {verdict}."
    )


def champion_choice(runs: pd.DataFrame, champion: pd.Series, n_val: int) -> str:
    """Which model won on validation, by how much, and whether that margin means anything."""
    text = (
        f"The champion is {specs.label(champion['model_key'])} ({champion['architecture']}), with "
        f"{pct(champion['val_accuracy'])} validation accuracy; it is registered as version "
        f"{champion['model_version']}."
    )
    others = runs[runs["model_key"] != champion["model_key"]]
    if others.empty:
        return text
    runner = others.sort_values("val_accuracy", ascending=False).iloc[0]
    gap = champion["val_accuracy"] - runner["val_accuracy"]
    se = evaluate.standard_error(champion["val_accuracy"], n_val)
    meaning = (
        "less than two standard errors, a margin that another seed could reverse"
        if gap < 2 * se
        else "more than two standard errors"
    )
    return text + (
        f" The runner-up, {specs.label(runner['model_key'])}, makes "
        f"{int(runner['val_errors'] - champion['val_errors']):,} more validation errors "
        f"({100 * gap:.2f} points); with a standard error of about {100 * se:.2f} points on "
        f"each accuracy, that is {meaning}."
    )


def report_variables(
    runs: pd.DataFrame,
    test: Mapping[str, Mapping[str, float]],
    champion: pd.Series,
    n_val: int,
    objective: float,
) -> dict[str, object]:
    """The evaluation's numbers as the prose quotes them, for ``_variables.yml``.

    One section per model (``model_1``...), ``champion`` and ``evaluation`` (sizes, ranges).

    Args:
        runs: the training runs (``experiment.latest_runs``).
        test: model key to ``evaluate.accuracy_with_interval`` on the test set.
        champion: the chosen row of ``runs``.
        n_val: the number of validation images.
        objective: the business objective's accuracy (0.90).
    """
    models = {}
    for r in runs.itertuples():
        t = test[r.model_key]
        entry = {
            "name": specs.label(r.model_key),
            "parameters": f"{r.n_parameters:,}",
            "epochs": r.epochs,
            "val_accuracy": pct(r.val_accuracy),
            "val_ci": interval(r.val_ci_low, r.val_ci_high),
            "val_errors": f"{r.val_errors:,}",
            "test_accuracy": pct(t["accuracy"]),
            "test_ci": interval(t["ci_low"], t["ci_high"]),
            "test_errors": f"{t['errors']:,}",
            "margin_points": f"{100 * (t['accuracy'] - objective):.1f}",
            "training_time": duration(r.training_seconds),
        }
        if not math.isnan(r.study_val_accuracy):
            se = evaluate.standard_error(r.val_accuracy, n_val)
            entry["study_val_accuracy"] = pct(r.study_val_accuracy, 1)
            entry["study_gap_se"] = f"{abs(r.val_accuracy - r.study_val_accuracy) / se:.1f}"
            entry["val_se_points"] = f"{100 * se:.2f}"
        models[r.model_key] = entry
    errors = [int(t["errors"]) for t in test.values()]
    margins = [100 * (t["accuracy"] - objective) for t in test.values()]
    return {
        **models,
        "champion": {
            "key": champion["model_key"],
            "name": specs.label(champion["model_key"]),
            "version": str(champion["model_version"]),
            "val_accuracy": pct(champion["val_accuracy"]),
            "test_accuracy": pct(test[champion["model_key"]]["accuracy"]),
        },
        "evaluation": {
            "n_val": f"{n_val:,}",
            "n_test": f"{int(next(iter(test.values()))['n']):,}",
            "test_errors_min": f"{min(errors):,}",
            "test_errors_max": f"{max(errors):,}",
            "margin_min_points": f"{min(margins):.1f}",
            "margin_max_points": f"{max(margins):.1f}",
            "training_time_total": duration(float(runs["training_seconds"].sum())),
        },
    }


def lower_first(title: str) -> str:
    """A title made fit for the middle of a sentence, acronyms kept: ``"Random forest"``
    -> ``"random forest"``, ``"RBF SVM"`` unchanged."""
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def mcnemar_readout(table: pd.DataFrame, name: Callable[[str], str] = str) -> str:
    """One bullet per McNemar test: the discordant counts, the p-value and what it means.

    Args:
        table: columns ``first``, ``second``, ``a_only``, ``b_only``, ``p_value``.
        name: turns a model key into the name a reader sees (``specs.label``).
    """
    lines = []
    for row in table.itertuples():
        verdict = (
            "a real difference at the 5 % level."
            if row.p_value < 0.05
            else "no evidence of a difference at the 5 % level."
        )
        lines.append(
            f"- {name(row.first)} against {name(row.second)}: {row.a_only} images only the first "
            f"gets right, {row.b_only} only the second; p = {row.p_value:.2g}, {verdict}"
        )
    return "\n".join(lines)
