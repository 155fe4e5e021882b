"""The study's evaluation as one seam: :func:`run` scores every model on the test set once and
computes every table of the evaluation chapter.

As :func:`mnist_pipeline.study.experiment.run` is the one path for training, this is the one path
for judging: the chapter names *what* (the runs, the data, the budgets) and shows what :func:`run`
returns. The champion rule is in :mod:`.champion`, the tables of the comparison in :mod:`.tables`,
model 4's targets in :mod:`.targets`, the robustness suites in :mod:`.robustness`, the detector's
refusals in :mod:`.detection`; each is tested on small hand-made predictions. MLflow is reached
through :mod:`mnist_pipeline.tracking` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mnist_pipeline import metrics, tracking
from mnist_pipeline.book import design_words, verdicts
from mnist_pipeline.data.prepare import Splits
from mnist_pipeline.evaluation import detection, robustness, seeds
from mnist_pipeline.evaluation.champion import (
    CHAMPION_RULE,
    GROUP_ORDER,
    best_of,
    choose_champion,
    keys_of,
    order_runs,
    runner_up_of,
)
from mnist_pipeline.evaluation.tables import (
    ABLATION,
    STEPS,
    calibration_table,
    comparison_table,
    confused_pairs,
    efficiency_table,
    mcnemar_for_readers,
    mcnemar_pairs,
    pairs_to_test,
    test_results,
    unique_pairs,
)
from mnist_pipeline.evaluation.targets import clean_of, model_4_targets, unseen_targets
from mnist_pipeline.models import designs

__all__ = [
    "ABLATION",
    "CHAMPION_RULE",
    "GROUP_ORDER",
    "STEPS",
    "Evaluation",
    "calibration_table",
    "choose_champion",
    "comparison_table",
    "confused_pairs",
    "efficiency_table",
    "keys_of",
    "load_models",
    "mcnemar_for_readers",
    "mcnemar_pairs",
    "order_runs",
    "pairs_to_test",
    "probabilities",
    "run",
    "test_results",
    "unique_pairs",
]


def load_models(runs: pd.DataFrame) -> dict[str, object]:
    """Each run's registered model, loaded back from the registry: what is judged is what was logged."""
    return {r.model_key: tracking.load_model_version(r.model_version) for r in runs.itertuples()}


def probabilities(models: Mapping[str, object], images: np.ndarray) -> dict[str, np.ndarray]:
    """Each model's class probabilities for ``images``."""
    return {key: metrics.predict_proba(model, images) for key, model in models.items()}


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
    differences: pd.DataFrame
    calibration: pd.DataFrame
    labels_test: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    curves: pd.DataFrame
    target: pd.DataFrame
    mnistc: pd.DataFrame
    best_baseline: str = ""
    design: str = ""  # model 4's logged architecture (its design)
    decisions: dict[str, str] = field(default_factory=dict)
    ablation: dict[str, dict] = field(default_factory=dict)
    # MNIST-C in two groups: the corruptions that resemble model 4's augmentation, and the others
    mnistc_groups: pd.DataFrame | None = None
    ablation_groups: dict[str, dict] = field(default_factory=dict)
    ablation_contrast: dict[str, float] | None = None  # model 4's gain: like minus unlike
    targets: dict[str, dict] = field(default_factory=dict)
    refusals: pd.DataFrame | None = None
    detector: object = None
    corrupted_refusals: pd.Series | None = None
    unseen: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def predictions(self) -> dict[str, np.ndarray]:
        return {key: p.argmax(axis=1) for key, p in self.proba.items()}


def _architecture(runs: pd.DataFrame, key: str) -> str:
    """The logged ``architecture`` of ``key``'s run (model 4's names its design); ``""``: none."""
    found = runs.loc[runs["model_key"] == key, "architecture"] if "architecture" in runs else []
    return str(found.iloc[0]) if len(found) else ""


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
    # Which models each table is about, from the runs' validation scores alone.
    cnns = keys_of(runs, "study", "beyond", "ablation")
    best_baseline = best_of(runs, "baseline")
    versus = [k for k in keys_of(runs, "study", "beyond") if k != best_baseline]
    # The CNNs and the best baseline, and the champion whatever it is (on a small budget a
    # baseline can win): every table about the champion finds it here.
    focus = list(dict.fromkeys([*cnns, best_baseline, champion["model_key"]]))
    runner_up = runner_up_of(runs, champion["model_key"])
    # Every model's answers: the test set's one look, and validation for the calibration table.
    models = load_models(runs)
    design = _architecture(runs, ABLATION[1])
    proba = probabilities(models, splits.x_test)
    val_proba = probabilities({k: models[k] for k in focus}, splits.x_val)
    predictions = {key: p.argmax(axis=1) for key, p in proba.items()}
    # The seed repeats.
    found = seeds.runs()
    repeated = [k for k in runs["model_key"] if (found["model_key"] == k).sum() > 1]
    seed_scores = seeds.accuracies(found, splits, repeated)
    spread = seeds.table(seed_scores)
    differences = seeds.differences(seed_scores, STEPS)
    # The tables of the clean test set.
    test = test_results(splits.y_test, predictions)
    pairs = pairs_to_test(champion["model_key"], runner_up, best_baseline, versus)
    mcnemar = mcnemar_pairs(splits.y_test, predictions, pairs)
    calibration = calibration_table(val_proba, splits.y_val, proba, splits.y_test)
    comparison = comparison_table(runs, test, spread)
    # The robustness suites, on one seeded sample of test images.
    subset = metrics.seeded_subset(len(splits.y_test), n_robustness, seed)
    images, labels = splits.x_test[subset], splits.y_test[subset]
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
    target = robustness.suite_table(correct["the target suite"], list(suites["the target suite"]))
    mnistc = robustness.suite_table(correct["MNIST-C"], list(mnistc_images))
    predicts = {k: robustness.predictor(models[k]) for k in focus}
    curves = robustness.robustness_curves(predicts, images, labels, seed)
    paired = {
        "clean test digits": robustness.paired(*(clean[k] for k in ABLATION)),
        **{name: robustness.paired(*(c[k] for k in ABLATION)) for name, c in correct.items()},
    }
    # MNIST-C split by what model 4's design resembles, each group compared paired by image.
    chosen = designs.design_named(design)
    groups = robustness.resemblance_groups(
        list(mnistc_images), design_words.resembling(chosen.name if chosen else None)
    )
    mnistc_groups = robustness.group_table(correct["MNIST-C"], groups)
    ablation_groups = robustness.paired_by_group(correct["MNIST-C"], groups, *ABLATION)
    ablation_contrast = robustness.group_contrast(correct["MNIST-C"], groups, *ABLATION)
    # The champion's detector: clean digits, non-digits, and MNIST-C's corrupted digits.
    digit_detector = detection.of_run(champion["run_id"])
    refusals, corrupted_refusals = detection.measure(
        models[champion["model_key"]],
        digit_detector,
        splits.x_test,
        mnistc_images,
        n_nondigits,
        seed,
    )
    # Model 4's targets, and the decisions as codes that the book words afterwards.
    targets = model_4_targets(clean_of(every_seed, "model_4", splits), mnistc)
    unseen = unseen_targets(runs)
    decisions = {
        **verdicts.step_codes(mcnemar, differences, test, STEPS),
        **{
            f"ablation_{name}": verdicts.paired_code(result)
            for name, result in zip(
                ("clean", "target_suite", "mnistc"), paired.values(), strict=True
            )
        },
    }
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
        comparison=comparison,
        mcnemar=mcnemar,
        differences=differences,
        calibration=calibration,
        labels_test=splits.y_test,
        images=images,
        labels=labels,
        curves=curves,
        target=target,
        mnistc=mnistc,
        design=design,
        ablation=paired,
        mnistc_groups=mnistc_groups,
        ablation_groups=ablation_groups,
        ablation_contrast=ablation_contrast,
        targets=targets,
        refusals=refusals,
        detector=digit_detector,
        unseen=unseen,
        corrupted_refusals=corrupted_refusals,
        best_baseline=best_baseline,
        decisions=decisions,
    )
