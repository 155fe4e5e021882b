"""Shared fixtures: all offline, small, and isolated from the user's own data and runs."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("MPLBACKEND", "Agg")
# As the package does before it imports MLflow: a test module that imports MLflow first
# must not start its usage telemetry either.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import numpy as np
import pytest

from mnist_pipeline import data


def make_tiny_mnist(seed: int = 0, n_train: int = 40, n_test: int = 20) -> data.MnistData:
    """A deterministic MNIST-like dataset: every digit equally often, random uint8 pixels."""
    rng = np.random.default_rng(seed)
    return data.MnistData(
        x_train=rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        y_train=(np.arange(n_train) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        y_test=(np.arange(n_test) % 10).astype(np.uint8),
    )


def expectation_for(arrays: data.MnistData) -> data.Expectation:
    """The pins that ``arrays`` satisfy, in the form ``load_mnist`` checks."""
    return data.Expectation(
        sha256={name: data.array_sha256(getattr(arrays, name)) for name in data.ARRAY_NAMES},
        train_counts=tuple(int(c) for c in np.bincount(arrays.y_train, minlength=10)),
        test_counts=tuple(int(c) for c in np.bincount(arrays.y_test, minlength=10)),
    )


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
