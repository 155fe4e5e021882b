"""The service answers digits, refuses bad input with a clear status and message, and stays up."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from mnist_pipeline import serve
from mnist_pipeline.serve import inputs as serve_inputs
from tests.helpers import huge_png, png_bytes


def draw_digit(format: str = "PNG", inverted: bool = False) -> bytes:
    """A '7' drawn with a thick pen on white paper (or white on black)."""
    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).line([(40, 40), (160, 40), (90, 170)], fill=0, width=16)
    if inverted:
        image = image.point(lambda v: 255 - v)
    return png_bytes(image.convert("RGB"), format)


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    """A tiny untrained Keras model saved as an exported model is, without a detector."""
    import keras

    from mnist_pipeline import config

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(config.INPUT_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    directory = tmp_path_factory.mktemp("model")
    model.save(directory / "model.keras")
    (directory / serve.METADATA_FILE).write_text(
        json.dumps({"name": "tiny", "version": "7", "alias": "champion", "run_id": "abc"})
    )
    return directory / "model.keras"


@pytest.fixture(scope="module")
def loaded(tiny_file):
    """The tiny model loaded the way the service loads a file."""
    return serve.load(str(tiny_file))


@pytest.fixture(scope="module")
def client(loaded):
    with TestClient(serve.create_app(loaded)) as test_client:
        yield test_client


def upload(client, data: bytes, name="digit.png", content_type="image/png"):
    return client.post("/predict", files={"file": (name, data, content_type)})


def test_page_has_a_canvas_a_file_picker_and_fetches_nothing(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert (
        '<canvas id="pad"' in html
        and 'type="file"' in html
        and 'accept="image/png,image/jpeg"' in html
    )
    assert "http://" not in html and "https://" not in html and "<link" not in html
    # the "not a digit" message is announced in a status region
    assert 'id="verdict" role="status"' in html and "This does not look like a digit" in html


def test_predict_answers_a_digit_with_probabilities_and_the_model(client, loaded):
    answer = upload(client, draw_digit())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["probabilities"]) == 10 and abs(sum(body["probabilities"]) - 1) < 1e-4
    assert body["digit"] == int(np.argmax(body["probabilities"]))
    assert body["model"] == {
        "name": "tiny",
        "version": "7",
        "alias": "champion",
        "source": "model.keras",
        "run_id": "abc",
    }
    seen = Image.open(io.BytesIO(__import__("base64").b64decode(body["input_image"].split(",")[1])))
    assert seen.size == (28, 28)


def test_jpeg_and_white_on_black_give_the_same_input_as_black_on_white(client):
    plain = upload(client, draw_digit()).json()
    inverted = upload(client, draw_digit(inverted=True)).json()
    jpeg = upload(client, draw_digit("JPEG"), "digit.jpg", "image/jpeg").json()
    assert inverted["input_image"] == plain["input_image"]
    assert np.allclose(jpeg["probabilities"], plain["probabilities"], atol=0.05)


def test_predict_matches_invocations_on_the_same_input(client, loaded):
    from mnist_pipeline.data import user_images

    image = user_images.digit_from_bytes(draw_digit())
    by_upload = upload(client, draw_digit()).json()["probabilities"]
    by_batch = client.post("/invocations", json={"inputs": image[np.newaxis].tolist()}).json()
    np.testing.assert_allclose(by_batch["predictions"][0], by_upload, atol=1e-5)


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (lambda c: c.post("/predict", files={}), 415, "multipart/form-data"),
        (lambda c: c.post("/predict", data={"other": "x"}, files={"x": ("a", b"1")}), 400, "no file"),
        (lambda c: upload(c, b""), 422, "empty"),
        (lambda c: upload(c, b"this is not an image"), 422, "not an image"),
        (lambda c: upload(c, draw_digit()[:300]), 422, "unreadable image"),
        (lambda c: upload(c, b"%PDF-1.4", "a.pdf", "application/pdf"), 415, "application/pdf"),
        (lambda c: upload(c, png_bytes(Image.new("L", (20, 20)), "GIF"), "a.png"), 415, "GIF"),
        (lambda c: c.post("/predict", json={"file": "x"}), 415, "multipart/form-data"),
        (lambda c: upload(c, b"\0" * (serve.MAX_UPLOAD_BYTES + 1)), 413, "larger than"),
        (lambda c: upload(c, huge_png(20_000, 20_000)), 413, "too large"),
        (lambda c: upload(c, png_bytes(Image.new("L", (300, 300), 255))), 422, "blank"),
        (lambda c: upload(c, png_bytes(Image.new("L", (300, 300), 0))), 422, "all ink"),
        (lambda c: upload(c, png_bytes(Image.new("L", (1, 1), 0))), 422, "too small"),
    ],
    ids=[
        "no-body", "no-file-field", "empty-file", "not-an-image", "truncated", "pdf-type",
        "gif-content", "json-to-predict", "over-size-limit", "over-pixel-limit", "blank-page",
        "all-ink", "1x1",
    ],
)  # fmt: skip
def test_bad_uploads_get_a_clear_answer_and_the_service_stays_up(client, send, status, message):
    answer = send(client)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert client.get("/health").json()["status"] == "ready"


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "malformed JSON"),
        ({"json": {"data": [1, 2]}}, 400, '"inputs"'),
        ({"json": [[0.0] * 784]}, 400, '"inputs"'),
        ({"json": {"inputs": [[0.0] * 27] * 28}}, 422, "shape"),
        ({"json": {"inputs": [[[0.0] * 28] * 27]}}, 422, "shape"),
        ({"json": {"inputs": [["a"] * 784]}}, 422, "must be numbers"),
        ({"json": {"inputs": [[[0.0] * 28] * 28, [[0.0] * 28] * 27]}}, 422, "must be numbers"),
        ({"json": {"inputs": []}}, 422, "shape"),
        ({"json": {"inputs": [[255.0] * 784]}}, 422, "divide 0-255 pixels by 255"),
        ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "text/plain"),
        ({"content": b"not npy", "headers": {"content-type": "application/x-npy"}}, 400, "malformed .npy"),
        ({"content": b"x", "headers": {"content-type": "application/json", "content-length": str(10**9)}}, 413, "limit"),
    ],
    ids=[
        "malformed-json", "no-inputs-key", "bare-list", "wrong-shape-2d", "wrong-shape-3d",
        "strings", "ragged", "empty-batch", "0-255-pixels", "text-plain", "bad-npy", "too-long",
    ],
)  # fmt: skip
def test_bad_batches_get_a_clear_answer_and_the_service_stays_up(client, kwargs, status, message):
    answer = client.post("/invocations", **kwargs)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert client.get("/health").json()["status"] == "ready"


def test_too_many_images_in_one_batch_is_413(client, monkeypatch):
    monkeypatch.setattr(serve_inputs, "MAX_BATCH", 3)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 28, 28), np.float32))
    answer = client.post(
        "/invocations", content=buffer.getvalue(), headers={"content-type": "application/x-npy"}
    )
    assert answer.status_code == 413 and "limit is 3" in answer.json()["detail"]


def test_invocations_accepts_every_documented_shape_and_npy(client, loaded):
    rng = np.random.default_rng(0)
    batch = rng.random((5, 28, 28, 1), dtype=np.float32)
    expected = loaded.predict(batch)
    for inputs in (batch, batch[..., 0], batch.reshape(5, 784)):
        for key in ("inputs", "instances"):
            answer = client.post("/invocations", json={key: inputs.tolist()})
            assert answer.status_code == 200, answer.text
            np.testing.assert_allclose(answer.json()["predictions"], expected, atol=1e-5)
    buffer = io.BytesIO()
    np.save(buffer, batch)
    npy = client.post(
        "/invocations", content=buffer.getvalue(), headers={"content-type": "application/x-npy"}
    )
    assert npy.headers["content-type"] == serve.NPY_TYPE
    np.testing.assert_allclose(np.load(io.BytesIO(npy.content)), expected, atol=1e-6)
    as_json = client.post(
        "/invocations",
        content=buffer.getvalue(),
        headers={"content-type": "application/x-npy", "accept": "application/json"},
    )
    np.testing.assert_allclose(as_json.json()["predictions"], expected, atol=1e-5)


def test_health_and_docs(client):
    health = client.get("/health").json()
    assert health["status"] == "ready" and health["model"]["version"] == "7"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/predict", "/invocations", "/health"} <= paths.keys()


def test_no_champion_refuses_to_start_and_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.delenv(serve.MODEL_PATH_ENV, raising=False)
    with pytest.raises(serve.NoModelError, match="make notebooks"):
        serve.load()
    assert serve.main(["--port", "0"]) == 2
    assert "make notebooks" in capsys.readouterr().err
    with pytest.raises(serve.NoModelError), TestClient(serve.create_app()):
        pass


def test_a_missing_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(serve.NoModelError, match="no such file"):
        serve.load(str(tmp_path / "nothing.keras"))
    with pytest.raises(serve.NoModelError, match="no such file"):
        serve.load(str(tmp_path / "nothing"))


@pytest.mark.parametrize("shape", [(3, 28, 28, 1), (2, 28, 28), (4, 784), (1, 784)])
def test_the_fast_json_path_reads_what_json_reads(shape):
    batch = np.random.default_rng(1).random(shape).round(5)
    for body in (
        json.dumps({"inputs": batch.tolist()}),
        json.dumps({"instances": batch.tolist()}, indent=1),
        json.dumps({"inputs": (batch * 0).astype(int).tolist()}),
    ):
        fast = serve.fast_json_batch(body.encode())
        assert fast is not None and fast.dtype == np.float32
        expected = next(iter(json.loads(body).values()))
        np.testing.assert_array_equal(fast, np.asarray(expected, np.float32))


@pytest.mark.parametrize(
    "body",
    [
        '{"inputs": [[0.5, 0.5]]}',  # another shape
        '{"inputs": [' + ",".join(["[" + ",".join(["0.1"] * 783) + "]"]) + "]}",  # 783 numbers
        '{"inputs": [[' + ",".join(["0.1"] * 783) + ",1.2.3]]}",  # not a number
        '{"inputs": [[' + ",".join(["0.1"] * 783) + ",NaN]]}",
        '{"inputs": [], "params": {}}',
        '{"inputs": []}',
        '{"data": [[' + ",".join(["0.1"] * 784) + "]]}",
        "[[" + ",".join(["0.1"] * 784) + "]]",
        '{"inputs": [[' + ",".join(["0.1"] * 392) + "],[" + ",".join(["0.1"] * 392) + "]]}",
    ],
    ids=["2-numbers", "783-numbers", "bad-number", "nan", "extra-key", "empty", "other-key",
         "bare-list", "ragged-2x392"],
)  # fmt: skip
def test_the_fast_json_path_leaves_everything_else_to_the_general_one(body):
    assert serve.fast_json_batch(body.encode()) is None


def test_the_benchmark_talks_to_loopback_only():
    from mnist_pipeline.serve import bench

    with pytest.raises(ValueError, match="loopback"):
        bench.get_json("http://example.org:80", "/health")


def test_a_canvas_drawing_reads_like_the_page_sends_it():
    from mnist_pipeline.data import user_images
    from mnist_pipeline.serve import bench

    png = bench.canvas_drawing([[(0.5, 0.15), (0.5, 0.85)]])
    assert Image.open(io.BytesIO(png)).size == (280, 280)
    image = user_images.digit_from_bytes(png)[..., 0]
    rows, cols = np.nonzero(image > 0.5)
    assert rows.max() - rows.min() >= 18 and cols.max() - cols.min() <= 6  # a tall thin stroke


@pytest.mark.parametrize("orient", ["split", "records"])
def test_invocations_reads_a_dataframe_as_mlflow_sends_it(client, loaded, orient):
    import pandas as pd

    batch = np.random.default_rng(2).random((3, 784)).round(4)
    frame = pd.DataFrame(batch, columns=[f"pixel{i}" for i in range(784)])
    body = {f"dataframe_{orient}": json.loads(frame.to_json(orient=orient))}
    answer = client.post("/invocations", json=body)
    assert answer.status_code == 200, answer.text
    expected = loaded.predict(batch.reshape(3, 28, 28, 1).astype(np.float32))
    np.testing.assert_allclose(answer.json()["predictions"], expected, atol=1e-5)
    refused = client.post("/invocations", json={f"dataframe_{orient}": "not a frame"})
    assert refused.status_code == 400 and "784 pixel columns" in refused.json()["detail"]
    if orient == "split":  # found by Schemathesis: column names that are numbers were accepted
        body["dataframe_split"]["columns"][3] = 3.5
        refused = client.post("/invocations", json=body)
        assert refused.status_code == 400 and "784 column names" in refused.json()["detail"]
    as_bytes = client.post(
        "/invocations", json={"dataframe_split": {"data": (batch * 255).tolist()}}
    )
    assert as_bytes.status_code == 422 and "divide 0-255" in as_bytes.json()["detail"]


def test_booleans_and_strings_are_not_pixels(client):
    for leaf in (True, "0.5", None):
        answer = client.post("/invocations", json={"inputs": [[leaf] * 784]})
        assert answer.status_code == 422, (leaf, answer.text)


def test_the_model_card_is_served_as_markdown_or_404(loaded):
    from dataclasses import replace

    with TestClient(serve.create_app(replace(loaded, card="# Model card\n\nTiny.\n"))) as c:
        card = c.get("/model-card")
        assert card.status_code == 200 and card.text.startswith("# Model card")
        assert card.headers["content-type"].startswith("text/markdown")
    with TestClient(serve.create_app(replace(loaded, card=None))) as c:
        missing = c.get("/model-card")
        assert missing.status_code == 404 and "no model card" in missing.json()["detail"]


def test_a_model_card_beside_an_exported_model_is_its_card(loaded, tmp_path):
    import shutil

    source = tmp_path / "model.keras"
    shutil.copy(serve.__file__, tmp_path / "unused")  # the folder holds other files too
    (tmp_path / serve.MODEL_CARD_FILE).write_text("# Card of the exported model\n")
    (tmp_path / serve.METADATA_FILE).write_text(json.dumps({"name": "m", "version": "3"}))
    from mnist_pipeline.serve import model as serve_model

    info, card = serve_model._from_path(str(source))
    assert card == "# Card of the exported model\n" and info.version == "3"


def test_the_command_line_reads_host_and_port_from_the_environment(monkeypatch):
    """The Docker image sets HOST and PORT; flags still win over them."""
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    args = serve.parser().parse_args([])
    assert (args.host, args.port, args.model, args.export) == ("0.0.0.0", 9123, None, None)
    args = serve.parser().parse_args(["--port", "8081", "--export", "build/x"])
    assert (args.host, args.port, args.export) == ("0.0.0.0", 8081, "build/x")
    monkeypatch.delenv("HOST")
    monkeypatch.delenv("PORT")
    args = serve.parser().parse_args([])
    assert (args.host, args.port) == (serve.DEFAULT_HOST, serve.DEFAULT_PORT)


LOAD_IN_A_FRESH_PROCESS = """
import sys
import numpy as np
from mnist_pipeline import serve
for source in sys.argv[1:]:
    loaded = serve.load(source)
    probabilities = loaded.predict(np.zeros((2, 28, 28, 1), np.float32))
    assert probabilities.shape == (2, 10), probabilities.shape
    print(source, loaded.info.version, repr(loaded.card))
print("models imported:", "mnist_pipeline.models" in sys.modules)
"""


@pytest.mark.slow
def test_the_registered_and_exported_champion_load_without_the_model_code(mlflow_store, tmp_path):
    """Registered and exported, with its card; served by a process that never imports models."""
    import os
    import subprocess
    import sys

    import keras

    from mnist_pipeline import config, tracking

    model = keras.Sequential(
        [keras.Input(config.INPUT_SHAPE), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    with tracking.start_run("tiny", {"model_key": "tiny"}, experiment=mlflow_store):
        version = tracking.log_model(model, np.zeros((2, 28, 28, 1), np.float32), "tiny")
    tracking.set_champion(version)
    card = "# Model card: tiny\n\nFor the export test.\n"
    tracking.client().update_model_version(config.registered_model(), version, description=card)

    target = serve.export_champion(tmp_path / "champion")
    assert target.name == "model.keras"
    assert (tmp_path / "champion" / serve.MODEL_CARD_FILE).read_text() == card
    meta = json.loads((tmp_path / "champion" / serve.METADATA_FILE).read_text())
    assert meta["version"] == version and meta["alias"] == config.CHAMPION_ALIAS

    uri = f"models:/{config.registered_model()}@{config.CHAMPION_ALIAS}"
    ran = subprocess.run(
        [sys.executable, "-c", LOAD_IN_A_FRESH_PROCESS, uri, str(target)],
        capture_output=True,
        check=False,
        text=True,
        env=os.environ.copy(),  # the test's MLflow store
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    lines = ran.stdout.strip().splitlines()
    assert lines[0] == f"{uri} {version} {card!r}"
    assert lines[1] == f"{target} {version} {card!r}"
    assert lines[-1] == "models imported: False"


def test_a_pixel_just_above_one_is_refused_as_the_schema_says(client):
    """Found by Schemathesis: 1.0000000000000002 rounds to 1.0 in float32 and slipped through."""
    inputs = np.ones((1, 28, 28)).tolist()
    inputs[0][0][0] = 1.0000000000000002
    answer = client.post("/invocations", json={"inputs": inputs})
    assert answer.status_code == 422 and "expected [0, 1]" in answer.json()["detail"]
    assert (
        client.post("/invocations", json={"inputs": np.ones((1, 28, 28)).tolist()}).status_code
        == 200
    )


# --- "Not a digit": the detector travels with the model, and every answer says what it thinks.


def noise_page(seed: int) -> bytes:
    """Pixel noise, black or white at random, in a 20x20 square on a white page, as PNG.

    The service's preparation crops to the ink and keeps this noise sharp. (Noise over a whole
    page is prepared into a dim, evenly textured square instead: see the report of issue 23.)
    """
    rng = np.random.default_rng(seed)
    page = np.full((40, 40), 255, np.uint8)
    page[10:30, 10:30] = rng.integers(0, 2, (20, 20)) * 255
    return png_bytes(Image.fromarray(page))


@pytest.fixture(scope="module")
def mnist():
    from mnist_pipeline import data

    return data.load_mnist()


@pytest.fixture(scope="module")
def detecting_file(mnist, tmp_path_factory):
    """A small MLP trained on 5,000 MNIST digits (about 300 steps), saved with its detector
    (``detector.json`` beside it) fitted on its own features of those digits and 2,000 others."""
    import keras

    from mnist_pipeline import config
    from mnist_pipeline.data import prepare
    from mnist_pipeline.models import detector

    keras.utils.set_random_seed(config.SEED)
    model = keras.Sequential(
        [
            keras.Input(config.INPUT_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu", name="features"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy")
    x, y = prepare.normalize(mnist.x_train[:5_000]), mnist.y_train[:5_000]
    model.fit(x, prepare.one_hot(y), epochs=2, batch_size=32, verbose=0)
    fitted = detector.fit_to_model(model, x, y, prepare.normalize(mnist.x_train[55_000:57_000]))
    directory = tmp_path_factory.mktemp("detecting")
    model.save(directory / "model.keras")
    (directory / serve.DETECTOR_FILE).write_text(json.dumps(fitted.to_dict()))
    return directory / "model.keras"


@pytest.fixture(scope="module")
def detecting(detecting_file):
    """The model and its detector loaded as the service loads an exported model."""
    return serve.load(str(detecting_file))


@pytest.fixture(scope="module")
def detecting_client(detecting):
    with TestClient(serve.create_app(detecting)) as test_client:
        yield test_client


def test_the_service_names_the_detector_file_as_the_runs_log_it():
    from mnist_pipeline.models import detector

    assert serve.DETECTOR_FILE == detector.ARTIFACT


@pytest.mark.slow
def test_noise_is_not_a_digit_and_a_clear_digit_is(detecting, detecting_client, mnist):
    from mnist_pipeline.data import prepare

    assert detecting.detector is not None and detecting.detector.layers == ("features",)
    threshold = detecting.detector.threshold
    noise = np.random.default_rng(0).random((20, 28, 28, 1), dtype=np.float32)
    digits = prepare.normalize(mnist.x_test[:100])
    answer = detecting_client.post(
        "/invocations", json={"inputs": np.concatenate([noise, digits]).tolist()}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ood_threshold"] == pytest.approx(threshold)
    assert body["is_digit"] == [s <= threshold for s in body["ood_score"]]
    assert not any(body["is_digit"][:20])  # every noise image
    assert np.mean(body["is_digit"][20:]) >= 0.95  # the detector refuses about 1 % of digits

    for data, expected in [(noise_page(1), False), (draw_digit(), True)]:
        one = upload(detecting_client, data).json()
        assert one["is_digit"] is expected, one
        assert (one["ood_score"] > threshold) is not expected
        assert one["ood_threshold"] == pytest.approx(threshold)
        assert len(one["probabilities"]) == 10  # given either way
    assert upload(detecting_client, draw_digit()).json()["digit"] == 7

    health = detecting_client.get("/health").json()["detector"]
    assert health["loaded"] and health["threshold"] == pytest.approx(threshold)
    assert health["layers"] == ["features"] and "detector.json beside model.keras" in health["note"]
    assert health["method"] == "mahalanobis-layers"  # the detector's own name (METHOD)


@pytest.mark.slow
def test_one_compiled_call_gives_the_probabilities_and_the_scores(detecting, detecting_file, mnist):
    """With a detector, ``read`` never calls ``predict``: the features come with the probabilities."""
    from dataclasses import replace

    from mnist_pipeline.data import prepare
    from mnist_pipeline.models import detector

    def unused(batch):
        raise AssertionError("predict was called beside predict_and_features")

    images = prepare.normalize(mnist.x_test[:8])
    probabilities, scores = replace(detecting, predict=unused).read(images)
    np.testing.assert_allclose(probabilities, detecting.predict(images), atol=1e-6)
    features = detecting.predict_and_features(images)[1]
    assert features.shape == (8, 64)
    model = __import__("keras").saving.load_model(detecting_file)
    np.testing.assert_allclose(
        features, detector.features(model, images, "features"), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(scores, detecting.detector.score(features))


def test_a_model_without_a_detector_answers_null_and_says_so(client, loaded):
    assert loaded.detector is None
    body = upload(client, draw_digit()).json()
    assert {key: body[key] for key in ("is_digit", "ood_score", "ood_threshold")} == {
        "is_digit": None,
        "ood_score": None,
        "ood_threshold": None,
    }
    batch = client.post("/invocations", json={"inputs": np.zeros((2, 784)).tolist()}).json()
    assert (batch["is_digit"], batch["ood_score"], batch["ood_threshold"]) == (None, None, None)
    detector = client.get("/health").json()["detector"]
    assert detector["loaded"] is False and detector["threshold"] is None
    assert "no 'not a digit' detector" in detector["note"] and "detector.json" in detector["note"]


def test_the_schema_documents_the_not_a_digit_fields(client):
    components = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("Prediction", "Predictions"):
        fields = components[model]["properties"]
        assert set(components[model]["required"]) >= {"is_digit", "ood_score", "ood_threshold"}
        for name in ("is_digit", "ood_score", "ood_threshold"):
            assert "null" in json.dumps(fields[name]), (model, name)  # null without a detector
            assert "detector" in fields[name]["description"], (model, name)
    assert "threshold" in components["Health"]["properties"]["detector"]["description"] + str(
        components["DetectorDescription"]["properties"]
    )


def test_a_detector_that_does_not_fit_the_model_is_a_clear_error(tiny_file, tmp_path):
    import shutil

    from mnist_pipeline.models import detector

    x = np.random.default_rng(0).normal(size=(100, 8))
    source = tmp_path / "model.keras"
    shutil.copy(tiny_file, source)
    (flatten,) = detector.feature_layers(__import__("keras").saving.load_model(tiny_file))
    for layer, message in [("no_such_layer", "no_such_layer"), (flatten, "dimensions")]:
        fitted = detector.fit(x, np.arange(100) % 10, x, layer=layer)
        (tmp_path / serve.DETECTOR_FILE).write_text(json.dumps(fitted.to_dict()))
        with pytest.raises(serve.NoModelError, match=message):
            serve.load(str(source))
    (tmp_path / serve.DETECTOR_FILE).write_text("{not json")
    with pytest.raises(serve.NoModelError, match="detector.json beside model.keras"):
        serve.load(str(source))


@pytest.mark.slow
def test_the_detector_comes_from_the_registered_versions_run_and_is_exported(
    mlflow_store, tmp_path
):
    """From the registry: the run's detector.json; exported beside the model; an export of a
    version without one removes the file an earlier export left."""
    import keras

    from mnist_pipeline import config, tracking
    from mnist_pipeline.data import prepare
    from mnist_pipeline.models import detector
    from tests.helpers import make_tiny_mnist

    tiny = make_tiny_mnist(n_train=200, n_test=50)
    x, y, val = prepare.normalize(tiny.x_train), tiny.y_train, prepare.normalize(tiny.x_test)
    model = keras.Sequential(
        [
            keras.Input(config.INPUT_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="relu", name="features"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    fitted = detector.fit_to_model(model, x, y, val)
    with tracking.start_run("with", {"model_key": "tiny"}, experiment=mlflow_store):
        tracking.log_text(json.dumps(fitted.to_dict()), detector.ARTIFACT)
        with_detector = tracking.log_model(model, x[:2], "tiny")
    with tracking.start_run("without", {"model_key": "tiny"}, experiment=mlflow_store):
        without = tracking.log_model(model, x[:2], "tiny")

    name = config.registered_model()
    for uri in (f"models:/{name}/{with_detector}", f"models:/{name}/{without}"):
        served = serve.load(uri)
        if uri.endswith(f"/{with_detector}"):
            assert served.detector.threshold == pytest.approx(fitted.threshold)
            assert f"{detector.ARTIFACT} of run {served.info.run_id}" in served.detector_note
            np.testing.assert_allclose(
                served.read(val)[1],
                fitted.score(detector.features(model, val, "features")),
                rtol=1e-5,
            )
        else:
            assert served.detector is None and "has no detector.json" in served.detector_note

    exported = tmp_path / "champion"
    tracking.set_champion(with_detector)
    target = serve.export_champion(exported)
    assert json.loads((exported / serve.DETECTOR_FILE).read_text()) == fitted.to_dict()
    assert serve.load(str(target)).detector.threshold == pytest.approx(fitted.threshold)
    tracking.set_champion(without)
    serve.export_champion(exported)
    assert not (exported / serve.DETECTOR_FILE).exists()
    assert serve.load(str(target)).detector is None
