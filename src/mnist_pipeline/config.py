"""Project-wide constants: paths, seed, split sizes and the MLflow defaults.

Nothing here touches the file system or MLflow: paths are only computed, and
environment variables are read when a function asks for them, so importing
this module is free of side effects.
"""

from __future__ import annotations

import os
from pathlib import Path

# Paths are absolute and built from this file, never from the working directory:
# nbval starts each kernel in notebooks/, make starts at the root.
PROJ_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
EXTERNAL_DATA_DIR = DATA_DIR / "external"
MNIST_CACHE = RAW_DATA_DIR / "mnist.npz"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"

# Reproducibility and the split of the 60,000 training images.
SEED = 42
N_TRAIN = 54_000
N_VAL = 6_000
N_TEST = 10_000
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)
INPUT_SHAPE = (28, 28, 1)

# Training protocol shared by the three models (Keras' default batch size).
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
OPTIMIZER = "adam"
EPOCHS = {"model_1": 5, "model_2": 10, "model_3": 12}
# Validation-accuracy bars each notebook asserts, and the study's reported figures.
QUALITY_BARS = {"model_1": 0.975, "model_2": 0.985, "model_3": 0.988}
STUDY_REPORTED_VAL_ACCURACY = {"model_1": 0.975, "model_2": 0.985, "model_3": 0.992}
BUSINESS_ACCURACY_BAR = 0.90

# MLflow: one experiment, one registered model, a "champion" alias.
MLFLOW_DB = PROJ_ROOT / "mlflow.db"
MLFLOW_EXPERIMENT = "mnist-cnn"
REGISTERED_MODEL = "mnist-cnn"
CHAMPION_ALIAS = "champion"

# Data loading: how long the canonical download may take before the next source is tried.
DOWNLOAD_TIMEOUT_S = 20.0


def mlflow_tracking_uri() -> str:
    """Return the MLflow tracking URI.

    Returns:
        ``MLFLOW_TRACKING_URI`` when it is set, else an SQLite store at the
        repository root addressed by an absolute path.
    """
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{MLFLOW_DB}"
