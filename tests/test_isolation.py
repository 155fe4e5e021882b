"""A test session never writes into the user's own stores, whatever the environment says.

The user's stores here are real: an MLflow SQLite store holding a run, a registered model
version and the ``champion`` alias, an Optuna study with a finished trial, and a
``_variables.yml``, all named by ``MLFLOW_TRACKING_URI``, ``MLFLOW_REGISTRY_URI``,
``OPTUNA_STORAGE`` and ``MNIST_VARIABLES_FILE`` before the session starts. A pytest session,
in a subprocess, then runs a notebook cell (``--nbval``) and a unit test that each log a run,
register a version, move the alias, add an Optuna trial and write a variable, and check that
they did. The user's files must be byte for byte as they were. With ``MNIST_TEST_USE_MY_STORES=1``
the same session does write into them: the check can see a write.

The session loads the repository's root ``conftest.py`` with ``-p conftest`` because its
files live in a temporary folder, outside the tree whose conftest pytest would find itself;
``make test`` and ``.ci/run`` run pytest at the root, where it is found as usual.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mnist_pipeline import config

pytestmark = pytest.mark.slow

ROOT = config.PROJ_ROOT
REPORT_ENV = "ISOLATION_REPORT"
# What a notebook cell or a test does to the stores it is given, and the check that it did.
LOGS = """\
import json, os
import optuna
from mnist_pipeline import config, tracking
from mnist_pipeline.book import variables
from mnist_pipeline.study import search
with tracking.start_run("isolation", {"kind": "isolation"}, "isolation-check") as run:
    tracking.log_metrics({"x": 1.0})
version = tracking.register_model(f"runs:/{run.info.run_id}/model", run.info.run_id, "isolation")
tracking.set_champion(version)
study = optuna.create_study(study_name="isolation", storage=search.storage_url(), load_if_exists=True)
study.optimize(lambda trial: trial.suggest_float("a", 0.0, 1.0), n_trials=1)
variables.update({"isolation": {"written": "yes"}})
assert tracking.champion_version() == version
assert tracking.client().get_run(run.info.run_id).data.metrics == {"x": 1.0}
assert variables.read()["isolation"] == {"written": "yes"}
with open(os.environ["ISOLATION_REPORT"], "a") as report:
    report.write(json.dumps({"mlflow": config.mlflow_tracking_uri(),
                             "optuna": search.storage_url(),
                             "variables": str(config.variables_path())}) + "\\n")
"""


def user_stores(folder: Path) -> dict[str, str]:
    """A user's own stores in ``folder``, filled with a run, a champion, a trial and variables.

    Returns:
        The environment variables that name them.
    """
    import mlflow
    import optuna
    from mlflow.tracking import MlflowClient

    mlflow_uri = f"sqlite:///{folder}/mlflow.db"
    client = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    experiment = client.create_experiment(
        config.experiment_name(), artifact_location=(folder / "mlartifacts").as_uri()
    )
    run = client.create_run(experiment, run_name="the user's run")
    client.log_metric(run.info.run_id, "val_accuracy", 0.99)
    client.set_terminated(run.info.run_id)
    client.create_registered_model(config.registered_model())
    source = f"{run.info.artifact_uri}/model"
    version = client.create_model_version(config.registered_model(), source, run.info.run_id)
    client.set_registered_model_alias(config.registered_model(), "champion", version.version)
    mlflow.set_tracking_uri(None)
    optuna_url = f"sqlite:///{folder}/optuna.db"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="the-users-search", storage=optuna_url)
    study.optimize(lambda trial: trial.suggest_float("a", 0.0, 1.0), n_trials=1)
    (folder / "_variables.yml").write_text("model_1:\n  val_accuracy: 99.00 %\n")
    return {
        "MLFLOW_TRACKING_URI": mlflow_uri,
        "MLFLOW_REGISTRY_URI": mlflow_uri,
        "OPTUNA_STORAGE": optuna_url,
        "MNIST_VARIABLES_FILE": str(folder / "_variables.yml"),
    }


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the sha256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def session_files(folder: Path) -> list[Path]:
    """A tiny notebook and a tiny test file that both run ``LOGS``."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(LOGS)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb_path = folder / "logs.ipynb"
    nbformat.write(notebook, nb_path)
    body = "\n".join("    " + line if line else "" for line in LOGS.splitlines())
    test_path = folder / "test_logs.py"
    test_path.write_text(f"def test_logs():\n{body}\n")
    return [nb_path, test_path]


def run_session(args: list[Path], env: dict[str, str], cwd: Path) -> list[dict[str, str]]:
    """``pytest --nbval`` with the repository's root conftest over ``args``, in a subprocess.

    Returns:
        What each notebook cell or test reported: the stores it wrote to.
    """
    report = cwd / "report.jsonl"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "--nbval", "-p", "conftest", "-q"]
    command += ["-p", "no:cacheprovider", "--rootdir", str(cwd), *map(str, args)]
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**env, REPORT_ENV: str(report), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [json.loads(line) for line in report.read_text().splitlines()]


@pytest.fixture
def user_env(tmp_path) -> tuple[Path, dict[str, str]]:
    """The user's stores and an environment that names them (as the user's shell would)."""
    folder = tmp_path / "users-stores"
    folder.mkdir()
    names = user_stores(folder)
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.pop("MNIST_TEST_USE_MY_STORES", None)
    return folder, {**env, **names}


def test_a_session_leaves_the_users_stores_untouched(user_env, tmp_path):
    folder, env = user_env
    before = fingerprint(folder)
    work = tmp_path / "session"
    work.mkdir()
    reports = run_session(session_files(work), env, work)
    assert len(reports) == 2  # the notebook cell and the unit test both logged
    for report in reports:
        assert report["mlflow"] != env["MLFLOW_TRACKING_URI"]
        assert report["optuna"] != env["OPTUNA_STORAGE"]
        assert report["variables"] != env["MNIST_VARIABLES_FILE"]
    assert fingerprint(folder) == before


def test_opting_in_writes_into_the_users_stores(user_env, tmp_path):
    """The control: with the opt-in the same test writes there, and the fingerprint sees it."""
    folder, env = user_env
    before = fingerprint(folder)
    work = tmp_path / "session"
    work.mkdir()
    _, test_file = session_files(work)
    reports = run_session([test_file], {**env, "MNIST_TEST_USE_MY_STORES": "1"}, work)
    assert reports == [
        {
            "mlflow": env["MLFLOW_TRACKING_URI"],
            "optuna": env["OPTUNA_STORAGE"],
            "variables": env["MNIST_VARIABLES_FILE"],
        }
    ]
    after = fingerprint(folder)
    changed = {name for name in before if after.get(name) != before[name]}
    assert {"mlflow.db", "optuna.db", "_variables.yml"} <= changed


def test_make_test_and_ci_run_pytest_where_the_root_conftest_applies():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    # two tiers: the unit tests, then the notebooks on the smoke budget, their conclusions last
    unit, notebooks = test_recipe.splitlines()[1:3]
    assert "-m pytest tests" in unit and "nbval" not in unit
    assert "MNIST_PROFILE=smoke" in notebooks and "-m pytest --nbval-lax notebooks" in notebooks
    assert notebooks.split("notebooks", 1)[1].split()[0] == "tests/test_reproduction.py"
    reproduce = makefile.split("\nreproduce:", 1)[1].split("\n\n", 1)[0]
    assert "MNIST_PROFILE=full" in reproduce and "-m pytest --nbval notebooks" in reproduce
    assert "--noconftest" not in makefile and "--confcutdir" not in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and 'cd "$(dirname "$0")/.."' in ci
