"""The run schema: what experiment.run writes is what latest_runs reads, named once."""

from __future__ import annotations

import math

import pandas as pd

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
