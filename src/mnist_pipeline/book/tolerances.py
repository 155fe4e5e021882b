"""Which leaves of a variables file a reproduction compares as accuracies, and how closely.

A leaf is compared when it is a single percentage (:func:`percent`) and a rule of
:data:`TOLERANCES` applies to its section and key (:func:`tolerance_for`): the first one that
applies gives the tolerance, in percentage points. :mod:`.conclusions` uses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

#: Sections whose values differ by design between runs (times, machine, dates, own photos).
IGNORED_SECTIONS: frozenset[str] = frozenset({"provenance", "own_images"})

_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)[\s\u00a0\u202f]*%\s*$")


class Tolerance(NamedTuple):
    """How far a fresh percentage may lie from the committed one.

    Attributes:
        description: what the rule covers, quoted in the report.
        applies: ``applies(section, key)`` is true when the rule covers that leaf.
        points: the tolerance in percentage points (inclusive).
    """

    description: str
    applies: Callable[[str, str], bool]
    points: float


def _is_mnistc(section: str) -> bool:
    return section.startswith("mnistc")


#: The first rule that applies to a leaf decides its tolerance; a leaf none applies to is ignored.
TOLERANCES: tuple[Tolerance, ...] = (
    Tolerance(
        "a corruption suite's mean (mnistc* section, key ending in _mean)",
        lambda section, key: _is_mnistc(section) and key.endswith("_mean"),
        2.0,
    ),
    Tolerance(
        "a single corruption's accuracy (any other percentage of an mnistc* section)",
        lambda section, key: _is_mnistc(section),
        5.0,
    ),
    Tolerance(
        "a clean accuracy (key ending in accuracy or _mean; not the detector's refusal shares, "
        "which are not compared as numbers: only the families with a target have a decision)",
        lambda section, key: section != "detector" and key.endswith(("accuracy", "_mean")),
        0.5,
    ),
)


def percent(value: object) -> float | None:
    """The number of a single percentage such as ``"99.41 %"`` (a non-breaking space allowed).

    Args:
        value: a leaf of the variables file.

    Returns:
        The percentage as a float, or None when ``value`` is not a single percentage (an
        interval ``"97.92 to 98.58 %"``, a mean with its spread ``"98.48 ± 0.10 %"``, a sentence,
        a number without ``%``).
    """
    if not isinstance(value, str):
        return None
    match = _PERCENT.match(value)
    return float(match.group(1)) if match else None


def tolerance_for(section: str, key: str) -> Tolerance | None:
    """The tolerance rule of a leaf, or None when the leaf is not an accuracy to compare.

    Args:
        section: the top-level section (``model_1``, ``mnistc_model_4``...).
        key: the leaf's key inside it (``test_accuracy``, ``fog``...).

    Returns:
        The first rule of :data:`TOLERANCES` that applies, or None (also for ignored sections).
    """
    if section in IGNORED_SECTIONS:
        return None
    return next((rule for rule in TOLERANCES if rule.applies(section, key)), None)
