"""Metrics with their uncertainty, confusion matrices, mistakes and comparisons
(:mod:`.scores`), and calibration (:mod:`.calibration`): every public name of both, as
``metrics.<name>``, with the model-family helpers ``flat`` and ``size_on_disk`` of
:mod:`mnist_pipeline.adapters`. Image-level statistics for corrupted copies of the same images are in
:mod:`.clustered` (``from mnist_pipeline.metrics import clustered``).
"""

from mnist_pipeline.adapters import flat, size_on_disk
from mnist_pipeline.metrics.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability,
    temperature_scale,
)
from mnist_pipeline.metrics.scores import (
    Z_95,
    accuracy_with_interval,
    confusion,
    mcnemar,
    misclassified,
    mistakes_for_readers,
    mistakes_table,
    most_confused,
    parameter_count,
    per_class_report,
    predict_proba,
    seeded_subset,
    standard_error,
    summary_metrics,
    time_inference,
    wilson_interval,
)

__all__ = [
    "Z_95",
    "accuracy_with_interval",
    "confusion",
    "expected_calibration_error",
    "fit_temperature",
    "flat",
    "mcnemar",
    "misclassified",
    "mistakes_for_readers",
    "mistakes_table",
    "most_confused",
    "parameter_count",
    "per_class_report",
    "predict_proba",
    "reliability",
    "seeded_subset",
    "size_on_disk",
    "standard_error",
    "summary_metrics",
    "temperature_scale",
    "time_inference",
    "wilson_interval",
]
