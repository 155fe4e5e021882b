"""The validation corruption suite: disjoint from MNIST-C, seeded, harsher with severity."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from mnist_pipeline.corruptions import validation

MNIST_C = {
    "shot_noise", "impulse_noise", "glass_blur", "motion_blur", "shear", "scale", "rotate",
    "brightness", "translate", "stripe", "fog", "spatter", "dotted_line", "zigzag",
    "canny_edges",
}  # fmt: skip


@pytest.fixture
def digits() -> np.ndarray:
    """Four thick strokes on black, like MNIST digits in [0, 1]."""
    images = np.zeros((4, 28, 28), dtype=np.float32)
    for i in range(4):
        images[i, 6:22, 10 + i : 14 + i] = 1.0
        images[i, 6:9, 8:20] = 0.8
    return images


def test_the_suite_has_at_least_eight_corruptions_none_of_them_mnist_c_s():
    assert len(validation.CORRUPTIONS) >= 8
    assert not set(validation.CORRUPTIONS) & MNIST_C
    assert all(
        len(validation.PARAMETERS[n]) == len(validation.SEVERITIES) >= 2
        for n in validation.CORRUPTIONS
    )


def test_the_module_imports_nothing_from_mnist_c():
    tree = ast.parse(inspect.getsource(validation))
    imported = [
        " ".join([getattr(node, "module", None) or "", *(a.name for a in node.names)])
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert "numpy" in " ".join(imported)  # the walk sees the imports
    assert not [line for line in imported if "mnistc" in line]


@pytest.mark.parametrize("name", validation.CORRUPTIONS)
def test_each_corruption_keeps_shape_range_and_levels_and_leaves_its_input_alone(name, digits):
    before = digits.copy()
    for shape in ((4, 28, 28), (4, 28, 28, 1)):
        out = validation.corrupt(digits.reshape(shape), name, 2, seed=0)
        assert out.shape == shape and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1
        assert np.allclose(out * 255, np.round(out * 255), atol=1e-4)  # 256 grey levels
    assert np.array_equal(digits, before)


@pytest.mark.parametrize("name", validation.CORRUPTIONS)
def test_each_corruption_is_seeded_and_harsher_with_severity(name, digits):
    a = validation.corrupt(digits, name, 3, seed=1)
    assert np.array_equal(a, validation.corrupt(digits, name, 3, seed=1))
    change = [
        float(np.abs(validation.corrupt(digits, name, s, seed=1) - digits).mean())
        for s in validation.SEVERITIES
    ]
    assert change[0] > 0, f"{name} at severity 1 changes nothing"
    assert change[-1] > change[0], f"{name}: severity 3 is no harsher than 1 ({change})"


def test_the_random_corruptions_depend_on_the_seed(digits):
    for name in ("gaussian_noise", "speckle_noise", "elastic"):
        assert not np.array_equal(
            validation.corrupt(digits, name, 2, seed=1), validation.corrupt(digits, name, 2, seed=2)
        )


def test_the_suite_covers_every_corruption_and_severity_with_its_own_seed(digits):
    out = validation.suite(digits, seed=7)
    assert list(out) == [(n, s) for n in validation.CORRUPTIONS for s in validation.SEVERITIES]
    assert np.array_equal(out[("elastic", 2)], validation.suite(digits, seed=7)[("elastic", 2)])
    noise_1, noise_2 = out[("gaussian_noise", 1)], out[("gaussian_noise", 2)]
    assert not np.array_equal(noise_1 - digits, (noise_2 - digits) / 2)  # not one stream rescaled


def test_bad_inputs_are_refused_with_the_reason(digits):
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        validation.corrupt(digits, "fog", 1, seed=0)
    with pytest.raises(ValueError, match="severity must be one of"):
        validation.corrupt(digits, "jpeg", 4, seed=0)
    with pytest.raises(ValueError, match="shaped"):
        validation.corrupt(digits[:, :20], "jpeg", 1, seed=0)
    with pytest.raises(ValueError, match="float images"):
        validation.corrupt((digits * 255).astype(np.uint8), "jpeg", 1, seed=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        validation.corrupt(digits * 255, "jpeg", 1, seed=0)
    empty = validation.corrupt(np.zeros((0, 28, 28), np.float32), "elastic", 1, seed=0)
    assert empty.shape == (0, 28, 28)
