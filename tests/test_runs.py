"""The run schema: what experiment.run writes is what latest_runs reads, named once."""

from __future__ import annotations

import math

import pandas as pd

from mnist_pipeline.models import specs
from mnist_pipeline.study import runs

VAL = {"accuracy": 0.98, "errors": 120, "ci_low": 0.976, "ci_high": 0.983, "n": 6000}


def test_run_metrics_writes_the_schema_names_with_their_values():
    written = runs.run_metrics(VAL, seconds=12.5)
    by_column = {m.column: m.logged for m in runs.METRICS}
    assert written[by_column["val_accuracy"]] == 0.98
    assert written[by_column["val_errors"]] == 120
    assert written[by_column["training_seconds"]] == 12.5
    # every metric of the schema is written here, or by tracking.log_history (Keras only)
    assert set(by_column.values()) - set(written) == {"final_accuracy"}


def test_what_is_written_reads_back_into_the_run_columns():
    written = runs.run_metrics(VAL, seconds=12.5)
    row = pd.Series({f"metrics.{name}": value for name, value in written.items()})
    read = runs._read_metrics(row)
    assert read["val_accuracy"] == 0.98 and read["val_errors"] == 120
    assert isinstance(read["val_errors"], int)
    assert math.isnan(read["train_accuracy"])  # a scikit-learn run logs no per-epoch history
    assert set(read) <= set(runs.RUN_COLUMNS)
    assert [m.column for m in runs.METRICS] == [c for c in runs.RUN_COLUMNS if c in read]


def test_the_compared_runs_are_named_and_formatted_for_readers():
    so_far = pd.DataFrame(
        {
            "n_parameters": [11_977_836, 693_962, 12_624_204],
            "epochs": [0, 3, 0],
            "val_accuracy": [0.9658, 0.98283, float("nan")],
            "val_errors": [205, 103, 118],
            "training_seconds": [18.8547, 136.5, 0.0091],
        },
        index=pd.Index(["forest", "model_1", "soft_vote"], name="model_key"),
    )
    table = runs.compared_table(so_far)
    # the study's CNNs first, as the registry lists them, each named as the book names it
    assert list(table.index) == ["model 1", "Random forest on pixels", specs.label("soft_vote")]
    assert list(table.columns) == ["parameters", "epochs", "validation", "errors", "training (s)"]
    assert table.index.name == "model"
    row = table.loc["model 1"]
    assert row["parameters"] == "693,962" and row["epochs"] == "3"
    assert row["validation"] == "98.28\u00a0%"  # percent, two decimals, a non-breaking space
    assert row["training (s)"] == "136"  # whole seconds, not 136.5000
    forest = table.loc["Random forest on pixels"]
    assert forest["epochs"] == "-" and forest["validation"] == "96.58\u00a0%"
    assert table.loc[specs.label("soft_vote"), "training (s)"] == "< 1"
    assert table.loc[specs.label("soft_vote"), "validation"] == "-"  # not logged


def test_the_compared_runs_read_latest_runs_too():
    latest = pd.DataFrame(
        {
            "model_key": ["model_2", "logistic"],
            "n_parameters": [225_034, 7_850],
            "epochs": [10, 0],
            "val_accuracy": [0.9863, 0.9188],
            "val_errors": [82, 487],
            "training_seconds": [1234.4, 5.06],
        }
    )
    table = runs.compared_table(latest)
    assert list(table.index) == ["model 2", "Logistic regression on pixels"]
    assert table.loc["model 2", "training (s)"] == "1,234"


def test_the_runs_table_names_the_original_study_s_group_for_readers():
    evaluated = pd.DataFrame(
        {
            "model_key": ["model_1", "logistic"],
            "group": ["study", "baseline"],
            "n_parameters": [693_962, 7_850],
            "epochs": [5, 0],
            "val_accuracy": [0.98283, 0.9188],
            "val_errors": [103, 487],
            "training_seconds": [136.5, 5.06],
            "model_version": ["1", "2"],
        }
    )
    table = runs.runs_table(evaluated)
    assert list(table["group"]) == ["original study", "baseline"]
