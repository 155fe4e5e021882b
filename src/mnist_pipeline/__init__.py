"""Shared helpers for the MNIST study: data, models, training, tracking, evaluation, plots.

Submodules are imported explicitly (``from mnist_pipeline import data``) so that
importing the package itself stays cheap and never starts TensorFlow or MLflow.
"""

__version__ = "0.1.0"
