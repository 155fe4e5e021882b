"""pytest --nbval over the notebooks: run them against a throw-away MLflow store.

The kernels nbval starts inherit this process's environment, so setting
``MLFLOW_TRACKING_URI`` at start-up (before any kernel starts) sends every run,
registered model and alias of a test session to a temporary SQLite store, never
to the user's own ``mlflow.db``. Set ``MLFLOW_TRACKING_URI`` yourself to choose
the store instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_STORE: str | None = None


def pytest_configure(config) -> None:
    global _STORE
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return
    _STORE = tempfile.mkdtemp(prefix="mnist-nbval-mlflow-")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_STORE}/mlflow.db"


def pytest_unconfigure(config) -> None:
    if _STORE is not None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        shutil.rmtree(_STORE, ignore_errors=True)
