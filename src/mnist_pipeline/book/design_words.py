"""Model 4's designs in words, from their definitions: what a design adds to the plain network,
and which of MNIST-C's corruptions resemble what its augmentation does.

A sentence about the chosen design (:func:`verdicts.augmentation`, the model card) names the
parts that design has, read from :data:`designs.DESIGNS` and :data:`augment.POLICIES`, so a
design without input normalisation is never said to have it.
"""

from __future__ import annotations

from collections.abc import Iterable

from mnist_pipeline.book.narrate import and_list
from mnist_pipeline.models.augment import POLICIES
from mnist_pipeline.models.designs import DESIGNS

# Each augmentation layer (augment.POLICIES): what it does in words, and the MNIST-C corruptions
# that resemble it (none of them is one of MNIST-C's functions, nor uses its parameters).
# Stroke width and random erasing resemble none of them.
RESEMBLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "affine": ("random rotations, zooms and shifts", ("rotate", "scale", "translate")),
    "stroke": ("stroke widths", ()),
    "blur": ("blur", ("glass_blur", "motion_blur")),
    "illumination": ("lighting and contrast changes", ("brightness", "fog")),
    "erasing": ("random erasing", ()),
    "noise": ("noise", ("shot_noise", "impulse_noise")),
}


def parts(design: str) -> str:
    """What ``design`` adds to the plain network: its training augmentation's layers and its
    in-model input normalisation, each named only when the design has it.

    ``photometric`` -> ``"training augmentation (affine, stroke, blur, illumination, noise)
    but no input normalisation"``.

    Raises:
        KeyError: for an unknown design.
    """
    found = DESIGNS[design]
    chain = POLICIES[found.policy]
    augmented = f"training augmentation ({', '.join(chain)})" if chain else ""
    normalised = f"input normalisation ({found.normalise})" if found.normalise else ""
    if augmented and normalised:
        return f"{augmented} and {normalised}"
    if augmented:
        return f"{augmented} but no input normalisation"
    if normalised:
        return f"{normalised} but no augmentation"
    return "neither augmentation nor input normalisation"


def resembling(design: str | None) -> tuple[str, ...]:
    """The MNIST-C corruptions that resemble what ``design``'s augmentation does, in the order of
    its layers; ``()`` for a design without augmentation or an unknown name (or ``None``)."""
    found = DESIGNS.get(design) if design else None
    chain = POLICIES[found.policy] if found else ()
    return tuple(c for layer in chain for c in RESEMBLES.get(layer, ("", ()))[1])


def resemblance(layers: Iterable[str]) -> str:
    """Which MNIST-C corruptions resemble which of ``layers`` (an augmentation's, in order):
    ``"brightness and fog resemble the augmentation's lighting and contrast changes; shot noise
    and impulse noise its noise"``; ``""`` when none does."""
    clauses = []
    for layer in layers:
        words, corruptions = RESEMBLES.get(layer, ("", ()))
        if corruptions:
            names = and_list([c.replace("_", " ") for c in corruptions])
            # the first clause carries the verb; the others leave it out ("...; blur its blur")
            verb = " resemble" if len(corruptions) > 1 else " resembles"
            whose = " its" if clauses else f"{verb} the augmentation's"
            clauses.append(f"{names}{whose} {words}")
    return "; ".join(clauses)
