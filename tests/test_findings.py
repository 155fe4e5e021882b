"""What the evaluation writes: the variables' schema, the model card, the evaluation run."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline import config, tracking
from mnist_pipeline.book import modelcard
from mnist_pipeline.evaluation import findings, record
from mnist_pipeline.models import specs


def runs() -> pd.DataFrame:
    rows = [
        ("pca_svm", "baseline", 0.985, 0, float("nan")),
        ("model_1", "study", 0.981, 5, 0.975),
        ("model_2", "study", 0.990, 10, 0.985),
        ("model_4", "beyond", 0.9935, 10, float("nan")),
    ]
    return pd.DataFrame(
        [
            {
                "model_key": key,
                "group": group,
                "title": specs.get(key).title,
                "architecture": "a",
                "n_parameters": 1234,
                "epochs": epochs,
                "val_accuracy": accuracy,
                "val_ci_low": accuracy - 0.002,
                "val_ci_high": accuracy + 0.002,
                "val_errors": round((1 - accuracy) * 6000),
                "training_seconds": 150.0,
                "study_val_accuracy": study,
                "model_version": str(i + 1),
                "run_id": f"{i:032x}",
            }
            for i, (key, group, accuracy, epochs, study) in enumerate(rows)
        ]
    )


def scores(keys) -> dict:
    return {
        key: {
            "accuracy": 0.99 - i / 100,
            "ci_low": 0.98,
            "ci_high": 0.995,
            "errors": 100 + i,
            "n": 10_000,
        }
        for i, key in enumerate(keys)
    }


def test_report_variables_is_the_schema_the_prose_reads():
    frame = runs()
    champion = frame.set_index("model_key", drop=False).loc["model_4"]
    values = findings.report_variables(
        frame,
        scores(frame["model_key"]),
        champion,
        n_val=6000,
        n_train=54_000,
        objective=0.9,
        extra={"verdicts": {"step_1_2": "model 2 is better"}},
    )
    assert values["pca_svm"]["name"] == "RBF SVM on 50 PCA components"
    assert values["pca_svm"]["epochs"] == "-" and values["model_1"]["epochs"] == 5
    assert values["model_1"]["study_val_accuracy"] == "97.5\u00a0%"
    assert values["champion"]["rule"].startswith("one-standard-error rule")
    # the study's CNNs: model 1 and model 2 (test 0.98 and 0.97 in this made-up run)
    assert values["evaluation"]["study_test_max"] == "98.00\u00a0%"
    assert values["evaluation"]["study_test_min"] == "97.00\u00a0%"
    assert values["evaluation"]["n_train"] == "54,000"
    assert values["verdicts"]["step_1_2"] == "model 2 is better"


def test_robustness_and_mnistc_sections_read_their_tables():
    target = pd.DataFrame(
        {
            "corruption": ["rotation", "noise", "blur", "occlusion", "mean"],
            "model": ["model_4"] * 5,
            "accuracy": [0.97, 0.99, 0.995, 0.79, 0.92],
        }
    )
    section = findings.robustness_section(target, ["model_4"], 2000, ("blur", "occlusion"))
    # Blur and occlusion are not produced by this model 4's augmentation: not in its minimum.
    assert section == {
        "n_images": "2,000",
        "model_4_min": "97.0\u00a0%",
        "model_4_blur": "99.5\u00a0%",
        "model_4_occlusion": "79.0\u00a0%",
    }
    assert (
        findings.robustness_section(target, ["model_4"], 2000, ())["model_4_min"] == "79.0\u00a0%"
    )
    seeded = target.assign(n_seeds=3)  # the suite table's means over seeds: their count kept
    assert findings.robustness_section(seeded, ["model_4"], 2000, ())["model_4_seeds"] == 3
    mnistc = pd.DataFrame(
        {
            "corruption": ["fog", "stripe", "mean"],
            "model": ["model_4"] * 3,
            "accuracy": [0.5, 0.9, 0.7],
            "ci_low": [0.45, 0.88, 0.68],
            "ci_high": [0.55, 0.92, 0.72],
            "n_seeds": [3, 3, 3],
        }
    )
    sections = findings.mnistc_sections(mnistc, ["model_4"], 2000)
    assert sections["mnistc"]["model_4_mean"] == "70.0\u00a0%"
    assert sections["mnistc"]["model_4_mean_ci"] == "68.0 to 72.0\u00a0%"
    assert sections["mnistc"]["model_4_seeds"] == 3
    assert sections["mnistc"]["model_4_worst_name"] == "fog"
    assert sections["mnistc_model_4"] == {
        "fog": "50.0\u00a0%",
        "fog_ci": "45.0 to 55.0\u00a0%",
        "stripe": "90.0\u00a0%",
        "stripe_ci": "88.0 to 92.0\u00a0%",
    }


def test_a_design_is_read_back_from_the_logged_architecture():
    fields = findings.design_fields("robust_cnn_occlusion")
    assert fields["augmented"] == "yes" and "erasing" in fields["augmentation"]
    assert findings.design_fields("robust_cnn_plain")["augmented"] == "no"
    assert findings.design_fields("batchnorm_cnn") == {
        "augmented": "no",
        "augmentation": "none",
        "normalisation": "none",
    }


def card_values(with_seeds: bool) -> dict:
    model = {
        "name": "model 4",
        "parameters": "346,026",
        "epochs": 10,
        "test_accuracy": "99.53\u00a0%",
        "test_ci": "99.38 to 99.65\u00a0%",
        "test_errors": "47",
        "val_accuracy": "99.35\u00a0%",
        "precision_macro": "99.5\u00a0%",
        "recall_macro": "99.5\u00a0%",
        "f1_macro": "99.5\u00a0%",
        "test_looks": 2,
        "ece": "0.17\u00a0%",
        "ece_scaled": "0.18\u00a0%",
        "temperature": "1.01",
        "confident_errors": 2,
        "kind": "Model 4: an augmented, robust CNN",
        "augmented": "yes",
    }
    if with_seeds:
        model |= {"seeds": "42, 43, 44", "test_seeds": "99.50 ± 0.03\u00a0%"}
    return {
        "champion": {
            "key": "model_4",
            "name": "model 4",
            "version": "9",
            "rule": "one-standard-error rule: x",
        },
        "model_4": model,
        "evaluation": {"n_train": "54,000", "n_val": "6,000", "n_test": "10,000"},
        "robustness": {
            "n_images": "2,000",
            "model_4_min": "97.5\u00a0%",
            "model_4_occlusion": "79.0\u00a0%",
        },
        "mnistc": {
            "n_images": "2,000",
            "model_4_mean": "91.0\u00a0%",
            "model_4_worst": "60.0\u00a0%",
            "model_4_worst_name": "fog",
            "model_4_mean_ci": "90.0 to 92.0\u00a0%",
            "model_4_seeds": 3,
        },
        "detector": {
            "threshold": "120.5",
            "val_refused": "1.0\u00a0%",
            "digits_refused": "1.1\u00a0%",
            "uniform_noise_refused": "100.0\u00a0%",
            "gaussian_blobs_refused": "97.0\u00a0%",
            "near_blank_refused": "96.0\u00a0%",
            "natural_patches_refused": "98.0\u00a0%",
            "letters_refused": "40.0\u00a0%",
            "scribbles_refused": "55.0\u00a0%",
            "sparse_noise_refused": "99.0\u00a0%",
            "stripes_refused": "93.0\u00a0%",
            "shapes_refused": "61.0\u00a0%",
            "symbols_refused": "52.0\u00a0%",
            "mnistc_refused_max": "30.0\u00a0%",
            "mnistc_refused_max_name": "fog",
            "mnistc_refused_mean": "12.0\u00a0%",
            "layers": 5,
        },
    }


def test_the_model_card_has_mitchell_s_sections_and_the_values_it_was_given():
    card = modelcard.build(card_values(with_seeds=False))
    assert [line[3:] for line in card.splitlines() if line.startswith("## ")] == list(
        modelcard.SECTIONS
    )
    for value in [
        "99.53\u00a0%",
        "346,026",
        "91.0\u00a0%",
        "fog",
        "79.0\u00a0%",
        "0.17\u00a0%",
        (
            "- 2 specs of this model have met the test set (the ledger in the evaluation chapter "
            "of this project's book counts a spec once, however often it is retrained or "
            "rescored): this one, and 1 earlier, revised spec;"
        ),
        "This version (the seed-42 run): test accuracy 99.53\u00a0%",
        "is not a blind test of this design",
        "two per digit, drawn by a script, none by people",
    ]:
        assert value in card
    assert "One training seed" in card
    assert "refuses 1.1\u00a0% of clean test digits" in card and "40.0\u00a0% of letters" in card
    assert (
        "refuses 12.0\u00a0% of MNIST-C's corrupted digits, given to it as they are (not "
        "prepared as an upload), on average, up to 30.0" in card
    )
    assert "still returns a digit, so a client must read `is_digit`" in card
    assert "over 5 of the model's layers" in card
    assert "the two together refuse" in card and "of each of these four)" in card
    decided = card_values(with_seeds=False)
    decided["decisions"] = {
        "detector_uniform_noise": "meets",
        "detector_gaussian_blobs": "meets",
        "detector_near_blank": "misses",
        "detector_natural_patches": "misses",
    }
    assert (
        "of each of these four; met for uniform noise and gaussian blobs; missed for near blank "
        "and natural patches)" in modelcard.build(decided)
    )
    one = card_values(with_seeds=False)
    one["detector"]["layers"] = 1  # a scikit-learn champion: one set of features, its pixels
    assert "its score is, in one layer of the model's features" in modelcard.build(one)
    assert (
        "Of 4 families added after its design was settled, it and the service's preparation "
        "together refuse 99.0\u00a0% of sparse "
        "noise, 93.0\u00a0% of stripes, 61.0\u00a0% of shapes, 52.0\u00a0% of symbols (the "
        "target: at least 95\u00a0% of sparse noise and of stripes; none for shapes" in card
    )
    assert "**Type:** an augmented, robust CNN, 346,026 parameters, trained for 10 epochs" in card
    assert "Training augmentation" in card
    # the target suite's strengths, from its definitions; its coverage not called 'covers'
    assert "rotation 20 degrees, translation 4 pixels, scaling factor 0.7" in card
    assert "blur sigma 1 pixel, thicker strokes 1 pixel" in card
    assert "occlusion square side 8 pixels" in card and "covers" not in card
    # calibration: the served probabilities are not rescaled; which way the temperature leans
    assert (
        "which are not rescaled" in card and "(1.01; above 1: the model is over-confident)" in card
    )
    assert "but is not applied" in card
    # the Python route has neither the preparation nor the detector
    assert "applies neither the service's preparation of an upload nor" in card
    # letters and scribbles: no reason given as if measured
    assert "an O as a zero; how many is not measured" in card
    # the ablation's verdict, for model 4 when it is recorded
    assert "Against its ablation" not in card
    ablated = card_values(False)
    ablated["verdicts"] = {"augmentation": "Compared with the ablation, model 4 is less accurate."}
    assert (
        "- Against its ablation (the same network trained without its design; a control, never "
        "served). Compared with the ablation, model 4 is less accurate.\n"
        in modelcard.build(ablated)
    )
    ablated["verdicts"]["augmentation_by_resemblance"] = "Against the ablation, it is more."
    assert "is less accurate. Against the ablation, it is more.\n" in modelcard.build(ablated)
    assert card.count("never saw in training") == 1
    # the target-suite target stated and judged; the pixel scale of its strengths given
    assert "(its target: at least 95\u00a0% under each, met)" in card
    assert "pixel values in [0, 1]; 2,000 test images" in card
    missed = card_values(False)
    missed["robustness"] |= {"model_4_min": "94.9\u00a0%", "model_4_seeds": 3}
    assert "(the mean of 3 seeds; its target: at least 95\u00a0% under each, missed)" in (
        modelcard.build(missed)
    )
    # the ablation's accuracy under the champion's worst MNIST-C corruption, when recorded
    assert "lowest 60.0\u00a0% (fog)." in card
    ablation = card_values(False)
    ablation["mnistc_model_4_no_aug"] = {"fog": "88.0\u00a0%"}
    assert (
        "lowest 60.0\u00a0% (fog; its ablation, the same network without its design, scores "
        "88.0\u00a0% there)." in modelcard.build(ablation)
    )
    assert "a float32 array shaped (n, 28, 28, 1)" in card
    with_seeds = modelcard.build(card_values(with_seeds=True))
    assert "99.50 ± 0.03\u00a0%" in with_seeds and "One training seed" not in with_seeds
    values = card_values(False)
    del values["mnistc"]
    with pytest.raises(KeyError, match="mnistc"):
        modelcard.build(values)


def test_the_card_names_the_mnistc_corruptions_that_resemble_the_chosen_augmentation():
    values = card_values(False)
    photometric = findings.design_fields("robust_cnn_photometric")
    values["model_4"] |= photometric
    card = modelcard.build(values)
    mnistc = next(line for line in card.splitlines() if line.startswith("- MNIST-C ("))
    # photometric blurs and relights its training images: MNIST-C's blurs, fog and brightness
    for name in ("glass blur", "motion blur", "brightness", "fog", "rotate", "shot noise"):
        assert name in mnistc.split(": mean")[0], name
    geometric = card_values(False)
    geometric["model_4"] |= findings.design_fields("robust_cnn_geometric")
    line = next(x for x in modelcard.build(geometric).splitlines() if x.startswith("- MNIST-C ("))
    caveat = line.split(": mean")[0]
    assert "rotate" in caveat and "fog" not in caveat and "blur" not in caveat
    plain = card_values(False)
    plain["model_4"] |= findings.design_fields("robust_cnn_plain")
    assert "resemble" not in modelcard.build(plain)


def test_the_card_says_how_close_the_champion_and_its_design_were_chosen():
    values = card_values(False)
    card = modelcard.build(values)
    chosen = next(line for line in card.splitlines() if "Chosen on validation only" in line)
    assert chosen.endswith("the baselines and models 1 to 4.")  # no margin given, none said
    values["champion"]["rule_margin"] = "Model 2 is 0.12 points more accurate on validation."
    chosen = next(
        line for line in modelcard.build(values).splitlines() if "Chosen on validation" in line
    )
    assert chosen.endswith("models 1 to 4. Model 2 is 0.12 points more accurate on validation.")
    assert "widened once, after three candidates had been scored" in modelcard.build(values)
    assert "load_champion()" in modelcard.build(values)  # the pyfunc route needs the store
    values["model_4"] |= findings.design_fields("robust_cnn_photometric")
    training = next(
        line for line in modelcard.build(values).splitlines() if line.startswith("- Training aug")
    )
    assert "best mean over a corrupted validation suite" in training and "one seed" in training
    assert "reproducible" not in card  # no reproduction at the card's package is on record


def test_the_card_states_model_4_s_target_verdicts_under_its_limitations():
    values = card_values(False)
    assert "Its targets" not in modelcard.build(values)  # no verdicts given, no bullet
    assert "seed(s)" not in modelcard.build(values)  # the count's noun agrees with it
    values["verdicts"] = {
        "accuracy_target": "Model 4 misses the target of 99.5\u00a0% on clean test digits.",
        "mnistc_floor": "Model 4 misses the target of 75\u00a0% under each corruption.",
    }
    card = modelcard.build(values)
    limits = card.split("## Limitations")[1].split("## ")[0]
    assert "- Its targets: Model 4 misses the target of 99.5" in limits
    assert "under each corruption." in limits


def test_the_card_is_written_beside_the_variables_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_VARIABLES_FILE", str(tmp_path / "_variables.yml"))
    path = record.write_card("## Model details\n")
    assert path == str(tmp_path / "report" / "_model-card.md") == str(config.model_card_path())
    assert (tmp_path / "report" / "_model-card.md").read_text() == "## Model details\n"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_evaluation_run_links_the_runs_logs_the_rule_and_describes_the_version(
    mlflow_store, tiny_model_version
):
    version, run_id = tiny_model_version
    frame = pd.DataFrame([{"model_key": "model_1", "run_id": run_id}])
    result = SimpleNamespace(
        runs=frame,
        champion=pd.Series({"model_key": "model_1", "model_version": version}),
        test={"model_1": {"accuracy": 0.5, "errors": 10}},
        comparison=pd.DataFrame({"a": [1]}),
        spread=pd.DataFrame(),
        mcnemar=pd.DataFrame(),
        calibration=pd.DataFrame(),
        target=pd.DataFrame(),
        mnistc=pd.DataFrame(),
        curves=pd.DataFrame(
            {
                "corruption": ["noise"],
                "strength": [0.1],
                "unit": ["sigma"],
                "accuracy": [0.9],
                "model": ["model_1"],
            }
        ),
        labels=np.zeros(200, dtype=np.uint8),  # the sampled images the curves were scored on
    )
    eval_id = record.log(result, {"test_look_model_1": "abc"}, "## Model details\n", mlflow_store)
    run = tracking.client().get_run(eval_id)
    assert run.data.params["training_run_model_1"] == run_id
    assert run.data.params["champion_rule"].startswith("one-standard-error rule")
    assert run.data.params["test_look_model_1"] == "abc"
    assert run.data.metrics["test_accuracy_model_1"] == 0.5
    registered = tracking.client().get_model_version(config.registered_model(), version)
    assert registered.description == "## Model details\n"


@pytest.fixture
def tiny_model_version(mlflow_store):
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).random((20, 28, 28, 1)).astype(np.float32)
    model = LogisticRegression(max_iter=20).fit(x.reshape(20, -1), np.arange(20) % 10)
    with tracking.start_run(
        "model_1", {"model_key": "model_1", "kind": "training"}, mlflow_store
    ) as run:
        version = tracking.log_model(model, x[:2], "model_1")
    return version, run.info.run_id


def test_only_model_4_has_corruptions_it_never_saw():
    target = pd.DataFrame(
        {
            "corruption": ["rotation", "blur", "mean"] * 2,
            "model": ["model_4"] * 3 + ["model_2"] * 3,
            "accuracy": [0.97, 0.80, 0.9, 0.95, 0.70, 0.8],
        }
    )
    section = findings.robustness_section(target, ["model_4", "model_2"], 100, ("blur",))
    assert section["model_4_min"] == "97.0\u00a0%" and section["model_4_blur"] == "80.0\u00a0%"
    assert section["model_2_min"] == "70.0\u00a0%" and "model_2_blur" not in section
    everything = findings.robustness_section(target, ["model_4"], 100, ("rotation", "blur"))
    assert everything["model_4_min"] == "80.0\u00a0%"  # no augmentation: the lowest of all


def test_the_mnistc_verdict_says_how_many_corruptions_resemble_the_augmentation():
    from mnist_pipeline.book import design_words

    names = ["rotate", "fog", "glass_blur", "stripe", "canny_edges", "mean"]
    mnistc = pd.DataFrame({"corruption": names, "model": "model_4", "accuracy": 0.9})
    said = findings.mnistc_resemblance("robust_cnn_photometric", mnistc)
    assert said.startswith(" Of MNIST-C's 5 corruptions, 3 resemble") and "not a blind test" in said
    assert "@" not in said  # it travels into the model card, where a cross-reference dangles
    geometric = findings.mnistc_resemblance("robust_cnn_geometric", mnistc)
    assert geometric.startswith(" Of MNIST-C's 5 corruptions, 1 resembles")  # rotate only
    assert design_words.resembling("plain") == ()
    assert findings.mnistc_resemblance("robust_cnn_plain", mnistc) == ""
    assert findings.mnistc_resemblance("something_else", mnistc) == ""
    # read inside the evaluation chapter, it points at the split's table, not at the chapter
    here = findings.mnistc_resemblance("robust_cnn_photometric", mnistc, where="@tbl-split, below,")
    assert "; @tbl-split, below, also gives it split" in here and "evaluation chapter" not in here


def test_timing_noise_is_the_factor_between_two_identical_networks_per_time_column():
    table = pd.DataFrame(
        {
            "model": ["model 1", "model 4", "the ablation"],
            "parameters": ["693,962", "82,522", "82,522"],
            "1 image (ms)": ["7.34", "24.2", "34.7"],
            "1,000 images (ms)": ["229", "319", "314"],
        }
    ).set_index("model")
    said = findings.timing_noise(table)
    assert said.startswith("Model 4 and the ablation, the same network at inference, differ by")
    assert "a factor of 1.43 for 1 image and 1.02 for 1,000 images in this run" in said
    slower_first = table.rename(index={"model 4": "x", "the ablation": "model 4"})
    slower_first = slower_first.rename(index={"x": "the ablation"})
    assert "1.43 for 1 image" in findings.timing_noise(slower_first)  # the factor is >= 1
    with pytest.raises(KeyError):
        findings.timing_noise(table.drop(index="the ablation"))


def test_the_mnistc_split_table_has_a_row_per_group_and_a_column_per_model():
    groups = pd.DataFrame(
        {
            "group": ["like", "unlike", "like", "unlike"],
            "n_corruptions": [9, 6, 9, 6],
            "model": ["model_4", "model_4", "model_4_no_aug", "model_4_no_aug"],
            "accuracy": [0.973, 0.880, 0.712, 0.899],
        }
    )
    result = SimpleNamespace(mnistc_groups=groups)
    table = findings.mnistc_split_table(result, ["model_4", "model_4_no_aug", "model_1"])
    assert list(table.index) == [
        "like model 4's augmentation (9)",
        "unlike model 4's augmentation (6)",
    ]
    assert list(table.columns) == [specs.label("model_4"), specs.label("model_4_no_aug")]
    assert table.iloc[0, 0] == pytest.approx(97.3)
    assert findings.resemblance_verdict(SimpleNamespace(ablation_groups={})) == ""
    # no corruption resembles the augmentation: one group, named as all, and no verdict
    alone = groups[groups["group"] == "unlike"].assign(n_corruptions=15)
    table = findings.mnistc_split_table(SimpleNamespace(mnistc_groups=alone), ["model_4"])
    assert list(table.index) == ["all (none like model 4's augmentation) (15)"]
    only = SimpleNamespace(ablation_groups={"unlike": {}})
    assert findings.resemblance_verdict(only) == ""
