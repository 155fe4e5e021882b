"""The project's install files agree: pyproject, the lock, environment.yml, the Makefile."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from mnist_pipeline import config

ROOT = config.PROJ_ROOT


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, rest = line.partition("==")
            version = rest.split(";")[0].strip()
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins.setdefault(canonical(name), set()).add(version)
    return pins


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_dependency_is_pinned_in_the_lock():
    project = pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    missing = [r for r in wanted if requirement_name(r) not in locked_versions()]
    assert not missing, f"not in requirements.lock: {missing}"


def test_quarto_cli_is_only_in_the_report_extra():
    project = pyproject()["project"]
    assert "quarto-cli" not in {requirement_name(r) for r in project["dependencies"]}
    assert "quarto-cli" not in locked_versions()
    assert any(
        requirement_name(r) == "quarto-cli" for r in project["optional-dependencies"]["report"]
    )


def test_environment_yml_installs_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python == "python>=3.11,<3.14"
    assert ">=3.11,<3.14" == pyproject()["project"]["requires-python"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-c requirements.lock" in pip_section
    assert "-e .[dev]" in pip_section


def test_makefile_installs_from_the_lock_and_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    assert '-c requirements.lock -e ".[dev]"' in makefile
    assert "python3.13 python3.12 python3.11" in makefile
    for target in (
        "setup",
        "data",
        "notebooks",
        "report",
        "test",
        "lab",
        "mlflow-ui",
        "clean",
        "all",
        "help",
    ):
        assert re.search(rf"^{re.escape(target)}:.*## ", makefile, re.MULTILINE), target


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make all" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


UV = Path(sys.executable).parent / "uv"


@pytest.mark.slow
@pytest.mark.skipif(not UV.exists() and not shutil.which("uv"), reason="uv is not installed")
@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_the_lock_is_complete_for_each_supported_python(python, tmp_path):
    """Resolving the project under the lock adds nothing the lock does not pin (asks the index)."""
    uv = str(UV) if UV.exists() else shutil.which("uv")
    out = tmp_path / "resolved.txt"
    subprocess.run(
        [uv, "pip", "compile", str(ROOT / "pyproject.toml"), "--extra", "dev", "--quiet"]
        + ["-c", str(ROOT / "requirements.lock"), "--python-version", python]
        + ["--python-platform", "x86_64-unknown-linux-gnu", "--no-header", "-o", str(out)],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    pins = locked_versions()
    resolved = [
        line.split(" ")[0].split("==")
        for line in out.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    unpinned = [f"{name}=={version}" for name, version in resolved if canonical(name) not in pins]
    assert resolved and not unpinned, f"Python {python} needs packages the lock lacks: {unpinned}"
    assert all(version in pins[canonical(name)] for name, version in resolved)
