"""What the evaluation found, as the numbers of ``_variables.yml`` (the book's prose quotes them
through ``{{< var >}}``): one schema, :func:`report_variables`, builds them, and the model card
and the book both read them, so the two cannot disagree. The robustness and detector sections
are built in :mod:`.robust_numbers`; :mod:`.record` logs the run and writes the card.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from mnist_pipeline import evaluation, metrics
from mnist_pipeline.book import baselines as versus
from mnist_pipeline.book import design_words, narrate, reproduction, verdicts
from mnist_pipeline.book.narrate import duration, interval, pct
from mnist_pipeline.evaluation import detection, ledger
from mnist_pipeline.evaluation.robust_numbers import (
    design_fields,
    detector_section,
    mnistc_sections,
    robustness_section,
)
from mnist_pipeline.models import designs, specs


def model_entry(run, test: Mapping[str, float], objective: float, n_val: int) -> dict:
    """One model's section of ``_variables.yml``: its size, time and accuracies as prose quotes them."""
    entry = {
        "name": specs.label(run.model_key),
        "parameters": f"{run.n_parameters:,}",
        "epochs": run.epochs if run.epochs else "-",
        "val_accuracy": pct(run.val_accuracy),
        "val_ci": interval(run.val_ci_low, run.val_ci_high),
        "val_errors": f"{run.val_errors:,}",
        "test_accuracy": pct(test["accuracy"]),
        "test_ci": interval(test["ci_low"], test["ci_high"]),
        "test_errors": f"{test['errors']:,}",
        "margin_points": f"{100 * (test['accuracy'] - objective):.1f}",
        "training_time": duration(run.training_seconds),
    }
    if not math.isnan(run.study_val_accuracy):
        se = metrics.standard_error(run.val_accuracy, n_val)
        entry["study_val_accuracy"] = pct(run.study_val_accuracy, 1)
        entry["study_gap_se"] = f"{abs(run.val_accuracy - run.study_val_accuracy) / se:.1f}"
        entry["val_se_points"] = f"{100 * se:.2f}"
    return entry


def report_variables(
    runs: pd.DataFrame,
    test: Mapping[str, Mapping[str, float]],
    champion: pd.Series,
    n_val: int,
    n_train: int,
    objective: float,
    extra: Mapping[str, Mapping[str, object]] = (),
) -> dict[str, dict]:
    """The evaluation's numbers as the prose quotes them: the schema of ``_variables.yml``.

    Args:
        runs: the training runs evaluated (seed 42), one per model.
        test: model key to its test results.
        champion: the chosen row of ``runs``.
        n_val: validation images.
        n_train: training images.
        objective: the business objective's accuracy (0.90).
        extra: more fields per section (seeds, robustness, verdicts), merged in.

    Returns:
        One section per model key, ``champion`` and ``evaluation``.
    """
    values = {
        r.model_key: model_entry(r, test[r.model_key], objective, n_val) for r in runs.itertuples()
    }
    study = evaluation.keys_of(runs, "study")
    errors = [int(t["errors"]) for t in test.values()]
    margins = [100 * (t["accuracy"] - objective) for t in test.values()]
    values["champion"] = {
        "key": champion["model_key"],
        "name": specs.label(champion["model_key"]),
        "version": str(champion["model_version"]),
        "val_accuracy": pct(champion["val_accuracy"]),
        "test_accuracy": pct(test[champion["model_key"]]["accuracy"]),
        "rule": evaluation.CHAMPION_RULE,
        "rule_margin": narrate.rule_margin(runs, champion, n_val),
    }
    values["evaluation"] = {
        "n_val": f"{n_val:,}",
        "n_test": f"{int(next(iter(test.values()))['n']):,}",
        "n_train": f"{n_train:,}",
        "objective": pct(objective, 0),
        "test_errors_min": f"{min(errors):,}",
        "test_errors_max": f"{max(errors):,}",
        "margin_min_points": f"{min(margins):.1f}",
        "margin_max_points": f"{max(margins):.1f}",
        "study_test_min": pct(min(test[k]["accuracy"] for k in study)),
        "study_test_max": pct(max(test[k]["accuracy"] for k in study)),
        "training_time_total": duration(float(runs["training_seconds"].sum())),
    }
    for section, fields in dict(extra).items():
        values.setdefault(section, {}).update(fields)
    return values


def seed_sections(spread: pd.DataFrame) -> dict[str, dict]:
    """Per model with several seeds: which seeds, and validation and test mean ± sd."""
    return {
        key: {"seeds": row["seeds"], "val_seeds": row["val"], "test_seeds": row["test"]}
        for key, row in spread.iterrows()
    }


def champion_section(result, confident: float = 0.99) -> dict[str, object]:
    """The champion's own numbers for the model card: macro precision, recall and F1 on test,
    calibration, and how many of its test errors are made with at least ``confident``."""
    key = result.champion["model_key"]
    labels = result.labels_test
    predicted = result.proba[key].argmax(axis=1)
    macro = metrics.summary_metrics(labels, predicted)
    wrong = metrics.misclassified(labels, result.proba[key])
    calibration = result.calibration.loc[key]
    return {
        "precision_macro": pct(macro["precision_macro"]),
        "recall_macro": pct(macro["recall_macro"]),
        "f1_macro": pct(macro["f1_macro"]),
        "ece": f"{calibration['ECE (%)']:.2f}\u00a0%",
        "ece_scaled": f"{calibration['ECE scaled (%)']:.2f}\u00a0%",
        "temperature": f"{calibration['temperature']:.2f}",
        "confident_errors": int((wrong["confidence"] >= confident).sum()),
        "kind": specs.get(key).title,
        **design_fields(str(result.champion.get("architecture", ""))),
    }


def baseline_verdict(result) -> str:
    """Each of the study's CNNs and model 4 against the best baseline, by McNemar's test."""
    return versus.against_baselines(
        result.test,
        result.mcnemar,
        [
            k
            for k in evaluation.keys_of(result.runs, "study", "beyond")
            if k != result.best_baseline
        ],
        result.best_baseline,
    )


def reproduced(result, n_val: int):
    """``(key, spec, values, n)`` for each model whose accuracy a source reported: ours on the
    split the source names, one value per seed (the seed-42 run alone for a model without
    seeds), measured on ``n`` images."""
    scores = result.seed_scores
    for r in result.runs.itertuples():
        spec = specs.get(r.model_key)
        if spec.study_val_accuracy is None:
            continue
        on_test = spec.reported_split == "test"
        mine = scores[scores["model_key"] == r.model_key]
        column = "test_accuracy" if on_test else "val_accuracy"
        if len(mine) > 1:
            values = list(mine[column])
        else:
            values = [result.test[r.model_key]["accuracy"] if on_test else r.val_accuracy]
        yield r.model_key, spec, values, len(result.labels_test) if on_test else n_val


def reproductions(result, n_val: int) -> dict[str, str]:
    """:func:`narrate.reproduction` for each model a source reported on, keyed
    ``reproduction_<key>``."""
    said = {}
    for key, spec, values, n in reproduced(result, n_val):
        source = (spec.reported_by, spec.reported_split, spec.reported_caveat)
        said[f"reproduction_{key}"] = reproduction.reproduction(
            specs.label(key), values, n, spec.study_val_accuracy, *source
        )
    return said


def decisions(result, n_val: int) -> dict[str, str]:
    """What the statistics decided, as codes a reproduction must reach again
    (:mod:`mnist_pipeline.book.conclusions`): each step, the ablation, each reproduction, each
    of model 4's targets and the detector's.
    """
    return {
        **result.decisions,
        **{
            f"reproduction_{key}": reproduction.reproduction_code(
                values, n, spec.study_val_accuracy
            )
            for key, spec, values, n in reproduced(result, n_val)
        },
        "target_test_accuracy": _code(result.targets["clean"]),
        "target_mnistc_mean": _code(result.targets["mnistc_mean"]),
        "target_mnistc_floor": _code(result.targets["mnistc_worst"]),
        **detection.target_codes(result.refusals),
    }


def _code(check: Mapping) -> str:
    """A target's decision for a reproduction: ``meets``, ``misses``, or ``at_goal`` when its
    interval holds the goal, where another CPU or seed could land on either side."""
    return "at_goal" if check["straddles"] else check["code"]


def mnistc_resemblance(
    architecture: str,
    mnistc: pd.DataFrame,
    where: str = "the evaluation chapter of this project's book",
) -> str:
    """A sentence saying how many of MNIST-C's corruptions resemble what the chosen design's
    augmentation does (:func:`design_words.resembling`), said with the MNIST-C target's verdict
    so that the verdict is never read as a blind test; ``""`` when none does.

    Args:
        architecture: model 4's logged architecture (``robust_cnn_<design>``).
        mnistc: the MNIST-C table, one row per model and corruption (and a ``mean`` row).
        where: where the split is given, named as seen from where the sentence is read (the
            default suits ``_variables.yml``, read by the prose chapters and the model card).
    """
    found = designs.design_named(architecture)
    present = set(mnistc.loc[mnistc["corruption"] != "mean", "corruption"])
    like = set(design_words.resembling(found.name if found else None)) & present
    if not like:
        return ""
    return (
        f" Of MNIST-C's {len(present)} corruptions, {len(like)} "
        f"{'resembles' if len(like) == 1 else 'resemble'} what its augmentation does, so "
        f"this mean is not a blind test of robustness; {where} also gives it split into those "
        "and the others."
    )


def target_verdicts(result, where: str | None = None) -> dict[str, str]:
    """Model 4's targets and the detector's, in words, from the numbers that decide them.

    ``where`` names the place that splits MNIST-C by resemblance, as seen from where the
    verdicts are read (:func:`mnistc_resemblance`'s default when ``None``)."""
    targets, n = result.targets, result.targets["n_seeds"]
    worst = targets["mnistc_worst"]["corruption"].replace("_", " ")
    resembles = mnistc_resemblance(
        result.design, result.mnistc, **({"where": where} if where else {})
    )
    return {
        "accuracy_target": verdicts.target_met(
            "Model 4", targets["clean"], "on clean test digits", n
        ),
        "mnistc_target": verdicts.target_met(
            "Model 4", targets["mnistc_mean"], "on the mean over MNIST-C's corruptions", n
        )
        + resembles,
        "mnistc_floor": verdicts.target_met(
            "Model 4",
            targets["mnistc_worst"],
            f"under each MNIST-C corruption, judged on its worst ({worst})",
            n,
        ),
        "detector_mnistc": verdicts.corrupted_refusals(result.corrupted_refusals),
        "detector_held_out": verdicts.held_out_refusals(
            result.refusals,
            detection.HELD_OUT_MUST_REFUSE,
            detection.HELD_OUT_HARD,
            detection.REFUSE_TARGET,
        ),
        "detector": " ".join(
            verdicts.refusals(
                result.refusals,
                detection.MUST_REFUSE,
                detection.HARD,
                detection.REFUSE_TARGET,
                detection.DIGIT_REJECT_TARGET,
            )
        ),
    }


def step_verdicts(result) -> dict[str, str]:
    """Each step of the study in words (:func:`verdicts.steps`), from the evaluation's numbers."""
    return verdicts.steps(result.mcnemar, result.differences, result.test, evaluation.STEPS)


def augmentation_verdict(result) -> str:
    """Model 4 against its ablation in words (:func:`verdicts.ablation`)."""
    return verdicts.ablation(evaluation.ABLATION, result.ablation, result.design)


def resemblance_verdict(result) -> str:
    """Model 4 against its ablation on each group of MNIST-C's corruptions
    (:func:`verdicts.by_resemblance`); ``""`` when MNIST-C was not split."""
    if "like" not in result.ablation_groups:  # no corruption resembles it: nothing to split
        return ""
    counts = result.mnistc_groups.groupby("group")["n_corruptions"].first().to_dict()
    return verdicts.by_resemblance(
        evaluation.ABLATION, result.ablation_groups, counts, result.ablation_contrast
    )


def mnistc_split_table(result, models) -> pd.DataFrame:
    """Each model's accuracy, in percent, on each group of MNIST-C's corruptions, for readers:
    one row per group (named with its count of corruptions), one column per model."""
    table = result.mnistc_groups
    table = table[table["model"].isin(models)]
    words = {
        "like": "like model 4's augmentation",
        "unlike": "unlike model 4's augmentation"
        if (table["group"] == "like").any()
        else "all (none like model 4's augmentation)",
    }
    label = table["group"].map(words) + " (" + table["n_corruptions"].astype(str) + ")"
    grid = table.assign(corruptions=label).pivot_table(
        index="corruptions", columns="model", values="accuracy", sort=False
    )
    return (100 * grid[[m for m in models if m in grid]]).rename(columns=specs.label)


def from_evaluation(
    result, n_val: int, n_train: int, objective: float, pending_looks: Mapping[str, str]
) -> dict[str, dict]:
    """Every number of ``_variables.yml`` from one :class:`evaluation.Evaluation`.

    Args:
        result: what :func:`evaluation.run` returned.
        n_val, n_train: the split's sizes.
        objective: the business objective's accuracy.
        pending_looks: this evaluation's test-set looks (:func:`ledger.looks`), not logged yet.
    """
    counts = ledger.read(pending=pending_looks)
    key = result.champion["model_key"]
    scored = list(dict.fromkeys([*result.cnns, key]))  # the champion, even a baseline
    extra: dict[str, dict] = {
        "robustness": robustness_section(result.target, scored, len(result.labels), result.unseen),
        **mnistc_sections(result.mnistc, scored, len(result.labels)),
        "verdicts": {
            **step_verdicts(result),
            "augmentation": augmentation_verdict(result),
            "augmentation_by_resemblance": resemblance_verdict(result),
            **target_verdicts(result),
            "against_baselines": baseline_verdict(result),
            **reproductions(result, n_val),
        },
    }
    extra["decisions"] = decisions(result, n_val)
    extra["detector"] = detector_section(result)
    # Per model: its looks at the test set, and its seeds where it has some (merged, not replaced).
    for k in result.runs["model_key"]:
        if k in counts.index:
            extra.setdefault(k, {})["test_looks"] = int(counts.loc[k, "looks"])
    for k, fields in seed_sections(result.spread).items():
        extra.setdefault(k, {}).update(fields)
    best = result.best_baseline
    extra.setdefault("evaluation", {}).update(
        {
            "best_baseline": specs.label(best),
            "best_baseline_test_accuracy": pct(result.test[best]["accuracy"]),
        }
    )
    extra.setdefault(key, {}).update(champion_section(result))
    return report_variables(
        result.runs,
        result.test,
        result.champion,
        n_val=n_val,
        n_train=n_train,
        objective=objective,
        extra=extra,
    )


def timing_noise(table: pd.DataFrame, pair: tuple[str, str] = evaluation.ABLATION) -> str:
    """How far apart the times of two models that are the same network at inference came in
    this run (model 4 and its ablation: the augmentation layers are gone at inference), as the
    factor between the slower and the faster of each time column of
    :func:`evaluation.efficiency_table`: times of other models no further apart than that do
    not rank them.

    Raises:
        KeyError: when either model is not in the table.
    """
    first, second = (table.loc[specs.label(key)] for key in pair)
    columns = [c for c in table.columns if c.endswith("(ms)")]
    factors = []
    for column in columns:
        a, b = (float(str(row[column]).replace(",", "")) for row in (first, second))
        factors.append(f"{max(a, b) / min(a, b):.2f} for {column.removesuffix(' (ms)')}")
    return (
        f"{specs.label(pair[1]).capitalize()} and {specs.label(pair[0])}, the same network at "
        f"inference, differ by a factor of {narrate.and_list(factors)} in this run: times of two "
        "models no further apart than that do not rank them."
    )
