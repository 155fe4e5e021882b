"""_variables.yml: sections are replaced, others kept, values stored as plain YAML."""

from __future__ import annotations

import numpy as np
import yaml

from mnist_pipeline import config
from mnist_pipeline.book import variables


def test_update_replaces_some_sections_and_keeps_the_others(tmp_path):
    path = tmp_path / "_variables.yml"
    variables.update({"model_1": {"val": "98.10 %"}, "model_2": {"val": "1 %"}}, path)
    shown = variables.update({"own_images": {"accuracy": "100 %", "n": np.int64(20)}}, path)
    variables.update({"model_1": {"val": "98.20 %"}}, path)
    stored = yaml.safe_load(path.read_text())
    assert stored == {
        "model_1": {"val": "98.20 %"},
        "model_2": {"val": "1 %"},
        "own_images": {"accuracy": "100 %", "n": 20},
    }
    assert yaml.safe_load(shown) == {"own_images": {"accuracy": "100 %", "n": 20}}
    assert path.read_text().startswith("# Written by the notebooks")


def test_the_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_VARIABLES_FILE", raising=False)
    assert config.variables_path() == config.PROJ_ROOT / "_variables.yml"
    monkeypatch.setenv("MNIST_VARIABLES_FILE", str(tmp_path / "v.yml"))
    variables.update({"x": {"y": 1}})
    assert variables.read(tmp_path / "v.yml") == {"x": {"y": 1}}
