"""Image-level statistics for corrupted copies: honest where pooling the copies is not."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mnist_pipeline.metrics import clustered


def pooled_mcnemar_p(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """The old way: every corrupted copy counted as an independent image."""
    a, b = correct_a.ravel(), correct_b.ravel()
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    return float(stats.binomtest(a_only, a_only + b_only, 0.5).pvalue) if a_only + b_only else 1.0


def test_image_scores_are_shares_of_copies_right():
    correct = np.array([[1, 0, 1], [1, 0, 0]], dtype=bool)  # 2 copies of 3 images
    assert clustered.image_scores(correct).tolist() == [1.0, 0.0, 0.5]
    assert clustered.image_scores(np.stack([correct, ~correct])).shape == (2, 3)
    with pytest.raises(ValueError, match="copies, images"):
        clustered.image_scores(np.ones(3, dtype=bool))


def test_a_handful_of_images_is_not_significant_however_many_copies_each_has():
    """Six images B gets right under all 15 corruptions and A wrong, two the other way: pooled,
    90 copies against 30 look decisive; paired by image, 6 against 2 are not."""
    n_images, copies = 100, 15
    a = np.ones((copies, n_images), dtype=bool)
    b = a.copy()
    a[:, :6] = False
    b[:, 6:8] = False
    assert pooled_mcnemar_p(a, b) < 1e-7
    result = clustered.paired_comparison(clustered.image_scores(a), clustered.image_scores(b))
    assert result["p_value"] > 0.1
    assert result["ci_low"] < 0 < result["ci_high"]
    assert result["difference"] == pytest.approx(0.04)


def test_under_the_null_the_pooled_test_cries_wolf_and_the_clustered_one_does_not():
    """Two equally good models whose per-image luck is shared by all copies of an image: the
    pooled McNemar rejects far more often than 5 %, the clustered test about 5 %."""
    rng = np.random.default_rng(0)
    pooled, clustered_hits, trials = 0, 0, 120
    for _ in range(trials):
        difficulty = rng.uniform(0.0, 1.0, 60)  # an image's share of copies anyone gets right
        luck = rng.random(60) < 0.5  # which model is luckier on each image, for all its copies
        shift = np.where(luck, 0.2, -0.2)[None]
        b = rng.random((10, 60)) < np.clip(difficulty[None] + shift, 0, 1)
        a = rng.random((10, 60)) < np.clip(difficulty[None] - shift, 0, 1)
        pooled += pooled_mcnemar_p(a, b) < 0.05
        test = clustered.paired_comparison(
            clustered.image_scores(a), clustered.image_scores(b), seed=int(rng.integers(1 << 30))
        )
        clustered_hits += test["p_value"] < 0.05
    assert pooled / trials > 0.2
    assert clustered_hits / trials < 0.12


def test_a_real_difference_is_found_and_its_interval_covers_it():
    rng = np.random.default_rng(1)
    a = rng.random((15, 500)) < 0.80
    b = rng.random((15, 500)) < 0.88
    result = clustered.paired_comparison(clustered.image_scores(a), clustered.image_scores(b))
    assert result["p_value"] < 0.001
    assert result["ci_low"] < 0.08 < result["ci_high"] and result["ci_low"] > 0
    assert result["acc_b"] - result["acc_a"] == pytest.approx(result["difference"])


def test_the_mean_interval_widens_with_seeds_that_disagree_and_narrows_with_images():
    rng = np.random.default_rng(2)
    few = clustered.mean_interval(rng.uniform(0.7, 1.0, 50))
    many = clustered.mean_interval(rng.uniform(0.7, 1.0, 2_000))
    assert few["ci_low"] < few["mean"] < few["ci_high"]
    assert many["ci_high"] - many["ci_low"] < few["ci_high"] - few["ci_low"]
    base = rng.uniform(0.7, 1.0, 500)
    agree = clustered.mean_interval(np.stack([base, base, base]))
    disagree = clustered.mean_interval(np.stack([base - 0.05, base, np.minimum(base + 0.05, 1)]))
    assert agree["n_seeds"] == 3 and agree["n_images"] == 500
    width = lambda r: r["ci_high"] - r["ci_low"]
    assert width(disagree) > width(agree)


def test_the_pairing_needs_the_same_images_and_no_difference_gives_p_one():
    with pytest.raises(ValueError, match="same images"):
        clustered.paired_comparison(np.ones(5), np.ones(6))
    same = clustered.paired_comparison(np.full(10, 0.5), np.full(10, 0.5))
    assert same["p_value"] == 1.0 and same["difference"] == 0.0
