"""The evaluation written where it is kept: its own MLflow run, linked to the training runs it
scored, the model card on the champion's registered version, and the card for the book."""

from __future__ import annotations

import json
from collections.abc import Mapping

from mnist_pipeline import config, evaluation, plots, tracking
from mnist_pipeline.evaluation import robustness


def log(result, looks: Mapping[str, str], card: str, experiment: str | None = None) -> str:
    """Log the evaluation's own run and write the model card on the champion's version.

    The run links the training runs it scored by their ids, records which specs met the test
    set (``looks``, :mod:`mnist_pipeline.evaluation.ledger`) and the champion rule actually used, and
    carries the test metrics, the chapter's tables and its robustness figure, and the card
    (``model_card.md``).

    Args:
        result: what :func:`evaluation.run` returned.
        looks: :func:`ledger.looks` for the models scored.
        card: :func:`modelcard.build`.
        experiment: the MLflow experiment.

    Returns:
        The evaluation run's id.
    """
    champion = result.champion
    links = {f"training_run_{r.model_key}": r.run_id for r in result.runs.itertuples()}
    params = {
        **links,
        **looks,
        "champion_model_key": champion["model_key"],
        "champion_version": champion["model_version"],
        "champion_rule": evaluation.CHAMPION_RULE,
    }
    test_metrics = {
        f"test_{name}_{key}": float(value)
        for key, scores in result.test.items()
        for name, value in scores.items()
    }
    tables = {
        "comparison.md": result.comparison,
        "seeds.md": result.spread,
        "mcnemar.md": result.mcnemar,
        "calibration.md": result.calibration,
        "robustness_targets.md": result.target,
        "mnistc.md": result.mnistc,
    }
    figures = {
        "robustness.png": plots.robustness_curves(
            **robustness.curve_inputs(result.curves, len(result.labels))
        ),
    }
    with tracking.start_run(config.EVALUATION_RUN, {"kind": "evaluation"}, experiment) as active:
        tracking.log_params(params)
        tracking.log_metrics(test_metrics)
        tracking.log_text(json.dumps(links, indent=2), "training_runs.json")
        tracking.log_figures(figures)
        for name, table in tables.items():
            tracking.log_text(table.to_markdown(), name)
        tracking.log_text(card, "model_card.md")
    tracking.set_version_description(str(champion["model_version"]), card)
    return active.info.run_id


def write_card(card: str) -> str:
    """Write the model card where the book's appendix includes it; returns the path written."""
    path = config.model_card_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(card)
    return str(path)
