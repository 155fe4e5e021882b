"""The tracked search: trials are nested MLflow runs, the study stops at its budget, reruns reuse it."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest

from mnist_pipeline import config, tracking
from mnist_pipeline.data import prepare
from mnist_pipeline.study import experiment, search
from tests.helpers import make_tiny_mnist


@pytest.fixture
def storage(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/optuna.db"
    monkeypatch.setenv("OPTUNA_STORAGE", url)
    return url


def test_search_logs_nested_trials_and_stops_at_its_budget(mlflow_store, storage):
    splits = prepare.make_splits(make_tiny_mnist(n_train=120, n_test=10), n_val=40, seed=0)
    run = {
        "n_trials": 3,
        "epochs": 1,
        "study_name": "t",
        "experiment_name": mlflow_store,
    }
    study, parent = search.run_search(splits, **run)
    assert len(study.trials) == 3
    client = tracking.client()
    children = client.search_runs(
        [tracking.experiment_id(mlflow_store)],
        filter_string=f"tags.mlflow.parentRunId = '{parent}'",
    )
    assert len(children) == 3
    assert {c.data.tags["kind"] for c in children} == {"search-trial"}
    assert all(c.data.params["family"] == "keras" for c in children)
    assert client.get_run(parent).data.params["best_trial"] == str(study.best_trial.number)
    tags = client.get_run(parent).data.tags  # a lone worker on a new study: the study's seed
    assert (tags["search_worker"], tags["sampler_seed"]) == ("0", str(config.SEED))
    table = search.trials_table(study)
    assert list(table.index) == [0, 1, 2] and {"state", "value", "learning_rate"} <= set(table)
    assert table["epochs"].between(1, 2).all()  # the epochs each trial reported
    again, _ = search.run_search(splits, **run)  # the budget is spent: no new trial
    assert len(again.trials) == 3
    assert optuna.load_study(study_name="t", storage=storage).best_value == study.best_value
    assert experiment.latest_runs(mlflow_store).empty  # trials are not models


def test_storage_defaults_to_a_file_at_the_root(monkeypatch):
    monkeypatch.delenv("OPTUNA_STORAGE", raising=False)
    assert search.storage_url().endswith("/optuna.db")
    assert search.storage_url().startswith("sqlite:////")


def test_importances_sum_to_one_over_the_searched_parameters():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("a", 0, 1) + 0.01 * t.suggest_float("b", 0, 1), n_trials=12
    )
    found = search.importances(study, seed=0)
    assert set(found) == {"a", "b"} and sum(found.values()) == pytest.approx(1.0)
    assert found["a"] > found["b"]


def test_the_worker_number_comes_from_the_argument_or_the_variable(monkeypatch):
    monkeypatch.delenv(search.WORKER_ENV, raising=False)
    assert search.worker_number() == 0
    monkeypatch.setenv(search.WORKER_ENV, "2")
    assert search.worker_number() == 2
    assert search.worker_number(1) == 1  # the argument wins
    monkeypatch.setenv(search.WORKER_ENV, "first")
    with pytest.raises(ValueError, match="MNIST_SEARCH_WORKER='first'"):
        search.worker_number()
    with pytest.raises(ValueError, match="worker=-1"):
        search.worker_number(-1)


def draws(studies: list[optuna.Study], rounds: int) -> list[list[tuple]]:
    """Each study's candidates when the studies take turns asking (workers on one storage)."""
    drawn: list[list[tuple]] = [[] for _ in studies]
    for _ in range(rounds):
        for i, study in enumerate(studies):
            trial = study.ask()
            drawn[i].append(tuple(search.suggest(trial).items()))
            study.tell(trial, 0.5)
    return drawn


def test_workers_on_one_study_draw_different_candidates_and_worker_0_reproduces():
    storage = optuna.storages.InMemoryStorage()

    def worker(number: int, seed: int) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(seed=search.sampler_seed(seed, number))
        return optuna.create_study(
            study_name=f"s{seed}", storage=storage, sampler=sampler, load_if_exists=True
        )

    first, second = draws([worker(0, 7), worker(1, 7)], rounds=4)
    assert len(set(first + second)) == 8  # no candidate drawn twice
    alone = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=7))
    assert draws([alone], rounds=4)[0] == first  # worker 0 is the single-machine search
    seeds = {search.sampler_seed(7, w, f) for w in range(3) for f in range(3)}
    assert search.sampler_seed(7, 0) == 7 and len(seeds) == 9
    # What the seed's derivation fixes: two workers given the study's own seed draw alike.
    twin_a = optuna.create_study(study_name="twins", storage=storage,
                                 sampler=optuna.samplers.TPESampler(seed=7))  # fmt: skip
    twin_b = optuna.create_study(study_name="twins", storage=storage, load_if_exists=True,
                                 sampler=optuna.samplers.TPESampler(seed=7))  # fmt: skip
    same_a, same_b = draws([twin_a, twin_b], rounds=2)
    assert same_a == same_b


def test_a_resumed_worker_draws_past_the_candidates_it_began_with():
    storage = optuna.storages.InMemoryStorage()

    def start(finished: int) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(seed=search.sampler_seed(7, 0, finished))
        return optuna.create_study(
            study_name="r", storage=storage, sampler=sampler, load_if_exists=True
        )

    first = draws([start(0)], rounds=3)[0]  # then the worker stops (its time budget, say)
    resumed = draws([start(3)], rounds=3)[0]
    assert len(set(first + resumed)) == 6
    assert draws([optuna.create_study(sampler=optuna.samplers.TPESampler(seed=7))], 3)[0] == first


def test_open_study_creates_then_loads_the_same_study(storage):
    first = search.open_study("shared")
    first.optimize(lambda trial: trial.suggest_float("a", 0.0, 1.0), n_trials=1)
    again = search.open_study("shared")
    assert again.direction == optuna.study.StudyDirection.MAXIMIZE and len(again.trials) == 1
    with pytest.raises(ValueError, match="attempts=0"):
        search.open_study("shared", attempts=0)


def test_best_trials_fit_a_printed_page():
    trials = pd.DataFrame(
        {
            "state": ["COMPLETE", "PRUNED", "COMPLETE"],
            "value": [0.97, 0.99, 0.98],
            "seconds": [10.0, 5.0, 12.0],
            "filters": [32, 16, 48],
            "kernel_size": [3, 5, 5],
            "dense_units": [128, 64, 256],
            "activation": ["relu", "elu", "gelu"],
            "conv_dropout": [0.1, 0.2, 0.3],
            "dense_dropout": [0.4, 0.5, 0.6],
            "learning_rate": [0.001, 0.002, 0.0005],
            "batch_size": [32, 64, 128],
        },
        index=pd.Index([0, 1, 2], name="number"),
    )
    table = search.best_trials(trials, k=5)
    assert list(table.index) == [2, 0]  # completed only, best first; "state" is not shown
    assert len(table.columns) + 1 <= 8  # with the trial column
    # the second block has twice the filters of the first: the cell names both widths
    assert table.loc[2, "convolutions"] == "48, then 96 of 5×5"
    assert table.loc[2, "dropout"] == "0.30 / 0.60"
    assert table.loc[2, "validation"] == "98.00\u00a0%"


def test_the_table_s_second_width_is_the_candidate_network_s():
    from mnist_pipeline import models

    convs = [
        layer.filters
        for layer in models.build_tunable_cnn(filters=16).layers
        if layer.__class__.__name__ == "Conv2D"
    ]
    assert convs == [16, search.GROWTH * 16]


def test_the_outcome_gives_the_best_trial_the_batch_sizes_and_the_caveat_of_fanova():
    trials = pd.DataFrame(
        {
            "state": ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
            "value": [0.959, 0.22, 0.70, 0.1],
            "batch_size": [32, 128, 128, 64],
            "learning_rate": [0.00126, 0.003, 0.001, 0.002],
            "activation": ["relu", "elu", "gelu", "relu"],
        },
        index=pd.Index([4, 5, 6, 7], name="number"),
    )
    text = search.outcome(trials, {"activation": 0.5, "learning_rate": 0.3}, 4, 2, 10_000)
    assert text.startswith("The best trial, number 4, reached 95.90\u00a0% validation accuracy")
    assert "learning_rate = 0.00126" in text and "batch_size = 32" in text
    # every batch size of the space is named; a pruned trial is not a completed one
    assert (
        "batch 32: 1 completed (median 95.90\u00a0%) and 0 pruned; batch 64: no completed "
        "trial, 1 pruned; batch 128: 2 completed (median 46.00\u00a0%) and 0 pruned" in text
    )
    assert "batch 64: no completed trial, none drawn" in search.outcome(
        trials.drop(index=7), {}, 4, 2, 10_000
    )
    assert "so it is not the batch size's effect" in text  # the confounding, in the sentence
    with_pruned = pd.concat([trials, trials.loc[[5]].assign(state="PRUNED", value=0.1)])
    with_pruned.index = pd.Index([4, 5, 6, 7, 8], name="number")
    assert "batch 128: 2 completed (median 46.00\u00a0%) and 1 pruned" in search.outcome(
        with_pruned, {}, 4, 2, 10_000
    )
    assert "On 3 completed trials, fANOVA ranks activation and learning_rate first" in text
    # the budget, from the arguments, and what the scores are; no cause asserted for them
    assert "budget of 2 epochs on 10,000 training images" in text
    assert "not the accuracy a candidate reaches when fully trained" in text
    assert "how fast" not in text
    assert "budget of 3 epochs on 5,000" in search.outcome(trials, {}, 4, 3, 5_000)
