"""Serve the champion: a REST API and a web page where anyone draws or uploads a digit.

``python -m mnist_pipeline.serve`` (``make serve``) loads the model once and answers on
http://127.0.0.1:8000:

- ``GET /``: the page (a canvas to draw on, a file picker, the answer with every class's
  probability and the 28x28 image the model saw); one HTML file, nothing fetched.
- ``POST /predict``: one PNG or JPEG in the form field ``file``, through
  :func:`mnist_pipeline.preprocess.digit_from_bytes`; JSON answer.
- ``POST /invocations``: a batch of prepared 28x28 inputs in [0, 1], as MLflow's scoring
  protocol (``{"inputs": ...}`` or ``{"instances": ...}``) or as a ``.npy`` body
  (``Content-Type: application/x-npy``), answered as ``{"predictions": ...}`` or ``.npy``.
- ``GET /health``: whether the model is loaded, and which one; OpenAPI docs at ``/docs``.

The model is the registry's ``models:/mnist-cnn@champion``, or what ``MNIST_MODEL_PATH``
names (an exported ``.keras`` file, an MLflow model directory or any MLflow model URI).
Inference calls the model directly through one compiled ``tf.function``, not ``predict()``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image

from mnist_pipeline import config, preprocess

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MODEL_PATH_ENV = "MNIST_MODEL_PATH"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # one image file
MAX_BODY_BYTES = 64 * 1024 * 1024  # a batch for /invocations
MAX_BATCH = 10_000  # images per /invocations request
UPLOAD_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG"}
NPY_TYPE = "application/x-npy"
METADATA_FILE = "model.json"


class NoModelError(RuntimeError):
    """No model to serve: the message says what to run first."""


@dataclass(frozen=True)
class ModelInfo:
    """Which model answers: registered name, version, alias and where it was loaded from."""

    name: str
    version: str
    alias: str
    source: str
    run_id: str = ""


@dataclass
class LoadedModel:
    """A model ready to answer: ``predict`` maps ``(n, 28, 28, 1)`` float32 to ``(n, 10)``."""

    predict: Callable[[np.ndarray], np.ndarray]
    info: ModelInfo


def fast_predict(model: object) -> Callable[[np.ndarray], np.ndarray]:
    """A function computing class probabilities with as little overhead as the model allows.

    A Keras model is called directly inside one ``tf.function`` with a fixed signature
    (traced once; ``predict()`` builds a dataset and costs about 50 ms per call). A
    scikit-learn estimator gets its ``predict_proba`` on flattened pixels.
    """
    if hasattr(model, "predict_proba"):
        return lambda x: np.asarray(model.predict_proba(x.reshape(len(x), -1)), np.float32)
    from mnist_pipeline._tf import tf

    signature = [tf.TensorSpec((None, *config.INPUT_SHAPE), tf.float32)]
    call = tf.function(lambda x: model(x, training=False), input_signature=signature)
    return lambda x: call(x).numpy()


def _load_any(source: str) -> object:
    """Load a ``.keras`` file, an MLflow model directory or an MLflow model URI."""
    from mnist_pipeline import models, tracking  # noqa: F401  (registers custom layers)

    if source.endswith(".keras"):
        import keras

        if not Path(source).is_file():
            raise NoModelError(f"{MODEL_PATH_ENV}={source}: no such file")
        return keras.saving.load_model(source)
    if "://" not in source and ":" not in source.split("/")[0] and not Path(source).exists():
        raise NoModelError(f"{MODEL_PATH_ENV}={source}: no such file or directory")
    return tracking.load_model(source)


def load(source: str | None = None) -> LoadedModel:
    """Load the model to serve, once, and warm it up.

    Args:
        source: a ``.keras`` file, an MLflow model directory or URI; by default
            ``MNIST_MODEL_PATH``, else the registry's champion.

    Raises:
        NoModelError: nothing to serve (no champion, or a path that does not exist).
    """
    source = source or os.environ.get(MODEL_PATH_ENV)
    if source:
        model = _load_any(source)
        meta_file = Path(source).parent / METADATA_FILE if "://" not in source else None
        meta = json.loads(meta_file.read_text()) if meta_file and meta_file.is_file() else {}
        info = ModelInfo(
            name=meta.get("name", Path(source).stem),
            version=str(meta.get("version", "")),
            alias=meta.get("alias", ""),
            source=meta.get("source", Path(source).name if "://" not in source else source),
            run_id=meta.get("run_id", ""),
        )
    else:
        info = champion_info()
        model = _load_any(info.source)
    loaded = LoadedModel(fast_predict(model), info)
    loaded.predict(np.zeros((1, *config.INPUT_SHAPE), np.float32))  # trace once, now
    return loaded


def champion_info() -> ModelInfo:
    """The registry's champion, or :class:`NoModelError` saying what to run first."""
    from mlflow.exceptions import MlflowException

    from mnist_pipeline import tracking

    try:
        found = tracking.client().get_model_version_by_alias(
            config.REGISTERED_MODEL, config.CHAMPION_ALIAS
        )
    except MlflowException:
        raise NoModelError(
            f"no model version carries the '{config.CHAMPION_ALIAS}' alias of "
            f"'{config.REGISTERED_MODEL}' in {config.mlflow_tracking_uri()}: run "
            "'make notebooks' first (chapter 09 chooses the champion), or set "
            f"{MODEL_PATH_ENV} to a model file"
        ) from None
    return ModelInfo(
        name=config.REGISTERED_MODEL,
        version=str(found.version),
        alias=config.CHAMPION_ALIAS,
        source=f"models:/{config.REGISTERED_MODEL}@{config.CHAMPION_ALIAS}",
        run_id=found.run_id or "",
    )


def export_champion(directory: Path | str) -> Path:
    """Save the champion as ``model.keras`` (or an MLflow model directory) with its metadata.

    The exported directory is what the Docker image copies, so that the container serves
    the champion without a tracking server.
    """
    from mnist_pipeline import tracking

    info = champion_info()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = tracking.load_model(info.source)
    if hasattr(model, "predict_proba"):
        import mlflow

        target = directory / "mlflow-model"
        mlflow.artifacts.download_artifacts(artifact_uri=info.source, dst_path=str(target))
    else:
        target = directory / "model.keras"
        model.save(target)
    meta = {**asdict(info), "exported_from": info.source, "source": target.name}
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return target


def input_png(image: np.ndarray) -> str:
    """The 28x28 input as a ``data:`` URL (white ink on black, as the model sees it)."""
    pixels = (np.clip(image.reshape(config.IMAGE_SHAPE), 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def as_batch(array: object) -> np.ndarray:
    """Check and reshape prepared inputs to ``(n, 28, 28, 1)`` float32.

    Accepted shapes: ``(n, 28, 28, 1)``, ``(n, 28, 28)``, ``(n, 784)``; values in [0, 1].

    Raises:
        HTTPException: 422 for the wrong type, shape or range, 413 for too many images.
    """
    try:
        batch = np.asarray(array, dtype=np.float32)
    except (ValueError, TypeError):
        raise HTTPException(
            422, "inputs must be numbers: a nested list of floats of shape (n, 28, 28)"
        ) from None
    side = config.IMAGE_SHAPE[0]
    shapes = {(side, side, 1), (side, side), (side * side,)}
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
    return batch.reshape(len(batch), *config.INPUT_SHAPE)


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
    per_image = {4: (28, 28, 1), 3: (28, 28), 2: (784,)}.get(depth)
    if per_image is None:
        return None
    text = array.translate(bytes.maketrans(b"[]", b"  ")).decode("ascii")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # text mode with a separator: supported, in C
            numbers = np.fromstring(text, sep=",", dtype=np.float32)
    except ValueError:  # a token that is not a number
        return None
    n, rest = divmod(numbers.size, int(np.prod(per_image)))
    if n == 0 or rest or skeleton != _skeleton((n, *per_image)):
        return None
    return numbers.reshape(n, *per_image)


def _parse_json_inputs(body: bytes) -> object:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from None
    if not isinstance(payload, dict) or not ({"inputs", "instances"} & payload.keys()):
        raise HTTPException(
            400,
            'expected a JSON object {"inputs": [...]} or {"instances": [...]} '
            "(MLflow's scoring protocol for tensors)",
        )
    return payload.get("inputs", payload.get("instances"))


def _parse_npy(body: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise HTTPException(400, f"malformed .npy body: {exc}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        raise HTTPException(422, f".npy body of dtype {array.dtype}; expected numbers")
    return array


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"request of {int(length):,} bytes; the limit is {limit:,}")


def create_app(model: LoadedModel | None = None) -> FastAPI:
    """The service. Without ``model``, :func:`load` runs once at start-up (and fails it)."""
    from contextlib import asynccontextmanager

    state: dict[str, object] = {"model": model, "started": time.time()}
    lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state["model"] is None:
            state["model"] = await run_in_threadpool(load)
        yield

    app = FastAPI(
        title="MNIST digit reader",
        summary="The champion of the mnist-pipeline study, served.",
        version="1",
        lifespan=lifespan,
    )

    def current() -> LoadedModel:
        loaded = state["model"]
        if loaded is None:
            raise HTTPException(503, "the model is not loaded yet")
        return loaded  # type: ignore[return-value]

    def infer(batch: np.ndarray) -> np.ndarray:
        with lock:  # one batch at a time: TensorFlow already uses every core for one call
            return current().predict(batch)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(
            resources.files("mnist_pipeline").joinpath("static/index.html").read_text()
        )

    @app.get("/health")
    def health() -> dict:
        """Ready or not, and which model version answers."""
        loaded = state["model"]
        return {
            "status": "ready" if loaded is not None else "loading",
            "model": asdict(loaded.info) if loaded is not None else None,
            "uptime_s": round(time.time() - state["started"], 1),
        }

    @app.post("/predict")
    async def predict(
        request: Request, file: Annotated[UploadFile | None, File()] = None
    ) -> JSONResponse:
        """Read one uploaded PNG or JPEG (form field ``file``) and return the digit."""
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise HTTPException(
                415,
                f"send the image as multipart/form-data in the field 'file', not "
                f"{content_type or 'a body without a content type'}",
            )
        _check_length(request, MAX_UPLOAD_BYTES + 64 * 1024)
        if file is None:
            raise HTTPException(400, "no file uploaded: send one PNG or JPEG in the field 'file'")
        declared = (file.content_type or "").split(";")[0].strip().lower()
        if declared not in UPLOAD_TYPES and declared != "application/octet-stream":
            raise HTTPException(
                415, f"{file.filename}: {declared} is not accepted; send a PNG or JPEG"
            )
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"{file.filename}: larger than {MAX_UPLOAD_BYTES:,} bytes")
        name = file.filename or "upload"
        found = preprocess.image_format(data) if data else None
        if found == "too large":
            raise HTTPException(413, f"{name}: too large")
        if data and found is not None and found not in UPLOAD_TYPES.values():
            raise HTTPException(415, f"{name}: a {found} image; send a PNG or JPEG")
        try:
            image = await run_in_threadpool(preprocess.digit_from_bytes, data, name)
        except preprocess.ImageTooLargeError as exc:
            raise HTTPException(413, str(exc)) from None
        except preprocess.InvalidImageError as exc:
            raise HTTPException(422, str(exc)) from None
        start = time.perf_counter()
        probabilities = (await run_in_threadpool(infer, image[np.newaxis]))[0]
        return JSONResponse(
            {
                "digit": int(np.argmax(probabilities)),
                "confidence": float(np.max(probabilities)),
                "probabilities": [round(float(p), 6) for p in probabilities],
                "model": asdict(current().info),
                "input_image": input_png(image),
                "inference_ms": round((time.perf_counter() - start) * 1000, 2),
            }
        )

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        """Class probabilities for a batch of prepared inputs (MLflow's scoring protocol).

        JSON: ``{"inputs": [[[...28 floats] x 28] x n]}`` answered ``{"predictions": ...}``.
        Binary: a ``.npy`` body with ``Content-Type: application/x-npy``, answered as a
        ``(n, 10)`` float32 ``.npy`` unless ``Accept: application/json``.
        """
        _check_length(request, MAX_BODY_BYTES)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in {"application/json", NPY_TYPE, "application/octet-stream"}:
            raise HTTPException(
                415, f"{content_type or 'no content type'}: send application/json or {NPY_TYPE}"
            )
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(
                413, f"request of {len(body):,} bytes; the limit is {MAX_BODY_BYTES:,}"
            )
        binary = content_type != "application/json"
        if binary:
            raw = _parse_npy(body)
        else:
            raw = fast_json_batch(body)
            if raw is None:
                raw = await run_in_threadpool(_parse_json_inputs, body)
        batch = await run_in_threadpool(as_batch, raw)
        probabilities = await run_in_threadpool(infer, batch)
        accept = request.headers.get("accept", "")
        if NPY_TYPE in accept or (binary and "application/json" not in accept):
            buffer = io.BytesIO()
            np.save(buffer, probabilities.astype(np.float32), allow_pickle=False)
            return Response(buffer.getvalue(), media_type=NPY_TYPE)
        text = json.dumps({"predictions": np.round(probabilities, 6).tolist()})
        return Response(text, media_type="application/json")

    return app


def main(argv: list[str] | None = None) -> int:
    """``python -m mnist_pipeline.serve [--host H] [--port P] [--model PATH]`` or ``export DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_pipeline.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default=os.environ.get("HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--model",
        help=f"a .keras file or MLflow model URI (default: ${MODEL_PATH_ENV}, else the champion)",
    )
    parser.add_argument("--export", metavar="DIR", help="save the champion into DIR and exit")
    args = parser.parse_args(argv)
    try:
        if args.export:
            print(f"exported the champion to {export_champion(args.export)}")
            return 0
        loaded = load(args.model)
    except NoModelError as exc:
        print(f"mnist_pipeline.serve: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    info = loaded.info
    print(
        f"serving {info.name} version {info.version or '-'} ({info.source}) on http://{args.host}:{args.port}"
    )
    uvicorn.run(create_app(loaded), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
