"""The test-set ledger: how many times each model has met the test set.

Every evaluation run records, for each model it scored on the test split, a fingerprint of the
model's *spec* (its architecture and training protocol, not its seed or its run): a parameter
``test_look_<key>``. The ledger counts the distinct fingerprints per model over every
evaluation run in the store (deleted runs included), so rerunning the notebooks does not
inflate it, while a revised spec that meets the test set again counts as a second look. Looks
that no evaluation run in a fresh store records (taken before the ledger existed, or by specs
since revised), found in the project's git history, are listed in :data:`EARLIER_LOOKS`, read
from ``data/external/earlier_looks.csv``; :func:`earlier_results` says what each of them found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mnist_pipeline import config, tracking
from mnist_pipeline.book import narrate
from mnist_pipeline.models import specs
from mnist_pipeline.study import runs

LOOK_PREFIX = "test_look_"
# The parameters of a training run (``runs.PARAMS``) that define *what* was trained; the seed,
# the names, the data's fingerprint (the same split every time), the bar and the reported figure
# do not make a new model.
NOT_DEFINING = (
    "title",
    "group",
    "family",
    "seed",
    "data_sha256",
    "n_val",
    "quality_bar",
    "study_val_accuracy",
)
DEFINING = tuple(name for name in runs.PARAMS if name not in NOT_DEFINING)
# Looks at the test set that no evaluation run in a fresh store records, found in the project's
# git history: one row per earlier look per model in data/external/earlier_looks.csv (its README
# says what each column holds), with the commit whose committed _variables.yml and chapter 09
# outputs show what the look found, what differed from today's spec and why the spec changed.
# tests/test_ledger_history.py reads every figure back from those commits. An earlier look of
# a spec that is today's again (models 1 to 3 at the study's epochs; the narrow ablation's
# network, today's under another name) carries today's spec fingerprint (``today_fingerprint``,
# checked against the specs by tests/test_ledger.py), so that a new run of that spec meeting
# the test set again is the same look, not a second one.
EARLIER_LOOKS_FILE = config.EXTERNAL_DATA_DIR / "earlier_looks.csv"
_EARLIER_COLUMNS = (
    "model",
    "look",
    "commit",
    "source",
    "test_accuracy",
    "test_errors",
    "n_test",
    "differed",
    "changed_because",
    "scored_in",
)


def _earlier_table(path: Path = EARLIER_LOOKS_FILE) -> pd.DataFrame:
    """The earlier looks as written, every cell as text (an accuracy keeps its digits).

    Raises:
        ValueError: when a column is missing or a model lists the same look twice.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [name for name in _EARLIER_COLUMNS if name not in table]
    if missing:
        raise ValueError(f"{path.name}: no column {', '.join(missing)}")
    twice = table[table.duplicated(["model", "look"])]
    if not twice.empty:
        named = ", ".join(f"{r.model} {r.look}" for r in twice.itertuples())
        raise ValueError(f"{path.name}: a look listed twice: {named}")
    if "today_fingerprint" not in table:  # optional: only a look of today's spec has one
        table["today_fingerprint"] = ""
    return table


def _looks_by_model(table: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Model key to the ids of its earlier looks, in the file's order."""
    return {model: tuple(group["look"]) for model, group in table.groupby("model", sort=False)}


EARLIER_LOOKS: dict[str, tuple[str, ...]] = _looks_by_model(_earlier_table())
# What each earlier look counts as: today's spec fingerprint where the look was of today's spec,
# its id otherwise.
_EARLIER_PRINTS: dict[str, tuple[str, ...]] = _looks_by_model(
    _earlier_table().assign(
        look=lambda t: t["today_fingerprint"].where(t["today_fingerprint"] != "", t["look"])
    )
)


def fingerprint(params: Mapping[str, object]) -> str:
    """A short hash of the parameters of a training run that define the model it trained."""
    defining = {name: str(params.get(name, "-")) for name in DEFINING}
    return hashlib.sha256(json.dumps(defining, sort_keys=True).encode()).hexdigest()[:12]


def looks(run_ids: Mapping[str, str], experiment: str | None = None) -> dict[str, str]:
    """The evaluation run's parameters that record which specs met the test set.

    Args:
        run_ids: model key to the id of the training run whose model met the test set.
        experiment: the MLflow experiment holding those runs.

    Returns:
        ``test_look_<key>`` to the fingerprint of that run's spec, for every key.

    Raises:
        LookupError: when a run is not in the experiment.
    """
    found = tracking.search_runs(experiment).set_index("run_id")
    missing = sorted(set(run_ids.values()) - set(found.index))
    if missing:
        raise LookupError(f"no run {', '.join(missing)} in experiment {experiment!r}")
    return {
        f"{LOOK_PREFIX}{key}": fingerprint(
            {
                name: found.at[run_id, f"params.{name}"]
                for name in DEFINING
                if f"params.{name}" in found
            }
        )
        for key, run_id in run_ids.items()
    }


def _evaluation_runs(experiment: str | None) -> pd.DataFrame:
    """Every evaluation run of the experiment, those deleted from MLflow's view included.

    A run that scored the test set counts whether or not someone deleted it afterwards: MLflow
    keeps a deleted run in its store (until ``mlflow gc`` purges it), and so does this count.
    """
    return tracking.mlflow.search_runs(
        experiment_ids=[tracking.experiment_id(experiment)],
        filter_string="tags.kind = 'evaluation'",
        run_view_type=tracking.mlflow.entities.ViewType.ALL,
    )


def read(experiment: str | None = None, pending: Mapping[str, str] = ()) -> pd.DataFrame:
    """How many distinct specs of each model met the test set, over every evaluation run.

    Args:
        experiment: the MLflow experiment.
        pending: the looks of an evaluation not logged yet (:func:`looks`), counted as one
            more evaluation run.

    Returns:
        Indexed by model key, sorted: ``looks`` (distinct specs, the earlier looks of
        :data:`EARLIER_LOOKS` included) and ``evaluation runs`` (how many in this store scored
        it, reruns and deleted runs included; :func:`earlier_results` counts the committed
        evaluations of the earlier looks).
    """
    found = _evaluation_runs(experiment)
    prints: dict[str, list[str]] = {}
    for column in (c for c in found.columns if c.startswith(f"params.{LOOK_PREFIX}")):
        prints[column.removeprefix(f"params.{LOOK_PREFIX}")] = list(found[column].dropna())
    for name, value in dict(pending).items():
        prints.setdefault(name.removeprefix(LOOK_PREFIX), []).append(value)
    counts = {
        key: {
            "looks": len(set(values) | set(_EARLIER_PRINTS.get(key, ()))),
            "evaluation runs": len(values),
        }
        for key, values in sorted(prints.items())
    }
    return pd.DataFrame.from_dict(counts, orient="index", columns=["looks", "evaluation runs"])


def _percent(fraction: str) -> str:
    """``"0.9941"`` -> ``"99.41\u00a0%"``: a committed fraction as a percentage, its digits kept."""
    decimals = len(fraction.partition(".")[2])
    return narrate.pct(float(fraction), max(decimals - 2, 0))


def earlier_results(path: Path = EARLIER_LOOKS_FILE) -> pd.DataFrame:
    """What each earlier look at the test set found, and why the model changed afterwards.

    Args:
        path: the table of earlier looks (:data:`EARLIER_LOOKS_FILE`).

    Returns:
        One row per model and earlier look, in the file's order, for readers: ``model`` (its
        name, :func:`specs.label`), ``commit``
        (whose committed outputs show the result: the last evaluation of that spec), ``test
        accuracy`` (``"99.41 %"``, the digits committed), ``errors`` (of the file's ``n_test``
        test images), ``evaluations committed`` (commits whose evaluation chapter was executed
        with that spec; runs deleted from the store and never committed are not among them),
        ``what differed`` (from today's spec) and ``why it changed``.
    """
    table = _earlier_table(path)
    return pd.DataFrame(
        {
            "model": table["model"].map(specs.label),
            "commit": table["commit"],
            "test accuracy": table["test_accuracy"].map(_percent),
            "errors": pd.array(
                [int(errors) if errors else None for errors in table["test_errors"]], "Int64"
            ),
            "evaluations committed": [len(commits.split()) for commits in table["scored_in"]],
            "what differed": table["differed"],
            "why it changed": table["changed_because"],
        }
    )
