"""The verdict on the question the baselines chapter sets: what convolutions buy.

Each CNN is compared with the best baseline on the same test images by McNemar's exact test,
so that a gap of a few images is not read as a difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from mnist_pipeline.book.narrate import p_clause, pct
from mnist_pipeline.book.verdicts import ALPHA, oriented
from mnist_pipeline.models import specs


def code(result: Mapping[str, float]) -> str:
    """``better``, ``worse`` (the CNN, the second model, against the baseline) or ``undecided``."""
    if result["p_value"] >= ALPHA:
        return "undecided"
    return "better" if result["b_only"] > result["a_only"] else "worse"


def against_baselines(
    test: Mapping[str, Mapping[str, float]],
    mcnemar: pd.DataFrame,
    cnns: Sequence[str],
    best: str,
) -> str:
    """Whether each CNN beats the best baseline, by McNemar's test on the test set (seed 42).

    Args:
        test: model key to its test results (``accuracy``).
        mcnemar: :func:`mnist_pipeline.evaluation.mcnemar_pairs`, holding (``best``, cnn) for
            each of ``cnns`` in either order.
        cnns: model keys.
        best: the best baseline's key (chosen on validation).
    """
    words = {"better": "better", "worse": "worse", "undecided": "no different on this evidence"}
    parts = []
    for key in cnns:
        result = oriented(mcnemar, best, key)
        parts.append(
            f"{specs.label(key)} ({pct(test[key]['accuracy'])}) is {words[code(result)]} "
            f"(p {p_clause(result['p_value'])}; {result['b_only']} images only it reads right, "
            f"{result['a_only']} only the baseline)"
        )
    return (
        f"Against the best baseline, the {specs.label(best)} ({pct(test[best]['accuracy'])}), by "
        f"McNemar's test on the test set, one seed (42) of each: " + "; ".join(parts) + "."
    )
