"""Shared helpers for the MNIST study: data, models, training, tracking, evaluation, plots.

Submodules are imported explicitly (``from mnist_pipeline import data``) so that
importing the package itself stays cheap and never starts TensorFlow or MLflow.
"""

import os
import warnings

__version__ = "0.1.0"

# Two settings that must precede any import of MLflow, whichever submodule imports it first:
# its usage telemetry stays off unless the user chose otherwise (nothing leaves the machine),
# and tqdm's warning that a notebook without ipywidgets cannot draw progress bars (MLflow
# imports tqdm.auto; nothing here draws any) stays out of the notebooks' outputs.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# MLflow's artifact progress bars are stderr noise in a notebook's outputs (and fail nbval's
# comparison), in whatever kernel runs it: the project's, or the current-env one nbval starts.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
warnings.filterwarnings("ignore", message="IProgress not found")
