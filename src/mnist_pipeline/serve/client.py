"""A small HTTP client for the service, on the loopback interface only.

Chapter 11 and the tests start the service with :func:`start_service` and talk to it with
:func:`upload`, :func:`invoke`, :func:`invoke_json` and :func:`get_json`; :func:`verdict` reads
the "not a digit" fields of an answer; :func:`canvas_drawing` makes a PNG like the page's canvas
sends. :mod:`mnist_pipeline.serve.bench` measures servers with the same client.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from PIL import Image, ImageDraw

REQUEST_TIMEOUT_S = 60.0
START_TIMEOUT_S = 180.0


@dataclass
class Server:
    """A server started for the benchmark: its name, base URL, process and log file.

    The server writes to a file, never to a pipe: nobody reads a pipe while requests run,
    and a server that logs each request (``mlflow models serve`` prints a progress bar per
    prediction) would fill it and block.
    """

    name: str
    url: str
    process: subprocess.Popen | None = None
    log: Path | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError(f"{url}: the benchmark only talks to the loopback interface")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT_S)


def request(
    connection: http.client.HTTPConnection, path: str, body: bytes, content_type: str
) -> tuple[int, bytes]:
    """POST ``body`` on an open connection; the status and the body of the answer."""
    connection.request("POST", path, body=body, headers={"Content-Type": content_type})
    response = connection.getresponse()
    return response.status, response.read()


def wait_ready(server: Server, path: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll ``path`` until it answers 200; raise with the server's output if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.output()[-3000:]}")
        try:
            connection = _connection(server.url)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(
        f"{server.name} was not ready after {timeout_s:.0f} s:\n{server.output()[-3000:]}"
    )


def _log_file(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix="mnist-bench-")) / f"{name}.log"


def start_service(model: str | None = None) -> Server:
    """``python -m mnist_pipeline.serve`` on a free loopback port, ready."""
    port = free_port()
    command = [sys.executable, "-m", "mnist_pipeline.serve", "--port", str(port)]
    if model:
        command += ["--model", model]
    log = _log_file("service")
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = Server("this service", f"http://127.0.0.1:{port}", process, log)
    wait_ready(server, "/health")
    return server


def json_body(images: np.ndarray) -> bytes:
    """MLflow's scoring protocol for tensors: ``{"inputs": [...]}``."""
    return json.dumps({"inputs": np.round(images, 4).tolist()}).encode()


def npy_body(images: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, images.astype(np.float32), allow_pickle=False)
    return buffer.getvalue()


def multipart_body(data: bytes, filename: str, content_type: str) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one file in the field ``file``, and its content type."""
    boundary = "mnist-pipeline-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def get_json(url: str, path: str) -> dict:
    """GET ``path`` and decode the JSON answer."""
    connection = _connection(url)
    connection.request("GET", path)
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def upload(
    url: str, data: bytes, filename: str, content_type: str = "image/png"
) -> tuple[int, dict]:
    """POST one file to ``/predict`` as a browser does; the status and the decoded answer."""
    connection = _connection(url)
    status, body = request(connection, "/predict", *multipart_body(data, filename, content_type))
    connection.close()
    return status, json.loads(body)


def invoke(url: str, images: np.ndarray) -> np.ndarray:
    """Class probabilities for prepared images from ``/invocations`` (``.npy`` both ways)."""
    connection = _connection(url)
    status, body = request(connection, "/invocations", npy_body(images), "application/x-npy")
    connection.close()
    if status != 200:
        raise RuntimeError(f"/invocations answered {status}: {body[:200]!r}")
    return np.load(io.BytesIO(body), allow_pickle=False)


@dataclass(frozen=True)
class Verdict:
    """Whether the service took an image for a digit: ``is_digit`` (None when the served model
    has no detector), the detector's score and its threshold (None likewise)."""

    is_digit: bool | None
    score: float | None
    threshold: float | None


def verdict(answer: dict) -> Verdict:
    """The "not a digit" fields of a ``/predict`` answer.

    Raises:
        KeyError: an answer without them (an error, or a service older than the fields).
    """
    return Verdict(answer["is_digit"], answer["ood_score"], answer["ood_threshold"])


def invoke_json(url: str, images: np.ndarray) -> tuple[np.ndarray, list[Verdict]]:
    """Class probabilities and a :class:`Verdict` per image from ``/invocations`` (JSON answer).

    The ``.npy`` answer of :func:`invoke` holds probabilities only; this one asks for JSON.
    """
    connection = _connection(url)
    connection.request(
        "POST",
        "/invocations",
        body=npy_body(images),
        headers={"Content-Type": "application/x-npy", "Accept": "application/json"},
    )
    response = connection.getresponse()
    status, body = response.status, response.read()
    connection.close()
    if status != 200:
        raise RuntimeError(f"/invocations answered {status}: {body[:200]!r}")
    answer = json.loads(body)
    probabilities = np.asarray(answer["predictions"], dtype=np.float32)
    if answer["is_digit"] is None:
        verdicts = [Verdict(None, None, None)] * len(probabilities)
    else:
        verdicts = [
            Verdict(is_digit, score, answer["ood_threshold"])
            for is_digit, score in zip(answer["is_digit"], answer["ood_score"], strict=True)
        ]
    return probabilities, verdicts


def image_from_data_url(data_url: str) -> np.ndarray:
    """The 28x28 input a ``/predict`` answer carries, as floats in [0, 1]."""
    png = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)), dtype=np.float32) / 255.0


def canvas_drawing(
    strokes: list[list[tuple[float, float]]], size: int = 280, pen: int = 18
) -> bytes:
    """A PNG like the page's canvas sends: black round-pen strokes on a white square.

    Args:
        strokes: polylines in coordinates from 0 to 1 across the canvas.
        size: the canvas's side in pixels (the page's is 280).
        pen: the pen's width in pixels (the page's is 18).
    """
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * size, y * size) for x, y in stroke]
        draw.line(points, fill="black", width=pen, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill="black")
    return png_bytes(image)


def png_bytes(image: object) -> bytes:
    """A Pillow image encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
