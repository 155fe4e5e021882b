"""The "not a digit" detector: Mahalanobis distance in features, threshold set on validation."""

import json

import numpy as np
import pytest

from mnist_pipeline.models import detector


def _blobs(n_per_class: int, seed: int, dim: int = 8, spread: float = 1.0):
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).normal(0, 6, (10, dim))
    labels = np.repeat(np.arange(10), n_per_class)
    return centres[labels] + rng.normal(0, spread, (len(labels), dim)), labels


def test_threshold_refuses_the_asked_share_of_validation_digits():
    x, y = _blobs(200, seed=1)
    val, _ = _blobs(100, seed=2)
    fitted = detector.fit(x, y, val, layer="features", reject=0.05)
    rejected = (~fitted.is_digit(fitted.score(val))).mean()
    assert rejected == pytest.approx(fitted.reject)
    assert 0.03 <= rejected <= 0.05
    # fresh digits from the same classes are refused at about the same rate
    fresh, _ = _blobs(300, seed=3)
    assert (~fitted.is_digit(fitted.score(fresh))).mean() < 0.10


def test_points_far_from_every_class_are_refused_and_near_ones_kept():
    x, y = _blobs(200, seed=1)
    val, _ = _blobs(100, seed=2)
    fitted = detector.fit(x, y, val, layer="features")
    far = np.random.default_rng(4).normal(0, 1, (50, 8)) * 40
    assert not fitted.is_digit(fitted.score(far)).any()
    assert fitted.is_digit(fitted.score(fitted.means)).all()


def test_score_is_the_squared_mahalanobis_distance_to_the_nearest_class():
    x, y = _blobs(50, seed=5, dim=3)
    fitted = detector.fit(x, y, x[:20], layer="features")
    point = x[:7]
    direct = np.min(
        [np.einsum("nd,de,ne->n", point - m, fitted.precision, point - m) for m in fitted.means],
        axis=0,
    )
    np.testing.assert_allclose(fitted.score(point), direct, rtol=1e-8, atol=1e-8)


def test_round_trips_through_json():
    x, y = _blobs(30, seed=6)
    fitted = detector.fit(x, y, x[:50], layer="features")
    again = detector.DigitDetector.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_allclose(again.score(x), fitted.score(x))
    assert (again.threshold, again.layer, again.reject) == (
        fitted.threshold,
        "features",
        fitted.reject,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "energy"}, "unknown detector method"),
        ({"precision": [[1.0]]}, "inconsistent shapes"),
    ],
)
def test_from_dict_refuses_what_it_cannot_use(change, message):
    x, y = _blobs(30, seed=6)
    data = {**detector.fit(x, y, x, layer="f").to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        detector.DigitDetector.from_dict(data)


def test_fit_refuses_bad_input():
    x, y = _blobs(10, seed=7)
    with pytest.raises(ValueError, match="reject"):
        detector.fit(x, y, x, layer="f", reject=1.5)
    with pytest.raises(ValueError, match="digit"):
        detector.fit(x[y != 3], y[y != 3], x, layer="f")
    with pytest.raises(ValueError, match="validation"):
        detector.fit(x, y, x[:0], layer="f")
    fitted = detector.fit(x, y, x, layer="f")
    with pytest.raises(ValueError, match="dimensions"):
        fitted.score(np.zeros((2, 5)))


def test_features_of_a_keras_model_come_from_its_features_layer():
    from mnist_pipeline.models import cnn

    model = cnn.build_robust_cnn("plain")
    assert detector.feature_layer(model) == "features"
    images = np.random.default_rng(0).uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    assert detector.features(model, images, "features").shape == (3, 64)
    baseline = cnn.build_baseline_cnn()
    assert detector.feature_layer(baseline) == baseline.layers[-2].name


def test_a_model_without_layers_is_read_on_its_pixels():
    images = np.zeros((4, 28, 28, 1), np.float32)
    assert detector.feature_layer(object()) == detector.PIXELS
    assert detector.features(object(), images, detector.PIXELS).shape == (4, 49)


def _augmented_designs() -> list[str]:
    from mnist_pipeline.models import DESIGNS

    return [name for name, chosen in DESIGNS.items() if chosen.policy != "none"]


@pytest.mark.parametrize("design", _augmented_designs())
def test_the_served_model_of_an_augmented_design_gives_its_features(design):
    # The served model shares its layers with the trained one (augment.for_inference): the
    # features must be read on the served model's own graph, which the full study's run of
    # chapter 08 did not (a layer's ``output`` is that of its first call).
    from mnist_pipeline.models import augment, cnn

    model = cnn.build_robust_cnn(design)
    served = augment.for_inference(model)
    assert served is not model
    images = np.random.default_rng(0).uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    proba, features = detector.feature_model(served, "features")(images, training=False)
    np.testing.assert_allclose(np.asarray(proba), np.asarray(model(images, training=False)), atol=1e-5)
    assert np.asarray(features).shape == (3, 64)
    fitted = detector.fit_to_model(
        served, np.tile(images, (10, 1, 1, 1)), np.arange(30) % 10, images, reject=0.1
    )
    assert fitted.layer == "features"


def test_a_layer_the_model_lacks_is_refused_by_name():
    from mnist_pipeline.models import cnn

    with pytest.raises(ValueError, match="no layer named 'nowhere'"):
        detector.feature_model(cnn.build_robust_cnn("plain"), "nowhere")
