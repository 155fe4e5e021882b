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


def describe_devices(gpu_names: list[str], cores: int) -> str:
    """Name the device training runs on: the GPUs if there are any, else the CPU's cores.

    Args:
        gpu_names: the names of the GPUs TensorFlow sees (empty without one).
        cores: the CPU cores this process may use (at least 1).

    Returns:
        ``"GPU: <name>"`` (names joined by ", " for several) or ``"CPU (<cores> cores)"``.

    Raises:
        ValueError: if ``cores`` is below 1.
    """
    if cores < 1:
        raise ValueError(f"cores must be at least 1, got {cores}")
    if gpu_names:
        return "GPU: " + ", ".join(gpu_names)
    return f"CPU ({cores} core{'s' if cores > 1 else ''})"


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def device_summary() -> str:
    """The device TensorFlow trains on here, for a notebook to print, e.g. ``"CPU (2 cores)"``.

    Returns:
        ``"GPU: <name>"`` when TensorFlow sees a GPU (the CUDA build, ``make setup GPU=1``),
        else ``"CPU (<n> cores)"``.
    """
    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return describe_devices(names, available_cores())


__all__ = ["available_cores", "describe_devices", "device_summary", "keras", "tf"]
