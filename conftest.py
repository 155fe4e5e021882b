"""``pytest --nbval`` as users type it, from the repository root.

With ``--nbval`` (or ``--nbval-lax``), the notebooks are validated with the project's
sanitize patterns and the current environment's kernel, and against throw-away state:
the kernels nbval starts inherit this process's environment, so setting
``MLFLOW_TRACKING_URI``, ``OPTUNA_STORAGE`` and ``MNIST_VARIABLES_FILE`` here, before any
kernel starts, sends every run, registered model and alias to a temporary SQLite store, the
search's trials to a temporary study, and the report's variables to a temporary file, never to
the user's ``mlflow.db``, ``optuna.db`` or ``_variables.yml``.
Set ``MLFLOW_TRACKING_URI`` yourself to choose the store instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_SCRATCH: str | None = None


def pytest_configure(config) -> None:
    global _SCRATCH
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    if config.option.nbval_sanitize_with is None:
        config.option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")
    if config.option.nbval_kernel_name is None:
        config.option.nbval_current_env = True
    _SCRATCH = tempfile.mkdtemp(prefix="mnist-nbval-")
    os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{_SCRATCH}/mlflow.db")
    os.environ["MNIST_VARIABLES_FILE"] = f"{_SCRATCH}/_variables.yml"
    os.environ["OPTUNA_STORAGE"] = f"sqlite:///{_SCRATCH}/optuna.db"


def pytest_unconfigure(config) -> None:
    if _SCRATCH is not None:
        if os.environ.get("MLFLOW_TRACKING_URI", "").startswith(f"sqlite:///{_SCRATCH}"):
            os.environ.pop("MLFLOW_TRACKING_URI")
        os.environ.pop("MNIST_VARIABLES_FILE", None)
        os.environ.pop("OPTUNA_STORAGE", None)
        shutil.rmtree(_SCRATCH, ignore_errors=True)
