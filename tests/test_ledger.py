"""The test-set ledger: distinct specs that met the test set, not reruns."""

from __future__ import annotations

import pytest

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
    assert "logistic" not in ledger.EARLIER_LOOKS  # its count starts from nothing
    first = ledger.looks({"logistic": _training_run(mlflow_store, "logistic")}, mlflow_store)
    _evaluation(mlflow_store, first)
    rerun = ledger.looks(
        {"logistic": _training_run(mlflow_store, "logistic", seed="43")}, mlflow_store
    )
    assert rerun == first
    _evaluation(mlflow_store, rerun)
    counts = ledger.read(mlflow_store)
    assert counts.loc["logistic"].tolist() == [1, 2]
    revised = ledger.looks(
        {"logistic": _training_run(mlflow_store, "logistic", epochs="9")}, mlflow_store
    )
    assert ledger.read(mlflow_store, pending=revised).loc["logistic"].tolist() == [2, 3]


def test_looks_taken_before_the_ledger_count(mlflow_store):
    looks = ledger.looks({"model_4": _training_run(mlflow_store, "model_4")}, mlflow_store)
    counts = ledger.read(mlflow_store, pending=looks)
    assert counts.loc["model_4", "looks"] == 1 + len(ledger.EARLIER_LOOKS["model_4"])


def test_an_unknown_run_is_refused(mlflow_store):
    with pytest.raises(LookupError, match="no run"):
        ledger.looks({"model_1": "0" * 32}, mlflow_store)


def test_a_deleted_evaluation_run_still_counts(mlflow_store):
    first = ledger.looks({"logistic": _training_run(mlflow_store, "logistic")}, mlflow_store)
    with tracking.start_run("evaluation", {"kind": "evaluation"}, mlflow_store) as run:
        tracking.log_params(first)
    tracking.client().delete_run(run.info.run_id)
    assert tracking.search_runs(mlflow_store, "tags.kind = 'evaluation'").empty  # hidden...
    assert ledger.read(mlflow_store).loc["logistic"].tolist() == [1, 1]  # ...and still counted


# The ids the ledger counted before its earlier looks moved to data/external/earlier_looks.csv:
# a look may be added, never dropped or renamed (the book's counts of looks rest on them).
COUNTED_BEFORE = {
    "model_1": ("study-epochs", "half-epochs"),
    "model_2": ("study-epochs", "half-epochs"),
    "model_3": ("study-epochs", "half-epochs"),
    "model_4": ("before-batchnorm-recalibration", "wider-padded", "narrow-geometric"),
    "model_4_no_aug": ("wider-padded", "narrow-geometric"),
}


def test_the_earlier_looks_keep_every_key_and_id_counted_before():
    assert set(COUNTED_BEFORE) <= set(ledger.EARLIER_LOOKS)
    for key, ids in COUNTED_BEFORE.items():
        assert set(ids) <= set(ledger.EARLIER_LOOKS[key]), key
        assert len(set(ledger.EARLIER_LOOKS[key])) == len(ledger.EARLIER_LOOKS[key]), key
    assert all(isinstance(ids, tuple) for ids in ledger.EARLIER_LOOKS.values())


def test_earlier_results_name_models_and_keep_the_committed_digits():
    from mnist_pipeline.models import specs

    table = ledger.earlier_results()
    assert list(table.columns) == [
        "model",
        "commit",
        "test accuracy",
        "errors",
        "evaluations committed",
        "what differed",
        "why it changed",
    ]
    expected = [specs.label(k) for k, ids in ledger.EARLIER_LOOKS.items() for _ in ids]
    assert list(table["model"]) == expected
    assert table["test accuracy"].str.fullmatch(r"\d{2}\.\d{2}\u00a0%").all()
    first = table[(table["model"] == "model 4") & (table["commit"] == "1f8f9d0")]
    assert first[["test accuracy", "errors"]].values.tolist() == [["99.49\u00a0%", 51]]
    assert (table["evaluations committed"] >= 1).all()
    assert table["what differed"].str.len().gt(0).all()
    assert table["why it changed"].str.len().gt(0).all()


HEADER = (
    "model,look,commit,source,test_accuracy,test_errors,n_test,differed,changed_because,scored_in\n"
)


def test_earlier_results_format_from_the_file(tmp_path):
    path = tmp_path / "looks.csv"
    path.write_text(
        HEADER
        + 'model_2,a,abc1234,_variables.yml,0.9960,,10000,shorter,"cut, then undone",'
        + "abc0000 abc1234\n"
        + "model_9,b,abc1234,_variables.yml,0.981,19,10000,x,y,abc1234\n"
    )
    table = ledger.earlier_results(path)
    assert table["model"].tolist() == ["model 2", "model_9"]  # a key no spec has stays a key
    assert table["test accuracy"].tolist() == ["99.60\u00a0%", "98.1\u00a0%"]  # trailing 0 kept
    assert table["errors"].isna().tolist() == [True, False]  # not given: no number, not 0
    assert table["errors"].iloc[1] == 19
    assert table["evaluations committed"].tolist() == [2, 1]
    assert table["why it changed"].tolist() == ["cut, then undone", "y"]


def test_a_malformed_table_of_earlier_looks_is_refused(tmp_path):
    twice = tmp_path / "twice.csv"
    twice.write_text(HEADER + "model_1,a,c,s,0.99,1,10000,d,w,c\n" * 2)
    with pytest.raises(ValueError, match="listed twice: model_1 a"):
        ledger.earlier_results(twice)
    short = tmp_path / "short.csv"
    short.write_text("model,look\nmodel_1,a\n")
    with pytest.raises(ValueError, match="no column commit"):
        ledger.earlier_results(short)


def test_a_look_of_today_s_spec_carries_today_s_fingerprint():
    # A new run of models 1 to 3 (or of the ablation) meeting the test set again is the same
    # look as the earlier one of the same spec: the file's fingerprint must be the one the
    # run logs. A change to the spec fails here: the earlier look is then a different spec.
    from types import SimpleNamespace

    from mnist_pipeline.models import specs
    from mnist_pipeline.study import runs

    table = ledger._earlier_table()
    today = table[table["today_fingerprint"] != ""]
    assert set(today["model"]) == {
        "mlp",
        "model_1",
        "model_2",
        "model_3",
        "model_4",
        "model_4_no_aug",
    }
    splits = SimpleNamespace(x_train=range(54_000), x_val=range(6_000), data_sha256="-")
    for row in today.itertuples():
        spec = specs.get(row.model)
        params = runs.run_params(spec, spec.build(n_train=54_000), 42, splits)
        assert ledger.fingerprint(params) == row.today_fingerprint, row.model


def test_a_rerun_of_today_s_spec_is_not_a_new_look(mlflow_store):
    pending = {
        "test_look_model_1": "6fefff700b73",
        "test_look_model_4": "df917aa971d8",
        "test_look_model_4_no_aug": "f" * 12,
    }
    counts = ledger.read(mlflow_store, pending=pending)
    assert counts.loc["model_1", "looks"] == 2  # the half-epoch look and today's spec
    # Three earlier, revised specs and today's, whose result before its augmentation's seed
    # followed the run's is the same look.
    assert counts.loc["model_4", "looks"] == 4
    # A spec never seen is a new look: the wider ablation, today's and this one.
    assert counts.loc["model_4_no_aug", "looks"] == 3
