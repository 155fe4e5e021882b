"""The search and MLflow as a team runs them: a real PostgreSQL server and ``mlflow server``.

A throw-away PostgreSQL cluster is made in a temporary folder with ``initdb`` and started with
``pg_ctl`` on a free loopback port (password authentication, two databases: ``optuna`` and
``mlflow``), and stopped and removed afterwards. ``mlflow server`` runs against it as its
backend store, with artifacts in a temporary folder, on another free loopback port. Then:

- two worker processes join one Optuna study in the ``optuna`` database (tiny data, one
  epoch), each logging to the server; they must draw different candidates, finish the study
  within its bound, and log every trial as a nested run of their own parent run;
- one ``experiment.run`` logs and registers a model through the server, which is then
  loaded back through the server.

PostgreSQL refuses to run as root, so as root its commands run as the ``postgres`` user (or
``nobody``) through ``runuser``; pytest-postgresql's ``postgresql_proc`` starts ``pg_ctl`` as
the current user and so cannot be used here. Where PostgreSQL is missing the tests skip,
saying so, except under CI (``CI`` set), where ``.ci/run`` installs it and a skip would hide
a broken search.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mnist_pipeline import config

pytestmark = pytest.mark.slow

ROOT = config.PROJ_ROOT
N_TRIALS = 4
WORKERS = 2
START_TIMEOUT_S = 180
# Caps for a busy machine; on 2 idle cores the whole module takes about two minutes.
WORKER_TIMEOUT_S = 600
# One worker of the search: the same tiny data in every worker, its number from the variable.
WORKER = """\
import json, sys
from mnist_pipeline.study import search
from mnist_pipeline.data import prepare
from tests.helpers import make_tiny_mnist
splits = prepare.make_splits(make_tiny_mnist(n_train=2000, n_test=10), n_val=400, seed=0)
study, parent = search.run_search(
    splits, n_trials=int(sys.argv[1]), epochs=1,
    study_name=sys.argv[2], experiment_name=sys.argv[3],
)
print(json.dumps({"parent": parent}))
"""


def missing(what: str) -> None:
    """Skip for a missing server binary; under CI, fail."""
    message = f"{what} (Debian: apt-get install postgresql)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; .ci/run installs it, so under CI this is a failure")
    pytest.skip(message)


def postgres_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``PG_BINDIR``, ``PATH``, or Debian's."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    if shutil.which("pg_ctl"):
        candidates.append(str(Path(shutil.which("pg_ctl")).resolve().parent))
    # Debian keeps the server binaries off PATH, one folder per major version: newest first.
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in filter(None, candidates):
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl")):
            return Path(folder)
    return None


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Cluster:
    """A running throw-away PostgreSQL cluster on 127.0.0.1."""

    folder: Path
    port: int
    password: str
    user: str = "mnist"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL naming psycopg 3, as the README tells users to write it."""
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
            autocommit=True,
        )


def os_user() -> str | None:
    """Who runs PostgreSQL: this user, or as root an unprivileged one (``None``: this user)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    missing("no unprivileged user (postgres or nobody) to run PostgreSQL as")
    return None


def run_as(user: str | None, command: list[str], cwd: Path) -> None:
    """Run a PostgreSQL command as ``user``; raise with its output if it fails."""
    prefix = ["runuser", "-u", user, "--"] if user else []
    done = subprocess.run(
        prefix + command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Cluster]:
    """A throw-away cluster in a temporary folder, with databases ``optuna`` and ``mlflow``."""
    bindir = postgres_bindir()
    if bindir is None:
        missing("PostgreSQL's initdb and pg_ctl were not found")
    user = os_user()
    if user and shutil.which("runuser") is None:
        missing("runuser (util-linux) is needed to run PostgreSQL as a non-root user")
    folder = Path(tempfile.mkdtemp(prefix="mnist-pg-"))
    cluster = Cluster(folder=folder, port=free_port(), password=secrets.token_hex(12))
    (folder / "password").write_text(cluster.password)
    if user:
        owner = pwd.getpwnam(user)
        for path in (folder, folder / "password"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    run_as(user, [str(bindir / "initdb"), "-D", str(data), "-U", cluster.user,
                  f"--pwfile={folder / 'password'}", "--auth=scram-sha-256", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions"], folder)  # fmt: skip
    # Loopback only, its socket in the temporary folder; no fsync: the data is thrown away.
    options = f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "120"]
    run_as(user, [*pg_ctl, "-l", str(folder / "server.log"), "-o", options, "start"], folder)
    try:
        with cluster.connect("postgres") as connection:
            for database in ("optuna", "mlflow", "race"):
                connection.execute(f"CREATE DATABASE {database}")
        yield cluster
    finally:
        run_as(user, [*pg_ctl, "-m", "fast", "stop"], folder)
        shutil.rmtree(folder, ignore_errors=True)


@dataclasses.dataclass
class MlflowServer:
    url: str
    artifacts: Path
    process: subprocess.Popen
    log: Path


def wait_for_health(server: MlflowServer) -> None:
    """Poll ``/health`` until it answers; raise with the server's log if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"mlflow server exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"mlflow server not ready:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def mlflow_server(postgres: Cluster, tmp_path_factory) -> Iterator[MlflowServer]:
    """``mlflow server`` with the cluster's ``mlflow`` database as its backend store."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    command = [str(Path(sys.executable).parent / "mlflow"), "server"]
    command += ["--backend-store-uri", postgres.url("mlflow")]
    command += ["--artifacts-destination", str(folder / "artifacts")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    log = folder / "server.log"
    with log.open("w") as out:
        # Its own process group: the server's workers are stopped with it.
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PATH": path},
            start_new_session=True,
        )
    server = MlflowServer(f"http://127.0.0.1:{port}", folder / "artifacts", process, log)
    try:
        wait_for_health(server)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def start_worker(number: int, env: dict[str, str], study: str, experiment: str):
    """One search worker process, with ``MNIST_SEARCH_WORKER=number``."""
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(N_TRIALS), study, experiment],
        cwd=ROOT,
        env={**env, "MNIST_SEARCH_WORKER": str(number)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def candidate(params: dict) -> tuple:
    return tuple(sorted(params.items()))


def test_two_workers_share_one_study_on_postgres(postgres, mlflow_server, capsys):
    import optuna
    from mlflow.tracking import MlflowClient

    from mnist_pipeline.study import search

    study_name, experiment_name = "live-search", "live-search"
    env = {
        **os.environ,
        "OPTUNA_STORAGE": postgres.url("optuna"),
        "MLFLOW_TRACKING_URI": mlflow_server.url,
    }
    env.pop("MLFLOW_REGISTRY_URI", None)
    workers = [start_worker(n, env, study_name, experiment_name) for n in range(WORKERS)]
    parents = {}
    try:
        for number, worker in enumerate(workers):
            out, err = worker.communicate(timeout=WORKER_TIMEOUT_S + 60)
            assert worker.returncode == 0, f"worker {number}:\n{out[-2000:]}\n{err[-4000:]}"
            parents[number] = json.loads(out.strip().splitlines()[-1])["parent"]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=postgres.url("optuna"))
    finished = [t for t in study.trials if t.state.is_finished() and t.state.name != "FAIL"]
    # Each worker stops once the study holds N_TRIALS; the other's trial in flight finishes.
    assert N_TRIALS <= len(finished) <= N_TRIALS + WORKERS - 1
    assert len(finished) == len(study.trials)

    client = MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)
    by_run = {t.user_attrs["mlflow_run_id"]: t for t in study.trials}
    drawn: dict[int, list[tuple]] = {}
    seeds: dict[int, int] = {}
    for number, parent in parents.items():
        tags = client.get_run(parent).data.tags
        assert tags["search_worker"] == str(number)
        seeds[number] = int(tags["sampler_seed"])
        children = client.search_runs(
            [client.get_experiment_by_name(experiment_name).experiment_id],
            filter_string=f"tags.mlflow.parentRunId = '{parent}'",
        )
        assert children, f"worker {number} logged no nested trial"
        assert {c.data.tags["kind"] for c in children} == {"search-trial"}
        trials = sorted((by_run[c.info.run_id] for c in children), key=lambda t: t.number)
        drawn[number] = [candidate(t.params) for t in trials]
    # Every trial is a nested run of exactly one worker's parent.
    assert sum(len(c) for c in drawn.values()) == len(study.trials)
    everything = [c for cs in drawn.values() for c in cs]
    assert len(set(everything)) == len(everything), "two trials drew the same candidate"
    assert drawn[0][0] != drawn[1][0]  # one shared seed would make the first ones equal
    # Each worker's seed comes from the study's seed, its number and the finished trials it
    # found, and reproduces its first candidate: a rerun of the same history draws the same.
    for number, seed in seeds.items():
        joined = range(len(study.trials) + 1)
        assert seed in {search.sampler_seed(config.SEED, number, f) for f in joined}
        alone = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        assert candidate(search.suggest(alone.ask())) == drawn[number][0]
    with capsys.disabled():
        print(f"\n{len(finished)} finished trials for n_trials={N_TRIALS}, {WORKERS} workers")
        for number, candidates in drawn.items():
            for params in candidates:
                print(f"worker {number} (sampler seed {seeds[number]}): {dict(params)}")


def test_a_run_registers_and_loads_back_through_mlflow_server(postgres, mlflow_server, monkeypatch):
    from mnist_pipeline import tracking
    from mnist_pipeline.data import prepare
    from mnist_pipeline.models import specs
    from mnist_pipeline.study import experiment
    from tests.helpers import make_tiny_mnist

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    splits = prepare.make_splits(make_tiny_mnist(n_train=1000, n_test=10), n_val=200, seed=0)
    spec = dataclasses.replace(specs.get("model_1"), epochs=1, quality_bar=0.0)
    result = experiment.run(spec, splits, experiment="live-server", verbose=0)
    assert result.model_version is not None

    loaded = tracking.load_model_version(result.model_version)
    expected = result.model.predict(splits.x_val[:16], verbose=0)
    np.testing.assert_allclose(loaded.predict(splits.x_val[:16], verbose=0), expected, atol=1e-5)
    # The run is in PostgreSQL, the model's files under the server's artifact folder.
    with postgres.connect("mlflow") as connection:
        rows = connection.execute("SELECT status FROM runs WHERE run_uuid = %s", (result.run_id,))
        assert rows.fetchall() == [("FINISHED",)]
    assert any(p.name.endswith(".keras") for p in mlflow_server.artifacts.rglob("*"))
    source = (
        tracking.client().get_model_version(config.registered_model(), result.model_version).source
    )
    assert not source.startswith(("file:", "/"))  # a client-side path would bypass the server


def test_workers_starting_together_on_an_empty_database_all_open_the_study(postgres, monkeypatch):
    """Optuna's tables do not exist yet: every worker races to create them, none may fail."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from mnist_pipeline.study import search

    monkeypatch.setenv("OPTUNA_STORAGE", postgres.url("race"))
    start = Barrier(4)

    def join(_: int) -> str:
        start.wait()
        return search.open_study("race").study_name

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(join, range(4))) == ["race"] * 4
    with postgres.connect("race") as connection:
        assert connection.execute("SELECT count(*) FROM studies").fetchone() == (1,)


def test_ci_installs_postgresql_for_this_module():
    ci = (ROOT / ".ci" / "run").read_text()
    assert (
        "packages+=(postgresql)" in ci
        and 'apt-get install -y --no-install-recommends "${packages[@]}"' in ci
    )
