"""Import TensorFlow and Keras quietly, once, for every module of the package.

TensorFlow's C++ runtime logs to file descriptor 2 while it loads (oneDNN notices,
absl warnings). Jupyter forwards that descriptor into cell outputs, where it would
reach the report and make nbval compare log noise, so the import runs with fd 2
pointed at /dev/null. Python-level errors are unaffected: they are raised, not logged.
``TF_CPP_MIN_LOG_LEVEL`` is read once, at import: 3 keeps the runtime's later
messages (such as a harmless tf.data attribute notice) out of the outputs too,
unless the user chose a level.
"""

import contextlib
import logging
import os
import sys


@contextlib.contextmanager
def _silenced_fd2():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

with _silenced_fd2():
    import keras
    import tensorflow as tf

    tf.constant(0)  # initialise the CPU device, which logs too, while fd 2 is silenced

# TensorFlow's Python logger warns about tf.function retracing when models of different
# shapes are built one after another (a search's trials): expected here, and noise in outputs.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

__all__ = ["keras", "tf"]
