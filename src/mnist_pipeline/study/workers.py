"""Several machines, one Optuna study: the shared storage, each worker's number and seed.

Each worker runs the same search against the storage that ``OPTUNA_STORAGE`` names (an SQLite
file by default), with its own number (``MNIST_SEARCH_WORKER``: 0, 1, 2...), which seeds its
sampler apart from the others'. :mod:`.search` uses them.
"""

from __future__ import annotations

import os
import time

import numpy as np
import optuna
import sqlalchemy.exc

from mnist_pipeline import config

# This machine's number among the workers of one study: 0 (the default) alone, else 1, 2...
WORKER_ENV = "MNIST_SEARCH_WORKER"


def storage_url() -> str:
    """``OPTUNA_STORAGE`` when set (any database URL Optuna accepts), else ``optuna.db`` here."""
    return os.environ.get("OPTUNA_STORAGE") or f"sqlite:///{config.PROJ_ROOT / 'optuna.db'}"


def worker_number(worker: int | None = None) -> int:
    """This process's number among the workers of one study.

    Args:
        worker: the number, or ``None`` to read ``MNIST_SEARCH_WORKER`` (0 when unset).

    Returns:
        A non-negative integer.

    Raises:
        ValueError: if the number (or the variable) is not a non-negative integer.
    """
    if worker is None:
        text = os.environ.get(WORKER_ENV, "").strip() or "0"
        if not text.isdigit():
            raise ValueError(f"{WORKER_ENV}={text!r}: expected a worker number 0, 1, 2...")
        worker = int(text)
    if isinstance(worker, bool) or not isinstance(worker, int) or worker < 0:
        raise ValueError(f"worker={worker!r}: expected a worker number 0, 1, 2...")
    return worker


def sampler_seed(seed: int, worker: int, finished: int = 0) -> int:
    """The seed of one worker's sampler: the study's own for worker 0 on a new study.

    Samplers sharing a seed draw the same candidates (each starts the same random stream):
    two workers given the study's seed would, and so would a worker resuming a study it began
    (after a timeout, say) by redrawing its first candidates. Deriving the seed from the
    worker's number and the count of trials it finds finished keeps them apart, and a rerun
    of the same history reproducible.

    Args:
        seed: the study's seed.
        worker: the worker's number (:func:`worker_number`).
        finished: finished trials in the study when the worker joins it.

    Returns:
        ``seed`` for worker 0 on a study with no finished trial, else a 32-bit seed from
        NumPy's ``SeedSequence((seed, worker, finished))``.
    """
    if worker == 0 and finished == 0:
        return seed
    return int(np.random.SeedSequence((seed, worker, finished)).generate_state(1)[0])


def open_study(study_name: str, attempts: int = 3) -> optuna.Study:
    """Create the study in the storage, or load it if another worker created it first.

    Workers that start together on an empty database race to create Optuna's tables, and the
    database refuses the loser's (a duplicate key or table); on the next attempt it finds them.

    Args:
        study_name: the study in the storage.
        attempts: how many times to try before the database's error is raised.

    Returns:
        The study, without its sampler (:func:`run_search` sets one per worker).
    """
    for attempt in range(1, attempts + 1):
        try:
            return optuna.create_study(
                study_name=study_name,
                storage=storage_url(),
                direction="maximize",
                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
                load_if_exists=True,
            )
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == attempts:
                raise
            time.sleep(attempt)
    raise ValueError(f"attempts={attempts}: expected at least 1")
