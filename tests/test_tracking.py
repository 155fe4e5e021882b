"""MLflow plumbing against a throw-away SQLite store: the store, git state, registry, aliases."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from mlflow import MlflowClient

from mnist_pipeline import config, tracking
from mnist_pipeline.models import specs


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


# What MLflow reads to decide on its usage telemetry: the switches, and the variables by which
# it guesses a CI or test run (pytest's own among them) and stays quiet by itself.
TELEMETRY_SWITCHES = ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "PYTEST_CURRENT_TEST", "CI")


@pytest.mark.slow  # a fresh process imports MLflow: seconds
def test_importing_the_package_turns_mlflow_telemetry_off_in_a_clean_environment(tmp_path):
    # Not in this process: tests/conftest.py sets the variable, and pytest is a test run that
    # MLflow recognises. A child with none of that shows what the package itself does.
    probe = (
        "import os\n"
        f"assert not {{*{TELEMETRY_SWITCHES!r}}} & set(os.environ), 'the environment is not clean'\n"
        "import mnist_pipeline\n"
        "import mlflow\n"
        "from mlflow.telemetry import get_telemetry_client\n"
        "print(os.environ.get('MLFLOW_DISABLE_TELEMETRY'), get_telemetry_client())\n"
    )
    keep = ("PATH", "PYTHONPATH", "SYSTEMROOT", "LANG")  # SYSTEMROOT: Python needs it on Windows
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["HOME"] = env["USERPROFILE"] = str(tmp_path)  # were telemetry on, its id lands here
    command = [sys.executable, "-c", probe]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["true", "None"]


def test_setup_is_idempotent(mlflow_store):
    assert tracking.setup_tracking(mlflow_store) == tracking.setup_tracking(mlflow_store)


def test_every_call_uses_the_configured_store_whatever_ran_before(tmp_path, monkeypatch):
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/stray.db")  # as if someone pointed it away
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/project.db")
    monkeypatch.chdir(tmp_path)
    with tracking.start_run("probe", {"kind": "probe"}, experiment="isolated") as run:
        mlflow.log_metric("m", 1.0)
    assert tracking.client().get_run(run.info.run_id).data.metrics["m"] == 1.0
    assert mlflow.get_tracking_uri() == f"sqlite:///{tmp_path}/project.db"
    assert not (tmp_path / "mlruns").exists()


# The tiny model is never trained, so its saved optimizer has no state to restore.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_logged_model_is_registered_and_the_champion_alias_loads_it(mlflow_store):
    model = specs.get("model_1").build()
    x = np.random.default_rng(0).random((3, *config.INPUT_SHAPE), dtype=np.float32)
    with tracking.start_run("m", {"model_key": "model_1"}, experiment=mlflow_store) as run:
        version = tracking.log_model(model, x[:2], "model_1")
    assert version == "1"
    assert tracking.version_of_run(run.info.run_id) == "1"
    tracking.set_champion(version)
    assert tracking.champion_version() == version
    champion = tracking.load_champion()
    np.testing.assert_allclose(
        np.asarray(champion(x, training=False)), np.asarray(model(x, training=False)), rtol=1e-5
    )
    assert tracking.load_model_version(version).count_params() == model.count_params()


# The tiny model is never trained, so its saved optimizer has no state to restore.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.slow  # a fresh process imports TensorFlow and MLflow: 15 s to minutes
def test_model_4_loads_in_a_process_that_never_imported_its_custom_layers(mlflow_store):
    from mnist_pipeline.models import augment

    model = specs.get("model_4").build(n_train=1000)
    x = np.random.default_rng(0).random((3, *config.INPUT_SHAPE), dtype=np.float32)
    with tracking.start_run("m4", {"model_key": "model_4"}, experiment=mlflow_store):
        version = tracking.log_model(augment.for_inference(model), x[:2], "model_4")
    probe = (
        "import sys, numpy as np\n"
        "from mnist_pipeline import tracking\n"
        f"model = tracking.load_model_version({version!r})\n"
        "x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)\n"
        "print(np.asarray(model(x, training=False)).tolist())\n"
        "custom = sorted(m for m in sys.modules if m.endswith(('.models', '.augment')))\n"
        "print([m for m in custom if m.startswith('mnist_pipeline')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    ).stdout.splitlines()
    np.testing.assert_allclose(json.loads(out[-2]), model(x, training=False), rtol=1e-5)
    assert json.loads(out[-1].replace("'", '"')) == []


def test_the_logged_model_pins_the_tensorflow_build_installed_here(monkeypatch):
    from importlib.metadata import PackageNotFoundError

    from mnist_pipeline.tracking import registry as tracking

    def only_tensorflow(name):
        if name == "tensorflow-cpu":
            raise PackageNotFoundError(name)
        return "2.21.0"

    monkeypatch.setattr(tracking, "version", only_tensorflow)  # macOS arm64, Linux aarch64
    assert tracking._tensorflow() == "tensorflow"
    monkeypatch.setattr(tracking, "version", lambda name: "2.21.0")  # Linux x86_64, Windows
    assert tracking._tensorflow() == "tensorflow-cpu"


def test_an_experiment_created_by_another_process_meanwhile_is_used(mlflow_store, monkeypatch):
    # Two search workers starting together both look the experiment up, find nothing, and
    # create it: the second creation fails, and that worker must use the first one's.
    first = tracking.experiment_id("raced")
    real = MlflowClient.get_experiment_by_name
    calls = []

    def not_yet_on_first_call(self, name):
        calls.append(name)
        return None if len(calls) == 1 else real(self, name)

    monkeypatch.setattr(MlflowClient, "get_experiment_by_name", not_yet_on_first_call)
    assert tracking.experiment_id("raced") == first
    assert len(calls) == 2
