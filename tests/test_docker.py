"""The Docker files, checked without a container engine (none can pull a base image here).

What can be known statically: the files parse, every path they copy exists or is made by
a make target, the ports agree, the service runs as a non-root user with a health check,
and the host only publishes on its loopback interface.
"""

from __future__ import annotations

import re
import shlex
import tomllib

import yaml
from packaging.requirements import Requirement

from mnist_pipeline import config, serve

ROOT = config.PROJ_ROOT


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def env_of(instructions) -> dict[str, str]:
    env = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            env |= dict(item.split("=", 1) for item in shlex.split(rest))
    return env


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_dockerfile_uses_slim_python_311_and_the_lock():
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert '--only-binary :all: --constraint requirements.lock ".[postgres]"' in runs


def test_one_image_definition_for_amd64_and_arm64():
    """Nothing ties the image to an architecture: pyproject's markers choose TensorFlow's build."""
    instructions = dockerfile()
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms and not [rest for rest in froms if "--platform" in rest]
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert not re.search(r"tensorflow|amd64|x86_64|aarch64|arm64", runs)
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    chosen = {}
    for machine in ("x86_64", "aarch64"):  # platform_machine in linux/amd64 and linux/arm64
        environment = {"sys_platform": "linux", "platform_machine": machine}
        chosen[machine] = sorted(
            Requirement(r).name
            for r in dependencies
            if Requirement(r).name.startswith("tensorflow")
            and (Requirement(r).marker is None or Requirement(r).marker.evaluate(environment))
        )
    assert chosen == {"x86_64": ["tensorflow-cpu"], "aarch64": ["tensorflow"]}
    readme = (ROOT / "README.md").read_text()
    assert "docker buildx build --platform linux/amd64,linux/arm64" in readme


def test_every_copied_path_exists_or_is_made_by_make_export_model():
    makefile = (ROOT / "Makefile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for keyword, rest in dockerfile():
        if keyword != "COPY":
            continue
        *sources, _ = rest.split()
        for source in sources:
            if source == "build/champion":
                assert "--export build/champion" in makefile
            else:
                assert (ROOT / source).exists(), source
            assert f"!{source.rstrip('/')}" in [line.rstrip("/") for line in ignored], source


def test_service_runs_as_non_root_with_a_health_check_on_port():
    instructions = dockerfile()
    keywords = [keyword for keyword, _ in instructions]
    user = [rest for keyword, rest in instructions if keyword == "USER"]
    assert user and user[-1] not in {"root", "0"}
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    healthcheck = " ".join(rest for keyword, rest in instructions if keyword == "HEALTHCHECK")
    assert "/health" in healthcheck and "PORT" in healthcheck
    env = env_of(instructions)
    assert env["HOST"] == "0.0.0.0" and env["PORT"] == str(serve.DEFAULT_PORT)
    assert env[serve.MODEL_PATH_ENV].startswith("/app/model/")
    exposed = [rest for keyword, rest in instructions if keyword == "EXPOSE"]
    assert exposed == [env["PORT"]]
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"][-1]
    assert "mnist_pipeline.serve" in cmd


def test_compose_runs_mlflow_and_the_service_on_agreeing_ports():
    services = compose()["services"]
    assert set(services) == {"mlflow", "api", "postgres"}
    env = env_of(dockerfile())
    api, mlflow = services["api"], services["mlflow"]
    assert api["build"] == "." and api["environment"]["PORT"] == env["PORT"]
    assert api["ports"] == [f"127.0.0.1:{env['PORT']}:{env['PORT']}"]
    command = " ".join(mlflow["command"])
    port = re.search(r"--port=(\d+)", command).group(1)
    assert mlflow["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert api["environment"]["MLFLOW_TRACKING_URI"] == f"http://mlflow:{port}"
    assert f"mlflow:{port}" in command  # MLflow accepts the Host header the service sends
    assert api["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert "/data" in command and mlflow["volumes"] == ["mlflow-data:/data"]
    assert "mlflow-data" in compose()["volumes"]


def test_dockerignore_keeps_data_runs_and_environments_out():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored  # everything out, then only what the image copies back in
    for private in (".venv", "data", "mlflow.db", "mlartifacts", "optuna.db", "notebooks"):
        assert f"!{private}" not in ignored and f"!{private}/" not in ignored


def test_build_output_is_ignored_by_git():
    assert "build/" in (ROOT / ".gitignore").read_text().splitlines()


def test_compose_keeps_mlflow_in_postgres_and_a_database_for_the_search():
    services = compose()["services"]
    postgres, mlflow = services["postgres"], services["mlflow"]
    env = postgres["environment"]
    user, database = env["POSTGRES_USER"], env["POSTGRES_DB"]
    command = " ".join(mlflow["command"])
    store = re.search(r"--backend-store-uri=(\S+)", command).group(1)
    assert store.startswith(f"postgresql+psycopg://{user}:")
    assert store.endswith(f"@postgres:5432/{database}")
    assert mlflow["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert postgres["ports"] == ["127.0.0.1:5432:5432"]
    init = {c["source"]: c["target"] for c in postgres["configs"]}
    assert init["optuna-database"].startswith("/docker-entrypoint-initdb.d/")
    assert compose()["configs"]["optuna-database"]["content"] == "CREATE DATABASE optuna;"
    assert "postgres-data" in compose()["volumes"]
