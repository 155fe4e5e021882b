"""Each architecture and its spec: shapes, softmax rows, parameter counts, the layer table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import config, models, specs

# Parameter counts follow from the layer sizes (e.g. model 1: conv 3*3*32+32, dense
# 13*13*32*128+128, output 128*10+10); a change of architecture must change this test too.
EXPECTED_PARAMS = {
    "model_1": 693_962,
    "model_2": 225_034,
    "model_3": 431_626,
    "model_4": 346_026,
    "model_4_no_aug": 346_026,  # augmentation layers have no weights: the ablation is exact
    "mlp": 669_706,
}
KERAS = sorted(key for key, spec in specs.SPECS.items() if spec.family == "keras")


@pytest.mark.parametrize("key", KERAS)
def test_spec_builds_a_compiled_model_that_outputs_probabilities(key):
    spec = specs.get(key)
    model = spec.build(n_train=1000)
    batch = np.random.default_rng(0).random((4, *config.INPUT_SHAPE), dtype=np.float32)
    proba = np.asarray(model(batch, training=False))
    assert model.input_shape == (None, *config.INPUT_SHAPE)
    assert proba.shape == (4, config.NUM_CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.loss == "categorical_crossentropy"
    assert type(model.optimizer).__name__ == "Adam"
    if not spec.cosine_decay:
        assert float(model.optimizer.learning_rate) == pytest.approx(spec.learning_rate)


@pytest.mark.parametrize("key", KERAS)
def test_parameter_counts(key):
    assert specs.get(key).builder().count_params() == EXPECTED_PARAMS[key]


def test_specs_are_keyed_frozen_and_replaceable():
    spec = specs.get("model_2")
    assert all(key == s.key for key, s in specs.SPECS.items())
    with pytest.raises(AttributeError):
        spec.epochs = 1  # frozen
    quick = spec.replace(epochs=1, learning_rate=0.01)
    assert quick.epochs == 1 and spec.epochs != 1
    assert float(quick.build().optimizer.learning_rate) == pytest.approx(0.01)
    with pytest.raises(KeyError, match="known: model_1"):
        specs.get("model_9")


def test_the_study_claims_and_bars_are_in_the_specs():
    study = [specs.get(k).study_val_accuracy for k in ("model_1", "model_2", "model_3")]
    assert study == [0.975, 0.985, 0.992]
    assert all(0.9 <= s.quality_bar < 1 for s in specs.SPECS.values())
    assert {s.group for s in specs.SPECS.values()} == {"baseline", "study", "beyond", "ablation"}


def test_the_ablation_is_model_4_without_its_augmentation_and_nothing_else():
    full, ablated = specs.get("model_4"), specs.get("model_4_no_aug")
    protocol = ("epochs", "batch_size", "learning_rate", "cosine_decay", "recalibrate_batchnorm")
    assert all(getattr(full, f) == getattr(ablated, f) for f in protocol)
    with_aug, without = full.builder(), ablated.builder()
    assert [type(layer).__name__ for layer in with_aug.layers[1:]] == [
        type(layer).__name__ for layer in without.layers
    ]
    assert type(with_aug.layers[0]).__name__ == "Sequential"  # the augmentation block


def test_a_cosine_schedule_decays_to_zero_over_training():
    spec = specs.get("model_4").replace(epochs=2, batch_size=100)
    rate = spec.build(n_train=1000).optimizer._learning_rate  # the schedule, not its value
    assert type(rate).__name__ == "CosineDecay" and rate.decay_steps == 20
    assert float(rate(0)) == pytest.approx(spec.learning_rate) and float(rate(20)) == 0.0
    with pytest.raises(ValueError, match="needs n_train"):
        spec.build()


def test_model_4_augments_only_in_training():
    model = specs.get("model_4").builder()
    assert model.layers[0].name == "augmentation"
    x = np.random.default_rng(0).random((2, *config.INPUT_SHAPE), dtype=np.float32)
    np.testing.assert_allclose(model(x, training=False), model(x, training=False))
    augment = model.layers[0]
    assert not np.allclose(augment(x, training=True), x)
    np.testing.assert_allclose(augment(x, training=False), x)


def test_tunable_cnn_follows_its_hyperparameters():
    small = models.build_tunable_cnn(filters=16, dense_units=64, activation="elu")
    large = models.build_tunable_cnn(filters=48, dense_units=256)
    assert small.count_params() < large.count_params()
    assert any(
        getattr(layer, "activation", None) is not None and "elu" in str(layer.get_config())
        for layer in small.layers
    )


def test_model_3_adds_batch_norm_and_model_2_dropout():
    kinds = {k: [type(layer).__name__ for layer in specs.get(k).builder().layers] for k in KERAS}
    assert "Dropout" not in kinds["model_1"] and "Dropout" in kinds["model_2"]
    assert kinds["model_3"].count("BatchNormalization") == 2


def test_summary_table_has_every_layer_and_the_total():
    model = models.build_baseline_cnn()
    table = models.summary_table(model)
    assert list(table["layer"][:-1]) == [layer.name for layer in model.layers]
    assert table.iloc[-1]["parameters"] == model.count_params()
    assert table["parameters"][:-1].sum() == model.count_params()


def test_stroke_width_layer_thickens_thins_or_keeps_each_image():
    layer = models.RandomStrokeWidth(rate=0.5, seed=0)
    images = np.zeros((64, 28, 28, 1), dtype=np.float32)
    images[:, 10:18, 13:15] = 1.0  # a 2-pixel bar: 16 pixels of ink
    out = np.asarray(layer(images, training=True))
    ink = out.reshape(64, -1).sum(axis=1)
    assert set(np.round(ink).astype(int)) <= {0, 16, 40}  # thinned away, kept, or thickened
    assert len(set(np.round(ink).astype(int))) >= 2
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_noise_layer_clips_to_the_unit_range_and_spares_inference():
    layer = models.RandomNoise(max_sigma=0.5, rate=1.0, seed=0)
    images = np.full((8, 28, 28, 1), 0.5, dtype=np.float32)
    out = np.asarray(layer(images, training=True))
    assert out.min() >= 0.0 and out.max() <= 1.0 and not np.allclose(out, images)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_model_4_saves_and_loads_with_its_custom_layers(tmp_path):
    from mnist_pipeline._tf import keras

    model = specs.get("model_4").build(n_train=1000)
    x = np.random.default_rng(0).random((2, *config.INPUT_SHAPE), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(x, training=False), model(x, training=False), rtol=1e-5)


def test_the_inference_model_drops_augmentation_and_loads_without_the_package(tmp_path):
    import json
    import zipfile

    model = specs.get("model_4").build(n_train=1000)
    inference = models.for_inference(model)
    x = np.random.default_rng(0).random((3, *config.INPUT_SHAPE), dtype=np.float32)
    np.testing.assert_allclose(inference(x), model(x, training=False), rtol=1e-6)
    assert inference.count_params() == model.count_params()
    assert "augmentation" not in [layer.name for layer in inference.layers]
    inference.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        saved = json.loads(archive.read("config.json"))
    assert "mnist_pipeline" not in json.dumps(saved)  # only Keras' own layers: loads anywhere
    plain = specs.get("model_2").build(n_train=1000)
    assert models.for_inference(plain) is plain


def test_labels_are_readable_names_not_keys():
    assert specs.label("model_2") == "model 2"
    assert specs.label("pca_svm") == "RBF SVM on 50 PCA components"
    assert all("_" not in specs.label(key) for key in specs.SPECS)
    assert specs.label("test ECE (%)") == "test ECE (%)"


def _bn_net():
    from mnist_pipeline._tf import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1)),
            models.RandomNoise(max_sigma=0.5, rate=1.0, seed=0),  # training-only: must be off
            layers.Conv2D(3, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.Dropout(0.5),  # training-only: must be off
            layers.Flatten(),
            layers.Dense(4),
            layers.BatchNormalization(),
            layers.Dense(2),
        ]
    )


def test_batchnorm_recalibration_uses_clean_population_statistics_layer_after_layer():
    net = _bn_net()
    images = np.random.default_rng(0).random((250, 6, 6, 1), dtype=np.float32)
    kernel = [w.copy() for w in net.get_weights()]
    assert models.recalibrate_batchnorm(net, images, batch_size=64) == 2
    conv_bn, dense_bn = net.layers[2], net.layers[6]
    features = np.asarray(net.layers[1](images), dtype=np.float64)  # conv of clean images
    np.testing.assert_allclose(conv_bn.moving_mean, features.mean(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(conv_bn.moving_variance, features.var(axis=(0, 1, 2)), rtol=1e-3)
    hidden = images
    for layer in net.layers[:6]:  # through the first, recalibrated, batch norm
        hidden = layer(hidden, training=False)
    hidden = np.asarray(hidden, dtype=np.float64)
    np.testing.assert_allclose(dense_bn.moving_mean, hidden.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dense_bn.moving_variance, hidden.var(axis=0), rtol=1e-3)
    changed = [not np.array_equal(a, b) for a, b in zip(kernel, net.get_weights(), strict=True)]
    names = [w.path for w in net.weights]
    assert all("moving" in n for n, c in zip(names, changed, strict=True) if c)  # weights kept


def test_batchnorm_recalibration_refuses_what_it_cannot_do():
    from mnist_pipeline._tf import keras

    inputs = keras.Input(shape=(4,))
    functional = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    with pytest.raises(TypeError, match="Sequential"):
        models.recalibrate_batchnorm(functional, np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="at least one image"):
        models.recalibrate_batchnorm(_bn_net(), np.zeros((0, 6, 6, 1), np.float32))
    plain = specs.get("model_2").build()
    assert models.recalibrate_batchnorm(plain, np.zeros((2, 28, 28, 1), np.float32)) == 0


def test_only_the_augmented_model_recalibrates_its_batch_norm():
    recalibrating = {k for k, s in specs.SPECS.items() if s.recalibrate_batchnorm}
    assert recalibrating == {"model_4", "model_4_no_aug"}  # the ablation keeps the protocol
