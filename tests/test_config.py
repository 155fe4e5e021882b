"""The profiles: one switch, read when asked, that changes budgets and where runs go."""

from __future__ import annotations

import pytest

from mnist_pipeline import config


def test_full_is_the_default_and_keeps_the_study_s_protocol(monkeypatch):
    monkeypatch.delenv("MNIST_PROFILE", raising=False)
    full = config.profile()
    assert full.name == "full" and full.n_train is None
    assert [full.epochs(e) for e in (5, 10, 12)] == [5, 10, 12]
    assert full.seeds[0] == config.SEED and len(full.seeds) == 3
    assert full.bar(0.985) == 0.985
    assert full.n_corrupted >= 2_000
    assert config.experiment_name() == config.registered_model() == "mnist-cnn"


def test_smoke_caps_budgets_only_and_logs_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_PROFILE", "smoke")
    monkeypatch.delenv("MNIST_VARIABLES_FILE", raising=False)
    smoke = config.profile()  # read when asked: the variable set just now counts
    assert smoke.name == "smoke" and smoke.seeds[0] == config.SEED and len(smoke.seeds) >= 2
    assert smoke.epochs(12) == smoke.max_epochs < 12 and smoke.epochs(0) == 0
    assert 0.1 < smoke.bar(0.985) < 0.985  # "it learns": well above chance, not the spec's bar
    assert config.experiment_name() == "mnist-cnn-smoke"
    assert config.registered_model() == "mnist-cnn-smoke"
    assert config.search_study_name() == "mnist-cnn-search-smoke"
    # a smoke run never writes the book's variables
    assert config.variables_path() != config.VARIABLES_FILE
    assert config.BUILD_DIR in config.variables_path().parents
    assert "smoke" in smoke.describe() and "at most 2 epochs," in smoke.describe()


def test_the_profile_says_the_search_s_budget_apart_from_the_models():
    full = config.PROFILES["full"]
    text = full.describe()
    assert "the models train on all training images" in text
    # the search does not use all training images: its own images and epochs are named
    search = (
        f"the search runs {full.search_trials} trials of up to {full.search_epochs} epochs on "
        f"{full.search_train:,} training images each"
    )
    assert search in text
    assert f"{full.selection_epochs} epochs on {full.selection_train:,} training images" in text
    # the candidates are scored on corrupted validation images; test images only in evaluation
    assert (
        f"scored on the clean validation images and on {full.selection_images:,} of them corrupted"
        in text
    )
    assert f"the evaluation corrupts {full.n_corrupted:,} test images" in text
    one = config.Profile("x", None, None, (42,), 3, 1, 500, 10, None, 1, 10).describe()
    assert "3 trials of up to 1 epoch on 500 training images" in one
    # a pruned trial may stop after its first epoch, or be pruned after its last: never "early"
    assert "(a pruned trial may stop after its first epoch)" in text and "early" not in text
    assert "pruned" not in one  # one epoch a trial: nothing to stop after
    assert "trains 1 epoch on all training images" in one


def test_an_unknown_profile_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("MNIST_PROFILE", "fast")
    with pytest.raises(ValueError, match="choose one of full, smoke"):
        config.profile()


def test_profiles_differ_in_budgets_only():
    full, smoke = config.PROFILES["full"], config.PROFILES["smoke"]
    assert full.seeds[0] == smoke.seeds[0]
    assert smoke.search_trials < full.search_trials and smoke.n_corrupted < full.n_corrupted
