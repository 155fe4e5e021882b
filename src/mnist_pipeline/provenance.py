"""What code a result came from: the project's git commit and whether its code differs.

:func:`mnist_pipeline.tracking.start_run` records this on every run, so that a run names
the commit that computed it.
"""

from __future__ import annotations

import subprocess

from mnist_pipeline import config

# The package's own sources and dependency pins: what decides what a run computes.
CODE_PATHS = ("src", "pyproject.toml", "requirements.lock")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=config.PROJ_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_state() -> dict[str, str]:
    """The commit of the project's checkout and whether its code differs from that commit.

    ``git_dirty`` looks at the package and its dependency pins (``CODE_PATHS``), not at
    the notebooks: executing the chapters rewrites their stored outputs, so the notebooks
    of a tree being executed are always "dirty", which would say nothing.

    Returns:
        ``git_commit`` (``"unknown"`` outside a checkout) and ``git_dirty``
        (``"true"``, ``"false"`` or ``"unknown"``).
    """
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    changes = _git("status", "--porcelain", "--untracked-files=normal", "--", *CODE_PATHS)
    dirty = "unknown" if changes is None else str(bool(changes)).lower()
    return {"git_commit": commit, "git_dirty": dirty}
