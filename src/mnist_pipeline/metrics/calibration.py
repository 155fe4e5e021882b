"""Calibration: reliability bins, the expected calibration error and temperature scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize


def reliability(proba: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """Confidence against accuracy in equal-width confidence bins (a reliability diagram).

    Returns:
        One row per non-empty bin: ``low``, ``high``, ``count``, ``confidence`` (mean top
        probability), ``accuracy``.
    """
    confidence = proba.max(axis=1)
    right = proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    rows = [
        {
            "low": edges[b],
            "high": edges[b + 1],
            "count": int((index == b).sum()),
            "confidence": float(confidence[index == b].mean()),
            "accuracy": float(right[index == b].mean()),
        }
        for b in range(n_bins)
        if (index == b).any()
    ]
    return pd.DataFrame(rows)


def expected_calibration_error(proba: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins."""
    bins = reliability(proba, y_true, n_bins)
    return float((bins["count"] * (bins["confidence"] - bins["accuracy"]).abs()).sum() / len(proba))


def temperature_scale(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Soften (T > 1) or sharpen (T < 1) probabilities: softmax(log p / T)."""
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_temperature(proba: np.ndarray, y_true: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``y_true`` (Guo et al.).

    Fit it on validation predictions, then apply it to test predictions.
    """

    def nll(log_t: float) -> float:
        scaled = temperature_scale(proba, float(np.exp(log_t)))
        return float(-np.log(np.clip(scaled[np.arange(len(y_true)), y_true], 1e-12, 1)).mean())

    result = optimize.minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))
