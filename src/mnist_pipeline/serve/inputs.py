"""Request bodies turned into checked batches, or refused with a status and a message.

- An uploaded file (``/predict``): a PNG or JPEG, checked before it is decoded, becomes one
  ``(28, 28, 1)`` input through :func:`mnist_pipeline.data.user_images.digit_from_bytes`.
- A batch (``/invocations``): MLflow's scoring protocol as JSON (``inputs``, ``instances``,
  ``dataframe_split``, ``dataframe_records``) or a ``.npy`` body becomes ``(n, 28, 28, 1)``
  float32 in [0, 1].

Every refusal is an ``HTTPException`` whose ``detail`` says what to send instead.
"""

from __future__ import annotations

import io
import json
import re
import warnings

import numpy as np
from fastapi import HTTPException, Request

from mnist_pipeline import config
from mnist_pipeline.data import user_images

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # one image file
MAX_BODY_BYTES = 64 * 1024 * 1024  # a batch for /invocations
MAX_BATCH = 10_000  # images per /invocations request
UPLOAD_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG"}
NPY_TYPE = "application/x-npy"
MULTIPART_OVERHEAD = 64 * 1024  # bytes of a multipart body besides the file
JSON_KEYS = ("inputs", "instances", "dataframe_split", "dataframe_records")
PIXELS = config.IMAGE_SHAPE[0] * config.IMAGE_SHAPE[1]


def check_length(request: Request, limit: int) -> None:
    """Refuse (413) a request whose declared length is over ``limit`` bytes, before reading it."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"request of {int(length):,} bytes; the limit is {limit:,}")


def content_type(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def uploaded_file(request: Request) -> tuple[bytes, str, str]:
    """The bytes, name and declared type of the form field ``file``.

    Raises:
        HTTPException: 415 for a body that is not a form, 413 over the limit, 400 with no
            field ``file``.
    """
    if content_type(request) != "multipart/form-data":
        raise HTTPException(
            415,
            "send the image as multipart/form-data in the field 'file', not "
            f"{content_type(request) or 'a body without a content type'}",
        )
    check_length(request, MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD)
    try:
        form = await request.form(max_files=4, max_fields=16)
    except Exception as exc:  # Starlette raises its own errors for a malformed form
        if isinstance(exc, HTTPException):
            raise
        raise HTTPException(400, f"malformed multipart/form-data body: {exc}") from None
    field = form.get("file")
    if field is None:
        raise HTTPException(400, "no file uploaded: send one PNG or JPEG in the field 'file'")
    others = sorted(set(form.keys()) - {"file"})
    if others or len(form.getlist("file")) > 1:
        raise HTTPException(
            400, f"send one field, 'file', and nothing else (got {others or 'two files'})"
        )
    if isinstance(field, str):  # a plain form value rather than a file part
        return field.encode(), "file", ""
    data = await field.read(MAX_UPLOAD_BYTES + 1)
    return data, field.filename or "upload", field.content_type or ""


def image_from_upload(data: bytes, name: str, declared: str) -> np.ndarray:
    """The model's ``(28, 28, 1)`` input from an uploaded file's bytes.

    Args:
        data: the file's bytes (at most ``MAX_UPLOAD_BYTES + 1`` read).
        name: the file's name, for messages.
        declared: the part's content type, as the client declared it.

    Returns:
        The prepared input.

    Raises:
        HTTPException: 415 for a type other than PNG or JPEG, 413 over the byte or pixel
            limit, 422 for an empty, unreadable, blank or all-ink image.
    """
    declared = declared.split(";")[0].strip().lower()
    if declared not in UPLOAD_TYPES and declared not in {"", "application/octet-stream"}:
        raise HTTPException(415, f"{name}: {declared} is not accepted; send a PNG or JPEG")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"{name}: larger than {MAX_UPLOAD_BYTES:,} bytes")
    found = user_images.image_format(data) if data else None
    if found == "too large":
        raise HTTPException(413, f"{name}: too large")
    if found is not None and found not in UPLOAD_TYPES.values():
        raise HTTPException(415, f"{name}: a {found} image; send a PNG or JPEG")
    try:
        return user_images.digit_from_bytes(data, name)
    except user_images.ImageTooLargeError as exc:
        raise HTTPException(413, str(exc)) from None
    except user_images.InvalidImageError as exc:
        raise HTTPException(422, str(exc)) from None


def _all_numbers(value: object) -> bool:
    """Whether every leaf of nested lists is an int or a float (not a bool, string or null)."""
    if isinstance(value, list):
        return all(_all_numbers(item) for item in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_batch(array: object) -> np.ndarray:
    """Check and reshape prepared inputs to ``(n, 28, 28, 1)`` float32.

    Accepted shapes: ``(n, 28, 28, 1)``, ``(n, 28, 28)``, ``(n, 784)``; values in [0, 1].

    Raises:
        HTTPException: 422 for the wrong type, shape or range, 413 for too many images.
    """
    try:
        if isinstance(array, list) and not _all_numbers(array):
            raise TypeError("a leaf is not a number")  # NumPy would read true or "0.5" as numbers
        # float64 until the range is checked: 1.0000000000000002 is above the schema's maximum
        # of 1, and would round to exactly 1 in float32 and slip through.
        batch = np.asarray(array, dtype=np.float64)
    except (ValueError, TypeError):
        raise HTTPException(
            422, "inputs must be numbers: a nested list of floats of shape (n, 28, 28)"
        ) from None
    side = config.IMAGE_SHAPE[0]
    shapes = {(side, side, 1), (side, side), (PIXELS,)}
    if batch.ndim < 2 or tuple(batch.shape[1:]) not in shapes:
        raise HTTPException(
            422,
            f"inputs have shape {batch.shape}; expected (n, 28, 28, 1), (n, 28, 28) or (n, 784)",
        )
    if len(batch) == 0:
        raise HTTPException(422, "inputs hold no image")
    if len(batch) > MAX_BATCH:
        raise HTTPException(
            413, f"{len(batch):,} images in one request; the limit is {MAX_BATCH:,}"
        )
    if not np.isfinite(batch).all():
        raise HTTPException(422, "inputs contain NaN or infinite values")
    if batch.min() < 0 or batch.max() > 1:
        raise HTTPException(
            422,
            f"inputs range over [{batch.min():g}, {batch.max():g}]; expected [0, 1] "
            "(divide 0-255 pixels by 255, ink high)",
        )
    return batch.astype(np.float32).reshape(len(batch), *config.INPUT_SHAPE)


_PLAIN_JSON_BATCH = re.compile(
    rb'\s*\{\s*"(?:inputs|instances)"\s*:\s*(\[[0-9eE+\-.,\[\]\s]*\])\s*\}\s*'
)


def _skeleton(shape: tuple[int, ...]) -> bytes:
    """The brackets and commas of a JSON array of ``shape``, numbers and spaces removed."""
    inner = b"[" + b"," * (shape[-1] - 1) + b"]"
    for size in reversed(shape[:-1]):
        inner = b"[" + b",".join([inner] * size) + b"]"
    return inner


def fast_json_batch(body: bytes) -> np.ndarray | None:
    """Parse ``{"inputs": [...]}`` of plain numbers straight into float32, or None.

    Building 784,000 Python floats (``json.loads``) costs about a second per 1,000 images
    here; this reads the numbers in C and checks the brackets against the documented shapes.
    Anything else (another shape, NaN, extra keys, odd spacing of keys) returns None, and the
    general path answers, with its error messages.
    """
    match = _PLAIN_JSON_BATCH.fullmatch(body)
    if match is None:
        return None
    array = match.group(1)
    skeleton = array.translate(None, b"0123456789eE+-. \t\r\n")
    depth = len(skeleton) - len(skeleton.lstrip(b"["))
    per_image = {4: (28, 28, 1), 3: (28, 28), 2: (PIXELS,)}.get(depth)
    if per_image is None:
        return None
    text = array.translate(bytes.maketrans(b"[]", b"  ")).decode("ascii")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # text mode with a separator: supported, in C
            numbers = np.fromstring(text, sep=",", dtype=np.float64)  # range before float32
    except ValueError:  # a token that is not a number
        return None
    n, rest = divmod(numbers.size, int(np.prod(per_image)))
    if n == 0 or rest or skeleton != _skeleton((n, *per_image)):
        return None
    if numbers.min() < 0 or numbers.max() > 1:
        return None  # the general path refuses it, with its message
    return numbers.astype(np.float32).reshape(n, *per_image)


def _dataframe_rows(payload: dict) -> object:
    """The rows of a pandas DataFrame sent as ``dataframe_split`` or ``dataframe_records``."""
    what = "784 pixel columns in [0, 1], row by row"
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        if not isinstance(split, dict) or not isinstance(split.get("data"), list):
            raise HTTPException(
                400, f'dataframe_split must be {{"columns": [...], "data": [[...]]}} of {what}'
            )
        columns = split.get("columns", [])
        if "columns" in split and not (
            isinstance(columns, list)
            and len(columns) == 784
            and all(isinstance(c, str | int) and not isinstance(c, bool) for c in columns)
        ):
            raise HTTPException(
                400, "dataframe_split's columns must be 784 column names (strings or integers)"
            )
        return split["data"]
    records = payload["dataframe_records"]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise HTTPException(400, f"dataframe_records must be a list of objects, each of {what}")
    return [list(record.values()) for record in records]  # each record's columns in order


def parse_json_inputs(body: bytes) -> object:
    """The inputs a JSON body carries (MLflow's scoring protocol), not yet checked.

    Raises:
        HTTPException: 400 for malformed JSON or a body without one of :data:`JSON_KEYS`.
    """
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from None
    if not isinstance(payload, dict) or not (set(JSON_KEYS) & payload.keys()):
        raise HTTPException(
            400,
            'expected a JSON object {"inputs": [...]} or {"instances": [...]} '
            "(MLflow's scoring protocol for tensors), or a DataFrame of 784 pixel columns "
            'as {"dataframe_split": {"columns": [...], "data": [[...]]}} or '
            '{"dataframe_records": [{...}]}',
        )
    for key in ("inputs", "instances"):
        if key in payload:
            return payload[key]
    return _dataframe_rows(payload)


def parse_npy(body: bytes) -> np.ndarray:
    """The array a ``.npy`` body holds (no pickles), not yet checked.

    Raises:
        HTTPException: 400 for a body that is not a ``.npy`` file, 422 for one not of numbers.
    """
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise HTTPException(400, f"malformed .npy body: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        raise HTTPException(422, f".npy body of dtype {array.dtype}; expected numbers")
    return array


def batch_from_body(body: bytes, content_type: str) -> np.ndarray:
    """The checked ``(n, 28, 28, 1)`` batch from a ``/invocations`` body.

    Args:
        body: the request's bytes.
        content_type: ``application/json``, or ``application/x-npy`` (or octet-stream).

    Raises:
        HTTPException: 413 over the limits, 400 for a malformed body, 422 for inputs of the
            wrong type, shape or range.
    """
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"request of {len(body):,} bytes; the limit is {MAX_BODY_BYTES:,}")
    if content_type != "application/json":
        return as_batch(parse_npy(body))
    fast = fast_json_batch(body)
    return as_batch(fast if fast is not None else parse_json_inputs(body))
