"""Whether a reported accuracy reproduced: our runs over seeds against the one run a source
reports, on the split it names."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mnist_pipeline import metrics
from mnist_pipeline.book.narrate import interval, pct

# A reported figure is given to one decimal of a percent ("approximately 97.5 %"): it stands
# for anything within half of that last digit.
ROUNDING = 0.0005


def reproduction_range(values: Sequence[float], n: int) -> dict[str, float]:
    """Where one run of ours is expected to land, from our runs over seeds.

    A reported figure is one run, on a seed and a split we do not know. Ours is ``values`` (one
    accuracy per seed, on ``n`` images). With several seeds the range is a 95 % prediction
    interval for one new run: the seeds' mean plus or minus Student's t times the spread of one
    run, the standard deviation between seeds (inflated by 1 + 1/seeds, for the mean's own
    error) combined with one run's binomial standard error on ``n`` images. The spread between
    seeds is estimated from few seeds, the binomial error is not: t's degrees of freedom follow
    Welch and Satterthwaite (seeds - 1 when the seeds carry all of it, many when they carry
    little). With one seed the spread
    between seeds is not measured and only the binomial error counts (1.96 of it).

    Returns:
        ``mean``, ``n_seeds``, ``sd`` (between seeds, NaN for one seed), ``se`` (binomial),
        ``low`` and ``high``: fractions.
    """
    from scipy import stats

    values = np.asarray(values, dtype=float)
    k, mean = len(values), float(values.mean())
    sd = float(values.std(ddof=1)) if k > 1 else math.nan
    se = metrics.standard_error(mean, n)
    if k > 1:
        between = sd**2 * (1 + 1 / k)  # estimated from k seeds
        total = between + se**2  # the binomial part is known, in effect
        # Welch-Satterthwaite: the t multiplier follows how much of the spread the seeds carry
        dof = (k - 1) * total**2 / between**2 if between > 0 else math.inf
        half = float(stats.t.ppf(0.975, dof)) * math.sqrt(total)
    else:
        half = 1.96 * se
    return {"mean": mean, "n_seeds": k, "sd": sd, "se": se, "low": mean - half, "high": mean + half}


def reproduction_code(values: Sequence[float], n: int, reported: float) -> str:
    """Where a reported accuracy, give or take its rounding (:data:`ROUNDING`), falls against
    :func:`reproduction_range`: ``reproduces`` (they overlap), ``better_than_reported`` (our
    range lies wholly above it) or ``not_reproduced`` (wholly below)."""
    found = reproduction_range(values, n)
    if found["low"] <= reported + ROUNDING and reported - ROUNDING <= found["high"]:
        return "reproduces"
    return "better_than_reported" if found["low"] > reported else "not_reproduced"


def reproduction(
    name: str,
    values: Sequence[float],
    n: int,
    reported: float,
    source: str = "the original study,",
    split: str = "validation",
    caveat: str = "",
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
        caveat: what else differs from the source, said after "one run" (for example that the
            source gives no architecture and ours is our own).
    """
    found = reproduction_range(values, n)
    if found["n_seeds"] > 1:
        ours = (
            f"a mean of {pct(found['mean'])} over {found['n_seeds']} seeds (standard deviation "
            f"{100 * found['sd']:.2f} points between seeds, itself estimated from "
            f"{found['n_seeds']} runs; one run's binomial standard error "
            f"{100 * found['se']:.2f} points on {n:,} images)"
        )
    else:
        ours = (
            f"{pct(found['mean'])} on one seed, whose spread between seeds is not measured (one "
            f"run's binomial standard error {100 * found['se']:.2f} points on {n:,} images)"
        )
    verdict = {
        "reproduces": "within that range: it reproduces, within what one run varies",
        "better_than_reported": "below that range: our runs do better than that figure",
        "not_reproduced": "above that range: it does not reproduce here",
    }[reproduction_code(values, n, reported)]
    return (
        f"{name[:1].upper() + name[1:]}, {split} accuracy: ours is {ours}, so one run of ours is "
        f"expected within {interval(found['low'], found['high'])} (a 95\u00a0% prediction "
        f"interval); {source} reports {pct(reported, 1)}, to one decimal and most likely for one "
        f"run, on a seed and a protocol it does not give in full{caveat}, {verdict}."
    )
