"""Serve the champion: a REST API and a web page where anyone draws or uploads a digit.

``python -m mnist_pipeline.serve`` (``make serve``) loads the model once and answers on
http://127.0.0.1:8000:

- ``GET /``: the page (a canvas to draw on, a file picker, the answer with every class's
  probability and the 28x28 image the model saw); one HTML file, nothing fetched.
- ``POST /predict``: one PNG or JPEG in the form field ``file``, through
  :func:`mnist_pipeline.data.user_images.digit_from_bytes`; JSON answer.
- ``POST /invocations``: a batch of prepared 28x28 inputs in [0, 1], as MLflow's scoring
  protocol (``inputs``, ``instances``, ``dataframe_split`` or ``dataframe_records``) or as a
  ``.npy`` body (``Content-Type: application/x-npy``), answered as ``{"predictions": ...}``
  or ``.npy``.
- ``GET /model-card``: the served model's card, in Markdown.
- ``GET /health``: whether the model is loaded, which one, and its detector; OpenAPI docs at
  ``/docs``.

Every JSON prediction says whether the image looks like a digit: ``is_digit``, with the
model's "not a digit" detector's ``ood_score`` and ``ood_threshold`` (all null for a model
served without a detector; the ``.npy`` answer holds probabilities only).

Which model, and how it is loaded: :mod:`mnist_pipeline.serve.model`; how request bodies
become checked batches: :mod:`mnist_pipeline.serve.inputs`; the OpenAPI contract:
:mod:`mnist_pipeline.serve.schema`.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image

from mnist_pipeline import config
from mnist_pipeline.serve import schema
from mnist_pipeline.serve.export import export_champion
from mnist_pipeline.serve.inputs import (
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_UPLOAD_BYTES,
    NPY_TYPE,
    batch_from_body,
    check_length,
    content_type,
    image_from_upload,
    uploaded_file,
)
from mnist_pipeline.serve.model import (
    MODEL_PATH_ENV,
    LoadedModel,
    NoModelError,
    load,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def input_png(image: np.ndarray) -> str:
    """The 28x28 input as a ``data:`` URL (white ink on black, as the model sees it)."""
    pixels = (np.clip(image.reshape(config.IMAGE_SHAPE), 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def verdicts(scores: np.ndarray | None, model: LoadedModel) -> dict:
    """``is_digit`` and ``ood_score`` of each image (lists) and ``ood_threshold``; all null
    for a model without a detector."""
    if scores is None or model.detector is None:
        return {"is_digit": None, "ood_score": None, "ood_threshold": None}
    return {
        "is_digit": [bool(v) for v in model.detector.is_digit(scores)],
        "ood_score": [float(v) for v in scores],
        "ood_threshold": float(model.detector.threshold),
    }


def verdict(scores: np.ndarray | None, model: LoadedModel) -> dict:
    """:func:`verdicts` of a batch of one image: ``is_digit`` and ``ood_score`` as scalars."""
    judged = verdicts(scores, model)
    if judged["is_digit"] is None:
        return judged
    return {**judged, "is_digit": judged["is_digit"][0], "ood_score": judged["ood_score"][0]}


def _answer(probabilities: np.ndarray, judged: dict, accept: str, binary: bool) -> Response:
    """Probabilities as ``.npy``, or as JSON with the detector's verdicts, as the request asked."""
    if NPY_TYPE in accept or (binary and "application/json" not in accept):
        buffer = io.BytesIO()
        np.save(buffer, probabilities.astype(np.float32), allow_pickle=False)
        return Response(buffer.getvalue(), media_type=NPY_TYPE)
    text = json.dumps({"predictions": np.round(probabilities, 6).tolist(), **judged})
    return Response(text, media_type="application/json")


def create_app(model: LoadedModel | None = None) -> FastAPI:
    """The service. Without ``model``, :func:`load` runs once at start-up (and fails it).

    Args:
        model: a loaded model to serve (tests pass a tiny one).

    Returns:
        The FastAPI application.
    """
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
    not_ready = schema.errors(_503="the model is not loaded yet")

    def current() -> LoadedModel:
        loaded = state["model"]
        if loaded is None:
            raise HTTPException(503, "the model is not loaded yet")
        return loaded  # type: ignore[return-value]

    def infer(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and the detector's scores (None without a detector), in one call."""
        with lock:  # one batch at a time: TensorFlow already uses every core for one call
            return current().read(batch)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(
            resources.files("mnist_pipeline.serve").joinpath("static/index.html").read_text()
        )

    @app.get("/health", response_model=schema.Health)
    def health() -> dict:
        """Ready or not, which model version answers, and whether it can say "not a digit"."""
        loaded = state["model"]
        return {
            "status": "ready" if loaded is not None else "loading",
            "model": asdict(loaded.info) if loaded is not None else None,
            "detector": loaded.detector_summary() if loaded is not None else None,
            "uptime_s": round(time.time() - state["started"], 1),
        }

    @app.get(
        "/model-card",
        response_class=Response,
        responses={**schema.MODEL_CARD_OK, **schema.errors(_404="the model has no card")},
    )
    def model_card() -> Response:
        """The served model's card (Markdown): the registered version's description."""
        card = current().card
        if not card:
            info = current().info
            raise HTTPException(404, f"{info.name} version {info.version or '-'} has no model card")
        return Response(card, media_type="text/markdown; charset=utf-8")

    @app.post(
        "/predict",
        openapi_extra=schema.PREDICT_BODY,
        responses={
            200: {
                "model": schema.Prediction,
                "description": "the digit, and whether the image looks like a digit at all",
            },
            **schema.errors(
                _400="no field 'file', or a malformed form",
                _413=f"over {MAX_UPLOAD_BYTES:,} bytes or 25 million pixels",
                _415="not multipart/form-data, or a file other than PNG or JPEG",
                _422="an empty, unreadable or truncated file, a blank page or an all-ink page",
            ),
            **not_ready,
        },
    )
    async def predict(request: Request) -> JSONResponse:
        """Read one uploaded PNG or JPEG (form field ``file``) and return the digit.

        ``is_digit`` says whether the image looks like a digit at all (the model's "not a
        digit" detector: ``ood_score`` at most ``ood_threshold``); the digit and the
        probabilities are given either way.
        """
        data, name, declared = await uploaded_file(request)
        image = await run_in_threadpool(image_from_upload, data, name, declared)
        start = time.perf_counter()
        probabilities, scores = await run_in_threadpool(infer, image[np.newaxis])
        elapsed = time.perf_counter() - start
        return JSONResponse(
            {
                "digit": int(np.argmax(probabilities[0])),
                "confidence": float(np.max(probabilities[0])),
                "probabilities": [round(float(p), 6) for p in probabilities[0]],
                "model": asdict(current().info),
                "input_image": input_png(image),
                "inference_ms": round(elapsed * 1000, 2),
                **verdict(scores, current()),
            }
        )

    @app.post(
        "/invocations",
        openapi_extra=schema.INVOCATIONS_BODY,
        responses={
            **schema.INVOCATIONS_OK,
            **schema.errors(
                _400="malformed JSON or .npy, or JSON without inputs, instances or a DataFrame",
                _413=f"over {MAX_BODY_BYTES:,} bytes or {MAX_BATCH:,} images",
                _415="a content type other than application/json or application/x-npy",
                _422="inputs of the wrong type, shape or range",
            ),
            **not_ready,
        },
    )
    async def invocations(request: Request) -> Response:
        """Class probabilities for a batch of prepared inputs (MLflow's scoring protocol).

        JSON: ``{"inputs": [[[...28 floats] x 28] x n]}`` (or ``instances``, or a DataFrame of
        784 pixel columns as ``dataframe_split`` or ``dataframe_records``) answered
        ``{"predictions": ..., "is_digit": [...], "ood_score": [...], "ood_threshold": t}``.
        Binary: a ``.npy`` body with ``Content-Type: application/x-npy``, answered as a
        ``(n, 10)`` float32 ``.npy`` of probabilities only, unless ``Accept: application/json``.
        """
        check_length(request, MAX_BODY_BYTES)
        kind = content_type(request)
        if kind not in {"application/json", NPY_TYPE, "application/octet-stream"}:
            raise HTTPException(
                415, f"{kind or 'no content type'}: send application/json or {NPY_TYPE}"
            )
        body = await request.body()
        batch = await run_in_threadpool(batch_from_body, body, kind)
        probabilities, scores = await run_in_threadpool(infer, batch)
        binary = kind != "application/json"
        judged = verdicts(scores, current())
        return _answer(probabilities, judged, request.headers.get("accept", ""), binary)

    return app


def parser() -> argparse.ArgumentParser:
    """The command line; ``HOST`` and ``PORT`` in the environment set the defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_pipeline.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default=os.environ.get("HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--model",
        help=f"a .keras file or MLflow model URI (default: ${MODEL_PATH_ENV}, else the champion)",
    )
    parser.add_argument(
        "--export", metavar="DIR", help="save the champion (and its model card) into DIR and exit"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m mnist_pipeline.serve [--host H] [--port P] [--model PATH]`` or ``--export DIR``.

    Returns:
        The exit status: 0, or 2 when there is no model to serve.
    """
    args = parser().parse_args(argv)
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
        f"serving {info.name} version {info.version or '-'} ({info.source}) "
        f"on http://{args.host}:{args.port}"
    )
    print(loaded.detector_note)
    uvicorn.run(create_app(loaded), host=args.host, port=args.port, log_level="warning")
    return 0
