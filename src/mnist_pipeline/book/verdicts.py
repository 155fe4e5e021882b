"""Sentences that compare models, each generated from the statistics that decide it.

A comparison in the book ("model 3 is no better than model 2") is one of these, so a rerun that
changes the statistics changes the words. Each takes the numbers it states and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from mnist_pipeline.book import design_words
from mnist_pipeline.book.narrate import flips_p, p_clause, pct
from mnist_pipeline.metrics.clustered import N_RESAMPLES
from mnist_pipeline.models import specs
from mnist_pipeline.models.designs import design_named

ALPHA = 0.05


def points(fraction: float, digits: int = 2) -> str:
    """A difference of two accuracies in percentage points: ``0.0012`` -> ``"0.12 points"``."""
    return f"{100 * fraction:.{digits}f}\u00a0points"


def _seed_clause(diff: Mapping[str, float]) -> tuple[str, int]:
    """What the seeds say about b - a, and its sign: +1 b better, -1 worse, 0 undecided."""
    n, mean = int(diff["n_seeds"]), diff["mean"]
    if n < 2 or math.isnan(diff["ci_low"]):
        return f"one seed only, a difference in test accuracy of {points(mean)}", 0
    span = f"{100 * diff['ci_low']:.2f} to {points(diff['ci_high'])}"
    if diff["ci_low"] > 0:
        sign = 1
    elif diff["ci_high"] < 0:
        sign = -1
    else:
        sign = 0
    said = (
        f"over {n} seeds a mean difference in test accuracy of {points(mean)} (paired by seed; "
        f"95 % t interval {span}, on the same test images)"
    )
    return said, sign


def step_code(mcnemar: Mapping[str, float], diff: Mapping[str, float]) -> str:
    """What the statistics decided about a step: ``better``, ``worse``, ``undecided`` (neither
    McNemar nor the seeds tell the two apart) or ``mixed`` (they disagree).

    With one seed, McNemar alone decides. The code is what a reproduction must reach again
    (:mod:`mnist_pipeline.book.conclusions`); :func:`step` says it in words.
    """
    _, seed_sign = _seed_clause(diff)
    tested = mcnemar["p_value"] < ALPHA
    mc_sign = 0 if not tested else (1 if mcnemar["b_only"] > mcnemar["a_only"] else -1)
    if int(diff["n_seeds"]) < 2:
        seed_sign = mc_sign
    if mc_sign == seed_sign:
        return {1: "better", -1: "worse", 0: "undecided"}[mc_sign]
    return "mixed"


def step(first: str, second: str, mcnemar: Mapping[str, float], diff: Mapping[str, float]) -> str:
    """Whether ``second`` improves on ``first``: McNemar on one seed and the spread over seeds.

    Args:
        first, second: the models' names for readers.
        mcnemar: ``a_only``, ``b_only``, ``p_value`` on the test set (seed 42).
        diff: :func:`mnist_pipeline.evaluation.seed_differences` row for (first, second).
    """
    seeds, _ = _seed_clause(diff)
    evidence = f"McNemar p {p_clause(mcnemar['p_value'])} on the test set, seed 42 only; {seeds}"
    lead = second[:1].upper() + second[1:]  # the verdict opens a sentence
    code = step_code(mcnemar, diff)
    if code == "better":
        return f"{lead} is better than {first}: {evidence}."
    if code == "worse":
        return f"{lead} is worse than {first}: {evidence}."
    if code == "undecided":
        return f"{lead} is no better than {first} on this evidence: {evidence}."
    return f"The evidence on {second} against {first} is mixed: {evidence}."


def augmentation(
    with_aug: str, without: str, paired: Mapping[str, Mapping[str, float]], design: str = ""
) -> str:
    """What the robustness methods buy: on clean digits and on each suite, paired by image.

    Args:
        with_aug, without: the two models' names.
        paired: where (``"clean test digits"``, a suite's name) to the comparison of the model
            without (A) against the model with (B): :func:`metrics.clustered.paired_comparison`
            over every seed of each.
        design: the model's design, whose parts are named (:func:`design_words.parts`), or ``""``.
    """
    parts = [
        _paired(f"on {where}", result, digits=2 if where.startswith("clean") else 1)
        for where, result in paired.items()
    ]
    n_seeds = min(int(result["n_seeds"]) for result in paired.values())
    seeds = "one seed each" if n_seeds == 1 else f"{n_seeds} seeds each"
    adds = f", whose {design} design adds {design_words.parts(design)}," if design else ""
    return (
        f"Compared with {without}, the same network trained on MNIST's images as they are, "
        f"{with_aug}{adds} is {'; it is '.join(parts)}. Over {seeds}, paired by image: "
        "each image counts once, scored by the share of its copies read right; the intervals "
        "resample images and each model's seeds, and a verdict needs both the sign-flip test "
        "and the interval; with so few seeds, the seed level of the resampling is crude."
    )


def paired_code(result: Mapping[str, float]) -> str:
    """``more``, ``less`` (accurate, the second model against the first) or ``undecided``.

    Decided only when the test rejects (p below :data:`ALPHA`) and, where the result carries a
    bootstrap interval of the difference (which resamples seeds too), the interval excludes 0.
    """
    if result["p_value"] >= ALPHA:
        return "undecided"
    if "ci_low" in result and result["ci_low"] <= 0 <= result["ci_high"]:
        return "undecided"
    return "more" if result["acc_b"] > result["acc_a"] else "less"


def _signed(fraction: float, digits: int) -> str:
    return f"{'+' if fraction >= 0 else '-'}{100 * abs(fraction):.{digits}f}"


def _paired(where: str, result: Mapping[str, float], digits: int = 1) -> str:
    gain = result["acc_b"] - result["acc_a"]
    code = paired_code(result)
    undecided = code == "undecided"
    verdict = f"no different {where} on this evidence" if undecided else f"{code} accurate {where}"
    return (
        f"{verdict} ({pct(result['acc_b'], digits)} against {pct(result['acc_a'], digits)}, "
        f"{_signed(gain, digits)} points, 95 % interval {_signed(result['ci_low'], digits)} to "
        f"{_signed(result['ci_high'], digits)}, sign-flip p {flips_p(result['p_value'], N_RESAMPLES)})"
    )


def target_met(name: str, check: Mapping, what: str, n_seeds: int) -> str:
    """Whether a model meets a target, from the value over seeds and its 95 % interval.

    Args:
        name: the model's name, opening the sentence.
        check: ``value``, ``ci_low``, ``ci_high``, ``goal``, ``code``, ``straddles``
            (:func:`mnist_pipeline.evaluation.core.target_check`).
        what: where the target is measured ("on clean test digits").
        n_seeds: how many seeds the value averages.
    """
    goal, value = check["goal"], check["value"]
    digits = 0 if math.isclose(100 * goal, round(100 * goal)) else 1
    seeds = "one seed" if n_seeds == 1 else f"the mean of {n_seeds} seeds"
    measured = (
        f"{pct(value, digits + 1)}, {seeds} (95 % interval {100 * check['ci_low']:.{digits + 1}f} "
        f"to {pct(check['ci_high'], digits + 1)}, images and seeds resampled)"
    )
    if check["code"] == "meets":
        head = f"{name} meets the target of {pct(goal, digits)} {what}: {measured}"
        tail = (
            "; the interval reaches below the target, so this is not a safe margin"
            if check["straddles"]
            else ""
        )
    else:
        head = (
            f"{name} misses the target of {pct(goal, digits)} {what} by "
            f"{points(goal - value, digits + 1)}: {measured}"
        )
        # The interval's width comes from the images as much as from the seeds (for clean test
        # accuracy almost wholly from the images): name what it resamples, not a cause.
        resampled = "the images" if n_seeds == 1 else "the images and the seeds"
        tail = (
            f"; the target is missed on the measured {'value' if n_seeds == 1 else 'mean'}, and "
            f"its interval, which resamples {resampled}, is too wide to rule out that the model "
            "reaches it"
            if check["straddles"]
            else ""
        )
    return head + tail + "."


def refusals(
    table: pd.DataFrame,
    must_refuse: Sequence[str],
    hard: Sequence[str],
    goal: float,
    digit_goal: float,
) -> list[str]:
    """What the detector refuses, one sentence per target and one on the hard families.

    Args:
        table: :func:`mnist_pipeline.evaluation.detection.refusal_table`.
        must_refuse: the families with a target of at least ``goal`` refused.
        hard: the families reported by their AUROC only.
        digit_goal: at most this share of clean test digits refused.
    """

    def share(name: str) -> str:
        row = table.loc[name]
        return (
            f"{pct(row['refused'], 1)} of {int(row['images']):,} (95 % interval "
            f"{100 * row['ci_low']:.1f} to {pct(row['ci_high'], 1)})"
        )

    digits = table.loc["digits", "refused"]
    within = "within" if digits <= digit_goal else "above"
    reaches = table.loc["digits", "ci_low"] <= digit_goal <= table.loc["digits", "ci_high"]
    caveat = (
        f", though its 95 % interval includes {pct(digit_goal, 0)} (the threshold was set to "
        "refuse that share of validation digits)"
        if reaches
        else ""
    )
    first = (
        f"On clean test digits the detector refuses {share('digits')}, {within} the target of "
        f"at most {pct(digit_goal, 0)}{caveat}."
    )
    out = [first]
    met = [n for n in must_refuse if table.loc[n, "refused"] >= goal]
    missed = [n for n in must_refuse if n not in met]
    words = {n: n.replace("_", " ") for n in table.index}
    for group, verb in ((met, "meets"), (missed, "misses")):
        if group:
            listed = "; ".join(f"{words[n]} {share(n)}" for n in group)
            out.append(
                f"It {verb} the target of refusing at least {pct(goal, 0)} (the preparation and "
                f"the detector together, as the service would) for {listed}."
            )
    if hard:
        listed = "; ".join(
            f"{words[n]}: {pct(table.loc[n, 'refused'], 1)} refused, AUROC {table.loc[n, 'auroc']:.3f}"
            for n in hard
        )
        out.append(
            f"Letters and scribbles have no target ({listed}): some are drawn as digits are (O "
            "as 0, l as 1), which no distance to the digits can tell apart; how many is not measured."
        )
    return out


def held_out_refusals(
    table: pd.DataFrame, must_refuse: Sequence[str], hard: Sequence[str], goal: float
) -> str:
    """What the detector refuses of the families added after its design was settled, in one
    sentence: the ones with a target (met or missed) and the others with their AUROC.

    Args:
        table: :func:`mnist_pipeline.evaluation.detection.refusal_table`.
        must_refuse: held-out families with a target of at least ``goal`` refused.
        hard: held-out families reported by their AUROC only.
    """
    named = [n for n in (*must_refuse, *hard) if n in table.index]
    if not named:
        return ""

    def said(name: str) -> str:
        row = table.loc[name]
        text = (
            f"{name.replace('_', ' ')} {pct(row['refused'], 1)} (95 % interval "
            f"{100 * row['ci_low']:.1f} to {pct(row['ci_high'], 1)}"
        )
        if name in must_refuse:
            verb = "meets" if row["refused"] >= goal else "misses"
            reach = ""
            if row["ci_low"] < goal <= row["refused"]:
                reach = ", though its interval reaches below it"
            elif row["refused"] < goal <= row["ci_high"]:
                reach = ", though its interval reaches it"
            return f"{text}; {verb} the target of at least {pct(goal, 0)}{reach})"
        return f"{text}; AUROC {row['auroc']:.3f}, no target)"

    return (
        f"On {len(named)} families added after the detector's design was settled, with their "
        f"targets fixed before it scored them (one draw of images, one threshold), it and the "
        "service's preparation together refuse "
        f"{'; '.join(said(n) for n in named)}."
    )


def oriented(mcnemar: pd.DataFrame, a: str, b: str) -> dict[str, float]:
    """McNemar's result for ``a`` against ``b``, whichever way round the table holds the pair.

    Each pair is tested once (:func:`evaluation.unique_pairs`), in the order it first came; a
    lookup in the other order swaps ``a_only`` and ``b_only``, so that no verdict depends on
    which pair came first (which two models are close on validation can decide that).

    Raises:
        KeyError: when the table holds the pair in neither order.
    """
    for first, second, swap in ((a, b, False), (b, a, True)):
        found = mcnemar[(mcnemar["first"] == first) & (mcnemar["second"] == second)]
        if len(found):
            row = found.iloc[0]
            a_only, b_only = int(row["a_only"]), int(row["b_only"])
            if swap:
                a_only, b_only = b_only, a_only
            return {"a_only": a_only, "b_only": b_only, "p_value": float(row["p_value"])}
    raise KeyError(f"no McNemar test of {a} against {b} in either order")


def steps(
    mcnemar: pd.DataFrame, diffs: pd.DataFrame, test: Mapping, pairs: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """A verdict per step of the study (``step_1_2``...), from McNemar on seed 42
    (:func:`evaluation.mcnemar_pairs`, either orientation: :func:`oriented`) and the paired
    differences over seeds (:func:`seeds.differences`); a step without seeds is judged on its
    one difference."""
    return {name: step(*words) for name, words in _step_inputs(mcnemar, diffs, test, pairs)}


def step_codes(
    mcnemar: pd.DataFrame, diffs: pd.DataFrame, test: Mapping, pairs: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """:func:`step_code` per step, named as :func:`steps` names the sentences."""
    return {
        name: step_code(*words[2:]) for name, words in _step_inputs(mcnemar, diffs, test, pairs)
    }


def _step_inputs(mcnemar, diffs, test, pairs):
    """``(name, (first, second, mcnemar, diff))`` per step, as :func:`steps` reads them."""
    over = diffs.set_index(["first", "second"]) if len(diffs) else pd.DataFrame()
    for a, b in pairs:
        if (a, b) in over.index and over.loc[(a, b), "n_seeds"] > 1:
            diff = over.loc[(a, b)]
        else:
            one = test[b]["accuracy"] - test[a]["accuracy"]
            diff = {"n_seeds": 1, "mean": one, "ci_low": math.nan, "ci_high": math.nan}
        name = f"step_{a.removeprefix('model_')}_{b.removeprefix('model_')}"
        yield name, (specs.label(a), specs.label(b), oriented(mcnemar, a, b), diff)


def ablation(
    pair: tuple[str, str], paired: Mapping[str, Mapping[str, float]], architecture: str = ""
) -> str:
    """:func:`augmentation` for the pair (the ablation, model 4), naming the design of model 4's
    logged ``architecture`` (``robust_cnn_<design>``; none is named for another or none)."""
    found = design_named(architecture or "")
    name = found.name if found else ""
    return augmentation(specs.label(pair[1]), specs.label(pair[0]), paired, name)


GROUP_WORDS = {
    "like": "the {n} MNIST-C corruptions that resemble what its augmentation does",
    "unlike": "the {n} other MNIST-C corruptions",
}


def by_resemblance(
    pair: tuple[str, str],
    paired: Mapping[str, Mapping[str, float]],
    counts: Mapping[str, int],
    contrast: Mapping[str, float] | None = None,
) -> str:
    """Model 4 against its ablation on each group of MNIST-C's corruptions (those that resemble
    its augmentation, :func:`design_words.resembling`, and the others), paired by image, and
    whether its difference from the ablation differs between the groups.

    Args:
        pair: (the ablation, model 4).
        paired: group (``like``, ``unlike``) to :func:`metrics.clustered.paired_comparison` of
            the ablation (A) against model 4 (B), over every seed of each.
        counts: group to how many corruptions it holds.
        contrast: :func:`mnist_pipeline.evaluation.robustness.group_contrast` (model 4's
            difference from the ablation on ``like`` minus that on ``unlike``), or ``None``.
    """
    parts = [
        _paired(f"on {GROUP_WORDS[group].format(n=counts[group])}", result)
        for group, result in paired.items()
    ]
    n_seeds = min(int(result["n_seeds"]) for result in paired.values())
    seeds = "one seed each" if n_seeds == 1 else f"{n_seeds} seeds each"
    tests = len(parts)
    out = f"Against {specs.label(pair[0])}, {specs.label(pair[1])} is {'; it is '.join(parts)}."
    if contrast is not None:
        tests += 1
        code = paired_code(contrast)
        differs = (
            "does not differ between the two groups on this evidence"
            if code == "undecided"
            else f"is {'larger' if code == 'more' else 'smaller'} on the resembling corruptions"
        )
        out += (
            f" Its difference from {specs.label(pair[0])} {differs} (the resembling group's "
            "difference minus the other's: "
            f"{_signed(contrast['difference'], 1)} points, 95 % interval "
            f"{_signed(contrast['ci_low'], 1)} to {_signed(contrast['ci_high'], 1)}, sign-flip p "
            f"{flips_p(contrast['p_value'], N_RESAMPLES)})."
        )
    return out + (
        f" Over {seeds}, paired by image, as for the whole of MNIST-C; {tests} tests on the same "
        "images, with no correction for their number. Which corruptions resemble the "
        "augmentation is a table written by hand from its layers (`design_words.RESEMBLES`), "
        "before this split was computed but after earlier models' MNIST-C results had been seen."
    )


def corrupted_refusals(refused: pd.Series) -> str:
    """How often the detector refuses corrupted digits (still digits: a cost, not a success).

    Args:
        refused: the share refused under each corruption, indexed by its name.
    """
    worst = str(refused.idxmax()).replace("_", " ")
    return (
        "MNIST-C's corrupted digits, given to the detector as they are (not prepared as an "
        f"upload), are refused at {pct(float(refused.mean()), 1)} on average "
        f"over its corruptions, most under {worst} ({pct(float(refused.max()), 1)}): a corrupted "
        "digit is still a digit, and a refusal there is a cost, not a success."
    )
