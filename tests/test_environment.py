"""The project's install files agree: pyproject, the lock, environment.yml, the Makefile."""

from __future__ import annotations

import os
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
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["dev"] + extras["gpu"] + extras["postgres"]
    missing = [r for r in wanted if requirement_name(r) not in locked_versions()]
    assert not missing, f"not in requirements.lock: {missing}"


# Marker environments of the platforms the project supports, and of one it does not (Intel macOS,
# which TensorFlow 2.21 has no wheel for), as `packaging` evaluates them.
PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64"},
}
CPU_BUILD = {"linux-x86_64", "windows-amd64"}  # where tensorflow-cpu has wheels


def applies(line: str, platform: str) -> bool:
    """Whether a requirement line's environment marker holds on a platform.

    Args:
        line: a requirement, as in pyproject.toml or requirements.lock (``name==1.0 ; marker``).
        platform: a key of ``PLATFORMS``.

    Returns:
        True if the line has no marker or its marker is true there (for Python 3.11).
    """
    from packaging.requirements import Requirement

    requirement = Requirement(line)
    environment = {"python_version": "3.11", "python_full_version": "3.11.9"}
    environment |= {"implementation_name": "cpython", **PLATFORMS[platform]}
    return requirement.marker is None or requirement.marker.evaluate(environment)


def tensorflow_builds(lines: list[str], platform: str) -> set[str]:
    names = {requirement_name(line) for line in lines if applies(line, platform)}
    return names & {"tensorflow", "tensorflow-cpu"}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_exactly_one_tensorflow_build_per_platform(platform):
    """pyproject's two TensorFlow markers are complements: one build, the right one, everywhere."""
    wanted = {"tensorflow-cpu"} if platform in CPU_BUILD else {"tensorflow"}
    assert tensorflow_builds(pyproject()["project"]["dependencies"], platform) == wanted


def lock_lines() -> list[str]:
    text = (ROOT / "requirements.lock").read_text()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_lock_pins_the_build_each_platform_installs(platform):
    """The lock pins tensorflow-cpu exactly where pyproject asks for it, at pyproject's version."""
    cpu_in_lock = [line for line in lock_lines() if requirement_name(line) == "tensorflow-cpu"]
    assert len(cpu_in_lock) == 1 and applies(cpu_in_lock[0], platform) == (platform in CPU_BUILD)
    # tensorflow is pinned wherever the default build or the gpu extra can ask for it
    tf_in_lock = [line for line in lock_lines() if requirement_name(line) == "tensorflow"]
    assert platform in CPU_BUILD or (tf_in_lock and applies(tf_in_lock[0], platform))
    assert locked_versions()["tensorflow"] == locked_versions()["tensorflow-cpu"]


def test_the_gpu_extra_is_linux_x86_64_only_and_the_default_install_has_no_cuda():
    project = pyproject()["project"]
    gpu = project["optional-dependencies"]["gpu"]
    assert [requirement_name(r) for r in gpu] == ["tensorflow"] and "and-cuda" in gpu[0]
    assert [p for p in PLATFORMS if applies(gpu[0], p)] == ["linux-x86_64"]
    assert not [r for r in project["dependencies"] if "nvidia" in r or "cuda" in r]
    # the lock pins NVIDIA's wheels for the extra, only where they exist
    nvidia = [line for line in lock_lines() if line.startswith("nvidia-")]
    assert nvidia, "the gpu extra's CUDA wheels are not pinned"
    assert all([p for p in PLATFORMS if applies(line, p)] == ["linux-x86_64"] for line in nvidia)


def test_the_postgres_extra_brings_psycopg_3():
    """SQLAlchemy 2.1 opens postgresql:// URLs with psycopg 3, not psycopg2."""
    postgres = pyproject()["project"]["optional-dependencies"]["postgres"]
    assert {requirement_name(r) for r in postgres} == {"psycopg"}
    assert "psycopg2" not in locked_versions() and "psycopg-binary" in locked_versions()


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
    assert '-c requirements.lock $(EXCLUDES) -e ".[$(EXTRAS)]"' in makefile
    assert "EXTRAS := dev$(if $(filter gpu,$(TF_BUILD)),$(comma)gpu)" in makefile
    # GPU=1 swaps tensorflow-cpu out (both builds install the same files); nothing else does
    assert (
        "EXCLUDES := $(if $(filter gpu,$(TF_BUILD)),--excludes <(echo tensorflow-cpu))" in makefile
    )
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


def dry_run_setup(venv: Path, *variables: str) -> str:
    """The commands `make setup` would run for a virtualenv at ``venv`` (``make -n``)."""
    result = subprocess.run(
        ["make", "-n", "setup", f"VENV={venv}", f"PYTHON_BOOT={sys.executable}", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_setup_installs_cuda_only_when_asked_and_remembers_the_choice(tmp_path):
    venv = tmp_path / "venv"
    plain = dry_run_setup(venv)
    assert '-e ".[dev]"' in plain and "gpu" not in plain.replace("!= gpu", "")
    assert "uninstall" not in plain

    gpu = dry_run_setup(venv, "GPU=1")
    assert '--excludes <(echo tensorflow-cpu) -e ".[dev,gpu]"' in gpu
    assert "uninstall --quiet --python" in gpu and f"echo gpu > {venv}/.installed" in gpu

    # a GPU install is kept by later targets, and GPU=0 goes back, removing the CUDA build first
    venv.mkdir()
    stamp = venv / ".installed"
    stamp.write_text("gpu\n")
    assert "Nothing to be done" in dry_run_setup(venv)  # up to date: no reinstall, no swap
    os.utime(stamp, (0, 0))  # older than the lock: reinstalls, still the GPU build
    assert '-e ".[dev,gpu]"' in dry_run_setup(venv)
    stamp.touch()
    back = dry_run_setup(venv, "GPU=0")
    assert "uninstall --quiet --python" in back and '-e ".[dev]"' in back
    assert f"echo default > {venv}/.installed" in back


def test_the_project_kernel_runs_without_mlflow_progress_bars():
    # MLflow draws a progress bar on stderr when it downloads an artifact (a model's detector):
    # in a notebook that is noise in the stored outputs, so `make setup` turns it off in the
    # kernel's environment, for nbconvert, nbval and JupyterLab alike.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("mnist-pipeline")
    except NoSuchKernel:
        pytest.skip("the project's kernel is not installed (make setup installs it)")
    assert spec.env.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR") == "false"
