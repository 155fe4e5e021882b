"""The champion's model card, in the sections of Mitchell et al. (2019), "Model Cards for Model
Reporting", built from the same values as ``_variables.yml`` (:func:`findings.report_variables`).

The evaluation chapter writes it as the registered version's description (the MLflow UI shows
it there), as an artifact of the evaluation run, and for the book's appendix; the service
serves it at ``GET /model-card``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mnist_pipeline import config
from mnist_pipeline.book import design_words
from mnist_pipeline.book.narrate import and_list
from mnist_pipeline.book.tolerances import percent
from mnist_pipeline.corruptions import target as target_suite
from mnist_pipeline.data import nondigits
from mnist_pipeline.models.augment import TARGET_COVERAGE

SECTIONS = (
    "Model details",
    "Intended use",
    "Training and evaluation data",
    "Metrics",
    "Robustness",
    "Calibration",
    "Limitations",
    "How to call it",
)


def _held_out(det: Mapping) -> str:
    """The detector's refusals of the families added after its design was settled, or ``""``."""
    named = [name for name in nondigits.HELD_OUT if f"{name}_refused" in det]
    if not named:
        return ""
    listed = ", ".join(f"{det[f'{name}_refused']} of {name.replace('_', ' ')}" for name in named)
    return (
        f" Of {len(named)} families added after its design was settled, it and the service's "
        f"preparation together refuse {listed} "
        "(the target: at least 95\u00a0% of sparse noise and of stripes; none for shapes and "
        "symbols)."
    )


# The detector's families with a refusal target, among those its design was settled on.
_TARGETED = ("uniform_noise", "gaussian_blobs", "near_blank", "natural_patches")


def times(n: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _looks(n: int) -> str:
    """What the ledger says of the champion's spec and its earlier, revised specs."""
    if n <= 1:
        return (
            "- This spec is the only one of this model to have met the test set (the ledger in "
            "the evaluation chapter of this project's book)."
        )
    return (
        f"- {n} specs of this model have met the test set (the ledger in the evaluation chapter "
        "of this project's book counts a spec once, however often it is retrained or "
        f"rescored): this one, and {n - 1} earlier, revised spec{'' if n == 2 else 's'}; the "
        "chapter's table of earlier looks lists what each scored, earlier results of this spec "
        "included."
    )


def _verdicts(decisions: Mapping[str, object], names: Sequence[str]) -> str:
    """``"; met for uniform noise and gaussian blobs; missed for near blank"``: the detector's
    target decisions for ``names``, from the ``decisions`` of the values; ``""`` when none is
    recorded."""

    said: dict[str, list[str]] = {"meets": [], "misses": []}
    for name in names:
        decision = decisions.get(f"detector_{name}")
        if decision in said:
            said[str(decision)].append(name.replace("_", " "))
    words = {"meets": "met", "misses": "missed"}
    return "".join(f"; {words[d]} for {and_list(found)}" for d, found in said.items() if found)


def _strength(corruption: target_suite.Corruption) -> str:
    """``rotation 20 degrees``, ``noise sigma 0.3``: a target-suite corruption at the strength
    its target is set at."""
    unit, value = corruption.unit, f"{corruption.target:g}"
    pixels = "pixel" if value == "1" else "pixels"
    if unit.startswith("sigma"):
        said = f"sigma {value}" + (f" {pixels}" if "pixels" in unit else "")
    elif unit == "factor":
        said = f"factor {value}"
    elif unit.endswith("(pixels)"):
        said = f"{unit.split(' (')[0]} {value} {pixels}"
    else:
        said = f"{value} {pixels if unit == 'pixels' else unit}"
    return f"{corruption.name} {said}"


def _suite_target(lowest: object, seeds: object) -> str:
    """`` (the mean of 3 seeds; its target: at least 95 % under each, met)``: the target-suite
    target (:data:`config.ROBUSTNESS_TARGET`) judged on ``lowest``, a share as
    ``_variables.yml`` prints it (``96.1 %``), over ``seeds`` seeds (``None``: not recorded)."""
    share = percent(str(lowest))
    goal = 100 * config.ROBUSTNESS_TARGET
    over = f"the mean of {_seeds(seeds)}; " if seeds is not None else ""
    met = "met" if share >= goal else "missed"
    return f" ({over}its target: at least {goal:g}\xa0% under each, {met})"


def _calibration(model: Mapping[str, object]) -> str:
    """The served probabilities' calibration error, and what a temperature would do (it is
    fitted, never applied)."""
    temperature = float(str(model["temperature"]))
    leaning = (
        "; below 1: the model is under-confident"
        if temperature < 1
        else "; above 1: the model is over-confident"
        if temperature > 1
        else ""
    )
    return (
        f"- Expected calibration error on test {model['ece']} (15 bins), for the probabilities "
        f"it serves, which are not rescaled; a temperature fitted on validation "
        f"({model['temperature']}{leaning}) would bring it to {model['ece_scaled']}, but is not "
        "applied."
    )


def _against_ablation(values: Mapping[str, Mapping[str, object]], key: str) -> str:
    """What model 4's design costs and buys against its ablation, as a bullet (the verdicts the
    evaluation generated, overall and split by resemblance), when the champion is model 4;
    ``""`` otherwise."""
    said = values.get("verdicts", {})
    if key != "model_4" or "augmentation" not in said:
        return ""
    split = said.get("augmentation_by_resemblance")
    return (
        "- Against its ablation (the same network trained without its design; a control, never "
        f"served). {said['augmentation']}"
        + (f" {split}" if split else "")  # it names both groups of MNIST-C's corruptions
        + "\n"
    )


def _ablation_under_worst(values: Mapping[str, Mapping[str, object]], key: str) -> str:
    """``; the ablation scores 86.2 % there``: the ablation's accuracy under the champion's worst
    MNIST-C corruption, when the champion is model 4 and both are recorded; ``""`` otherwise."""
    worst = str(values["mnistc"][f"{key}_worst_name"]).replace(" ", "_")
    theirs = values.get(f"mnistc_{key}_no_aug", {}).get(worst)
    if theirs is None:  # only model 4 has an ablation (``mnistc_model_4_no_aug``)
        return ""
    return f"; its ablation, the same network without its design, scores {theirs} there"


def _seeds(count: object) -> str:
    """``1 seed``, ``3 seeds``: the count as ``_variables.yml`` holds it, with its noun."""
    return f"{count} seed{'' if str(count) == '1' else 's'}"


def _targets(values: Mapping[str, Mapping[str, object]], key: str) -> str:
    """Model 4's target verdicts (``verdicts`` of the values), as a bullet, when the champion is
    model 4: a card reader looks under its limitations for what it misses. ``""`` otherwise."""
    said = values.get("verdicts", {})
    names = ("accuracy_target", "mnistc_target", "mnistc_floor")
    if key != "model_4" or not any(name in said for name in names):
        return ""
    return "- Its targets: " + " ".join(str(said[n]) for n in names if n in said) + "\n"


def _resembling(model: Mapping[str, object]) -> str:
    """Which MNIST-C corruptions resemble the chosen design's augmentation, from its layers
    (the ``augmentation`` value, :func:`design_words.resemblance`): ``""`` when none does."""
    if model["augmented"] != "yes":
        return ""
    found = design_words.resemblance(str(model.get("augmentation", "")).split(", "))
    return f" (but {found}: under those, MNIST-C is not wholly held out)" if found else ""


def build(values: Mapping[str, Mapping[str, object]]) -> str:
    """The card as Markdown, from the report's values.

    Args:
        values: the sections of ``_variables.yml``: ``champion``, ``evaluation``, the
            champion's own section (key ``champion.key``), ``robustness``, ``mnistc`` and
            ``detector``.

    Raises:
        KeyError: naming the value that is missing.
    """
    champ = values["champion"]
    model = values[str(champ["key"])]
    ev, robust, mnistc = values["evaluation"], values["robustness"], values["mnistc"]
    det = values["detector"]
    key = str(champ["key"])
    unseen = [name for name in TARGET_COVERAGE if f"{key}_{name}" in robust]
    body = {
        "Model details": (
            f"- **Name:** {champ['name']}, version {champ['version']} of the registered model "
            f"`{config.registered_model()}` (alias `{config.CHAMPION_ALIAS}`).\n"
            f"- **Type:** {model['kind'].split(': ', 1)[-1]}, {model['parameters']} parameters"
            + (f", trained for {model['epochs']} epochs.\n" if model["epochs"] != "-" else ".\n")
            + f"- **Chosen on validation only**, by the {champ['rule']}. The candidates are "
            "every trained model but the ablation: the baselines and models 1 to 4."
            + (f" {champ['rule_margin']}" if champ.get("rule_margin") else "")
        ),
        "Intended use": (
            "- Reading one handwritten digit, 0 to 9, centred on a plain background, as MNIST "
            "digits are: a teaching and reference example of a study built to be re-executed "
            "from its code (fixed seeds, a lock file, outputs committed with their provenance).\n"
            "- **Not a digit:** a detector logged with the model (its score is"
            + (
                f" the largest, over {det['layers']} of the model's layers, of "
                if int(det["layers"]) > 1
                else ", in one layer of the model's features (for a scikit-learn model, its "
                "pixels averaged over 4 x 4 blocks), "
            )
            + "an image's squared Mahalanobis distance to "
            "the nearest digit class divided by its median on validation digits; threshold "
            f"{det['threshold']}, set to refuse {det['val_refused']} of validation "
            f"digits) refuses {det['digits_refused']} of clean test digits; with the service's "
            "preparation, which refuses some images itself, the two together refuse "
            + ", ".join(
                f"{det[f'{name}_refused']} of {name.replace('_', ' ')}" for name in _TARGETED
            )
            + " (the target: at least 95\u00a0% of each of these four"
            + _verdicts(values.get("decisions", {}), _TARGETED)
            + ")"
            + f"; and {det['letters_refused']} of letters and {det['scribbles_refused']} of "
            "scribbles, which have no target (some are drawn as digits are, an O as a zero; how "
            "many is not measured)."
            + _held_out(det)
            + " The service flags what the detector refuses (`is_digit: false`) and still returns "
            "a digit, so a client must read `is_digit`; only the preparation's refusals are "
            "errors (HTTP 422).\n"
            "- **Corrupted digits:** the detector is fitted on clean digits and refuses "
            f"{det['mnistc_refused_mean']} of MNIST-C's corrupted digits, given to it as they are "
            "(not prepared as an upload), on average, up to "
            f"{det['mnistc_refused_max']} under {det['mnistc_refused_max_name']}; the robustness "
            "figures below are the classifier's answers whatever the detector says.\n"
            "- **Not fit for:** decisions about people, or handwriting unlike MNIST's without a "
            "new evaluation."
        ),
        "Training and evaluation data": (
            f"- MNIST: {ev['n_train']} training images and {ev['n_val']} held out for "
            f"validation (fixed, seeded split), {ev['n_test']} test images.\n"
            + (
                f"- Training augmentation of the design chosen on validation "
                f"(`{model.get('design', '-')}`): {model.get('augmentation', '-')}, applied on the "
                f"fly; in-model normalisation: {model.get('normalisation', 'none')}. Of the "
                "candidate designs within a margin of the best clean validation accuracy (a "
                "margin widened once, after three candidates had been scored), it had "
                "the best mean over a corrupted validation suite, each candidate trained once, on "
                "one seed, with a short budget, so close candidates could rank otherwise (the "
                "chapter on this model gives how close the choice was). None of "
                "MNIST-C's corruption functions is used in training or in the choice of design, "
                "but the candidate designs were written after earlier versions of this model had "
                "been scored on MNIST-C (fog, stripe and brightness had defeated them), so MNIST-C "
                "is not a blind test of this design."
                if model["augmented"] == "yes"
                else "- No augmentation: the model trained on MNIST's images as they are."
            )
        ),
        "Metrics": (
            f"- This version (the seed-{config.SEED} run): test accuracy {model['test_accuracy']} (95 % Wilson interval "
            f"{model['test_ci']}), {model['test_errors']} errors; validation "
            f"{model['val_accuracy']}.\n"
            f"- Macro-averaged precision {model['precision_macro']}, recall "
            f"{model['recall_macro']}, F1 {model['f1_macro']} on the test set.\n"
            + (
                f"- Over seeds {model['seeds']}: test accuracy {model['test_seeds']}, the mean "
                "and the standard deviation (SD, in points) between seeds.\n"
                if "test_seeds" in model
                else "- One training seed (42).\n"
            )
            + _looks(int(model["test_looks"]))
        ),
        "Robustness": (
            "- The target suite (the project's corruptions at the strengths its targets are set "
            "at: "
            + ", ".join(_strength(c) for c in target_suite.CORRUPTIONS.values())
            + f"; pixel values in [0, 1]; {robust['n_images']} test images): at least "
            + f"{robust[f'{key}_min']} under "
            + (
                "the corruptions whose kind its augmentation produces (beyond its training "
                "ranges for some, within them for others)"
                + _suite_target(robust[f"{key}_min"], robust.get(f"{key}_seeds"))
                if model["augmented"] == "yes"
                else "each of its corruptions (the model trained on no augmentation)"
            )
            + (
                "; under what it never saw in training, "
                + ", ".join(f"{robust[f'{key}_{name}']} under {name}" for name in unseen)
                if unseen
                else ""
            )
            + ".\n"
            f"- MNIST-C ({mnistc['n_images']} test images), 15 corruptions re-implemented from "
            "the paper, none of them used in training"
            + _resembling(model)
            + f": mean {mnistc[f'{key}_mean']} (95 % interval {mnistc[f'{key}_mean_ci']}, "
            f"over {_seeds(mnistc[f'{key}_seeds'])}, images and seeds resampled), lowest "
            f"{mnistc[f'{key}_worst']} ({mnistc[f'{key}_worst_name']}"
            + _ablation_under_worst(values, key)
            + ")."
        ),
        "Calibration": _calibration(model),
        "Limitations": (
            _targets(values, key)
            + _against_ablation(values, key)
            + f"- {model['confident_errors']} of its {model['test_errors']} test errors are made "
            "with a confidence of 99 % or more.\n"
            + (
                ""
                if "test_seeds" in model
                else "- Trained on one seed: the spread over seeds is measured for the study's "
                "CNNs, not for it.\n"
            )
            + "- Accuracy on digits from outside MNIST is measured only on the project's own "
            "drawings (two per digit, drawn by a script, none by people): an anecdote, not an "
            "estimate."
        ),
        "How to call it": (
            "- The service: `make serve`, then `curl -F file=@digit.png "
            "http://127.0.0.1:8000/predict`, or draw on the page at http://127.0.0.1:8000.\n"
            f'- Python: `mlflow.pyfunc.load_model("models:/{config.registered_model()}@'
            f"{config.CHAMPION_ALIAS}\")` with `MLFLOW_TRACKING_URI` set to the project's store "
            "(`mnist_pipeline.tracking.load_champion()` finds it from anywhere), on "
            "a float32 array shaped (n, 28, 28, 1) in [0, 1] "
            "(MLflow refuses float64), white ink on "
            "black; the output is ten probabilities per image. This route applies neither the "
            'service\'s preparation of an upload nor the "not a digit" detector (`detector.json`, '
            "an artifact of the version's run, which the service loads beside the model)."
        ),
    }
    return "\n\n".join(f"## {name}\n\n{body[name]}" for name in SECTIONS) + "\n"
