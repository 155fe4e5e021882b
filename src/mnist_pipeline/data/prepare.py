"""From verified MNIST arrays to model inputs: normalise, one-hot, the seeded split.

The 10,000 test images are normalised but otherwise untouched; the 60,000 training
images are split once, stratified by digit and seeded, into training and validation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from mnist_pipeline import config
from mnist_pipeline.data import MnistData, fingerprint


def normalize(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images to float32 in [0, 1] and add a trailing channel axis."""
    if images.dtype != np.uint8:
        raise TypeError(f"expected uint8 images, got {images.dtype}")
    return (images.astype(np.float32) / np.float32(255.0))[..., np.newaxis]


def one_hot(labels: np.ndarray, num_classes: int = config.NUM_CLASSES) -> np.ndarray:
    """Return float32 one-hot rows for integer labels in ``0..num_classes-1``."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    return np.eye(num_classes, dtype=np.float32)[labels.astype(np.int64)]


def split_train_val(
    x: np.ndarray, y: np.ndarray, n_val: int = config.N_VAL, seed: int = config.SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split a training set into stratified, disjoint train and validation parts.

    Args:
        x: images.
        y: integer labels, used for stratification.
        n_val: how many examples go to validation.
        seed: fixes the shuffle, so the split is the same on every run.

    Returns:
        ``x_train, x_val, y_train, y_val``.
    """
    return train_test_split(x, y, test_size=n_val, stratify=y, random_state=seed, shuffle=True)


class Splits(NamedTuple):
    """Model-ready data: float32 images with a channel axis, integer and one-hot labels.

    ``data_sha256`` is the fingerprint of the dataset the splits came from
    (``data.fingerprint``): every run logs it, so a run names the exact data it saw.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    data_sha256: str = ""

    def onehot(self, split: str) -> np.ndarray:
        """One-hot labels of ``"train"``, ``"val"`` or ``"test"``."""
        return one_hot(getattr(self, f"y_{split}"))


def make_splits(mnist: MnistData, n_val: int = config.N_VAL, seed: int = config.SEED) -> Splits:
    """Split the training set (stratified, seeded) and normalise every image set.

    Args:
        mnist: verified uint8 arrays.
        n_val: validation examples taken from the 60,000 training images.
        seed: fixes the split.

    Returns:
        Train, validation and (untouched) test sets, normalised to [0, 1], with the
        dataset's fingerprint.
    """
    x_tr, x_va, y_tr, y_va = split_train_val(mnist.x_train, mnist.y_train, n_val=n_val, seed=seed)
    return Splits(
        normalize(x_tr),
        y_tr,
        normalize(x_va),
        y_va,
        normalize(mnist.x_test),
        mnist.y_test,
        data_sha256=fingerprint(mnist),
    )


def limit_train(splits: Splits, n_train: int | None) -> Splits:
    """The splits with only the first ``n_train`` training images (a profile's budget).

    The split is stratified and shuffled, so its first images keep about the classes'
    proportions; validation and test are untouched, so scores stay comparable.

    Args:
        splits: from :func:`make_splits`.
        n_train: how many training images to keep; ``None`` keeps all.

    Returns:
        ``splits`` itself for ``None``, else a copy with a shorter training set.

    Raises:
        ValueError: for a count below 1.
    """
    if n_train is None:
        return splits
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, not {n_train}")
    return splits._replace(x_train=splits.x_train[:n_train], y_train=splits.y_train[:n_train])


def class_balance(*, shares: bool = False, **labels: np.ndarray) -> pd.DataFrame:
    """Count each digit in each named split of labels: the package's one class counter.

    Args:
        shares: give each digit's fraction of its split instead of its count.
        **labels: split name to its labels (``train=splits.y_train``...).

    Returns:
        One row per digit (index ``digit``), one column per split, in the order given.

    Raises:
        ValueError: for an empty split or a label that is not a digit 0-9.
    """
    columns = {}
    for name, y in labels.items():
        y = np.asarray(y)
        if y.size == 0:
            raise ValueError(f"split {name!r} has no labels")
        if y.min() < 0 or y.max() >= config.NUM_CLASSES:
            raise ValueError(f"split {name!r} holds labels outside 0-{config.NUM_CLASSES - 1}")
        counts = np.bincount(y.astype(np.int64), minlength=config.NUM_CLASSES)
        columns[name] = counts / y.size if shares else counts
    return pd.DataFrame(columns).rename_axis("digit")
