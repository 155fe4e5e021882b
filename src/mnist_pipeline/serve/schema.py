"""The service's OpenAPI contract: answers as pydantic models, request bodies as JSON Schema.

Every error is ``{"detail": "what went wrong and what to send instead"}``. The request
bodies are read by :mod:`mnist_pipeline.serve.inputs`, not by FastAPI, so they are
described here by hand (``openapi_extra``) as exactly as JSON Schema can say them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mnist_pipeline.serve import inputs as serve_inputs


class ErrorMessage(BaseModel):
    """An error: a sentence saying what went wrong and what to send instead."""

    detail: str


class ModelDescription(BaseModel):
    """Which model answers."""

    name: str
    version: str
    alias: str
    source: str
    run_id: str


class DetectorDescription(BaseModel):
    """The served model's "not a digit" detector, or why it has none."""

    loaded: bool = Field(description="whether answers carry is_digit (false: they say null)")
    method: str | None = Field(
        description="how the score is computed: 'mahalanobis-layers', squared Mahalanobis distances "
        "of the image's features to the nearest digit class in several layers; null without a "
        "detector"
    )
    layers: list[str] | None = Field(
        description="the model layers whose outputs are the features; null without a detector"
    )
    threshold: float | None = Field(
        description="scores above it are 'not a digit'; null without a detector"
    )
    validation_reject: float | None = Field(
        description="the share of validation digits the threshold refuses, as fitted"
    )
    note: str = Field(description="where the detector came from, or why there is none")


class Health(BaseModel):
    """Whether the model is loaded, which one, and whether it can say "not a digit"."""

    status: Literal["ready", "loading"]
    model: ModelDescription | None
    detector: DetectorDescription | None = Field(
        description="the model's 'not a digit' detector; null while the model loads"
    )
    uptime_s: float


IS_DIGIT = (
    "whether the image looks like a digit: its ood_score is at most ood_threshold; null when "
    "the served model has no 'not a digit' detector"
)
OOD_SCORE = (
    "the 'not a digit' detector's score: in each of several layers of the model, the squared "
    "Mahalanobis distance of the image's features to the nearest digit class, divided by its "
    "median over validation digits; the largest of them. Higher is less like a digit; null "
    "without a detector"
)
OOD_THRESHOLD = (
    "the detector's threshold, fitted so that 1 % of validation digits score above it; "
    "null without a detector"
)


class Prediction(BaseModel):
    """The digit read from one image, every class's probability and the input the model saw."""

    digit: int = Field(ge=0, le=9)
    confidence: float = Field(ge=0, le=1)
    probabilities: list[float] = Field(min_length=10, max_length=10)
    model: ModelDescription
    input_image: str = Field(description="the 28x28 input as a data:image/png;base64 URL")
    inference_ms: float
    is_digit: bool | None = Field(description=IS_DIGIT)
    ood_score: float | None = Field(ge=0, description=OOD_SCORE)
    ood_threshold: float | None = Field(description=OOD_THRESHOLD)


class Predictions(BaseModel):
    """Class probabilities, one row of 10 per input image, and the detector's verdicts.

    The ``.npy`` answer holds the probabilities only.
    """

    predictions: list[list[float]]
    is_digit: list[bool] | None = Field(description=f"one per image: {IS_DIGIT}")
    ood_score: list[float] | None = Field(description=f"one per image: {OOD_SCORE}")
    ood_threshold: float | None = Field(description=OOD_THRESHOLD)


def errors(**described: str) -> dict[int | str, dict]:
    """FastAPI ``responses=`` for error statuses, each an :class:`ErrorMessage`.

    Args:
        described: ``_413="over the limits"`` and so on, one per status.
    """
    return {
        int(status.lstrip("_")): {"model": ErrorMessage, "description": text}
        for status, text in described.items()
    }


_PIXEL = {"type": "number", "minimum": 0, "maximum": 1}


def _array(items: dict, size: int | None = None, **bounds: int) -> dict:
    limits = {"minItems": size, "maxItems": size} if size is not None else bounds
    return {"type": "array", "items": items, **limits}


_ROW = _array(_PIXEL, 28)
# One shape for every image of a batch: (n, 784), (n, 28, 28), (n, 28, 28, 1). The limit
# of MAX_BATCH images (413 above it) is stated in words: as maxItems it would have clients
# that test from the schema build batches of 10,001 images to see them refused.
_BATCHES = [
    _array(image, minItems=1)
    for image in (_array(_PIXEL, 784), _array(_ROW, 28), _array(_array(_array(_PIXEL, 1), 28), 28))
]
_TENSOR = {"anyOf": _BATCHES}
_JSON_BATCH = {
    "anyOf": [
        {"type": "object", "required": ["inputs"], "properties": {"inputs": _TENSOR}},
        {"type": "object", "required": ["instances"], "properties": {"instances": _TENSOR}},
        {
            "type": "object",
            "required": ["dataframe_split"],
            "properties": {
                "dataframe_split": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "columns": _array({"type": ["string", "integer"]}, 784),
                        "data": _BATCHES[0],
                    },
                }
            },
        },
        {
            "type": "object",
            "required": ["dataframe_records"],
            "properties": {
                "dataframe_records": _array(
                    {
                        "type": "object",
                        "additionalProperties": _PIXEL,
                        "minProperties": 784,
                        "maxProperties": 784,
                    },
                    minItems=1,
                )
            },
        },
    ],
    "description": "prepared 28x28 inputs in [0, 1], ink high (MLflow's scoring protocol), "
    f"at most {serve_inputs.MAX_BATCH:,} images; a DataFrame has 784 pixel columns, row by row",
}
_BINARY = {"type": "string", "format": "binary", "minLength": 1}

INVOCATIONS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _JSON_BATCH},
            serve_inputs.NPY_TYPE: {
                "schema": {
                    **_BINARY,
                    "description": "a .npy file of shape (n, 28, 28), (n, 28, 28, 1) or "
                    "(n, 784), numbers in [0, 1]",
                }
            },
        },
    }
}
PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            **_BINARY,
                            "description": "one PNG or JPEG holding one digit, dark on "
                            f"light or light on dark, at most {serve_inputs.MAX_UPLOAD_BYTES:,}"
                            " bytes and 25 million pixels",
                        }
                    },
                },
                "encoding": {"file": {"contentType": "image/png, image/jpeg"}},
            }
        },
    }
}
INVOCATIONS_OK = {
    200: {
        "model": Predictions,
        "description": "probabilities as JSON, or as a (n, 10) float32 .npy for a .npy body "
        "(unless Accept: application/json) or Accept: application/x-npy",
        "content": {serve_inputs.NPY_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
MODEL_CARD_OK = {
    200: {
        "description": "the model card in Markdown",
        "content": {"text/markdown": {"schema": {"type": "string"}}},
    }
}
