"""Each architecture: input and output shapes, softmax rows, parameter counts, layer table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_pipeline import config, models

# Parameter counts follow from the layer sizes (e.g. model 1: conv 3*3*32+32, dense
# 13*13*32*128+128, output 128*10+10); a change of architecture must change this test too.
EXPECTED_PARAMS = {"model_1": 693_962, "model_2": 225_034, "model_3": 431_626}


@pytest.mark.parametrize("key", sorted(models.BUILDERS))
def test_builder_outputs_probabilities(key):
    model = models.BUILDERS[key]()
    batch = np.random.default_rng(0).random((4, *config.INPUT_SHAPE), dtype=np.float32)
    proba = model.predict(batch, verbose=0)
    assert model.input_shape == (None, *config.INPUT_SHAPE)
    assert proba.shape == (4, config.NUM_CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.loss == "categorical_crossentropy"
    assert type(model.optimizer).__name__ == "Adam"


@pytest.mark.parametrize("key", sorted(models.BUILDERS))
def test_parameter_counts(key):
    assert models.BUILDERS[key]().count_params() == EXPECTED_PARAMS[key]


def test_model_3_adds_batch_norm_and_model_2_dropout():
    kinds = {k: [type(layer).__name__ for layer in b().layers] for k, b in models.BUILDERS.items()}
    assert "Dropout" not in kinds["model_1"] and "Dropout" in kinds["model_2"]
    assert kinds["model_3"].count("BatchNormalization") == 2


def test_summary_table_has_every_layer_and_the_total():
    model = models.build_baseline_cnn()
    table = models.summary_table(model)
    assert list(table["layer"][:-1]) == [layer.name for layer in model.layers]
    assert table.iloc[-1]["parameters"] == model.count_params()
    assert table["parameters"][:-1].sum() == model.count_params()
