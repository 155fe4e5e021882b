"""mnist_pipeline._tf: naming the device TensorFlow trains on."""

from __future__ import annotations

import os
import re

import pytest

from mnist_pipeline import _tf


def test_describe_devices_names_the_gpus_before_the_cpu():
    assert _tf.describe_devices(["NVIDIA L4"], cores=8) == "GPU: NVIDIA L4"
    assert _tf.describe_devices(["A100", "A100"], cores=8) == "GPU: A100, A100"
    assert _tf.describe_devices([], cores=2) == "CPU (2 cores)"
    assert _tf.describe_devices([], cores=1) == "CPU (1 core)"


@pytest.mark.parametrize("cores", [0, -1])
def test_describe_devices_rejects_fewer_than_one_core(cores):
    with pytest.raises(ValueError, match="at least 1"):
        _tf.describe_devices([], cores=cores)


def test_available_cores_is_this_process_share_of_the_machine():
    cores = _tf.available_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)


def test_device_summary_matches_what_tensorflow_sees():
    summary = _tf.device_summary()
    gpus = _tf.tf.config.list_physical_devices("GPU")
    if gpus:
        assert summary.startswith("GPU: ") and summary.count(",") == len(gpus) - 1
    else:
        match = re.fullmatch(r"CPU \((\d+) cores?\)", summary)
        assert match and int(match.group(1)) == _tf.available_cores(), summary
