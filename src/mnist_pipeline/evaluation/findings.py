"""What the evaluation found, written where readers look: the numbers of ``_variables.yml``
(the book's prose quotes them through ``{{< var >}}``), the evaluation run in MLflow, and the
model card on the champion's registered version. One schema, :func:`report_variables`, builds
the numbers, and the card and the book both read them, so the two cannot disagree.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import pandas as pd

from mnist_pipeline import config, evaluation, metrics, models, plots, tracking
from mnist_pipeline.book import narrate, verdicts
from mnist_pipeline.book.narrate import duration, interval, pct
from mnist_pipeline.evaluation import detection, ledger
from mnist_pipeline.models import augment, specs


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


def log(result, looks: Mapping[str, str], card: str, experiment: str | None = None) -> str:
    """Log the evaluation's own run and write the model card on the champion's version.

    The run links the training runs it scored by their ids, records which specs met the test
    set (``looks``, :mod:`mnist_pipeline.evaluation.ledger`) and the champion rule actually used, and
    carries the test metrics, the chapter's tables and two figures, and the card
    (``model_card.md``).

    Args:
        result: what :func:`evaluation.run` returned.
        looks: :func:`ledger.looks` for the models scored.
        card: :func:`modelcard.build`.
        experiment: the MLflow experiment.

    Returns:
        The evaluation run's id.
    """
    champion = result.champion
    links = {f"training_run_{r.model_key}": r.run_id for r in result.runs.itertuples()}
    params = {
        **links,
        **looks,
        "champion_model_key": champion["model_key"],
        "champion_version": champion["model_version"],
        "champion_rule": evaluation.CHAMPION_RULE,
    }
    test_metrics = {
        f"test_{name}_{key}": float(value)
        for key, scores in result.test.items()
        for name, value in scores.items()
    }
    tables = {
        "comparison.md": result.comparison,
        "seeds.md": result.spread,
        "mcnemar.md": result.mcnemar,
        "calibration.md": result.calibration,
        "robustness_targets.md": result.target,
        "mnistc.md": result.mnistc,
    }
    figures = {
        "robustness.png": plots.robustness_curves(
            result.curves.assign(model=result.curves["model"].map(specs.label)),
            "Accuracy under corruption",
        ),
    }
    with tracking.start_run(config.EVALUATION_RUN, {"kind": "evaluation"}, experiment) as active:
        tracking.log_params(params)
        tracking.log_metrics(test_metrics)
        tracking.log_text(json.dumps(links, indent=2), "training_runs.json")
        tracking.log_figures(figures)
        for name, table in tables.items():
            tracking.log_text(table.to_markdown(), name)
        tracking.log_text(card, "model_card.md")
    tracking.set_version_description(str(champion["model_version"]), card)
    return active.info.run_id


def robustness_section(
    table: pd.DataFrame,
    keys: list[str],
    n_images: int,
    unseen: tuple[str, ...],
) -> dict[str, str]:
    """The target suite's numbers per model: the lowest accuracy over the corruptions its
    augmentation covers, and the accuracy on each corruption it never saw."""
    values = {"n_images": f"{n_images:,}"}
    for key in keys:
        rows = table[(table["model"] == key) & (table["corruption"] != "mean")]
        seen = rows[~rows["corruption"].isin(unseen)]
        values[f"{key}_min"] = pct(float(seen["accuracy"].min()), 1)
        for name in unseen:
            values[f"{key}_{name}"] = pct(
                float(rows.loc[rows["corruption"] == name, "accuracy"].iloc[0]), 1
            )
    return values


def mnistc_sections(table: pd.DataFrame, keys: list[str], n_images: int) -> dict[str, dict]:
    """MNIST-C's numbers: per model its mean and worst corruption (section ``mnistc``) and its
    accuracy on each corruption (a section ``mnistc_<key>`` per model), each over the model's
    seeds with its 95 % interval (images and seeds resampled: ``<name>_ci``)."""
    summary = {"n_images": f"{n_images:,}"}
    sections = {}
    for key in keys:
        rows = table[table["model"] == key].set_index("corruption")
        each = rows.drop("mean")
        worst = each["accuracy"].idxmin()
        summary[f"{key}_mean"] = pct(float(rows.loc["mean", "accuracy"]), 1)
        summary[f"{key}_mean_ci"] = interval(
            rows.loc["mean", "ci_low"], rows.loc["mean", "ci_high"], 1
        )
        summary[f"{key}_seeds"] = int(rows.loc["mean", "n_seeds"])
        summary[f"{key}_worst"] = pct(float(each.loc[worst, "accuracy"]), 1)
        summary[f"{key}_worst_name"] = str(worst).replace("_", " ")
        section = {}
        for name, row in each.iterrows():
            section[name] = pct(float(row["accuracy"]), 1)
            section[f"{name}_ci"] = interval(row["ci_low"], row["ci_high"], 1)
        sections[f"mnistc_{key}"] = section
    return {"mnistc": summary, **sections}


def detector_section(result) -> dict[str, object]:
    """The champion's "not a digit" detector: its threshold, and what it refuses."""
    table, found = result.refusals, result.detector
    values: dict[str, object] = {
        "threshold": f"{found.threshold:.1f}",
        "layer": found.layer,
        "val_refused": pct(found.reject, 1),
    }
    for name, row in table.iterrows():
        values[f"{name}_refused"] = pct(float(row["refused"]), 1)
        values[f"{name}_ci"] = interval(row["ci_low"], row["ci_high"], 1)
        values[f"{name}_images"] = f"{int(row['images']):,}"
        if not math.isnan(row["auroc"]):
            values[f"{name}_auroc"] = f"{row['auroc']:.3f}"
    corrupted = result.corrupted_refusals
    values["mnistc_refused_max"] = pct(float(corrupted.max()), 1)
    values["mnistc_refused_max_name"] = str(corrupted.idxmax()).replace("_", " ")
    values["mnistc_refused_mean"] = pct(float(corrupted.mean()), 1)
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


def design_fields(architecture: str) -> dict[str, str]:
    """What a model-4 design adds, read from the run's ``architecture`` (``robust_cnn_<design>``):
    ``augmented`` (yes or no), its ``augmentation`` layers and its in-model ``normalisation``."""
    design = models.design_named(architecture)
    if design is None:
        return {"augmented": "no", "augmentation": "none", "normalisation": "none"}
    chain = augment.POLICIES[design.policy]
    return {
        "design": design.name,
        "augmented": "yes" if chain else "no",
        "augmentation": ", ".join(chain) if chain else "none",
        "normalisation": design.normalise or "none",
    }


def decisions(result, n_val: int) -> dict[str, str]:
    """What the statistics decided, as codes a reproduction must reach again
    (:mod:`mnist_pipeline.book.conclusions`): each step, the ablation, each reproduction, each
    of model 4's targets and the detector's.
    """
    return {
        **result.decisions,
        **{
            f"reproduction_{r.model_key}": narrate.reproduction_code(
                r.val_accuracy, n_val, r.study_val_accuracy
            )
            for r in result.runs.itertuples()
            if specs.get(r.model_key).study_val_accuracy is not None
        },
        "target_test_accuracy": result.targets["clean"]["code"],
        "target_mnistc_mean": result.targets["mnistc_mean"]["code"],
        "target_mnistc_floor": result.targets["mnistc_worst"]["code"],
        **detection.target_codes(result.refusals),
    }


def target_verdicts(result) -> dict[str, str]:
    """Model 4's targets and the detector's, in words, from the numbers that decide them."""
    targets, n = result.targets, result.targets["n_seeds"]
    worst = targets["mnistc_worst"]["corruption"].replace("_", " ")
    return {
        "accuracy_target": verdicts.target_met(
            "Model 4", targets["clean"], "on clean test digits", n
        ),
        "mnistc_target": verdicts.target_met(
            "Model 4", targets["mnistc_mean"], "on the mean over MNIST-C's corruptions", n
        ),
        "mnistc_floor": verdicts.target_met(
            "Model 4",
            targets["mnistc_worst"],
            f"under every MNIST-C corruption (its worst is {worst})",
            n,
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
    baselines = evaluation.keys_of(result.runs, "baseline")
    key = result.champion["model_key"]
    scored = list(dict.fromkeys([*result.cnns, key]))  # the champion, even a baseline
    extra: dict[str, dict] = {
        "robustness": robustness_section(result.target, scored, len(result.labels), result.unseen),
        **mnistc_sections(result.mnistc, scored, len(result.labels)),
        "verdicts": {
            **result.step_verdicts,
            "augmentation": result.augmentation_verdict,
            **target_verdicts(result),
            "against_baselines": verdicts.against_baselines(
                result.test, evaluation.keys_of(result.runs, "study"), baselines
            ),
            **{
                f"reproduction_{r.model_key}": narrate.reproduction(
                    specs.label(r.model_key),
                    r.val_accuracy,
                    n_val,
                    r.study_val_accuracy,
                    specs.get(r.model_key).reported_by,
                )
                for r in result.runs.itertuples()
                if specs.get(r.model_key).study_val_accuracy is not None
            },
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


def write_card(card: str) -> str:
    """Write the model card where the book's appendix includes it; returns the path written."""
    path = config.model_card_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(card)
    return str(path)
