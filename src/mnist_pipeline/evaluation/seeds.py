"""The spread over seeds: the same spec trained on several seeds, on the same fixed split.

Seed 42 is the study's run (figures, comparison, champion); the chapters repeat some specs on
the profile's other seeds (:attr:`config.Profile.extra_seeds`) with :func:`repeat`. Here too
those runs are read back, scored on validation and test, and summarised as mean and standard
deviation per model, and as paired differences between models seed by seed. A binomial interval is the sampling error of
one split; this is the other uncertainty, that of training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from mnist_pipeline import config, metrics, tracking
from mnist_pipeline.book import narrate
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.study.runs import SEED_KIND

if TYPE_CHECKING:
    from mnist_pipeline.study.experiment import RunResult

KIND = SEED_KIND  # the kind tag of a run that repeats a spec on another seed


def repeat(
    first: RunResult, splits: Splits, seeds: Sequence[int], experiment: str | None = None
) -> dict[int, float]:
    """Train ``first``'s spec again on each seed after the first, to measure the spread over seeds.

    Each repeat is a run of its own, tagged ``kind=seed`` (read back by :func:`runs`), on the
    same split as ``first``; only ``first`` is the study's run.

    Args:
        first: the study's run of the spec (with the profile's epochs), on ``seeds[0]``.
        splits: the data ``first`` trained on.
        seeds: every seed of the profile, the study's run first.
        experiment: the MLflow experiment (default: the profile's).

    Returns:
        Seed to validation accuracy, ``first`` included: what :func:`describe` words.
    """
    from mnist_pipeline.study.experiment import run  # TensorFlow: only when training

    accuracy = {seeds[0]: first.val["accuracy"]}
    for seed in seeds[1:]:
        again = run(first.spec, splits, seed=seed, experiment=experiment, kind=KIND, verbose=0)
        accuracy[seed] = again.val["accuracy"]
    return accuracy


def runs(experiment: str | None = None) -> pd.DataFrame:
    """The newest finished run of every (model, seed): the seed-42 training runs and the repeats.

    Returns:
        Columns ``model_key``, ``seed``, ``run_id``, ``val_accuracy``, ``model_version``.
    """
    # MLflow's filter has no IN for tags: one search per kind.
    found = pd.concat(
        [
            tracking.search_runs(
                experiment,
                filter_string=f"status = 'FINISHED' and tags.kind = '{kind}'",
                order_by=["attributes.start_time DESC"],
            )
            for kind in ("training", KIND)
        ],
        ignore_index=True,
    )
    if not found.empty:
        found = found.sort_values("start_time", ascending=False, kind="stable")
    columns = ["model_key", "seed", "run_id", "val_accuracy", "model_version"]
    if found.empty:
        return pd.DataFrame(columns=columns)
    found = found.assign(model_key=found["tags.model_key"], seed=found["params.seed"].astype(int))
    newest = found.drop_duplicates(["model_key", "seed"]).sort_values(["model_key", "seed"])
    return pd.DataFrame(
        {
            "model_key": newest["model_key"],
            "seed": newest["seed"],
            "run_id": newest["run_id"],
            "val_accuracy": newest["metrics.val_accuracy_final"].astype(float),
            "model_version": [tracking.version_of_run(r) for r in newest["run_id"]],
        }
    ).reset_index(drop=True)


def accuracies(found: pd.DataFrame, splits: Splits, keys: Sequence[str]) -> pd.DataFrame:
    """Validation and test accuracy of every seed's model of ``keys``, each loaded from the registry.

    Args:
        found: :func:`runs`.
        splits: the fixed split all seeds trained on.
        keys: the models with several seeds.

    Returns:
        Columns ``model_key``, ``seed``, ``val_accuracy``, ``test_accuracy``.
    """
    rows = []
    for r in found[found["model_key"].isin(keys)].itertuples():
        model = tracking.load_model_version(r.model_version)
        test = metrics.predict_proba(model, splits.x_test).argmax(axis=1)
        rows.append(
            {
                "model_key": r.model_key,
                "seed": int(r.seed),
                "val_accuracy": float(r.val_accuracy),
                "test_accuracy": float((test == splits.y_test).mean()),
            }
        )
    return pd.DataFrame(rows, columns=["model_key", "seed", "val_accuracy", "test_accuracy"])


def table(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of validation and test accuracy, per model.

    The book keeps "±" for the half-width of a 95 % interval; a spread between seeds is written
    "SD", in percentage points: "99.12 % (SD 0.05)".

    Args:
        per_seed: one row per (``model_key``, ``seed``) with ``val_accuracy`` and
            ``test_accuracy`` (fractions).

    Returns:
        Indexed by model key: ``seeds`` (which), ``val``, ``test`` ("99.12 % (SD 0.05)"; a
        model with one seed has no spread: "99.12 % (one seed)"), and the raw ``val_mean``,
        ``val_sd``, ``test_mean``, ``test_sd`` (NaN for one seed).
    """
    columns = ["seeds", "val", "test", "val_mean", "val_sd", "test_mean", "test_sd"]
    rows = {}
    for key, group in per_seed.groupby("model_key", sort=False):
        row = {"seeds": ", ".join(str(s) for s in sorted(group["seed"]))}
        for split in ("val", "test"):
            values = group[f"{split}_accuracy"].to_numpy(dtype=float)
            mean = float(values.mean())
            sd = float(values.std(ddof=1)) if len(values) > 1 else math.nan
            row[f"{split}_mean"], row[f"{split}_sd"] = mean, sd
            spread = f" (SD {100 * sd:.2f})" if len(values) > 1 else " (one seed)"
            row[split] = f"{100 * mean:.2f}\u00a0%{spread}"
        rows[key] = row
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def differences(per_seed: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """For each pair (a, b), b's test accuracy minus a's, paired by seed, with a t interval.

    Returns:
        Columns ``first``, ``second``, ``n_seeds``, ``mean`` and ``sd`` of the difference,
        ``ci_low`` and ``ci_high`` (95 %, Student's t over the seeds), all as fractions.
    """
    wide = per_seed.pivot(index="seed", columns="model_key", values="test_accuracy")
    rows = []
    for a, b in pairs:
        both = a in wide.columns and b in wide.columns
        diff = (wide[b] - wide[a]).dropna().to_numpy(dtype=float) if both else np.array([])
        n = len(diff)
        mean = float(diff.mean()) if n else math.nan
        sd = float(diff.std(ddof=1)) if n > 1 else math.nan
        half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
        rows.append(
            {
                "first": a,
                "second": b,
                "n_seeds": n,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
    return pd.DataFrame(rows)


def _baseline_tail(name: str, best_baseline: str | None) -> str:
    """What the evaluation does with a baseline's runs: only the baseline most accurate on
    validation enters its plots, calibration table, McNemar's tests and target-suite table."""
    from mnist_pipeline.models import specs

    run = f"the seed-{config.SEED} run"
    both = (
        f"In the evaluation chapter, the comparison table's seed-{config.SEED} columns and the "
        f"choice of champion use {run}, and its column over seeds in the comparison table and "
        "its reproduction verdict use every seed"
    )
    entered = "the plots, the calibration table, McNemar's tests"
    if best_baseline is None:
        return (
            f"{both}. If it is the baseline most accurate on validation, {entered} use {run} "
            "too, and the target-suite robustness table every seed."
        )
    best = narrate.lower_first(specs.label(best_baseline))
    if best == name:
        return (
            f"{both}. It is the baseline most accurate on validation, so {entered} use {run} "
            "too, and the target-suite robustness table every seed."
        )
    return (
        f"{both}. It is not the baseline most accurate on validation ({best} is), so it enters "
        "neither the plots, the calibration table, McNemar's tests nor the robustness tables."
    )


def describe(
    name: str,
    val_accuracy: dict[int, float],
    group: str | None = None,
    best_baseline: str | None = None,
) -> str:
    """One sentence on a spec's validation accuracy over its seeds, and what its runs are for:
    a candidate for champion is judged on its seed-42 run; a control
    (:data:`specs.CONTROL_GROUPS`: the ablation) is compared with model 4, never a candidate.

    Args:
        name: the model's name for readers (:func:`specs.label`).
        val_accuracy: seed to validation accuracy.
        group: the spec's group (:attr:`specs.ModelSpec.group`); ``None``: the group of the spec
            that ``name`` labels (``study`` when it labels none).
        best_baseline: for a baseline, the key of the baseline most accurate on validation
            (:func:`mnist_pipeline.evaluation.champion.best_of`), which alone enters the
            evaluation's plots, tests and robustness table; ``None``: not known yet, and the
            sentence says what follows either way.
    """
    from mnist_pipeline.models import specs  # the registry loads TensorFlow: only when asked

    if group is None:
        found = [spec.group for key, spec in specs.SPECS.items() if specs.label(key) == name]
        group = found[0] if found else "study"
    control = group in specs.CONTROL_GROUPS
    name = narrate.lower_first(name)  # mid-sentence
    ordered = sorted(val_accuracy)
    values = np.array([val_accuracy[s] for s in ordered])
    if control:
        tail = (
            "These runs are a control: with model 4's runs on the same seeds they measure what "
            f"model 4's design buys, and {name} is never a candidate for champion."
        )
    else:
        every = {
            "beyond": "the comparison table's column over seeds, the comparison with its "
            "ablation, the robustness tables and model 4's targets use every seed; the step "
            "verdict from model 3 uses both (McNemar's test on the seed-42 runs with the "
            "difference over every seed)",
        }.get(
            group,
            "the comparison table's column over seeds, the reproduction verdicts and the "
            "robustness tables use every seed; the step verdicts use both (McNemar's test on "
            "the seed-42 runs with the difference over every seed)",
        )
        tail = (
            f"In the evaluation chapter, the comparison table's seed-{config.SEED} columns, the "
            "plots, the calibration table, McNemar's tests and the choice of champion use the "
            f"seed-{config.SEED} run; {every}."
        )
        if group == "baseline":  # only the best baseline enters the plots, tests and robustness
            tail = _baseline_tail(name, best_baseline)
    if len(values) < 2:  # a profile with one seed: no spread to report
        return (
            f"On seed {ordered[0]} alone, {name} reaches {100 * values[0]:.2f}\u00a0% on "
            "validation; with one seed, the spread between seeds is not measured."
            + (f" {tail}" if control else "")
        )
    listed = ", ".join(f"{100 * v:.2f}" for v in values)
    sd = float(values.std(ddof=1))
    return (
        f"Over seeds {', '.join(str(s) for s in ordered)}, {name} reaches {listed}\u00a0% on "
        f"validation: a mean of {100 * values.mean():.2f}\u00a0% with a standard deviation of "
        f"{100 * sd:.2f} points between seeds, on the same split. {tail}"
    )
