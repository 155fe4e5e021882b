"""The "not a digit" detector: Mahalanobis distances in layers, threshold set on validation."""

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
    assert fitted.is_digit(fitted.score(fitted.parts[0].means)).all()


def test_score_is_the_squared_mahalanobis_distance_to_the_nearest_class():
    x, y = _blobs(50, seed=5, dim=3)
    fitted = detector.fit(x, y, x[:20], layer="features")
    point = x[:7]
    (part,) = fitted.parts
    direct = np.min(
        [np.einsum("nd,de,ne->n", point - m, part.precision, point - m) for m in part.means],
        axis=0,
    )
    np.testing.assert_allclose(part.distance(point), direct, rtol=1e-8, atol=1e-8)
    # the score is that distance over its median on validation digits
    np.testing.assert_allclose(fitted.score(point) * part.scale, direct, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(np.median(fitted.score(x[:20])), 1.0)


def test_round_trips_through_json():
    x, y = _blobs(30, seed=6)
    fitted = detector.fit(x, y, x[:50], layer="features")
    again = detector.DigitDetector.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_allclose(again.score(x), fitted.score(x))
    assert (again.threshold, again.layers, again.reject) == (
        fitted.threshold,
        ("features",),
        fitted.reject,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "energy"}, "unknown detector method"),
        ({"parts": [{"layer": "f", "means": [[0.0, 1.0]], "precision": [[1.0]]}]}, "inconsistent"),
        ({"parts": []}, "at least one layer"),
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


def test_features_of_a_keras_model_come_from_each_convolution_and_its_features_layer():
    from mnist_pipeline.models import cnn

    model = cnn.build_robust_cnn("plain")
    layers = detector.feature_layers(model)
    convolutions = [each for each in model.layers if type(each).__name__ == "Conv2D"]
    # the later half of the convolutions, then the features; the last convolution's maps are
    # 1 x 1 and the features layer flattens them, so it is read once, as the features
    assert model.get_layer("features").input.shape[1:3] == (1, 1)
    assert len(layers) == len(convolutions) - len(convolutions) // 2
    assert layers[-1] == "features"
    last_end = model.layers[[each.name for each in model.layers].index("features") - 1].name
    assert last_end not in layers
    names = [each.name for each in model.layers]
    first = names.index(layers[0])
    assert sum(type(each).__name__ == "Conv2D" for each in model.layers[:first]) > 0
    # each convolution is read after the batch normalisation and activation that follow it
    for name in layers[:-1]:
        following = model.layers[names.index(name) + 1]
        assert type(following).__name__ not in ("BatchNormalization", "Activation"), name
    images = np.random.default_rng(0).uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    assert detector.features(model, images, "features").shape == (3, 64)
    # a feature map is summarised per channel by its mean and standard deviation
    maps = model.get_layer(layers[0]).output.shape[-1]  # a map larger than 1 x 1
    assert detector.features(model, images, layers[0]).shape == (3, 2 * maps)
    together = detector.features(model, images, layers)
    apart = detector.features_by_layer(model, images, layers)
    np.testing.assert_allclose(together, np.concatenate(list(apart.values()), axis=1), atol=1e-5)
    baseline = cnn.build_baseline_cnn()
    assert detector.feature_layers(baseline)[-1] == baseline.layers[-2].name


@pytest.mark.parametrize(("kernel", "expected"), [(3, ("wide", "features")), (4, ("features",))])
def test_a_convolution_the_features_layer_only_flattens_is_read_once(kernel, expected):
    import keras

    model = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(2, 3, name="first"),  # 4 x 4 maps
            keras.layers.Conv2D(3, kernel, name="wide"),  # 2 x 2 maps, or 1 x 1
            keras.layers.Flatten(name="features"),
            keras.layers.Dense(10),
        ]
    )
    assert detector.feature_layers(model) == expected


def test_an_image_far_from_the_digits_in_any_one_layer_is_refused():
    x, y = _blobs(200, seed=1, dim=4)
    val, _ = _blobs(100, seed=2, dim=4)
    fitted = detector.fit({"a": x, "b": x[:, ::-1]}, y, {"a": val, "b": val[:, ::-1]})
    assert fitted.layers == ("a", "b")
    near = val[:50]
    far = near.copy()
    far[:, -1] += 60  # far in the last coordinate: layer a's last, layer b's first
    together = np.concatenate([near, far[:, ::-1]], axis=1)  # near in a, far in b
    scores = fitted.layer_scores(together)
    assert (scores[:, 1] > scores[:, 0]).all()
    assert not fitted.is_digit(fitted.score(together)).any()
    assert fitted.is_digit(fitted.score(np.concatenate([near, near[:, ::-1]], 1))).mean() > 0.9


def test_a_one_layer_detector_of_an_earlier_version_still_loads():
    x, y = _blobs(30, seed=6)
    (part,) = detector.fit(x, y, x, layer="features").parts
    old = {
        "method": "mahalanobis",
        "layer": "features",
        "threshold": 5.0,
        "reject": 0.01,
        "means": part.means.tolist(),
        "precision": part.precision.tolist(),
    }
    loaded = detector.DigitDetector.from_dict(old)
    assert loaded.layers == ("features",) and loaded.threshold == 5.0
    np.testing.assert_allclose(loaded.score(x), part.distance(x))


def test_a_model_without_layers_is_read_on_its_pixels():
    images = np.zeros((4, 28, 28, 1), np.float32)
    assert detector.feature_layers(object()) == (detector.PIXELS,)
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
    proba, features = detector.feature_model(served, ["features"])(images, training=False)
    np.testing.assert_allclose(
        np.asarray(proba), np.asarray(model(images, training=False)), atol=1e-5
    )
    assert np.asarray(features).shape == (3, 64)
    fitted = detector.fit_to_model(
        served, np.tile(images, (10, 1, 1, 1)), np.arange(30) % 10, images, reject=0.1
    )
    assert fitted.layers == detector.feature_layers(served) and fitted.layers[-1] == "features"


def test_a_layer_the_model_lacks_is_refused_by_name():
    from mnist_pipeline.models import cnn

    with pytest.raises(ValueError, match="no layer named 'nowhere'"):
        detector.feature_model(cnn.build_robust_cnn("plain"), "nowhere")
