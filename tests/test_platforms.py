"""The project installs from wheels on every platform it supports (asks PyPI; marked slow).

For Linux x86_64 and aarch64 (manylinux_2_28: glibc 2.28 or newer), macOS on Apple silicon and
Windows x86_64, at Python 3.11 and 3.13 (and Linux x86_64 with the gpu extra, as
``make setup GPU=1`` installs it), ``uv pip compile`` resolves the project (with its dev and
postgres extras) under ``requirements.lock`` with ``--only-binary :all:``: a package without a
wheel for that platform and Python fails the resolution instead of falling back to a source build.
The resolution is written as a PEP 751 ``pylock.toml``, which names the exact wheel of each
package, so the tests also check which TensorFlow build each platform gets, that it is the
locked version, and that every third-party module the project imports comes with it.

The answers come from the index. A rerun takes them from uv's cache (``--offline``, a few seconds
instead of about a minute): the lock pins exact versions, whose files on the index do not change.
Whatever the cache cannot answer, or answers with a failure, is asked of the index again. If the
index is then unreachable the tests skip with the reason, except under CI (``CI`` set): there they
fail.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from mnist_pipeline import config

ROOT = config.PROJ_ROOT
PYTHONS = ("3.11", "3.13")
# uv's target platform -> the TensorFlow distribution the pyproject markers choose there
PLATFORMS = {
    "x86_64-manylinux_2_28": "tensorflow-cpu",
    "aarch64-manylinux_2_28": "tensorflow",
    "aarch64-apple-darwin": "tensorflow",
    "x86_64-pc-windows-msvc": "tensorflow-cpu",
}
# The wheel tag each platform must get (the platform part of the file name).
WHEEL_PLATFORM = {
    "x86_64-manylinux_2_28": re.compile(r"manylinux.*_x86_64"),
    "aarch64-manylinux_2_28": re.compile(r"manylinux.*_aarch64"),
    "aarch64-apple-darwin": re.compile(r"macosx_\d+_\d+_arm64"),
    "x86_64-pc-windows-msvc": re.compile(r"win_amd64"),
}
# `make setup GPU=1`: the gpu extra on Linux x86_64, with tensorflow-cpu excluded
GPU = "x86_64-manylinux_2_28+gpu"
# Modules of the project itself, which no distribution on the index provides.
LOCAL_MODULES = {"mnist_pipeline", "tests", "conftest", "versions", "diagram", "_variables"}

pytestmark = pytest.mark.slow


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def uv() -> str:
    """The uv binary that `make setup` installs into the virtualenv, else the one on PATH."""
    local = Path(sys.executable).parent / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: `make setup` installs it (the dev extra)")
    return found


def index_url() -> str:
    """The index uv resolves against: PyPI unless the environment names another."""
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(variable):
            return os.environ[variable].rstrip("/") + "/"
    return "https://pypi.org/simple/"


@cache
def index_unreachable() -> str | None:
    """Why the index cannot be reached, or None when it answers."""
    request = urllib.request.Request(index_url() + "pip/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10):
            return None
    except OSError as error:  # URLError, timeouts and refused connections are all OSErrors
        return f"the package index {index_url()} is unreachable ({error})"


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """Every platform and Python resolved, in parallel (the time is the index's, not the CPU's).

    Each resolution first runs ``--offline``, from uv's cache; what the cache cannot answer, or
    answers with a failure, is resolved again against the index, whose answer is the one kept.

    Returns:
        (platform, python) -> {"returncode", "stderr", "lock"}: the parsed pylock.toml, or None
        when the resolution failed.
    """
    work = tmp_path_factory.mktemp("platforms")

    (work / "excludes.txt").write_text("tensorflow-cpu\n")

    def resolve(key: tuple[str, str], *options: str) -> dict:
        platform, python = key
        name = re.sub(r"[^a-z0-9]+", "-", f"{platform}-{python}")
        out = work / f"pylock.{name}.toml"
        command = [uv(), "pip", "compile", str(ROOT / "pyproject.toml"), "--quiet", *options]
        command += ["--extra", "dev", "--extra", "postgres", "-c", str(ROOT / "requirements.lock")]
        if platform == GPU:  # as `make setup GPU=1` installs it
            command += ["--extra", "gpu", "--excludes", str(work / "excludes.txt")]
        command += ["--python-platform", platform.removesuffix("+gpu"), "--python-version", python]
        command += ["--only-binary", ":all:", "--format", "pylock.toml", "--no-header"]
        result = subprocess.run(
            command + ["-o", str(out)],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=work,
        )
        lock = tomllib.loads(out.read_text()) if result.returncode == 0 else None
        return {"returncode": result.returncode, "stderr": result.stderr, "lock": lock}

    keys = [(platform, python) for platform in [*PLATFORMS, GPU] for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip(keys, pool.map(lambda key: resolve(key, "--offline"), keys), strict=True)
        )
        again = [key for key, result in results.items() if result["returncode"] != 0]
        reason = index_unreachable() if again else None
        if reason and os.environ.get("CI"):
            pytest.fail(f"{reason}; the platform lock test needs it, so under CI this is a failure")
        if reason:
            pytest.skip(
                f"{reason}, and uv's cache cannot answer {len(again)} of the {len(keys)} resolutions"
            )
        results |= dict(zip(again, pool.map(resolve, again), strict=True))
    return results


def resolved(resolutions: dict, platform: str, python: str) -> dict[str, dict]:
    """The packages of one resolution by canonical name; fails with uv's message if none."""
    result = resolutions[(platform, python)]
    assert result["returncode"] == 0, (
        f"the project does not resolve from wheels on {platform}, Python {python}:\n"
        + result["stderr"][-3000:]
    )
    return {canonical(p["name"]): p for p in result["lock"]["packages"]}


def wheel_names(package: dict) -> list[str]:
    return [wheel.get("name") or wheel["url"].rsplit("/", 1)[-1] for wheel in package["wheels"]]


def locked_version(name: str) -> str:
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if canonical(line.partition("==")[0]) == name:
            return line.partition("==")[2].split(";")[0].strip()
    raise AssertionError(f"{name} is not in requirements.lock")


CASES = [(platform, python) for platform in PLATFORMS for python in PYTHONS]


@pytest.mark.parametrize(("platform", "python"), CASES)
def test_every_package_installs_from_a_wheel(resolutions, platform, python):
    packages = resolved(resolutions, platform, python)
    without = [name for name, package in packages.items() if not package.get("wheels")]
    assert not without, f"no wheel on {platform}, Python {python}: {without}"
    assert not [name for name, package in packages.items() if "sdist" in package]


@pytest.mark.parametrize(("platform", "python"), CASES)
def test_tensorflow_is_the_build_the_markers_choose_with_a_wheel_for_the_platform(
    resolutions, platform, python
):
    packages = resolved(resolutions, platform, python)
    build = PLATFORMS[platform]
    other = "tensorflow" if build == "tensorflow-cpu" else "tensorflow-cpu"
    assert build in packages and other not in packages, sorted(n for n in packages if "tensor" in n)
    assert packages[build]["version"] == locked_version(build)
    (wheel,) = wheel_names(packages[build])  # exactly one: a platform and Python pick one wheel
    cp = "cp" + python.replace(".", "")
    assert wheel.startswith(f"{build.replace('-', '_')}-{locked_version(build)}-{cp}-{cp}-")
    assert WHEEL_PLATFORM[platform].search(wheel), wheel
    assert not [name for name in packages if name.startswith("nvidia-")], "CUDA wheels by default"


def is_dynamic_import(node: ast.AST) -> bool:
    """Whether ``node`` is a call like ``importorskip("name")`` or ``import_module("name")``."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None))
        in {"importorskip", "import_module"}
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


@cache
def imported_modules() -> frozenset[str]:
    """Top-level modules imported by the package, tests, report scripts and notebooks."""
    sources = [p.read_text() for d in ("src", "tests", "report") for p in (ROOT / d).rglob("*.py")]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                sources.append("\n".join(x for x in lines if not x.lstrip().startswith(("%", "!"))))
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
            elif is_dynamic_import(node):  # pytest.importorskip("x"), importlib.import_module("x")
                modules.add(node.args[0].value.split(".")[0])
    return frozenset(modules - set(sys.stdlib_module_names) - LOCAL_MODULES)


@cache
def providers() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions that provide it."""
    return metadata.packages_distributions()


def test_the_project_imports_only_installed_distributions():
    """Each third-party import maps to a distribution here, so the next test can check it."""
    unknown = sorted(m for m in imported_modules() if m not in providers())
    assert not unknown, f"imported, but no installed distribution provides them: {unknown}"


@pytest.mark.parametrize(("platform", "python"), CASES)
def test_every_module_the_project_imports_resolves(resolutions, platform, python):
    packages = resolved(resolutions, platform, python)
    missing = []
    for module in sorted(imported_modules() & providers().keys()):
        names = {canonical(d) for d in providers()[module]}
        if names & {"tensorflow", "tensorflow-cpu"}:  # either build provides `tensorflow`
            names |= {"tensorflow", "tensorflow-cpu"}
        if not names & packages.keys():
            missing.append(f"{module} ({', '.join(sorted(names))})")
    assert not missing, f"imported but not installed on {platform}, Python {python}: {missing}"


@pytest.mark.parametrize("python", PYTHONS)
def test_the_gpu_extra_swaps_in_tensorflow_with_nvidia_cuda_wheels(resolutions, python):
    """What `make setup GPU=1` installs on Linux x86_64: the full build and CUDA, from wheels."""
    packages = resolved(resolutions, GPU, python)
    assert "tensorflow" in packages and "tensorflow-cpu" not in packages
    assert packages["tensorflow"]["version"] == locked_version("tensorflow")
    nvidia = {name: p for name, p in packages.items() if name.startswith("nvidia-")}
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= nvidia.keys()
    assert all(re.search(r"manylinux.*_x86_64", n) for p in nvidia.values() for n in wheel_names(p))
    default = resolved(resolutions, "x86_64-manylinux_2_28", python)
    extra = {name for name in packages.keys() - default.keys() if name != "tensorflow"}
    assert extra == nvidia.keys(), f"GPU=1 adds more than TensorFlow's CUDA build: {extra}"
