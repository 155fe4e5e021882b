"""Sentences that state results, each built from the values it states.

A chapter ends a cell on one of these (through ``display.say``), so a number in its prose
is printed by the code that computed it and cannot drift from the result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mnist_pipeline import metrics
from mnist_pipeline.models import specs


def pct(fraction: float, digits: int = 2) -> str:
    """A fraction as a percentage, the sign held to its number by a non-breaking space so that
    "%" never starts a line: ``0.9812`` -> ``"98.12\u00a0%"``, the book's one percent style."""
    return f"{100 * fraction:.{digits}f}\u00a0%"


def p_value(p: float) -> str:
    """A p-value to two significant figures, ``0.07`` or ``1.8e-242``; one too small for a
    double (it underflows to 0) reads ``< 1e-300``, never ``0``."""
    return f"{p:.2g}" if p > 0 else "< 1e-300"


def p_clause(p: float) -> str:
    """``= 0.07`` or ``< 1e-300``: what follows "p" in a sentence."""
    text = p_value(p)
    return text if text.startswith("<") else f"= {text}"


def flips_p(p: float, flips: int) -> str:
    """What follows "sign-flip p": :func:`p_clause`, or at the floor of ``flips`` random sign
    flips (the observed pattern counts among them), that p is only bounded."""
    floor = 1 / (flips + 1)
    return (
        f"\u2264 {floor:.1g} (the smallest {flips:,} flips can give)" if p <= floor else p_clause(p)
    )


def duration(seconds: float) -> str:
    """A wall time in words: seconds under two minutes, minutes above."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} minutes"


def and_list(names: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``: names joined as a sentence lists them."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def interval(low: float, high: float, digits: int = 2) -> str:
    """A 95 % interval of two fractions, in percent: ``"99.33 to 99.61\u00a0%"``."""
    return f"{100 * low:.{digits}f} to {100 * high:.{digits}f}\u00a0%"


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
        + (f", registered as version {version} of the model registry." if version else ".")
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
            f"and ends at {val_loss[-1]:.4f}, while the training loss goes from "
            f"{loss[best - 1]:.4f} to {loss[-1]:.4f} over the same epochs; one seed's curve "
            "cannot say whether that rise is overfitting or noise."
        )
    val_acc = np.asarray(history["val_accuracy"])
    best = [str(i + 1) for i in np.flatnonzero(val_acc == val_acc.max())]  # ties: every epoch
    epochs = f"epoch{'' if len(best) == 1 else 's'} {and_list(best)}"
    return (
        f"Training loss falls from {loss[0]:.4f} after the first epoch to {loss[-1]:.4f}. "
        f"{loss_part} Validation accuracy peaks at {pct(val_acc.max())} after "
        f"{epochs}; in the last epoch the training accuracy (Keras' average "
        f"over the epoch's batches, in training mode) is {pct(history['accuracy'][-1])}, against "
        f"{pct(val_acc[-1])} on validation after it."
    )


def batchnorm_recalibration(last_epoch_accuracy: float, val: Mapping, n_images: int) -> str:
    """What re-estimating batch-norm statistics after training did to validation accuracy.

    The two accuracies are of one model's two states on the same images, but which images
    each gets right alone is not recorded here, so no paired test (McNemar) can say whether
    the change is more than chance; the sentence states the two accuracies and the net
    change in images, and claims neither a gain nor noise.

    Args:
        last_epoch_accuracy: validation accuracy after the last epoch, before the step.
        val: the final validation figures (``accuracy``, ``errors``, ``n``), after it.
        n_images: the clean training images the statistics were estimated on.
    """
    before = round((1 - last_epoch_accuracy) * val["n"])
    change = before - val["errors"]
    if change > 0:
        effect = f"{_errors(change, 'fewer ')}"
    elif change < 0:
        effect = f"{_errors(-change, 'more ')}"
    else:
        effect = "the same number of errors"
    return (
        f"After the last epoch, with batch-norm statistics averaged over augmented training "
        f"batches, validation accuracy was {pct(last_epoch_accuracy)} ({_errors(before)}); with "
        f"the statistics re-estimated on {n_images:,} clean training images it is "
        f"{pct(val['accuracy'])} ({_errors(val['errors'])}): {effect} among {val['n']:,} images, "
        f"a net change of {100 * abs(change) / val['n']:.2f} points. Which images only one of "
        "the two reads right is not counted, so these figures do not test whether the change "
        "is more than chance."
    )


def _images(count: int) -> str:
    """``1 image``, ``3 images``: a count of images with its noun agreeing."""
    return f"{count:,} image{'' if count == 1 else 's'}"


def _errors(count: int, comparative: str = "") -> str:
    """``1 error``, ``3 errors``, ``1 more error``: a count of errors with its noun agreeing."""
    return f"{count:,} {comparative}error{'' if count == 1 else 's'}"


def compare_errors(title: str, errors: int, n_parameters: int, earlier: Mapping) -> str:
    """How a model's validation errors and size compare with an earlier model's."""
    change = earlier["val_errors"] - errors
    verb = "fewer" if change >= 0 else "more"
    return (
        f"{title} makes {errors:,} validation errors against {earlier['val_errors']:,} for "
        f"{specs.label(earlier['model_key'])}, {abs(change):,} {verb}, with "
        f"{n_parameters:,} parameters against {earlier['n_parameters']:,}: one seed each, on the "
        "same images, with no test here of whether the difference exceeds chance (the evaluation "
        "chapter tests it on the test set)."
    )


def _runner_up(runs: pd.DataFrame, champion: pd.Series) -> pd.Series | None:
    """The candidate other than ``champion`` most accurate on validation (controls are never
    candidates, :func:`specs.candidates`); ``None`` when there is none."""
    pool = specs.candidates(runs)
    others = pool[pool["model_key"] != champion["model_key"]]
    return None if others.empty else others.sort_values("val_accuracy", ascending=False).iloc[0]


def _band(best: pd.Series, champion: pd.Series, n_val: int) -> tuple[float, float, float]:
    """The one-standard-error rule's band below ``best``'s validation accuracy: ``best``'s lead
    over ``champion``, the standard error of ``best``'s accuracy, and how far inside the band
    ``champion`` lies, in validation images."""
    gap = best["val_accuracy"] - champion["val_accuracy"]
    se = metrics.standard_error(best["val_accuracy"], n_val)
    return gap, se, (champion["val_accuracy"] - (best["val_accuracy"] - se)) * n_val


def rule_margin(runs: pd.DataFrame, champion: pd.Series, n_val: int) -> str:
    """How close the one-standard-error rule's choice was, in a sentence for the model card:
    the more accurate candidate it passed over and how far inside the rule's band the champion
    lies; ``""`` when no candidate is more accurate on validation than the champion."""
    best = _runner_up(runs, champion)
    if best is None or best["val_accuracy"] <= champion["val_accuracy"]:
        return ""
    gap, _, inside = _band(best, champion, n_val)
    where = (
        f"{inside:.1f} of an image inside the rule's band, so one more validation error would "
        "have put it outside"
        if inside < 1
        else f"{inside:.1f} images inside the rule's band"
    )
    return (
        f"{specs.label(best['model_key']).capitalize()} ({int(best['n_parameters']):,} "
        f"parameters against {int(champion['n_parameters']):,}) is {100 * gap:.2f} points more "
        f"accurate on validation ({_images(int(champion['val_errors'] - best['val_errors']))}, "
        "one seed); "
        f"{specs.label(champion['model_key'])}, the smaller, lies {where}."
    )


def champion_choice(runs: pd.DataFrame, champion: pd.Series, n_val: int) -> str:
    """Which model won on validation, by how much, whether that margin means anything, and
    which runs were controls rather than candidates (:data:`specs.CONTROL_GROUPS`)."""
    text = (
        f"The champion is {specs.label(champion['model_key'])} (architecture "
        f"`{champion['architecture']}`), with "
        f"{pct(champion['val_accuracy'])} validation accuracy; it is registered as version "
        f"{champion['model_version']}."
    )
    pool = specs.candidates(runs)
    controls = "".join(
        f" {specs.label(r.model_key).capitalize()} ({pct(r.val_accuracy)} on validation) is a "
        "control that measures one change, not a candidate."
        for r in runs.drop(index=pool.index).itertuples()
    )
    best = _runner_up(runs, champion)
    if best is None:
        return text + controls
    se = metrics.standard_error(champion["val_accuracy"], n_val)
    if best["val_accuracy"] > champion["val_accuracy"]:  # the one-standard-error rule at work
        gap, se, inside = _band(best, champion, n_val)
        edge = (
            f"; it lies {inside:.1f} of an image inside the rule's band, so one more validation "
            "error would have put it outside"
            if inside < 1
            else ""
        )
        return (
            text
            + (
                f" {specs.label(best['model_key']).capitalize()} is more accurate on validation by "
                f"{100 * gap:.2f} points ({_images(int(champion['val_errors'] - best['val_errors']))}"
                f"), within one standard error of its accuracy, about {100 * se:.2f} points, and has "
                f"{int(best['n_parameters']):,} parameters against {int(champion['n_parameters']):,}: "
                f"the rule takes the smaller model{edge}."
            )
            + controls
        )
    gap = champion["val_accuracy"] - best["val_accuracy"]
    meaning = (
        "less than two standard errors, a margin that another seed could reverse"
        if gap < 2 * se
        else "more than two standard errors"
    )
    return (
        text
        + (
            f" The runner-up, {specs.label(best['model_key'])}, makes "
            f"{int(best['val_errors'] - champion['val_errors']):,} more validation errors "
            f"({100 * gap:.2f} points); with a standard error of about {100 * se:.2f} points on "
            f"each accuracy, that is {meaning}."
        )
        + controls
    )


def lower_first(title: str) -> str:
    """A title made fit for the middle of a sentence, acronyms kept: ``"Random forest"``
    -> ``"random forest"``, ``"A dense network"`` -> ``"a dense network"``, ``"RBF SVM"``
    unchanged."""
    first = title.split(" ", 1)[0]
    return title[:1].lower() + title[1:] if first[1:].islower() or len(first) == 1 else title


def target_suite(table: pd.DataFrame, key: str, target: float, unseen: tuple[str, ...]) -> str:
    """How a model fares on the target suite: how many of the corruptions its augmentation
    covers it meets the target on, which it misses, and each corruption it never saw.

    Args:
        table: :func:`mnist_pipeline.evaluation.robustness.suite_table` of the target suite.
        key: the model.
        target: the accuracy to reach on each corruption.
        unseen: the corruptions its training did not cover.
    """
    rows = table[(table["model"] == key) & (table["corruption"] != "mean")].set_index("corruption")
    seen = rows.drop(index=list(unseen))["accuracy"]
    missed = [name for name, accuracy in seen.items() if accuracy < target]
    never = ", ".join(f"{name} {pct(rows.loc[name, 'accuracy'], 1)}" for name in unseen)
    if seen.empty:
        return f"{specs.label(key).capitalize()} trained on no augmentation; under each corruption: {never}."
    covered = (
        f"{specs.label(key).capitalize()} reaches {pct(target, 0)} or more on "
        f"{len(seen) - len(missed)} of the {len(seen)} corruptions whose kind its augmentation "
        "produces"
        + (f" (it misses {', '.join(missed)})" if missed else "")
        + ", at the suite's strengths (beyond its training ranges for some corruptions, within "
        "them for others)"
    )
    if not unseen:
        return f"{covered}."
    kinds = "kind" if len(unseen) == 1 else "kinds"
    return f"{covered}; under the {kinds} it never produces: {never}."


def confident_errors(labels: np.ndarray, proba: np.ndarray, confident: float = 0.99) -> str:
    """How many test errors a model makes, and how many of them with high confidence."""
    predicted = proba.argmax(axis=1)
    wrong = predicted != labels
    sure = int((wrong & (proba.max(axis=1) >= confident)).sum())
    return (
        f"The champion makes {int(wrong.sum()):,} test errors, {sure:,} of them with a "
        f"confidence of {pct(confident, 0)} or more."
    )
