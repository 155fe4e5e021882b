"""The earlier looks at the test set, read back from the commits data/external/earlier_looks.csv
names: each figure is the one committed, and every committed evaluation is some look's."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import yaml

from mnist_pipeline.evaluation import ledger

ROOT = Path(__file__).resolve().parents[1]
# The evaluation chapters, old and new: 06 scored models 1 to 3 until chapter 09 replaced it.
EVALUATION_CHAPTERS = ("notebooks/06-evaluation.ipynb", "notebooks/09-evaluation.ipynb")
with ledger.EARLIER_LOOKS_FILE.open(newline="") as file:
    ROWS = list(csv.DictReader(file))


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=False, capture_output=True, text=True
    )


@cache
def full_hash(commit: str) -> str | None:
    """The commit's full hash, or ``None`` when this repository does not hold it."""
    if shutil.which("git") is None:
        return None
    done = git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    return done.stdout.strip() if done.returncode == 0 else None


def require(*commits: str) -> None:
    missing = [commit for commit in dict.fromkeys(commits) if full_hash(commit) is None]
    if missing:
        pytest.skip(
            f"commit {', '.join(missing)} is not in this repository (a shallow clone, an "
            "exported tree or no git): the committed figures cannot be read back"
        )


@cache
def show(commit: str, path: str) -> str | None:
    done = git("show", f"{commit}:{path}")
    return done.stdout if done.returncode == 0 else None


@cache
def outputs(commit: str, path: str) -> tuple[str, ...]:
    """The text every cell of a notebook printed at a commit (none if it has no such file)."""
    text = show(commit, path)
    if text is None:
        return ()
    found = []
    for cell in json.loads(text)["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            body = output.get("text") or data.get("text/markdown") or data.get("text/plain")
            found.append("".join(body or ""))
    return tuple(found)


@cache
def executions() -> tuple[str, ...]:
    """Full hashes of the commits that executed an evaluation chapter, oldest first: its
    outputs exist and differ from the parent commit's."""
    log = git("log", "--reverse", "--format=%H", "--", *EVALUATION_CHAPTERS).stdout.split()
    return tuple(
        commit
        for commit in log
        if any(
            outputs(commit, path) and outputs(commit, path) != outputs(f"{commit}^", path)
            for path in EVALUATION_CHAPTERS
        )
    )


def figure(percent: str) -> str:
    """``"98.38 %"`` (a space or a non-breaking one) -> ``"98.38"``."""
    return percent.replace("\u00a0", " ").removesuffix("%").strip()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row['model']}-{row['look']}")
def test_each_figure_is_the_one_its_commit_committed(row):
    require(row["commit"])
    assert row["source"] == "_variables.yml", "only _variables.yml is read back"
    text = show(row["commit"], row["source"])
    assert text is not None, f"no {row['source']} at {row['commit']}"
    written = yaml.safe_load(text)
    assert row["model"] in written, f"{row['model']} not in {row['source']} at {row['commit']}"
    model = written[row["model"]]
    percent = str(Decimal(row["test_accuracy"]).scaleb(2))  # "0.9960" -> "99.60"
    assert figure(model["test_accuracy"]) == percent, "accuracy, digits included"
    if row["test_errors"]:
        assert int(str(model["test_errors"]).replace(",", "")) == int(row["test_errors"])
    assert int(str(written["evaluation"]["n_test"]).replace(",", "")) == int(row["n_test"])
    # The chapter those numbers came from printed the same accuracy at that commit.
    printed = "\n".join(outputs(row["commit"], EVALUATION_CHAPTERS[1]))
    assert percent in printed, f"chapter 09 at {row['commit']} never prints {percent}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row['model']}-{row['look']}")
def test_each_look_shows_the_last_of_its_committed_evaluations(row):
    scored_in = row["scored_in"].split()
    require(*scored_in, row["commit"])
    assert full_hash(scored_in[-1]) == full_hash(row["commit"])
    not_executed = [c for c in scored_in if full_hash(c) not in executions()]
    assert not not_executed, f"no evaluation chapter executed at {', '.join(not_executed)}"
    order = [executions().index(full_hash(c)) for c in scored_in]
    assert order == sorted(order), "scored_in lists commits oldest first"


@pytest.mark.parametrize("model", sorted({row["model"] for row in ROWS}))
def test_every_committed_evaluation_of_a_model_belongs_to_one_look(model):
    """From a model's first earlier look to its last, every commit that executed an evaluation
    chapter is in exactly one look's ``scored_in``: none left out of the count, none twice."""
    rows = [row for row in ROWS if row["model"] == model]
    commits = [c for row in rows for c in row["scored_in"].split()]
    require(*commits)
    hashes = [full_hash(c) for c in commits]
    assert len(set(hashes)) == len(hashes), f"{model}: a commit in two looks"
    where = sorted(executions().index(h) for h in hashes)
    assert executions()[where[0] : where[-1] + 1] == tuple(executions()[i] for i in where), (
        f"{model}: a committed evaluation between its looks is in none of them"
    )
