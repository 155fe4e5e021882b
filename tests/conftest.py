"""Shared fixtures: all offline, small, and isolated from the user's own data and runs."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("MPLBACKEND", "Agg")
# As the package does before it imports MLflow: a test module that imports MLflow first
# must not start its usage telemetry either.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import pytest

from mnist_pipeline import data
from tests.helpers import expectation_for, make_tiny_mnist


@pytest.fixture
def tiny_mnist() -> data.MnistData:
    return make_tiny_mnist()


@pytest.fixture
def tiny_expectation(tiny_mnist: data.MnistData) -> data.Expectation:
    return expectation_for(tiny_mnist)


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A throw-away SQLite MLflow store and experiment; returns the experiment name."""
    from mnist_pipeline import tracking

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    name = f"test-{uuid.uuid4().hex[:8]}"
    tracking.setup_tracking(name)
    return name
