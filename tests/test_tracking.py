"""MLflow logging against a throw-away SQLite store: params, metrics, artifacts, registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline import config, models, plots, tracking, train


def test_tracking_uri_prefers_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert config.mlflow_tracking_uri() == f"sqlite:///{config.PROJ_ROOT / 'mlflow.db'}"
    assert config.mlflow_tracking_uri().startswith("sqlite:////")  # absolute path
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/x.db")
    assert config.mlflow_tracking_uri() == f"sqlite:///{tmp_path}/x.db"


def test_artifacts_live_beside_a_sqlite_store(tmp_path):
    location = tracking.artifact_location(f"sqlite:///{tmp_path}/mlflow.db")
    assert location == (tmp_path / "mlartifacts").as_uri()
    assert tracking.artifact_location("http://127.0.0.1:5000") is None


def test_telemetry_is_off():
    from mlflow.telemetry import get_telemetry_client

    assert get_telemetry_client() is None


def test_setup_is_idempotent(mlflow_store):
    assert tracking.setup_tracking(mlflow_store) == tracking.setup_tracking(mlflow_store)


def log_tiny_run(key: str, val_accuracy: list[float]):
    train.set_seed(0)
    model = models.build_baseline_cnn()
    epochs = len(val_accuracy)
    history = {
        "loss": [1.0] * epochs,
        "accuracy": [0.5] * epochs,
        "val_loss": [1.0] * epochs,
        "val_accuracy": val_accuracy,
    }
    result = train.TrainingResult(history=history, seconds=1.5)
    x = np.zeros((2, *config.INPUT_SHAPE), dtype=np.float32)
    fig = plots.training_curves(history, key)
    run_id, version = tracking.log_training_run(
        model=model,
        model_key=key,
        result=result,
        params={"architecture": key, "epochs": epochs, "batch_size": 32},
        figures={"training_curves.png": fig},
        summary=models.summary_table(model),
        x_example=x,
    )
    return model, run_id, version


# The tiny model is never trained, so its saved optimizer has no state to restore.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_training_run_is_logged_and_registered(mlflow_store):
    import mlflow

    model, run_id, version = log_tiny_run("model_1", [0.6, 0.7])
    run = mlflow.get_run(run_id)
    assert run.data.params["epochs"] == "2" and run.data.params["architecture"] == "model_1"
    assert "git_commit" in run.data.params
    assert run.data.metrics["final_val_accuracy"] == 0.7
    steps = mlflow.MlflowClient().get_metric_history(run_id, "val_accuracy")
    assert [(m.step, m.value) for m in steps] == [(1, 0.6), (2, 0.7)]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id)}
    assert {"training_curves.png", "model_summary.md"} <= artifacts
    assert version == "1"

    tracking.set_champion(version)
    assert tracking.champion_version() == version
    champion = tracking.load_champion()
    x = np.random.default_rng(0).random((3, *config.INPUT_SHAPE), dtype=np.float32)
    np.testing.assert_allclose(
        champion.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5
    )


def test_latest_runs_keeps_newest_per_model(mlflow_store):
    log_tiny_run("model_1", [0.5])
    _, newest_id, newest_version = log_tiny_run("model_1", [0.8])
    log_tiny_run("model_2", [0.9])
    runs = tracking.latest_runs(mlflow_store)
    assert list(runs["model_key"]) == ["model_1", "model_2"]
    first = runs.iloc[0]
    assert first["run_id"] == newest_id and first["model_version"] == newest_version
    assert first["val_accuracy"] == 0.8


def test_latest_runs_of_empty_experiment(mlflow_store):
    runs = tracking.latest_runs(mlflow_store)
    assert isinstance(runs, pd.DataFrame) and runs.empty


def test_latest_runs_ignores_runs_without_a_model_key(mlflow_store):
    import mlflow

    with mlflow.start_run(run_name="scratch"):
        mlflow.log_metric("anything", 1.0)
    assert tracking.latest_runs(mlflow_store).empty
    log_tiny_run("model_2", [0.9])
    assert list(tracking.latest_runs(mlflow_store)["model_key"]) == ["model_2"]
