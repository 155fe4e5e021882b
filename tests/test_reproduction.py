"""After the series ran in this session: does it reach the committed conclusions?

Collected last (the root ``conftest.py`` moves it after the notebooks). It compares the
``_variables.yml`` that this session's chapters wrote, in the session's throw-away folder, with
the committed one (:mod:`mnist_pipeline.book.conclusions`): under ``full`` the champion, each verdict's
direction and each accuracy within its tolerance; under a smaller profile only that every section
and verdict was written, since its numbers mean nothing. Without a fresh file (the notebooks did
not run in this session) it skips.
"""

from __future__ import annotations

import pytest

from mnist_pipeline import config
from mnist_pipeline.book import conclusions


@pytest.mark.after_notebooks
def test_the_series_reaches_the_committed_conclusions():
    fresh, committed = config.variables_path(), config.VARIABLES_FILE
    if fresh.resolve() == committed.resolve():
        pytest.skip("this session wrote the committed _variables.yml itself: nothing to compare")
    if not fresh.exists():
        pytest.skip("the evaluation chapter did not run in this session (no fresh _variables.yml)")
    profile = config.profile().name
    result = conclusions.compare_files(
        fresh, committed, structure_only=profile != config.DEFAULT_PROFILE
    )
    print(f"profile {profile}:\n{result.report()}")
    assert result.ok, result.report()
