"""The code state a run records: the commit, and whether the package differs from it."""

from __future__ import annotations

from mnist_pipeline import config, provenance


def test_git_state_names_the_commit_and_whether_the_code_changed():
    state = provenance.git_state()
    assert set(state) == {"git_commit", "git_dirty"}
    assert state["git_dirty"] in {"true", "false", "unknown"}
    if state["git_commit"] != "unknown":
        assert len(state["git_commit"]) == 40


def test_git_state_outside_a_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert provenance.git_state() == {"git_commit": "unknown", "git_dirty": "unknown"}
