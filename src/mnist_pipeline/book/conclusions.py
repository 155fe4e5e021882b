"""Does a reproduction reach the committed conclusions? A fresh ``_variables.yml`` checked.

A full reproduction re-executes every notebook, which writes a fresh variables file. Another CPU
type moves results by a few images, so this module compares what the statistics *decided*, not the
digits:

- ``champion.key`` must be identical.
- ``decisions`` maps a decision's name to a code (``better``, ``not_reproduced``, ``misses``...).
  When the codes differ and both are decided, the conclusion changed: a failure. When at least one
  is in :data:`UNDECIDED` (the statistics leave it undecided), the wording may change: a note. A
  decision the committed file has and the fresh one lacks is a failure; a new one is a note. Codes
  not in :data:`UNDECIDED` count as decided, so new verdict kinds need no change here.
- Accuracies (a single percentage such as ``"99.41 %"`` under a key ending in ``accuracy`` or
  ``_mean``, or any percentage in a section whose name starts with ``mnistc``) must lie within the
  tolerance, in percentage points, of the first rule of :data:`TOLERANCES` that applies. Other
  strings (sentences, intervals, ``"98.48 ± 0.10 %"``, times, versions) are not compared, nor are
  the sections in :data:`IGNORED_SECTIONS` (times, machine and dates differ by design).
- Every top-level section and every decision of the committed file must exist in the fresh one.
  With ``structure_only`` (the smoke profile, whose tiny budget makes the numbers meaningless),
  that is the only check.

Run ``python -m mnist_pipeline.book.conclusions FRESH COMMITTED [--structure-only]``: it prints the
report and exits with 1 when the conclusions differ.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mnist_pipeline.book import variables
from mnist_pipeline.book.tolerances import (  # noqa: F401 (re-exported)
    IGNORED_SECTIONS,
    TOLERANCES,
    Tolerance,
    percent,
    tolerance_for,
)

#: Decision codes the statistics leave undecided: a change to or from one of them is a note.
UNDECIDED: frozenset[str] = frozenset({"undecided", "mixed", "reproduces", "at_goal"})

DECISIONS = "decisions"
CHAMPION = "champion"
UNDECIDED_NOTE = "a verdict the statistics leave undecided may change its wording"


@dataclass
class Comparison:
    """The outcome of comparing a fresh variables file with the committed one.

    Attributes:
        failures: conclusions that differ, or parts of the committed file the fresh one lacks.
        notes: differences that do not change a conclusion (undecided verdicts, new entries).
        compared: what was compared, one line each, for the report.
    """

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no conclusion differs."""
        return not self.failures

    def report(self) -> str:
        """A readable multi-line text: what was compared, the failures, the notes.

        Returns:
            The report, ending with a newline.
        """
        verdict = "the same conclusions" if self.ok else "the conclusions DIFFER"
        lines = ["Conclusions of the fresh variables file against the committed one:"]
        lines += [f"  compared: {line}" for line in self.compared]
        lines.append(f"Result: {verdict} ({len(self.failures)} failures, {len(self.notes)} notes)")
        for title, items in (("Failures", self.failures), ("Notes", self.notes)):
            if items:
                lines.append(f"{title}:")
                lines += [f"  - {item}" for item in items]
        return "\n".join(lines) + "\n"


def compare(fresh: Mapping, committed: Mapping, *, structure_only: bool = False) -> Comparison:
    """Compare the conclusions of a fresh variables mapping with the committed one.

    Args:
        fresh: the variables a reproduction just wrote.
        committed: the variables in the repository.
        structure_only: only check that the committed sections and decisions exist in the fresh
            mapping (the smoke profile); say nothing about values.

    Returns:
        The failures, notes and a summary of what was compared.
    """
    result = Comparison()
    if not committed:
        result.failures.append("the committed variables are empty: there is nothing to compare")
        return result
    _compare_structure(fresh, committed, result)
    if not structure_only:
        _compare_champion(fresh, committed, result)
        _compare_decisions(fresh, committed, result)
        _compare_percentages(fresh, committed, result)
    return result


def compare_files(fresh: Path, committed: Path, *, structure_only: bool = False) -> Comparison:
    """Compare two ``_variables.yml`` files (see :func:`compare`).

    Args:
        fresh: the file a reproduction just wrote.
        committed: the file in the repository.
        structure_only: only check the structure (the smoke profile).

    Returns:
        The comparison, whose first ``compared`` lines name the two files.

    Raises:
        FileNotFoundError: when either file does not exist.
    """
    for path in (fresh, committed):
        if not Path(path).is_file():
            raise FileNotFoundError(f"no variables file at {path}")
    result = compare(
        variables.read(Path(fresh)), variables.read(Path(committed)), structure_only=structure_only
    )
    result.compared[:0] = [f"fresh file {fresh}", f"committed file {committed}"]
    return result


def _sections(values: Mapping) -> dict[str, Mapping]:
    return {str(name): body for name, body in values.items() if isinstance(body, Mapping)}


def _compare_structure(fresh: Mapping, committed: Mapping, result: Comparison) -> None:
    missing = [name for name in committed if name not in fresh]
    result.failures += [f"section {name!r} is missing from the fresh file" for name in missing]
    result.notes += [
        f"new section {name!r} in the fresh file" for name in fresh if name not in committed
    ]
    result.compared.append(f"structure: {len(committed)} top-level sections")
    old = _sections(committed).get(DECISIONS)
    new = _sections(fresh).get(DECISIONS)
    if old is None or new is None:
        return
    result.failures += [
        f"decision {DECISIONS}.{name} ({old[name]!r} committed) is missing from the fresh file"
        for name in old
        if name not in new
    ]
    result.notes += [
        f"new decision {DECISIONS}.{name} in the fresh file: {new[name]!r}"
        for name in new
        if name not in old
    ]


def _compare_champion(fresh: Mapping, committed: Mapping, result: Comparison) -> None:
    old = _sections(committed).get(CHAMPION, {}).get("key")
    if old is None:
        result.notes.append(f"the committed file has no {CHAMPION}.key: no champion compared")
        return
    new = _sections(fresh).get(CHAMPION, {}).get("key")
    result.compared.append(f"{CHAMPION}.key ({old})")
    if new != old:
        result.failures.append(
            f"{CHAMPION}.key differs: {old!r} committed, {new!r} fresh (must be identical)"
        )


def _compare_decisions(fresh: Mapping, committed: Mapping, result: Comparison) -> None:
    if DECISIONS not in _sections(committed):
        result.notes.append(f"the committed file has no {DECISIONS} section: no verdict compared")
    old = _sections(committed).get(DECISIONS, {})
    new = _sections(fresh).get(DECISIONS, {})
    common = [name for name in old if name in new]
    result.compared.append(f"{len(common)} decisions")
    for name in common:
        before, after = _code(old[name]), _code(new[name])
        if before == after:
            continue
        change = f"{DECISIONS}.{name}: {before!r} committed, {after!r} fresh"
        if before in UNDECIDED or after in UNDECIDED:
            result.notes.append(f"{change}: {UNDECIDED_NOTE}")
        else:
            result.failures.append(f"{change}: a decided verdict changed")


def _code(value: object) -> str:
    return str(value).strip()


def _compare_percentages(fresh: Mapping, committed: Mapping, result: Comparison) -> None:
    new_sections = {name: dict(_flat(body)) for name, body in _sections(fresh).items()}
    counts: Counter[Tolerance] = Counter()
    for section, key, value in _leaves(committed):
        rule = tolerance_for(section, key)
        old = percent(value)
        if rule is None or old is None or section not in new_sections:
            continue  # not an accuracy, or the whole section is already reported missing
        counts[rule] += 1
        problem = _percentage_problem(new_sections[section], key, old, rule)
        if problem:
            result.failures.append(f"{section}.{key}: {problem}")
    result.compared += [
        f"{counts[rule]} percentages within {rule.points:g} points: {rule.description}"
        for rule in TOLERANCES
    ]


def _percentage_problem(section: Mapping, key: str, old: float, rule: Tolerance) -> str | None:
    if key not in section:
        return f"{old:g} % committed is missing from the fresh file"
    new = percent(section[key])
    if new is None:
        return f"{old:g} % committed, {section[key]!r} fresh is not a percentage"
    apart = round(abs(new - old), 6)
    if apart <= rule.points:
        return None
    return (
        f"{old:g} % committed, {new:g} % fresh: {apart:g} points apart, beyond the tolerance "
        f"of {rule.points:g} points for {rule.description}"
    )


def _leaves(values: Mapping) -> Iterator[tuple[str, str, object]]:
    """(section, key, value) of every leaf; a nested mapping's keys are joined with dots."""
    for section, body in _sections(values).items():
        yield from ((section, key, value) for key, value in _flat(body))


def _flat(body: Mapping, prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flat(value, f"{name}.")
        else:
            yield name, value


def main(argv: Sequence[str] | None = None) -> int:
    """Compare two variables files from the command line and print the report.

    Args:
        argv: the arguments (``sys.argv[1:]`` by default).

    Returns:
        0 when the conclusions agree, 1 when they differ, 2 when a file is missing.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mnist_pipeline.book.conclusions",
        description="Does a fresh _variables.yml reach the committed conclusions?",
    )
    parser.add_argument("fresh", type=Path, help="the variables file a reproduction wrote")
    parser.add_argument("committed", type=Path, help="the committed variables file")
    parser.add_argument(
        "--structure-only", action="store_true", help="only check sections and decisions exist"
    )
    args = parser.parse_args(argv)
    try:
        result = compare_files(args.fresh, args.committed, structure_only=args.structure_only)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(result.report(), end="")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
