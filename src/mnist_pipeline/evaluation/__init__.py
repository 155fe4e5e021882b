"""The evaluation chapter's seam: every model scored on the test set once (:mod:`.core`), the
robustness suites (:mod:`.robustness`), the seed repeats (:mod:`.seeds`), the ledger of
looks at the test set (:mod:`.ledger`) and the numbers the report reads (:mod:`.findings`).

Every public name of :mod:`.core` is reachable from here: ``evaluation.run``,
``evaluation.choose_champion``, ``evaluation.CHAMPION_RULE``. They load on first use, so that
importing one submodule (``from mnist_pipeline.evaluation import seeds``) does not load the
robustness suites' scikit-image and the rest of :mod:`.core`.
"""

import importlib

__all__ = [
    "ABLATION",
    "CHAMPION_RULE",
    "GROUP_ORDER",
    "STEPS",
    "Evaluation",
    "calibration_table",
    "choose_champion",
    "comparison_table",
    "confused_pairs",
    "efficiency_table",
    "keys_of",
    "load_models",
    "mcnemar_for_readers",
    "mcnemar_pairs",
    "order_runs",
    "pairs_to_test",
    "probabilities",
    "run",
    "test_results",
    "unique_pairs",
]


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("mnist_pipeline.evaluation.core"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
