"""Each architecture and its spec: shapes, softmax rows, parameter counts, the layer table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import config, models
from mnist_pipeline.models import specs
from tests.helpers import chapter_calls

# Parameter counts follow from the layer sizes (e.g. model 1: conv 3*3*32+32, dense
# 13*13*32*128+128, output 128*10+10); a change of architecture must change this test too.
EXPECTED_PARAMS = {
    "model_1": 693_962,
    "model_2": 225_034,
    "model_3": 431_626,
    "model_4": 82_522,  # its registered design adds layers without weights
    "model_4_no_aug": 82_522,  # augmentation and standardisation have no weights
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
    # The original study's epochs: a profile may cap them, the specs never do.
    assert [specs.get(k).epochs for k in ("model_1", "model_2", "model_3")] == [5, 10, 12]
    assert all(0.9 <= s.quality_bar < 1 for s in specs.SPECS.values())
    assert {s.group for s in specs.SPECS.values()} == {"baseline", "study", "beyond", "ablation"}


@pytest.mark.parametrize("design", list(models.DESIGNS))
def test_every_design_is_the_ablation_plus_its_robustness_layers_and_nothing_else(design):
    full, ablated = specs.model_4(design), specs.get("model_4_no_aug")
    protocol = ("epochs", "batch_size", "learning_rate", "cosine_decay", "recalibrate_batchnorm")
    assert all(getattr(full, f) == getattr(ablated, f) for f in protocol)
    robust, plain = full.builder(), ablated.builder()
    added = {"augmentation", "highpass", "standardise"}
    assert [type(layer).__name__ for layer in robust.layers if layer.name not in added] == [
        type(layer).__name__ for layer in plain.layers
    ]
    chosen = models.DESIGNS[design]
    names = [layer.name for layer in robust.layers]
    assert ("augmentation" in names) == (chosen.policy != "none")
    assert ("standardise" in names) == (chosen.normalise is not None)
    assert ("highpass" in names) == (chosen.normalise == "highpass")
    assert specs.design_of(full) == design and specs.design_of(specs.get("model_2")) is None


def test_the_highpass_filter_removes_a_flat_background_and_is_frozen():
    model = models.build_robust_cnn("highpass")
    layer = model.get_layer("highpass")
    assert not layer.trainable
    kernel = layer.get_weights()[0]
    assert kernel.sum() == pytest.approx(0.0, abs=1e-6)  # a constant image maps to zero
    flat = np.full((1, 28, 28, 1), 0.4, np.float32)
    centre = np.asarray(layer(flat))[0, 8:20, 8:20, 0]
    np.testing.assert_allclose(centre, 0.0, atol=1e-6)


def test_an_unknown_design_is_refused():
    with pytest.raises(ValueError, match="unknown design"):
        specs.model_4("magic")
    with pytest.raises(ValueError, match="unknown design"):
        models.build_robust_cnn("magic")


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


def test_model_4_saves_and_loads_with_its_custom_layers(tmp_path):
    from mnist_pipeline._tf import keras

    model = specs.get("model_4").build(n_train=1000)
    x = np.random.default_rng(0).random((2, *config.INPUT_SHAPE), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(x, training=False), model(x, training=False), rtol=1e-5)


def test_labels_are_readable_names_not_keys():
    assert specs.label("model_2") == "model 2"
    assert specs.label("pca_svm") == "RBF SVM on 50 PCA components"
    assert all("_" not in specs.label(key) for key in specs.SPECS)
    assert specs.label("test ECE (%)") == "test ECE (%)"


def test_only_the_augmented_model_recalibrates_its_batch_norm():
    recalibrating = {k for k, s in specs.SPECS.items() if s.recalibrate_batchnorm}
    assert recalibrating == {"model_4", "model_4_no_aug"}  # the ablation keeps the protocol


def test_every_name_the_chapters_read_from_models_exists():
    called = chapter_calls("models")
    assert called, "the chapters read names from models"
    assert sorted(name for name in called if not hasattr(models, name)) == []


def test_the_spec_table_is_for_readers():
    table = specs.as_table(specs.get("model_4_no_aug"), specs.get("pca_svm"), specs.get("model_3"))
    assert list(table.index) == [
        "the ablation (plain)",  # model 4's network names its design, not its builder
        "RBF SVM on 50 PCA components",
        "model 3",
    ]
    assert list(table.columns) == ["epochs", "batch", "optimizer", "original study's acc."]
    assert table.loc["RBF SVM on 50 PCA components", "epochs"] == "-"  # no "0 epochs"
    assert table.loc["RBF SVM on 50 PCA components", "optimizer"] == "-"
    assert table.loc["model 3", "epochs"] == 12  # the study's protocol, whatever the profile
    assert table.loc["model 3", "optimizer"] == "Adam 0.001"
    assert table.loc["the ablation (plain)", "epochs"] == specs.get("model_4").epochs
    assert table.loc["the ablation (plain)", "optimizer"] == "Adam 0.003, cosine"
    assert table.loc["model 3", "original study's acc."] == "99.2\u00a0%"
    assert table.loc["the ablation (plain)", "original study's acc."] == "-"


def test_a_figure_not_from_the_original_studys_validation_names_its_split_and_source():
    table = specs.as_table(specs.get("model_1"), specs.get("mlp"))
    assert "original study's acc." not in table.columns  # the MLP's figure is a test accuracy
    assert table.loc["model 1", "reported acc."] == "97.5\u00a0% (validation, original study)"
    assert table.loc["A dense network (MLP)", "reported acc."].startswith("97.8\u00a0% (test, ")
    # model 4 and its ablation have no reported figure: no column of dashes
    assert "reported acc." not in specs.as_table(specs.MODEL_4, specs.get("model_4_no_aug"))


@pytest.mark.parametrize(
    "keys",
    [["model_1"], ["model_2"], ["model_3"], *[[d, "model_4_no_aug"] for d in models.DESIGNS]],
)
def test_a_chapters_spec_table_fits_pandocs_72_characters_so_it_cannot_overprint(keys):
    """Pandoc gives a pipe table with a line over 72 characters fixed column widths, and a word
    wider than its column then prints over the next one (the PDF's builder names did)."""
    from mnist_pipeline.book.display import md_table

    chosen = [specs.model_4(k) if k in models.DESIGNS else specs.get(k) for k in keys]
    text = md_table(specs.as_table(*chosen), floatfmt="g").data  # as chapters 04-06, 08 call it
    assert max(len(line) for line in text.splitlines()) <= 72, text
