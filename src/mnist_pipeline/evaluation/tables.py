"""The evaluation chapter's tables of the comparison: test scores, McNemar's pairs, calibration,
confused digits and each model's cost, computed from predictions and named for readers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mnist_pipeline import metrics
from mnist_pipeline.book import narrate
from mnist_pipeline.models import specs

# The study's steps, judged on seed 42 (McNemar) and over seeds; and model 4 against its ablation.
STEPS = (("model_1", "model_2"), ("model_2", "model_3"), ("model_3", "model_4"))


ABLATION = ("model_4_no_aug", "model_4")


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
            "reported acc.": _reported(run.model_key, run.study_val_accuracy),
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


def _reported(model_key: str, accuracy: float) -> str:
    """A reported accuracy, with its split when that is not validation ("98.0 % (test)")."""
    if math.isnan(accuracy):
        return "-"
    split = specs.SPECS[model_key].reported_split if model_key in specs.SPECS else "validation"
    return narrate.pct(accuracy, 1) + ("" if split == "validation" else f" ({split})")


def unique_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs in order, each pair once whichever way round it comes."""
    seen: set[frozenset[str]] = set()
    out = []
    for pair in pairs:
        if frozenset(pair) not in seen:
            seen.add(frozenset(pair))
            out.append(pair)
    return out


def pairs_to_test(
    champion: str, runner_up: str, best_baseline: str | None = None, cnns: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """The pairs McNemar's test compares: the champion against the runner-up, the study's
    steps, the ablation, and the best baseline against each of ``cnns``, each once whichever
    way round (:func:`unique_pairs`)."""
    versus = [(best_baseline, k) for k in cnns] if best_baseline else []
    return unique_pairs([(champion, runner_up), *STEPS, ABLATION, *versus])


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

    The size is that of the model saved for predicting (:func:`_size_for_inference`): a Keras
    model's ``.keras`` file otherwise holds its optimiser's state too when it is still compiled,
    two Adam moments per weight, about three times the weights, which the registry's models
    carry or not depending on how they were logged (model 4 is rebuilt without its
    augmentation layers and so uncompiled; its ablation is logged as trained).

    "Parameters" for the scikit-learn models (:func:`metrics.parameter_count`): the numbers in
    their fitted arrays (coefficients and intercepts, support vectors and their weights, PCA
    components, each tree node's split and class values), summed over a pipeline's steps or an
    ensemble's members; none is learned by gradient descent like a network's weights.
    """
    rows = []
    for key, model in models.items():
        timing = metrics.time_inference(model, images, repeats=repeats)
        rows.append(
            {
                "model": specs.label(key),
                "parameters": f"{metrics.parameter_count(model):,}",
                "size (MB)": f"{_size_for_inference(model) / 1e6:.3g}",
                "1 image (ms)": f"{timing['single_ms']:.3g}",
                f"{len(images):,} images (ms)": f"{timing['batch_ms']:.3g}",
            }
        )
    return pd.DataFrame(rows).set_index("model")


def _size_for_inference(model: object) -> int:
    """Bytes of a model saved as it predicts: a compiled Keras model without its optimiser's
    state (a copy rebuilt from its configuration, never compiled, with the same weights), a
    scikit-learn model as it is pickled."""
    if getattr(model, "optimizer", None) is not None and hasattr(model, "get_weights"):
        copy = type(model).from_config(model.get_config())
        copy.set_weights(model.get_weights())
        model = copy
    return metrics.size_on_disk(model)


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
