"""The package's one-way layers hold: import-linter's contracts in pyproject.toml pass, and fail
when a module imports across them (here: book importing tracking)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(project: Path, source: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with ``project``'s pyproject.toml, on the package found in ``source``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", "pyproject.toml", "--no-cache"],
        check=False,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_keeps_its_layers():
    result = lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def with_import(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """lint-imports on a copy of the package where ``module`` (a path under the package) gained
    the import ``line``."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "mnist_pipeline",
        source / "mnist_pipeline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    changed = source / "mnist_pipeline" / module
    changed.write_text(changed.read_text() + f"\n{line}\n")
    return lint_imports(tmp_path, source)


def test_training_code_importing_mnistc_breaks_the_contracts(tmp_path):
    """MNIST-C is the test of robustness: a training or selection module may not reach it."""
    result = with_import(
        tmp_path, "models/augment.py", "from mnist_pipeline.corruptions import mnistc_ops"
    )
    assert result.returncode != 0
    assert "never reach MNIST-C BROKEN" in result.stdout


def test_book_importing_tracking_breaks_the_contracts(tmp_path):
    result = with_import(tmp_path, "book/variables.py", "from mnist_pipeline import tracking")
    assert result.returncode != 0
    assert "mnist_pipeline.book.variables -> mnist_pipeline.tracking" in result.stdout
    assert "book takes plain values" in result.stdout and "BROKEN" in result.stdout
