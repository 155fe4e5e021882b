"""Every pytest run, from the repository root, works against throw-away stores.

Whatever the environment says, a test session (unit tests and ``pytest --nbval`` alike, so
``make test`` and ``.ci/run`` too) sends MLflow's runs, registered models and aliases to a
temporary SQLite store, the search's Optuna study to a temporary database, and the report's
variables to a temporary ``_variables.yml``, never to the user's own: a shell whose
``MLFLOW_TRACKING_URI`` points at a team's tracking server is overridden for the session. The
kernels nbval starts inherit this process's environment, so setting the variables here, before
any kernel starts, covers the notebooks as well. ``MNIST_TEST_USE_MY_STORES=1`` opts out: the
session then uses whatever the environment (or the project's defaults) names.

With ``--nbval`` (or ``--nbval-lax``), the notebooks are also validated with the project's
sanitize patterns and the current environment's kernel. nbval sends each kernel's stderr to
``/dev/null``, so ipykernel's "running over TCP without encryption" warning never shows there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# Set to 1 to let a test session use the stores the environment names (the user's own).
OPT_IN = "MNIST_TEST_USE_MY_STORES"
# The variables a session overrides. MLFLOW_REGISTRY_URI is dropped, so that the registry
# follows the tracking store (the session's, or the one a test sets); MNIST_SEARCH_WORKER too,
# so that the search reruns as worker 0, the way the committed notebook ran it.
STORE_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "OPTUNA_STORAGE",
    "MNIST_VARIABLES_FILE",
    "MNIST_SEARCH_WORKER",
)
_SCRATCH: str | None = None
_SAVED: dict[str, str | None] = {}


def isolated_environment(scratch: str) -> dict[str, str]:
    """The store variables of a test session whose scratch folder is ``scratch``.

    Args:
        scratch: an empty temporary folder the session owns.

    Returns:
        Each store variable's value; the ones absent here are removed from the environment.
    """
    return {
        "MLFLOW_TRACKING_URI": f"sqlite:///{scratch}/mlflow.db",
        "OPTUNA_STORAGE": f"sqlite:///{scratch}/optuna.db",
        "MNIST_VARIABLES_FILE": f"{scratch}/_variables.yml",
    }


def pytest_configure(config) -> None:
    global _SCRATCH
    if config.getoption("nbval", False) or config.getoption("nbval_lax", False):
        if config.option.nbval_sanitize_with is None:
            config.option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")
        if config.option.nbval_kernel_name is None:
            config.option.nbval_current_env = True
    if os.environ.get(OPT_IN) == "1" or _SCRATCH is not None:
        return
    _SCRATCH = tempfile.mkdtemp(prefix="mnist-tests-")
    _SAVED.update({name: os.environ.get(name) for name in STORE_VARIABLES})
    wanted = isolated_environment(_SCRATCH)
    for name in STORE_VARIABLES:
        if name in wanted:
            os.environ[name] = wanted[name]
        else:
            os.environ.pop(name, None)


def pytest_report_header(config) -> str:
    profile = os.environ.get("MNIST_PROFILE") or "full"
    if _SCRATCH is None:
        return f"profile: {profile}; stores: the environment's own ({OPT_IN}=1)"
    return f"profile: {profile}; stores: throw-away, in {_SCRATCH} (set {OPT_IN}=1 to use your own)"


def pytest_collection_modifyitems(session, config, items) -> None:
    """Tests marked ``after_notebooks`` run last, after the chapters whose output they check."""
    items.sort(key=lambda item: item.get_closest_marker("after_notebooks") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A notebook cell that fails shows the stderr it wrote: nbval names the field, not its text."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    written = [
        "".join(output.get("text", ""))
        for output in getattr(item, "test_outputs", None) or ()
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    ]
    if any(written):
        report.sections.append(("stderr the cell wrote", "".join(written)))


def pytest_unconfigure(config) -> None:
    global _SCRATCH
    if _SCRATCH is None:
        return
    for name, value in _SAVED.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _SAVED.clear()
    shutil.rmtree(_SCRATCH, ignore_errors=True)
    _SCRATCH = None
