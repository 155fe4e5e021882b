"""The non-convolutional baselines: each fits, gives probabilities, and counts its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import metrics
from mnist_pipeline.models import baselines, specs
from tests.helpers import make_tiny_mnist


@pytest.fixture(scope="module")
def pixels():
    tiny = make_tiny_mnist(n_train=300, n_test=10)
    x = tiny.x_train.reshape(300, -1).astype(np.float32) / 255
    return x, tiny.y_train


SKLEARN = [k for k, s in specs.SPECS.items() if s.family == "sklearn" and k != "soft_vote"]


@pytest.mark.parametrize("key", SKLEARN)
def test_each_classical_baseline_fits_and_gives_probabilities(key, pixels):
    x, y = pixels
    model = specs.get(key).build().fit(x, y)
    proba = model.predict_proba(x[:7])
    assert proba.shape == (7, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert metrics.parameter_count(model) > 0


def test_soft_vote_averages_fitted_members_without_refitting_them(pixels):
    x, y = pixels
    members = [(k, specs.get(k).build().fit(x, y)) for k in ("logistic", "forest")]
    before = [m.predict_proba(x[:5]) for _, m in members]
    vote = baselines.soft_vote(*members).fit(x[:50], y[:50])  # refits nothing
    np.testing.assert_allclose(vote.predict_proba(x[:5]), np.mean(before, axis=0), rtol=1e-6)
    assert metrics.parameter_count(vote) == sum(metrics.parameter_count(m) for _, m in members)


def test_the_soft_vote_spec_builds_only_from_fitted_members(pixels):
    x, y = pixels
    with pytest.raises(ValueError, match="specs.soft_vote"):
        specs.get("soft_vote").build()  # the registry's entry: title and bar, no members
    members = [(k, specs.get(k).build().fit(x, y)) for k in ("logistic", "forest")]
    spec = specs.soft_vote(members)
    assert (spec.key, spec.title) == ("soft_vote", specs.get("soft_vote").title)
    vote = spec.build().fit(x[:50], y[:50])
    expected = np.mean([m.predict_proba(x[:5]) for _, m in members], axis=0)
    np.testing.assert_allclose(vote.predict_proba(x[:5]), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        specs.soft_vote([])


def test_parameter_count_of_logistic_regression_is_its_coefficients(pixels):
    x, y = pixels
    model = baselines.build_logistic_regression().fit(x, y)
    assert metrics.parameter_count(model) == 784 * 10 + 10


def test_predict_proba_flattens_images_for_scikit_learn(pixels):
    x, y = pixels
    model = baselines.build_logistic_regression().fit(x, y)
    images = x[:3].reshape(3, 28, 28, 1)
    np.testing.assert_allclose(
        metrics.predict_proba(model, images), model.predict_proba(x[:3]), rtol=1e-6
    )


def test_parameter_count_of_an_svm_counts_each_fitted_array_once(pixels):
    from sklearn.svm import SVC

    x, y = pixels
    svm = SVC(kernel="rbf").fit(x, y)
    learnt = svm.support_vectors_.size + svm.dual_coef_.size + svm.intercept_.size
    assert metrics.parameter_count(svm) == learnt  # not its private copies nor class weights
