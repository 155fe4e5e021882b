"""Measure a model server over HTTP on the loopback interface, bounded in count and time.

``python -m mnist_pipeline.serve.bench`` (``make bench-serve``) starts this project's service and
``mlflow models serve`` on the same champion, each on a free port of 127.0.0.1, and
measures both the same way: single-image latency (p50, p95) over one kept-alive
connection, the time to score a batch of 1,000 images, and 8 concurrent clients sending
500 requests in all. Nothing leaves the machine. The HTTP client is
:mod:`mnist_pipeline.serve.client`; its names stay importable from here.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from mnist_pipeline import config
from mnist_pipeline.serve import client
from mnist_pipeline.serve.client import (  # noqa: F401  (chapter 11 and the tests call them as bench.X)
    REQUEST_TIMEOUT_S,
    START_TIMEOUT_S,
    Server,
    Verdict,
    _connection,
    _log_file,
    canvas_drawing,
    free_port,
    get_json,
    image_from_data_url,
    invoke,
    invoke_json,
    json_body,
    multipart_body,
    npy_body,
    png_bytes,
    request,
    start_service,
    verdict,
    wait_ready,
)

upload = client.upload  # chapter 11 calls bench.upload; measure() has a parameter of that name


def start_mlflow_serve(model_uri: str) -> Server:
    """``mlflow models serve`` (local environment, one worker) on a free loopback port, ready."""
    port = free_port()
    mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
    command = [mlflow_cli, "models", "serve", "-m", model_uri, "--env-manager", "local"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    # MLflow starts its server as `uvicorn ...` through a shell: the environment's bin/ must
    # be on PATH even when this Python was started by its full path (as make does).
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    env = {**os.environ, "MLFLOW_TRACKING_URI": config.mlflow_tracking_uri(), "PATH": path}
    log = _log_file("mlflow-serve")
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server("mlflow models serve", f"http://127.0.0.1:{port}", process, log)
    wait_ready(server, "/ping")
    return server


def single_latency(
    url: str, body: bytes, content_type: str, n: int, path: str = "/invocations"
) -> dict:
    """Send ``n`` one-image requests one after the other on a kept-alive connection.

    Returns:
        p50 and p95 in milliseconds, and the count of answers that were not 200.
    """
    connection = _connection(url)
    for _ in range(min(10, n)):  # warm-up: connection, first calls
        request(connection, path, body, content_type)
    times, failed = [], 0
    for _ in range(n):
        start = time.perf_counter()
        status, _ = request(connection, path, body, content_type)
        times.append(time.perf_counter() - start)
        failed += status != 200
    connection.close()
    return {
        "p50_ms": float(np.percentile(times, 50) * 1000),
        "p95_ms": float(np.percentile(times, 95) * 1000),
        "failed": failed,
    }


def batch_time(url: str, body: bytes, content_type: str, repeats: int = 3) -> float:
    """Best wall time in seconds of ``repeats`` requests scoring one batch (after a warm-up)."""
    connection = _connection(url)
    request(connection, "/invocations", body, content_type)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        status, _ = request(connection, "/invocations", body, content_type)
        if status != 200:
            raise RuntimeError(f"{url}: a batch was answered {status}")
        best = min(best, time.perf_counter() - start)
    connection.close()
    return best


def concurrent(
    url: str, body: bytes, content_type: str, clients: int = 8, total: int = 500
) -> dict:
    """``clients`` threads with a connection each send ``total`` requests in all.

    Returns:
        Counts of requests sent, answered 200, answered otherwise and lost (no answer),
        and the wall time in seconds.
    """
    shares = [total // clients + (i < total % clients) for i in range(clients)]

    def client(count: int) -> tuple[int, int, int]:
        ok = other = lost = 0
        connection = _connection(url)
        for _ in range(count):
            try:
                status, _ = request(connection, "/invocations", body, content_type)
                ok += status == 200
                other += status != 200
            except (OSError, http.client.HTTPException):
                lost += 1
                connection.close()
                connection = _connection(url)
        connection.close()
        return ok, other, lost

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        counts = list(pool.map(client, shares))
    ok, other, lost = (sum(c[i] for c in counts) for i in range(3))
    return {
        "sent": total,
        "ok": ok,
        "errors": other,
        "lost": lost,
        "seconds": time.perf_counter() - start,
    }


def measure(
    url: str, images: np.ndarray, n_single: int = 200, upload: bytes | None = None
) -> dict[str, float]:
    """Every figure of the benchmark for the server at ``url``.

    Args:
        url: the server's base URL (loopback only).
        images: prepared test images, ``(n, 28, 28, 1)`` in [0, 1]; the first 1,000 form the batch.
        n_single: how many single-image requests to time.
        upload: a PNG to time ``/predict`` with (this service only).
    """
    one = images[:1]
    batch = images[:1000]
    figures = {}
    single = single_latency(url, json_body(one), "application/json", n_single)
    figures |= {"single p50 (ms)": single["p50_ms"], "single p95 (ms)": single["p95_ms"]}
    if upload is not None:
        png = single_latency(
            url, *multipart_body(upload, "d.png", "image/png"), n_single, "/predict"
        )
        figures |= {"upload p50 (ms)": png["p50_ms"], "upload p95 (ms)": png["p95_ms"]}
    figures["batch of 1,000, JSON (s)"] = batch_time(url, json_body(batch), "application/json")
    if upload is not None:
        figures["batch of 1,000, .npy (s)"] = batch_time(url, npy_body(batch), "application/x-npy")
    load = concurrent(url, json_body(one), "application/json")
    figures |= {
        "8 clients: answered 200": load["ok"],
        "8 clients: errors": load["errors"],
        "8 clients: lost": load["lost"],
        "8 clients: seconds": load["seconds"],
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_pipeline.serve.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--single", type=int, default=200, help="single-image requests to time")
    parser.add_argument("--no-mlflow", action="store_true", help="skip mlflow models serve")
    args = parser.parse_args(argv)

    from mnist_pipeline import data, serve
    from mnist_pipeline.data import prepare

    try:
        champion = serve.champion_info()
    except serve.NoModelError as exc:
        print(f"mnist_pipeline.serve.bench: {exc}", file=sys.stderr)
        return 2
    images = prepare.normalize(data.load_mnist().x_test[:1000])
    upload = (config.EXTERNAL_DATA_DIR / "digit-3-a.png").read_bytes()
    print(f"champion: {champion.name} version {champion.version}; {os.cpu_count()} CPU cores")
    results = {}
    servers = [("this service", lambda: start_service())]
    if not args.no_mlflow:
        servers.append(("mlflow models serve", lambda: start_mlflow_serve(champion.source)))
    for name, start in servers:
        began = time.perf_counter()
        try:
            server = start()
        except RuntimeError as exc:
            print(f"{name}: did not start, so it is not measured: {exc}", file=sys.stderr)
            continue
        print(f"{name}: ready in {time.perf_counter() - began:.1f} s at {server.url}")
        try:
            results[name] = measure(
                server.url, images, args.single, upload if name == "this service" else None
            )
        finally:
            server.stop()
    table = pd.DataFrame(results)
    # "-" where a figure does not apply (mlflow models serve takes no upload and no .npy)
    print(
        table.astype(object).where(table.notna(), None).to_markdown(floatfmt=".3g", missingval="-")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
