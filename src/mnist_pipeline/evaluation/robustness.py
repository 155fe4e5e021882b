"""Robustness suites: corrupted copies of the same test images, and every model's answers.

Two suites: the *target suite* (:mod:`mnist_pipeline.corruptions.target`, the corruptions model 4's
augmentation was designed against, at the study's target strengths, plus occlusion) and MNIST-C
(:mod:`mnist_pipeline.corruptions.mnistc`, 15 held-out corruptions). Every model sees identical corrupted
images, so models are compared on the same inputs, paired by image; every repeated model is
scored on each of its seeds, and the statistics treat the image as the unit (the copies of one
image are not independent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from mnist_pipeline import metrics
from mnist_pipeline.corruptions import mnistc, target
from mnist_pipeline.metrics import clustered
from mnist_pipeline.models import specs

Predict = Callable[[np.ndarray], np.ndarray]


def predictor(model: object) -> Predict:
    """A function from a batch of images to predicted labels."""
    return lambda images: metrics.predict_proba(model, images).argmax(axis=1)


def robustness_curves(
    predicts: Mapping[str, Predict], images: np.ndarray, labels: np.ndarray, seed: int
) -> pd.DataFrame:
    """Accuracy at every strength of the target suite's corruptions, for the figure.

    Returns:
        Columns ``corruption``, ``strength``, ``unit``, ``accuracy``, ``model``.
    """
    return pd.concat(
        [
            target.accuracy_curves(predict, images, labels, seed=seed).assign(model=key)
            for key, predict in predicts.items()
        ],
        ignore_index=True,
    )


def target_suite(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The target suite: each corruption of :mod:`corruptions.target` at the study's target strength."""
    return {
        name: target.corrupt(images, name, c.target, seed) for name, c in target.CORRUPTIONS.items()
    }


def mnistc_suite(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """MNIST-C's 15 corruptions of ``images`` (:mod:`mnistc`), each with its own seed."""
    return mnistc.corrupt_all(images, seed)


def seed_models(found: pd.DataFrame, keys: Sequence[str]) -> dict[str, list[object]]:
    """Every seed's registered model of each of ``keys``, in the order of the seeds.

    Args:
        found: :func:`mnist_pipeline.evaluation.seeds.runs` (one row per model and seed).
        keys: the models wanted; one without repeats has its one run.
    """
    from mnist_pipeline import tracking

    chosen = found[found["model_key"].isin(keys)].sort_values(["model_key", "seed"])
    models: dict[str, list[object]] = {key: [] for key in keys}
    for row in chosen.itertuples():
        models[row.model_key].append(tracking.load_model_version(row.model_version))
    return models


def suite_correct(
    models: Mapping[str, Sequence[object]], suite: Mapping[str, np.ndarray], labels: np.ndarray
) -> dict[str, np.ndarray]:
    """Whether each seed's model of each key reads each corrupted copy right.

    Returns:
        Model key to booleans ``(seeds, corruptions, images)``, corruptions in the suite's order.
    """
    return {
        key: np.stack(
            [
                np.stack([predictor(model)(batch) == labels for batch in suite.values()])
                for model in per_seed
            ]
        )
        for key, per_seed in models.items()
    }


def suite_table(
    correct: Mapping[str, np.ndarray], names: Sequence[str], seed: int = 0
) -> pd.DataFrame:
    """Accuracy of each model under each corruption and on the suite's mean, with intervals
    that treat the image, not the corrupted copy, as the unit (:mod:`metrics.clustered`).

    The accuracy is the mean over seeds and images; the 95 % interval resamples images and,
    with several seeds, seeds as well (a two-level bootstrap). The ``mean`` row scores each
    image by the share of its corrupted copies read right, so the copies of one image are not
    counted as independent evidence.

    Args:
        correct: :func:`suite_correct`.
        names: the suite's corruptions, in the order of ``correct``'s second axis.

    Returns:
        Long format: ``corruption``, ``model``, ``accuracy``, ``ci_low``, ``ci_high``,
        ``n_seeds``.
    """
    rows = []
    for key, answers in correct.items():
        if answers.shape[1] != len(names):
            raise ValueError(f"{key}: {answers.shape[1]} corruptions answered, {len(names)} named")
        parts = {name: answers[:, [i], :] for i, name in enumerate(names)}
        parts["mean"] = answers
        for name, part in parts.items():
            rows.append({"corruption": name, "model": key} | _accuracy(part, seed))
    return pd.DataFrame(rows)


def _accuracy(answers: np.ndarray, seed: int) -> dict[str, float]:
    """A model's accuracy over some corruptions' copies, the image as the unit: ``accuracy``,
    ``ci_low``, ``ci_high`` (95 %, images and seeds resampled) and ``n_seeds``."""
    found = clustered.mean_interval(clustered.image_scores(answers), seed=seed)
    return {
        "accuracy": found["mean"],
        "ci_low": found["ci_low"],
        "ci_high": found["ci_high"],
        "n_seeds": found["n_seeds"],
    }


def paired(correct_a: np.ndarray, correct_b: np.ndarray, seed: int = 0) -> dict[str, float]:
    """B against A on the same corrupted images: each image's share of copies read right,
    paired by image, over every seed of each (:func:`metrics.clustered.paired_comparison`)."""
    return clustered.paired_comparison(
        clustered.image_scores(correct_a), clustered.image_scores(correct_b), seed=seed
    )


def accuracy_grid(long: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """A long robustness table as corruptions by models, cells "97.5 ± 0.7" (percent, the larger
    side of the 95 % interval), columns named for readers."""

    def cell(row: pd.Series) -> str:
        half = max(row["accuracy"] - row["ci_low"], row["ci_high"] - row["accuracy"])
        return f"{100 * row['accuracy']:.1f} ± {100 * half:.1f}"

    grid = long.assign(cell=long.apply(cell, axis=1)).pivot(
        index="corruption", columns="model", values="cell"
    )
    order = list(dict.fromkeys(long["corruption"]))
    grid = grid.rename(index=lambda name: name.replace("_", " "))
    order = [name.replace("_", " ") for name in order]
    return (
        grid.loc[order, list(models)]
        .rename(columns=specs.label)
        .rename_axis(index="corruption", columns=None)
    )


# The strength at which each corruption of the target suite has its target, for the figure.
TARGET_STRENGTHS: dict[str, float] = {
    name: c.target for name, c in target.CORRUPTIONS.items() if c.target is not None
}


def curve_inputs(curves: pd.DataFrame, n_images: int) -> dict[str, object]:
    """The arguments of :func:`plots.robustness_curves` for :func:`robustness_curves`: models
    named for readers, 95 % Wilson bands over the ``n_images`` sampled images, the target
    strengths marked."""
    return {
        "curves": curves.assign(model=curves["model"].map(specs.label)),
        "title": "Accuracy under corruption",
        "targets": TARGET_STRENGTHS,
        "n": n_images,
    }


def resemblance_groups(names: Sequence[str], like: Iterable[str]) -> dict[str, list[int]]:
    """The suite's corruptions (their positions in ``names``) that resemble an augmentation
    (``like``, :func:`mnist_pipeline.book.design_words.resembling`) and the others; a group with
    no corruption is left out."""
    like = set(like)
    groups = {
        "like": [i for i, name in enumerate(names) if name in like],
        "unlike": [i for i, name in enumerate(names) if name not in like],
    }
    return {group: found for group, found in groups.items() if found}


def group_table(
    correct: Mapping[str, np.ndarray], groups: Mapping[str, Sequence[int]], seed: int = 0
) -> pd.DataFrame:
    """Each model's accuracy on each group of a suite's corruptions, the image as the unit.

    An image scores the share of its copies in the group read right (so the group's accuracy is
    the plain mean of its corruptions' accuracies), and the 95 % interval resamples images and
    seeds, as :func:`suite_table`'s ``mean`` row does.

    Args:
        correct: :func:`suite_correct`.
        groups: :func:`resemblance_groups`.

    Returns:
        Long format: ``group``, ``n_corruptions``, ``model``, ``accuracy``, ``ci_low``,
        ``ci_high``, ``n_seeds``.
    """
    rows = []
    for key, answers in correct.items():
        for group, positions in groups.items():
            part = answers[:, list(positions), :]
            rows.append(
                {"group": group, "n_corruptions": len(positions), "model": key}
                | _accuracy(part, seed)
            )
    return pd.DataFrame(rows)


def paired_by_group(
    correct: Mapping[str, np.ndarray],
    groups: Mapping[str, Sequence[int]],
    a: str,
    b: str,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """B against A on each group of a suite's corruptions, paired by image (:func:`paired`)."""
    return {
        group: paired(correct[a][:, list(pos), :], correct[b][:, list(pos), :], seed=seed)
        for group, pos in groups.items()
    }


def group_contrast(
    correct: Mapping[str, np.ndarray],
    groups: Mapping[str, Sequence[int]],
    a: str,
    b: str,
    seed: int = 0,
) -> dict[str, float] | None:
    """Whether B's gain over A differs between the two groups, paired by image.

    Each image's score in a group is the share of its copies in that group read right; the
    statistic is (B's like score - B's unlike score) - (A's like - A's unlike), per image and
    seed, compared by :func:`metrics.clustered.paired_comparison`: its ``difference`` is B's
    gain on the ``like`` group minus its gain on the ``unlike`` group, with the same bootstrap
    interval and sign-flip p-value. ``None`` unless both groups hold corruptions.
    """
    if set(groups) != {"like", "unlike"}:
        return None

    def gap(answers: np.ndarray) -> np.ndarray:
        like = clustered.image_scores(answers[:, list(groups["like"]), :])
        unlike = clustered.image_scores(answers[:, list(groups["unlike"]), :])
        return like - unlike

    return clustered.paired_comparison(gap(correct[a]), gap(correct[b]), seed=seed)
