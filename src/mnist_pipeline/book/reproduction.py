"""Whether a reported accuracy reproduced: our runs over seeds against the one run a source
reports, on the split it names."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mnist_pipeline import metrics
from mnist_pipeline.book.narrate import interval, pct


def reproduction_range(values: Sequence[float], n: int) -> dict[str, float]:
    """Where one run of ours is expected to land, from our runs over seeds.

    A reported figure is one run, on a seed and a split we do not know. Ours is ``values`` (one
    accuracy per seed, on ``n`` images): the range is the seeds' mean plus or minus 1.96 times
    the combined spread of one run, the standard deviation between seeds (0 with one seed, where
    it is not measured) and one run's binomial standard error on ``n`` images.

    Returns:
        ``mean``, ``n_seeds``, ``sd`` (between seeds, NaN for one seed), ``se`` (binomial),
        ``low`` and ``high``: fractions.
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    se = metrics.standard_error(mean, n)
    half = 1.96 * math.sqrt((0.0 if math.isnan(sd) else sd) ** 2 + se**2)
    return {
        "mean": mean,
        "n_seeds": len(values),
        "sd": sd,
        "se": se,
        "low": mean - half,
        "high": mean + half,
    }


def reproduction_code(values: Sequence[float], n: int, reported: float) -> str:
    """Where a reported accuracy falls against :func:`reproduction_range`: ``reproduces``
    (inside), ``better_than_reported`` (our range lies above it) or ``not_reproduced`` (below)."""
    found = reproduction_range(values, n)
    if found["low"] <= reported <= found["high"]:
        return "reproduces"
    return "better_than_reported" if found["low"] > reported else "not_reproduced"


def reproduction(
    name: str,
    values: Sequence[float],
    n: int,
    reported: float,
    source: str = "the original study,",
    split: str = "validation",
) -> str:
    """Whether a reported accuracy reproduced: our runs over seeds against the one reported run.

    Args:
        name: the model's name.
        values: our accuracy on ``split``, one per seed.
        n: how many images each was measured on.
        reported: the accuracy the source reported.
        source: which source reported it, by a name a reader can look up, as the subject of
            "reports" (a title in apposition ends with its comma).
        split: the split the source reports, which ours is measured on too.
    """
    found = reproduction_range(values, n)
    if found["n_seeds"] > 1:
        ours = (
            f"a mean of {pct(found['mean'])} over {found['n_seeds']} seeds (standard deviation "
            f"{100 * found['sd']:.2f} points between seeds; one run's binomial standard error "
            f"{100 * found['se']:.2f} points on {n:,} images)"
        )
    else:
        ours = (
            f"{pct(found['mean'])} on one seed, whose spread between seeds is not measured (one "
            f"run's binomial standard error {100 * found['se']:.2f} points on {n:,} images)"
        )
    verdict = {
        "reproduces": "inside that range: it reproduces, within what one run varies",
        "better_than_reported": "below that range: we do better than reported",
        "not_reproduced": "above that range: it does not reproduce here",
    }[reproduction_code(values, n, reported)]
    return (
        f"{name[:1].upper() + name[1:]}, {split} accuracy: ours is {ours}, so one run of ours is "
        f"expected within {interval(found['low'], found['high'])}; {source} reports "
        f"{pct(reported, 1)} for one run, on a seed and a protocol it does not give in full, {verdict}."
    )
