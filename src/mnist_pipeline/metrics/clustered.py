"""Statistics for corrupted copies of the same images: the image is the unit, not the copy.

A robustness suite corrupts the same test images many times (15 corruptions of 2,000 images in
MNIST-C). The copies of one image are not independent: an image that is hard stays hard under
most corruptions. Pooling the 30,000 answers as if they were independent makes every difference
look significant (a McNemar p of 1e-139 on 2,000 images). Here each image gets one score, the
share of its corrupted copies a model classifies correctly, and models are compared on those
scores, paired by image; with several seeds, seeds and images are resampled together.
"""

from __future__ import annotations

import numpy as np

N_RESAMPLES = 2_000


def image_scores(correct: np.ndarray) -> np.ndarray:
    """Each image's share of corrupted copies classified correctly.

    Args:
        correct: booleans ``(copies, images)``, or ``(seeds, copies, images)``: whether each
            copy of each image was classified correctly (by each seed's model).

    Returns:
        ``(images,)`` or ``(seeds, images)`` floats in [0, 1].

    Raises:
        ValueError: for an array of fewer than two dimensions or with no copies.
    """
    correct = np.asarray(correct, dtype=np.float64)
    if correct.ndim not in (2, 3) or correct.shape[-2] == 0:
        raise ValueError(
            f"expected (copies, images) or (seeds, copies, images), got {correct.shape}"
        )
    return correct.mean(axis=-2)


def _as_seeds(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    return scores[None] if scores.ndim == 1 else scores


def _resampled_means(scores: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` means of ``scores`` ``(seeds, images)``, each over seeds and images drawn with
    replacement, independently (a two-level bootstrap; one seed: over images only)."""
    n_seeds, n_images = scores.shape
    seeds = rng.integers(0, n_seeds, (n, n_seeds))
    images = rng.integers(0, n_images, (n, n_images))
    picked = scores[seeds[:, :, None], images[:, None, :]]
    return picked.mean(axis=(1, 2))


def mean_interval(scores: np.ndarray, seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """A suite's mean accuracy and its percentile interval, from resampling images (and seeds).

    Args:
        scores: :func:`image_scores`, ``(images,)`` or ``(seeds, images)``.
        seed: seeds the resampling.
        level: the interval's coverage.

    Returns:
        ``mean``, ``ci_low``, ``ci_high``, ``n_images``, ``n_seeds``.
    """
    scores = _as_seeds(scores)
    means = _resampled_means(scores, np.random.default_rng(seed), N_RESAMPLES)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return {
        "mean": float(scores.mean()),
        "ci_low": float(low),
        "ci_high": float(high),
        "n_images": scores.shape[1],
        "n_seeds": scores.shape[0],
    }


def paired_comparison(
    scores_a: np.ndarray, scores_b: np.ndarray, seed: int = 0, level: float = 0.95
) -> dict[str, float]:
    """B's suite accuracy minus A's, paired by image: a bootstrap interval and a p-value.

    The interval resamples images (and seeds, independently for the two models, when there are
    several) with the same images drawn for both models, so the pairing is kept. The p-value is
    a sign-flip permutation test on the per-image differences of the seed means: under the null
    hypothesis that the two models are exchangeable on each image, each difference is as likely
    negative as positive.

    Args:
        scores_a, scores_b: :func:`image_scores` of the two models on the same images, each
            ``(images,)`` or ``(seeds, images)``.
        seed: seeds the resampling.
        level: the interval's coverage.

    Returns:
        ``difference`` (B - A, a fraction), ``ci_low``, ``ci_high``, ``p_value``, ``n_images``,
        ``n_seeds`` (the fewer of the two models'), ``acc_a``, ``acc_b``.

    Raises:
        ValueError: when the two models were not scored on the same number of images.
    """
    a, b = _as_seeds(scores_a), _as_seeds(scores_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"scored on {a.shape[1]} and {b.shape[1]} images: pair the same images")
    rng = np.random.default_rng(seed)
    n_images = a.shape[1]
    images = rng.integers(0, n_images, (N_RESAMPLES, n_images))
    draws = []
    for scores in (a, b):
        seeds = rng.integers(0, scores.shape[0], (N_RESAMPLES, scores.shape[0]))
        draws.append(scores[seeds[:, :, None], images[:, None, :]].mean(axis=(1, 2)))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws[1] - draws[0], [tail, 100 - tail])
    per_image = b.mean(axis=0) - a.mean(axis=0)
    return {
        "difference": float(per_image.mean()),
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": sign_flip_p(per_image, rng),
        "n_images": n_images,
        "n_seeds": min(a.shape[0], b.shape[0]),
        "acc_a": float(a.mean()),
        "acc_b": float(b.mean()),
    }


def sign_flip_p(differences: np.ndarray, rng: np.random.Generator) -> float:
    """Two-sided p-value of a zero mean for paired differences, by random sign flips.

    Images with no difference carry no information and are left out; with none left the
    p-value is 1. The observed sign pattern counts among the flips, so p is never 0.
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d[d != 0]
    if len(d) == 0:
        return 1.0
    observed = abs(d.mean())
    signs = rng.choice((-1.0, 1.0), size=(N_RESAMPLES, len(d)))
    flipped = np.abs((signs * d).mean(axis=1))
    return float((1 + np.sum(flipped >= observed - 1e-12)) / (N_RESAMPLES + 1))
