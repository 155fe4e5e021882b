"""Each architecture and its spec: shapes, softmax rows, parameter counts, the layer table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import config, models, specs

# Parameter counts follow from the layer sizes (e.g. model 1: conv 3*3*32+32, dense
# 13*13*32*128+128, output 128*10+10); a change of architecture must change this test too.
EXPECTED_PARAMS = {"model_1": 693_962, "model_2": 225_034, "model_3": 431_626}


@pytest.mark.parametrize("key", sorted(specs.SPECS))
def test_spec_builds_a_compiled_model_that_outputs_probabilities(key):
    spec = specs.get(key)
    model = spec.build()
    batch = np.random.default_rng(0).random((4, *config.INPUT_SHAPE), dtype=np.float32)
    proba = np.asarray(model(batch, training=False))
    assert model.input_shape == (None, *config.INPUT_SHAPE)
    assert proba.shape == (4, config.NUM_CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.loss == "categorical_crossentropy"
    assert type(model.optimizer).__name__ == "Adam"
    assert float(model.optimizer.learning_rate) == pytest.approx(spec.learning_rate)


@pytest.mark.parametrize("key", sorted(specs.SPECS))
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
    assert [s.study_val_accuracy for s in specs.SPECS.values()] == [0.975, 0.985, 0.992]
    assert all(0.9 < s.quality_bar < 1 for s in specs.SPECS.values())


def test_model_3_adds_batch_norm_and_model_2_dropout():
    kinds = {
        k: [type(layer).__name__ for layer in s.builder().layers] for k, s in specs.SPECS.items()
    }
    assert "Dropout" not in kinds["model_1"] and "Dropout" in kinds["model_2"]
    assert kinds["model_3"].count("BatchNormalization") == 2


def test_summary_table_has_every_layer_and_the_total():
    model = models.build_baseline_cnn()
    table = models.summary_table(model)
    assert list(table["layer"][:-1]) == [layer.name for layer in model.layers]
    assert table.iloc[-1]["parameters"] == model.count_params()
    assert table["parameters"][:-1].sum() == model.count_params()
