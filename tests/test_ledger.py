"""The test-set ledger: distinct specs that met the test set, not reruns."""

from __future__ import annotations

from mnist_pipeline import tracking
from mnist_pipeline.evaluation import ledger


def params(**changes):
    base = {name: "1" for name in ledger.DEFINING}
    return {**base, "seed": "42", "data_sha256": "abc", **changes}


def test_the_fingerprint_ignores_the_seed_and_follows_the_spec():
    assert ledger.fingerprint(params()) == ledger.fingerprint(params(seed="43"))
    assert ledger.fingerprint(params()) != ledger.fingerprint(params(epochs="12"))
    assert ledger.fingerprint(params()) != ledger.fingerprint(
        params(batchnorm_recalibration="10000")
    )


def _training_run(experiment, key, **changes):
    with tracking.start_run(key, {"model_key": key, "kind": "training"}, experiment) as run:
        tracking.log_params(params(**changes))
    return run.info.run_id


def _evaluation(experiment, looks):
    with tracking.start_run("evaluation", {"kind": "evaluation"}, experiment):
        tracking.log_params(looks)


def test_reruns_do_not_inflate_the_ledger_and_a_revised_spec_counts_again(mlflow_store):
    assert "mlp" not in ledger.EARLIER_LOOKS  # its count starts from nothing
    first = ledger.looks({"mlp": _training_run(mlflow_store, "mlp")}, mlflow_store)
    _evaluation(mlflow_store, first)
    rerun = ledger.looks({"mlp": _training_run(mlflow_store, "mlp", seed="43")}, mlflow_store)
    assert rerun == first
    _evaluation(mlflow_store, rerun)
    counts = ledger.read(mlflow_store)
    assert counts.loc["mlp"].tolist() == [1, 2]
    revised = ledger.looks({"mlp": _training_run(mlflow_store, "mlp", epochs="9")}, mlflow_store)
    assert ledger.read(mlflow_store, pending=revised).loc["mlp"].tolist() == [2, 3]


def test_looks_taken_before_the_ledger_count(mlflow_store):
    looks = ledger.looks({"model_4": _training_run(mlflow_store, "model_4")}, mlflow_store)
    counts = ledger.read(mlflow_store, pending=looks)
    assert counts.loc["model_4", "looks"] == 1 + len(ledger.EARLIER_LOOKS["model_4"])


def test_an_unknown_run_is_refused(mlflow_store):
    import pytest

    with pytest.raises(LookupError, match="no run"):
        ledger.looks({"model_1": "0" * 32}, mlflow_store)
