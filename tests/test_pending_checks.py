"""Checked cells whose committed outputs await the series' re-execution.

A cell tagged ``nbval-check-output`` has its outputs compared by ``make test``. When the code a
chapter shows changes (a table's layout, a function's source), that comparison fails until the
chapter is re-executed. The full re-execution spans sessions; until it reaches a chapter, such a
cell carries ``check-output-after-rerun`` instead, and this test keeps the swap honest: only a
chapter whose stored outputs predate its code (no provenance stamp, or a stamp the current code
no longer matches) may defer a check, and a re-executed chapter must have turned every deferred
check back into ``nbval-check-output``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mnist_pipeline import provenance

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
PENDING = "check-output-after-rerun"


def deferred(path: Path) -> list[int]:
    cells = json.loads(path.read_text())["cells"]
    return [
        i for i, cell in enumerate(cells) if PENDING in cell.get("metadata", {}).get("tags", [])
    ]


def test_only_a_chapter_awaiting_re_execution_defers_a_check():
    package = provenance.package_fingerprint()
    for path in NOTEBOOKS:
        cells = deferred(path)
        if cells:
            assert provenance.problems(path, package=package), (
                f"{path.name} is re-executed from the current code: tag its cells {cells} "
                f"'nbval-check-output' again instead of '{PENDING}'"
            )


def test_the_check_finds_a_deferred_check_in_a_re_executed_chapter(tmp_path):
    # A stamped notebook of the current code that still defers a check fails the test above.
    cell = {
        "cell_type": "code",
        "id": "deferred",
        "metadata": {"tags": [PENDING]},
        "source": "1 + 1",
        "outputs": [],
        "execution_count": 1,
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01-x.ipynb"
    path.write_text(json.dumps(notebook))
    provenance.stamp(path, seconds=1.0, profile="full")
    assert deferred(path) == [0]
    assert not provenance.problems(path)  # current: the first test would name its cell
