"""The study's evaluation as one seam: every table of the evaluation chapter, computed here.

As :func:`mnist_pipeline.study.experiment.run` is the one path for training, this module is the one
path for judging: the chapter names *what* (the runs, the data, the budgets) and shows what
these functions return. The champion rule, the comparison, McNemar's pairs, calibration,
robustness on the corruptions model 4 trained against and on MNIST-C, the confused pairs, the
cost of each model and the spread over seeds live here, each tested on small hand-made
predictions. Sentences that read these tables back are in :mod:`mnist_pipeline.book.narrate`;
MLflow is reached through :mod:`mnist_pipeline.tracking` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mnist_pipeline import config, metrics, tracking
from mnist_pipeline import models as models_
from mnist_pipeline.book import narrate, verdicts
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.evaluation import detection, robustness, seeds
from mnist_pipeline.metrics import clustered
from mnist_pipeline.models import augment, specs

# How the champion is chosen, as the evaluation run logs it and the chapter states it.
CHAMPION_RULE = (
    "one-standard-error rule: among the candidates within one binomial standard error of the best "
    "validation accuracy, the one with the fewest parameters (of equal sizes, the more accurate); "
    "an ablation is a control, not a candidate"
)
GROUP_ORDER = ("baseline", "study", "beyond", "ablation")
# The study's steps, judged on seed 42 (McNemar) and over seeds; and model 4 against its ablation.
STEPS = (("model_1", "model_2"), ("model_2", "model_3"), ("model_3", "model_4"))
ABLATION = ("model_4_no_aug", "model_4")


def order_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs in the book's order: baselines, the study's CNNs, model 4, its ablation."""
    rank = {group: i for i, group in enumerate(GROUP_ORDER)}
    ordered = runs.assign(_rank=runs["group"].map(rank).fillna(len(rank)))
    return ordered.sort_values(["_rank", "model_key"]).drop(columns="_rank").reset_index(drop=True)


def keys_of(runs: pd.DataFrame, *groups: str) -> list[str]:
    """The model keys of ``runs`` whose spec belongs to one of ``groups``, in the runs' order."""
    return [
        key for key, group in zip(runs["model_key"], runs["group"], strict=True) if group in groups
    ]


def choose_champion(runs: pd.DataFrame, n_val: int) -> pd.Series:
    """The champion by :data:`CHAMPION_RULE`, on validation only (the test set plays no part).

    The candidates are the runs outside :data:`specs.CONTROL_GROUPS`: an ablation measures what
    one change buys and is not meant to be served. Of models of equal size the more accurate
    wins; exact ties on both accuracy and size go to the first model key.

    Raises:
        ValueError: when there is no candidate to choose from.
    """
    candidates = specs.candidates(runs)
    if candidates.empty:
        raise ValueError("no training runs to choose a champion from: run the training chapters")
    best = float(candidates["val_accuracy"].max())
    within = candidates[candidates["val_accuracy"] >= best - metrics.standard_error(best, n_val)]
    order = ["n_parameters", "val_accuracy", "model_key"]
    return within.sort_values(order, ascending=[True, False, True]).iloc[0]


def test_results(labels: np.ndarray, predictions: Mapping[str, np.ndarray]) -> dict[str, dict]:
    """Each model's test accuracy, errors and 95 % Wilson interval."""
    return {key: metrics.accuracy_with_interval(labels, pred) for key, pred in predictions.items()}


def comparison_table(
    runs: pd.DataFrame, test: Mapping[str, Mapping[str, float]], seeds: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every model: size, the figure the original descriptions reported, ours with intervals.

    Args:
        runs: one training run per model (seed 42).
        test: model key to its test results (:func:`test_results`).
        seeds: :func:`seed_table`, to add the mean and spread over seeds where there are some.

    Returns:
        One row per model, named for readers, accuracies in percent as text.
    """
    rows = []
    for run in runs.itertuples():
        t = test[run.model_key]
        row = {
            "model": specs.label(run.model_key),
            "parameters": f"{run.n_parameters:,}",
            "epochs": str(run.epochs) if run.epochs else "-",
            "reported val.": "-"
            if math.isnan(run.study_val_accuracy)
            else narrate.pct(run.study_val_accuracy, 1),
            "val.": narrate.pct(run.val_accuracy),
            "test": narrate.pct(t["accuracy"]),
            "test 95 % interval": narrate.interval(t["ci_low"], t["ci_high"]),
            "test errors": f"{t['errors']:,}",
        }
        if seeds is not None:
            row["test over seeds"] = (
                seeds.loc[run.model_key, "test"] if run.model_key in seeds.index else "-"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def unique_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs in order, each pair once whichever way round it comes."""
    seen: set[frozenset[str]] = set()
    out = []
    for pair in pairs:
        if frozenset(pair) not in seen:
            seen.add(frozenset(pair))
            out.append(pair)
    return out


def pairs_to_test(champion: str, runner_up: str) -> list[tuple[str, str]]:
    """The pairs McNemar's test compares: the champion against the runner-up, the study's
    steps and the ablation, each once whichever way round (:func:`unique_pairs`)."""
    return unique_pairs([(champion, runner_up), *STEPS, ABLATION])


def mcnemar_pairs(
    labels: np.ndarray, predictions: Mapping[str, np.ndarray], pairs: Sequence[tuple[str, str]]
) -> pd.DataFrame:
    """McNemar's exact test for each pair of models on the same images.

    Returns:
        Columns ``first``, ``second`` (model keys), ``a_only``, ``b_only``, ``p_value``.
    """
    return pd.DataFrame(
        [
            {"first": a, "second": b, **metrics.mcnemar(labels, predictions[a], predictions[b])}
            for a, b in pairs
        ],
        columns=["first", "second", "a_only", "b_only", "p_value"],
    )


def calibration_table(
    val_proba: Mapping[str, np.ndarray],
    y_val: np.ndarray,
    test_proba: Mapping[str, np.ndarray],
    y_test: np.ndarray,
) -> pd.DataFrame:
    """Expected calibration error on test, before and after a temperature fitted on validation.

    Returns:
        One row per model key: ``temperature``, ``ECE (%)`` and ``ECE scaled (%)``.
    """
    rows = {}
    for key, proba in val_proba.items():
        temperature = metrics.fit_temperature(proba, y_val)
        scaled = metrics.temperature_scale(test_proba[key], temperature)
        rows[key] = {
            "temperature": temperature,
            "ECE (%)": 100 * metrics.expected_calibration_error(test_proba[key], y_test),
            "ECE scaled (%)": 100 * metrics.expected_calibration_error(scaled, y_test),
        }
    return pd.DataFrame(rows).T


def load_models(runs: pd.DataFrame) -> dict[str, object]:
    """Each run's registered model, loaded back from the registry: what is judged is what was logged."""
    return {r.model_key: tracking.load_model_version(r.model_version) for r in runs.itertuples()}


def probabilities(models: Mapping[str, object], images: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's class probabilities for ``images``."""
    return {key: metrics.predict_proba(model, images) for key, model in models.items()}


def confused_pairs(
    labels: np.ndarray, predictions: Mapping[str, np.ndarray], keys: Sequence[str], k: int = 8
) -> pd.DataFrame:
    """The ``k`` digit pairs most often confused, summed over ``keys``, with each model's count."""
    matrices = {key: metrics.confusion(labels, predictions[key]) for key in keys}
    table = pd.DataFrame(
        [
            {
                "true digit": t,
                "predicted": p,
                **{specs.label(key): int(m[t, p]) for key, m in matrices.items()},
            }
            for t, p, _ in metrics.most_confused(sum(matrices.values()), k=k)
        ]
    )
    table["all of them"] = table[[specs.label(key) for key in keys]].sum(axis=1)
    return table


def efficiency_table(
    models: Mapping[str, object], images: np.ndarray, repeats: int = 20
) -> pd.DataFrame:
    """Each model's size and the time to classify one image and a batch, called directly.

    A direct call runs the model eagerly, layer after layer from Python; a service that keeps a
    compiled function answers a single image faster, so these times bound the cost from above.
    """
    rows = {}
    for key, model in models.items():
        timing = metrics.time_inference(model, images, repeats=repeats)
        rows[specs.label(key)] = {
            "parameters": f"{metrics.parameter_count(model):,}",
            "size (MB)": f"{metrics.size_on_disk(model) / 1e6:.3g}",
            "1 image (ms)": f"{timing['single_ms']:.3g}",
            f"{len(images):,} images (ms)": f"{timing['batch_ms']:.3g}",
        }
    return pd.DataFrame(rows).T


def mcnemar_for_readers(table: pd.DataFrame) -> pd.DataFrame:
    """McNemar's pairs with models named for readers and columns in words."""
    return pd.DataFrame(
        {
            "first": table["first"].map(specs.label),
            "second": table["second"].map(specs.label),
            "only the first right": table["a_only"],
            "only the second right": table["b_only"],
            "p-value": [narrate.p_value(p) for p in table["p_value"]],
        }
    )


def clean_of(every_seed: Mapping[str, list], key: str, splits: Splits) -> np.ndarray:
    """Whether each seed's model of ``key`` reads each clean test digit right,
    ``(seeds, 1, images)``."""
    return robustness.suite_correct(
        {key: every_seed[key]}, {"clean": splits.x_test}, splits.y_test
    )[key]


def unseen_targets(runs: pd.DataFrame, key: str = "model_4") -> tuple[str, ...]:
    """The target suite's corruptions that model 4's logged design never trains on."""
    found = runs.loc[runs["model_key"] == key, "architecture"]
    design = models_.design_named(str(found.iloc[0])) if len(found) else None
    return augment.unseen_targets(design.policy if design else "none")


def target_check(value: float, low: float, high: float, goal: float) -> dict:
    """A target against a measured value and its 95 % interval: ``meets`` (the value reaches
    the goal), ``misses``; ``straddles`` says whether the interval holds the goal, where
    another set of seeds or images could land on the other side."""
    return {
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "goal": goal,
        "code": "meets" if value >= goal else "misses",
        "straddles": bool(low <= goal <= high),
    }


def model_4_targets(clean: np.ndarray, mnistc: pd.DataFrame, key: str = "model_4") -> dict:
    """Model 4's three targets, each over every seed it has: clean test accuracy, the mean
    over MNIST-C, and its worst MNIST-C corruption (issue: no corruption below the floor)."""
    found = clustered.mean_interval(clustered.image_scores(clean))
    rows = mnistc[mnistc["model"] == key].set_index("corruption")
    mean = rows.loc["mean"]
    worst_name = rows.drop(index="mean")["accuracy"].idxmin()
    worst = rows.loc[worst_name]
    return {
        "clean": target_check(
            found["mean"], found["ci_low"], found["ci_high"], config.ACCURACY_TARGET
        ),
        "mnistc_mean": target_check(
            mean["accuracy"], mean["ci_low"], mean["ci_high"], config.MNISTC_TARGET
        ),
        "mnistc_worst": {
            **target_check(
                worst["accuracy"], worst["ci_low"], worst["ci_high"], config.MNISTC_FLOOR
            ),
            "corruption": worst_name,
        },
        "n_seeds": int(found["n_seeds"]),
    }


@dataclass
class Evaluation:
    """Everything the evaluation chapter shows, computed by :func:`run`."""

    runs: pd.DataFrame
    champion: pd.Series
    models: dict[str, object]
    proba: dict[str, np.ndarray]
    test: dict[str, dict]
    focus: list[str]
    cnns: list[str]
    seed_scores: pd.DataFrame
    spread: pd.DataFrame
    comparison: pd.DataFrame
    mcnemar: pd.DataFrame
    step_verdicts: dict[str, str]
    calibration: pd.DataFrame
    labels_test: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    curves: pd.DataFrame
    target: pd.DataFrame
    mnistc: pd.DataFrame
    augmentation_verdict: str
    best_baseline: str = ""
    decisions: dict[str, str] = field(default_factory=dict)
    ablation: dict[str, dict] = field(default_factory=dict)
    targets: dict[str, dict] = field(default_factory=dict)
    refusals: pd.DataFrame | None = None
    detector: object = None
    corrupted_refusals: pd.Series | None = None
    unseen: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def predictions(self) -> dict[str, np.ndarray]:
        return {key: p.argmax(axis=1) for key, p in self.proba.items()}


def run(
    runs: pd.DataFrame,
    splits: Splits,
    champion: pd.Series,
    n_robustness: int,
    seed: int,
    n_nondigits: int = 500,
) -> Evaluation:
    """Score every model on the test set and compute every table of the evaluation chapter.

    Args:
        runs: the seed-42 training run of each model (:func:`order_runs` of ``latest_runs``).
        splits: the fixed split.
        champion: chosen beforehand on validation (:func:`choose_champion`).
        n_robustness: test images in the seeded sample that both robustness suites corrupt.
        seed: the seed of the sample, of the corruptions and of the non-digits.
        n_nondigits: images of each non-digit family the champion's detector is tried on.
    """
    models = load_models(runs)
    proba = probabilities(models, splits.x_test)
    predictions = {key: p.argmax(axis=1) for key, p in proba.items()}
    test = test_results(splits.y_test, predictions)
    found = seeds.runs()
    repeated = [k for k in runs["model_key"] if (found["model_key"] == k).sum() > 1]
    seed_scores = seeds.accuracies(found, splits, repeated)
    spread = seeds.table(seed_scores)
    cnns = keys_of(runs, "study", "beyond", "ablation")
    best_baseline = (
        runs[runs["group"] == "baseline"].sort_values("val_accuracy").iloc[-1]["model_key"]
    )
    # The CNNs and the best baseline, and the champion whatever it is (on a small budget a
    # baseline can win): every table about the champion finds it here.
    focus = list(dict.fromkeys([*cnns, best_baseline, champion["model_key"]]))
    candidates = specs.candidates(runs)
    runner_up = (
        candidates[candidates["model_key"] != champion["model_key"]]
        .sort_values("val_accuracy")
        .iloc[-1]
    )
    pairs = pairs_to_test(champion["model_key"], runner_up["model_key"])
    mcnemar = mcnemar_pairs(splits.y_test, predictions, pairs)
    val_proba = probabilities({k: models[k] for k in focus}, splits.x_val)
    subset = metrics.seeded_subset(len(splits.y_test), n_robustness, seed)
    images, labels = splits.x_test[subset], splits.y_test[subset]
    predicts = {k: robustness.predictor(models[k]) for k in focus}
    every_seed = robustness.seed_models(found, focus)
    mnistc_images = robustness.mnistc_suite(images, seed)
    suites = {
        "the target suite": robustness.target_suite(images, seed),
        "MNIST-C": mnistc_images,
    }
    correct = {name: robustness.suite_correct(every_seed, s, labels) for name, s in suites.items()}
    clean = robustness.suite_correct(
        {k: every_seed[k] for k in ABLATION}, {"clean": splits.x_test}, splits.y_test
    )
    differences = seeds.differences(seed_scores, STEPS)
    paired = {
        "clean test digits": robustness.paired(*(clean[k] for k in ABLATION)),
        **{name: robustness.paired(*(c[k] for k in ABLATION)) for name, c in correct.items()},
    }
    target = robustness.suite_table(correct["the target suite"], list(suites["the target suite"]))
    mnistc = robustness.suite_table(correct["MNIST-C"], list(mnistc_images))
    digit_detector = detection.of_run(champion["run_id"])
    champion_model = models[champion["model_key"]]
    refusals = detection.refusal_table(
        detection.scores(champion_model, digit_detector, splits.x_test),
        detection.family_scores(champion_model, digit_detector, n_nondigits, seed),
        digit_detector.threshold,
    )
    return Evaluation(
        runs=runs,
        champion=champion,
        models=models,
        proba=proba,
        test=test,
        focus=focus,
        cnns=cnns,
        seed_scores=seed_scores,
        spread=spread,
        comparison=comparison_table(runs, test, spread),
        mcnemar=mcnemar,
        step_verdicts=verdicts.steps(mcnemar, differences, test, STEPS),
        calibration=calibration_table(val_proba, splits.y_val, proba, splits.y_test),
        labels_test=splits.y_test,
        images=images,
        labels=labels,
        curves=robustness.robustness_curves(predicts, images, labels, seed),
        target=target,
        mnistc=mnistc,
        augmentation_verdict=verdicts.ablation(ABLATION, paired),
        ablation=paired,
        targets=model_4_targets(clean_of(every_seed, "model_4", splits), mnistc),
        refusals=refusals,
        detector=digit_detector,
        unseen=unseen_targets(runs),
        corrupted_refusals=detection.corrupted_refusals(
            champion_model, digit_detector, mnistc_images
        ),
        best_baseline=best_baseline,
        decisions={
            **verdicts.step_codes(mcnemar, differences, test, STEPS),
            **{
                f"ablation_{name}": verdicts.paired_code(result)
                for name, result in zip(
                    ("clean", "target_suite", "mnistc"), paired.values(), strict=True
                )
            },
        },
    )
