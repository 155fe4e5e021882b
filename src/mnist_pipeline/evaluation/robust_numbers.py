"""The report's numbers on robustness and on non-digits: the target suite, MNIST-C over seeds
with their intervals, the champion's detector, and what a model-4 design adds."""

from __future__ import annotations

import math

import pandas as pd

from mnist_pipeline import models
from mnist_pipeline.book.narrate import interval, pct
from mnist_pipeline.models import augment


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
        never = unseen if key == "model_4" else ()  # the others' augmentation covers nothing
        seen = rows[~rows["corruption"].isin(never)]
        lowest = (seen if len(seen) else rows)["accuracy"].min()  # no augmentation: over all
        values[f"{key}_min"] = pct(float(lowest), 1)
        if "n_seeds" in rows:  # each corruption's accuracy is the mean over the model's seeds
            values[f"{key}_seeds"] = int(rows["n_seeds"].max())
        for name in never:
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
        "layers": len(found.layers),
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
