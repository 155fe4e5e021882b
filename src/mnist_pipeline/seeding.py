"""One seed for every random generator a chapter uses, without importing TensorFlow for it.

Chapters that train nothing (data collection, exploratory analysis) call ``set_seed`` too;
importing TensorFlow only to seed it would cost them seconds and hundreds of megabytes.
So TensorFlow is seeded when it is already imported, which is the case in every chapter
that builds a model (``mnist_pipeline.models`` imports it), and :func:`mnist_pipeline.study.experiment.run`
seeds again right before it builds a model.
"""

from __future__ import annotations

import random
import sys

import numpy as np

from mnist_pipeline import config


def set_seed(seed: int = config.SEED) -> None:
    """Seed Python's ``random``, NumPy's global generator and, if loaded, TensorFlow.

    With TensorFlow loaded, Keras' global seed is set and op determinism is turned on
    (deterministic kernels, no racing reductions), which makes training bitwise repeatable
    on one machine; another CPU type may still move the last digits.

    Args:
        seed: the seed for every generator.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        from mnist_pipeline._tf import keras, tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
