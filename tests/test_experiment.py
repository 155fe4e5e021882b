"""The one train-and-log path: a run carries its schema, and latest_runs reads it back."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest

from mnist_pipeline import metrics, tracking
from mnist_pipeline.data import prepare
from mnist_pipeline.models import specs
from mnist_pipeline.study import experiment, train
from tests.helpers import make_tiny_mnist


@pytest.fixture
def tiny_splits() -> prepare.Splits:
    return prepare.make_splits(make_tiny_mnist(n_train=200, n_test=20), n_val=50, seed=0)


def quick(key: str, epochs: int = 1) -> specs.ModelSpec:
    return specs.get(key).replace(epochs=epochs, batch_size=50)


def test_run_logs_the_schema_metrics_artifacts_and_model(mlflow_store, tiny_splits):
    result = experiment.run(
        quick("model_1", epochs=2), tiny_splits._replace(data_sha256="abc"), experiment=mlflow_store
    )
    run = tracking.client().get_run(result.run_id)
    params = run.data.params
    assert set(experiment.PARAMS) | {"git_commit", "git_dirty"} <= set(params)
    assert params["epochs"] == "2" and params["optimizer"] == "Adam"
    assert float(params["learning_rate"]) == pytest.approx(1e-3)
    assert params["n_train"] == "150" and params["n_val"] == "50"
    assert params["data_sha256"] == "abc" and params["study_val_accuracy"] == "0.975"
    assert params["batchnorm_recalibration"] == "-"
    assert run.data.tags["model_key"] == "model_1" and run.data.tags["kind"] == "training"
    history = tracking.client().get_metric_history(result.run_id, "val_accuracy")
    assert [m.step for m in history] == [1, 2]
    assert run.data.metrics["val_accuracy_final"] == pytest.approx(result.val["accuracy"])
    assert run.data.metrics["val_errors"] == result.val["errors"]
    artifacts = {a.path for a in tracking.client().list_artifacts(result.run_id)}
    assert {"training_curves.png", "confusion_matrix_val.png", "model_summary.md"} <= artifacts
    assert result.model_version == "1" and result.val_proba.shape == (50, 10)


def test_a_recalibrating_spec_re_estimates_batch_norm_after_training(mlflow_store, tiny_splits):
    spec = quick("model_4").replace(recalibrate_batchnorm=100)
    result = experiment.run(spec, tiny_splits, experiment=mlflow_store, log_model=False)
    params = tracking.client().get_run(result.run_id).data.params
    assert params["batchnorm_recalibration"] == "100"
    first_bn = next(layer for layer in result.model.layers if "batch_norm" in layer.name)
    moving = np.asarray(first_bn.moving_mean).copy()
    train.recalibrate_batchnorm(result.model, tiny_splits.x_train[:100])  # what run did
    np.testing.assert_allclose(first_bn.moving_mean, moving, rtol=1e-6)


def test_same_seed_same_run(mlflow_store, tiny_splits):
    first = experiment.run(quick("model_2"), tiny_splits, experiment=mlflow_store)
    again = experiment.run(quick("model_2"), tiny_splits, experiment=mlflow_store)
    assert first.history == again.history


def test_latest_runs_keeps_newest_per_model(mlflow_store, tiny_splits):
    experiment.run(quick("model_1"), tiny_splits, experiment=mlflow_store)
    newest = experiment.run(quick("model_1", 2), tiny_splits, experiment=mlflow_store)
    experiment.run(quick("model_2"), tiny_splits, experiment=mlflow_store)
    runs = experiment.latest_runs(mlflow_store)
    assert list(runs.columns) == experiment.RUN_COLUMNS
    assert list(runs["model_key"]) == ["model_1", "model_2"]
    first = runs.iloc[0]
    assert first["run_id"] == newest.run_id and first["model_version"] == newest.model_version
    assert first["epochs"] == 2 and first["n_parameters"] == newest.model.count_params()
    assert first["val_errors"] == newest.val["errors"]


def test_latest_runs_ignores_runs_that_are_not_training_runs(mlflow_store):
    assert experiment.latest_runs(mlflow_store).empty
    with tracking.start_run("scratch", {}, experiment=mlflow_store):
        mlflow.log_metric("anything", 1.0)
    assert experiment.latest_runs(mlflow_store).empty


def test_a_run_compares_itself_with_an_earlier_model_and_lists_the_runs_so_far(
    mlflow_store, tiny_splits
):
    logistic = experiment.run(
        specs.get("logistic"), tiny_splits, experiment=mlflow_store, log_model=False
    )
    forest = experiment.run(
        specs.get("forest"), tiny_splits, experiment=mlflow_store, log_model=False
    )
    with pytest.raises(LookupError, match="model_1"):
        forest.compare_with("model_1", mlflow_store)
    sentence = forest.compare_with("logistic", mlflow_store)
    size = {r.spec.key: f"{metrics.parameter_count(r.model):,}" for r in (logistic, forest)}
    errors = {r.spec.key: f"{r.val['errors']:,}" for r in (logistic, forest)}
    change = abs(logistic.val["errors"] - forest.val["errors"])
    for number in (*size.values(), *errors.values(), f"{change:,}"):
        assert number in sentence
    assert sentence.index(errors["forest"]) < sentence.index(errors["logistic"])
    assert sentence.index(size["forest"]) < sentence.index(size["logistic"])
    table = experiment.runs_so_far(mlflow_store)
    assert list(table.index) == ["forest", "logistic"]
    assert list(table.columns) == list(experiment.COMPARED)
    assert table.loc["forest", "val_errors"] == forest.val["errors"]
