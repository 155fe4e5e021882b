"""A model's features, read where the "not a digit" detector reads them.

Which layers (:func:`feature_layers`, by the model's structure alone), how a layer's output
becomes one row per image (:func:`_summary`), and a Keras model that gives the probabilities and
those features in one call (:func:`feature_model`), for the detector
(:mod:`mnist_pipeline.models.detector`) and the service alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The "layer" of a model without features of its own (a scikit-learn estimator): the image
# averaged over 4 x 4 blocks, 49 numbers.
PIXELS = "pixels_7x7"
# Layers that belong to the convolution before them: its feature maps are read after them.
_FOLLOWERS = ("BatchNormalization", "Activation", "ReLU", "LeakyReLU")


def feature_layers(model: object) -> tuple[str, ...]:
    """Where a model's features are read, by its structure alone.

    A Keras model: the end of each convolution in the later half of its convolutions (after the
    batch normalisation and activation that follow it), then its layer named ``features`` (else
    the input of its last layer). The first convolutions respond to pixel texture: there, clean
    digits drawn with a uniform pen on a screen are as far from MNIST's scanned strokes as noise
    is. A convolution whose maps are 1 x 1 and that the features layer merely flattens is read
    once, as the features: the same numbers twice would only repeat one distance. A scikit-learn
    estimator: its pixels averaged over 4 x 4 blocks (:data:`PIXELS`).
    """
    layers = getattr(model, "layers", None)
    if not layers:
        return (PIXELS,)
    ends = []
    for i, each in enumerate(layers):
        if type(each).__name__ != "Conv2D":
            continue
        end = i
        while end + 1 < len(layers) and type(layers[end + 1]).__name__ in _FOLLOWERS:
            end += 1
        ends.append(layers[end].name)
    chosen = ends[len(ends) // 2 :]  # the later half: shapes and strokes, not pixel texture
    names = [each.name for each in layers]
    last = "features" if "features" in names else names[-2]
    before = layers[names.index(last) - 1] if names.index(last) > 0 else None
    if (
        chosen
        and before is not None
        and chosen[-1] == before.name
        and type(layers[names.index(last)]).__name__ == "Flatten"
        and _spatial(before) == (1, 1)
    ):
        chosen = chosen[:-1]  # the features layer is this convolution's 1 x 1 maps, flattened
    return tuple(dict.fromkeys([*chosen, last]))


def _spatial(layer: object) -> tuple[int, ...] | None:
    """The height and width of a layer's output maps, or ``None`` when they are unknown."""
    try:
        shape = tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer not yet called on an input
        return None
    return tuple(shape[1:3]) if len(shape) == 4 else None


def _summary(tensor):
    """A layer's output as one row per image: feature maps as each channel's mean and standard
    deviation over the image (its values when the map is 1 x 1); anything else flattened."""
    from mnist_pipeline._tf import keras

    shape = tuple(tensor.shape)
    if len(shape) == 4 and shape[1] * shape[2] > 1:
        return keras.layers.Concatenate()(
            [keras.ops.mean(tensor, axis=(1, 2)), keras.ops.std(tensor, axis=(1, 2))]
        )
    return keras.layers.Flatten()(tensor) if len(shape) > 2 else tensor


def _outputs(model: object, layers: Sequence[str]):
    """The model called afresh on a new input: its input, probabilities and each layer's output.

    A Sequential model is called layer by layer: its layers may also belong to another model
    (:func:`~mnist_pipeline.models.augment.for_inference` shares them with the trained model),
    and then a layer's ``output`` is that of its first call, not connected to this model's input.
    """
    from mnist_pipeline._tf import keras

    if isinstance(model, keras.Sequential):
        inputs = keras.Input(shape=model.input_shape[1:])
        outputs, found = inputs, {}
        for each in model.layers:
            outputs = each(outputs)
            if each.name in layers:
                found[each.name] = outputs
    else:
        inputs, outputs = model.inputs[0], model.outputs[0]
        names = {each.name for each in model.layers}
        found = {name: model.get_layer(name).output for name in layers if name in names}
    missing = [name for name in layers if name not in found]
    if missing:
        raise ValueError(f"{model.name} has no layer named {missing[0]!r}")
    return inputs, outputs, [found[name] for name in layers]


def feature_model(model: object, layers: str | Sequence[str]) -> object:
    """A Keras model with two outputs: the probabilities, and the features of ``layers``
    (:func:`_summary` of each, side by side, in order)."""
    from mnist_pipeline._tf import keras

    layers = (layers,) if isinstance(layers, str) else tuple(layers)
    inputs, probabilities, found = _outputs(model, layers)
    pieces = [_summary(each) for each in found]
    joined = pieces[0] if len(pieces) == 1 else keras.layers.Concatenate()(pieces)
    return keras.Model(inputs, [probabilities, joined])


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(images), -1)


def features(
    model: object, images: np.ndarray, layers: str | Sequence[str], batch_size: int = 1_000
) -> np.ndarray:
    """The features of ``images`` at ``layers`` (:func:`feature_layers`), one row per image."""
    images = np.asarray(images, dtype=np.float32)
    layers = (layers,) if isinstance(layers, str) else tuple(layers)
    if layers == (PIXELS,):
        return _pixels(images)
    both = feature_model(model, layers)
    parts = [
        np.asarray(both(images[start : start + batch_size], training=False)[1])
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts).reshape(len(images), -1)


def features_by_layer(model: object, images: np.ndarray, layers: Sequence[str]) -> dict:
    """:func:`features`, one array per layer."""
    return {name: features(model, images, name) for name in layers}
