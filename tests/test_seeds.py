"""The spread over seeds: mean and standard deviation, paired differences, runs read back."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mnist_pipeline import config, tracking
from mnist_pipeline.book import narrate
from mnist_pipeline.evaluation import seeds
from mnist_pipeline.models import specs


def per_seed() -> pd.DataFrame:
    rows = [
        ("model_1", 42, 0.981, 0.980),
        ("model_1", 43, 0.979, 0.978),
        ("model_1", 44, 0.980, 0.982),
        ("model_2", 42, 0.990, 0.991),
        ("model_2", 43, 0.989, 0.990),
        ("model_2", 44, 0.991, 0.992),
    ]
    return pd.DataFrame(rows, columns=["model_key", "seed", "val_accuracy", "test_accuracy"])


def test_table_gives_mean_and_sample_standard_deviation_per_model():
    table = seeds.table(per_seed())
    assert table.loc["model_1", "seeds"] == "42, 43, 44"
    assert table.loc["model_1", "test_mean"] == pytest.approx(0.98)
    assert table.loc["model_1", "test_sd"] == pytest.approx(0.002)  # sd of .980 .978 .982
    assert table.loc["model_2", "val"] == "99.00\u00a0% (SD 0.10)"  # "±" is kept for intervals


def test_differences_are_paired_by_seed_with_a_t_interval():
    diffs = seeds.differences(per_seed(), [("model_1", "model_2")]).iloc[0]
    # b - a per seed: 0.011, 0.012, 0.010 -> mean 0.011, sd 0.001, t(0.975, 2) = 4.303
    assert diffs["n_seeds"] == 3 and diffs["mean"] == pytest.approx(0.011)
    half = 4.302653 * 0.001 / math.sqrt(3)
    assert diffs["ci_low"] == pytest.approx(0.011 - half) and diffs["ci_high"] == pytest.approx(
        0.011 + half
    )


def test_one_seed_has_no_spread_and_says_so_without_a_nan():
    one = per_seed().query("seed == 42")
    assert math.isnan(seeds.differences(one, [("model_1", "model_2")]).iloc[0]["ci_low"])
    table = seeds.table(one)
    assert math.isnan(table.loc["model_1", "test_sd"])  # the raw number: not measured
    assert table.loc["model_1", "test_mean"] == pytest.approx(0.980)
    for split in ("val", "test"):  # the reader's strings: the mean, and no spread
        text = table.loc["model_1", split]
        assert "nan" not in text.lower() and "±" not in text
        assert text.startswith(f"{100 * table.loc['model_1', f'{split}_mean']:.2f}")


def test_describe_names_the_seeds_and_the_standard_deviation():
    text = seeds.describe("model 1", {43: 0.979, 42: 0.981, 44: 0.980})
    assert text.startswith("Over seeds 42, 43, 44, model 1 reaches 98.10, 97.90, 98.00")
    assert "standard deviation of 0.10 points" in text
    alone = seeds.describe("A dense network (MLP)", {42: 0.98})
    assert alone.startswith("On seed 42 alone, a dense network (MLP) reaches 98.00")
    assert "nan" not in alone and "not measured" in alone


def test_describe_says_a_candidate_is_judged_on_seed_42_and_a_control_is_never_a_candidate():
    spread = {43: 0.979, 42: 0.981, 44: 0.980}
    candidate = seeds.describe("model 1", spread)  # a study CNN: its seed-42 run is judged
    assert "choice of champion" in candidate and f"seed-{config.SEED} columns" in candidate
    assert "reproduction verdicts and the robustness tables use every seed" in candidate
    # a step verdict weighs McNemar's test on seed 42 with the difference over seeds: both
    assert "the step verdicts use both (McNemar's test on the seed-42 runs" in candidate
    model_4 = seeds.describe("model 4", spread, group="beyond")
    assert "the comparison with its ablation" in model_4 and "model 4's targets" in model_4
    assert "the step verdict from model 3 uses both" in model_4
    mlp = seeds.describe("a dense network (MLP)", spread, group="baseline")
    assert "its reproduction verdict" in mlp
    # only the best baseline enters the plots, McNemar's tests and the robustness table
    assert "If it is the baseline most accurate on validation" in mlp  # not known yet
    assert f"use the seed-{config.SEED} run" in mlp and "that run" not in mlp
    best = seeds.describe("a dense network (MLP)", spread, group="baseline", best_baseline="mlp")
    assert "It is the baseline most accurate on validation, so the plots" in best
    assert "target-suite robustness table every seed" in best and "If it is" not in best
    other = seeds.describe(
        "a dense network (MLP)", spread, group="baseline", best_baseline="pca_svm"
    )
    assert (
        f"not the baseline most accurate on validation ({narrate.lower_first(specs.label('pca_svm'))} is)"
        in other
    )
    assert "enters neither the plots" in other and "If it is" not in other
    # the ablation is a control: compared with model 4, never a candidate for champion
    for control in (
        seeds.describe(specs.label("model_4_no_aug"), spread),  # its group, from its label
        seeds.describe("a variant", spread, group="ablation"),
        seeds.describe(specs.label("model_4_no_aug"), {42: 0.98}),  # one seed: said as well
    ):
        assert "control" in control and "never a candidate for champion" in control
        assert "choice of champion use" not in control and "model 4" in control
    named = seeds.describe("model 1", spread, group="ablation")
    assert "never a candidate" in named  # an explicit group overrides the name


def test_runs_reads_the_newest_run_of_each_model_and_seed(mlflow_store):
    for seed, kind, accuracy in [
        (42, "training", 0.97),
        (43, seeds.KIND, 0.96),
        (43, seeds.KIND, 0.95),
        (7, "search", 0.5),
    ]:
        with tracking.start_run("model_1", {"model_key": "model_1", "kind": kind}, mlflow_store):
            tracking.log_params({"seed": seed})
            tracking.log_metrics({"val_accuracy_final": accuracy})
    found = seeds.runs(mlflow_store)
    assert found[["seed", "val_accuracy"]].values.tolist() == [[42, 0.97], [43, 0.95]]


@pytest.mark.slow  # trains and logs three models: a minute on a busy machine
def test_repeat_trains_the_first_runs_spec_on_the_other_seeds_as_seed_runs(mlflow_store):
    from mnist_pipeline.data import prepare
    from mnist_pipeline.models import specs
    from mnist_pipeline.study import experiment
    from tests.helpers import make_tiny_mnist

    splits = prepare.make_splits(make_tiny_mnist(n_train=200, n_test=20), n_val=50, seed=0)
    spec = specs.get("logistic")
    first = experiment.run(spec, splits, seed=42, experiment=mlflow_store, log_model=False)
    found = seeds.repeat(first, splits, [42, 43, 44], experiment=mlflow_store)
    assert list(found) == [42, 43, 44]
    assert found[42] == first.val["accuracy"]  # the study's run is not trained again
    kinds = tracking.search_runs(mlflow_store)["tags.kind"].tolist()
    assert sorted(kinds) == ["seed", "seed", "training"]
    back = seeds.runs(mlflow_store)
    assert back["seed"].tolist() == [42, 43, 44] and set(back["model_key"]) == {"logistic"}
    assert dict(zip(back["seed"], back["val_accuracy"], strict=True)) == pytest.approx(found)
    assert seeds.repeat(first, splits, [42], experiment=mlflow_store) == {42: found[42]}
