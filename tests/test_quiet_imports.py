"""Importing the package's TensorFlow-backed modules prints nothing to stderr.

Jupyter forwards a kernel's file descriptor 2 into cell outputs, so any start-up log of
TensorFlow (oneDNN notices, absl warnings) would reach the notebooks, nbval and the report.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Each case starts a fresh process that imports TensorFlow (and MLflow): 10 s to a minute.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("module", ["models", "study.train", "tracking"])
def test_import_is_silent(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "MLFLOW_"))}
    result = subprocess.run(
        [sys.executable, "-c", f"import mnist_pipeline.{module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    assert result.stderr == "" and result.stdout == ""
