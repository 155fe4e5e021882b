"""Preparation: normalisation, one-hot labels, the stratified seeded split."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline.data import prepare
from tests.helpers import make_tiny_mnist


def test_normalize_is_exact_and_adds_a_channel():
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    out = prepare.normalize(images)
    assert out.shape == (1, 16, 16, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], images.astype(np.float32) / np.float32(255))
    assert out.min() == 0.0 and out.max() == 1.0


def test_normalize_rejects_non_uint8():
    with pytest.raises(TypeError):
        prepare.normalize(np.zeros((1, 28, 28), dtype=np.float32))


def test_one_hot_rows_and_bad_labels():
    encoded = prepare.one_hot(np.array([0, 3, 9]))
    assert encoded.shape == (3, 10) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.argmax(axis=1), [0, 3, 9])
    np.testing.assert_array_equal(encoded.sum(axis=1), 1)
    with pytest.raises(ValueError):
        prepare.one_hot(np.array([10]))


def test_split_is_stratified_deterministic_and_disjoint():
    y = np.repeat(np.arange(10), [100, 120, 80, 100, 90, 110, 100, 100, 100, 100]).astype(np.uint8)
    x = np.arange(len(y))  # each "image" is its own index, to check disjointness
    x_tr, x_va, _, y_va = prepare.split_train_val(x, y, n_val=100, seed=7)
    assert len(x_va) == 100 and len(x_tr) == len(y) - 100
    assert set(x_tr).isdisjoint(x_va) and set(x_tr) | set(x_va) == set(x)
    expected = np.bincount(y) * 100 / len(y)
    assert np.all(np.abs(np.bincount(y_va, minlength=10) - expected) <= 1)
    again = prepare.split_train_val(x, y, n_val=100, seed=7)
    np.testing.assert_array_equal(again[1], x_va)
    other = prepare.split_train_val(x, y, n_val=100, seed=8)
    assert not np.array_equal(other[1], x_va)


def test_class_balance_counts_each_split():
    table = prepare.class_balance(a=np.array([0, 0, 1]), b=np.array([9]))
    assert table.loc[0, "a"] == 2 and table.loc[9, "b"] == 1 and len(table) == 10
    shares = prepare.class_balance(shares=True, a=np.array([0, 0, 1]), b=np.array([9]))
    assert shares.loc[0, "a"] == pytest.approx(2 / 3) and shares.sum().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("labels", [np.array([], dtype=int), np.array([3, 10]), np.array([-1])])
def test_class_balance_refuses_empty_splits_and_non_digits(labels):
    with pytest.raises(ValueError, match="split 'bad'"):
        prepare.class_balance(bad=labels)


def test_prepare_splits_normalises_and_keeps_test_untouched():
    mnist = make_tiny_mnist(n_train=100, n_test=20)
    splits = prepare.make_splits(mnist, n_val=20, seed=1)
    assert splits.x_train.shape == (80, 28, 28, 1) and splits.x_val.shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(splits.x_test[..., 0] * 255, mnist.x_test.astype(np.float32))
    np.testing.assert_array_equal(splits.y_test, mnist.y_test)
    assert splits.onehot("val").shape == (20, 10)
    np.testing.assert_array_equal(np.bincount(splits.y_val, minlength=10), [2] * 10)


def test_limit_train_keeps_the_first_images_and_leaves_validation_and_test_alone():
    splits = prepare.make_splits(make_tiny_mnist(n_train=100, n_test=10), n_val=20, seed=0)
    assert prepare.limit_train(splits, None) is splits
    small = prepare.limit_train(splits, 30)
    assert small.x_train.shape[0] == 30 and np.array_equal(small.y_train, splits.y_train[:30])
    assert small.x_val is splits.x_val and small.x_test is splits.x_test
    assert small.data_sha256 == splits.data_sha256
    with pytest.raises(ValueError, match="at least 1"):
        prepare.limit_train(splits, 0)
