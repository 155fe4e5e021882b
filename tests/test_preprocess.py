"""User digit images become MNIST-like inputs; bad files get a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_pipeline import preprocess


def draw_one(path, size=(300, 400), offset=(40, 30), mode="RGB"):
    """A thick dark stroke, off centre, on white paper, like a '1' drawn in Paint."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).line(
        [(150 + offset[0], 60 + offset[1]), (150 + offset[0], 330)], fill="black", width=30
    )
    image.save(path)
    return path


def test_digit_becomes_centred_28x28_input(tmp_path):
    out = preprocess.load_digit(draw_one(tmp_path / "one.png"))
    assert out.shape == (28, 28, 1) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
    rows, _ = np.nonzero(out[..., 0] > 0.1)
    assert rows.max() - rows.min() + 1 <= 21  # fitted into 20x20 (+1 for anti-aliasing)
    centre = np.array(ndimage.center_of_mass(out[..., 0]))
    assert np.all(np.abs(centre - 13.5) <= 1.0)
    assert out[0, :, 0].sum() == 0 and out[:, 0, 0].sum() == 0  # background is zero, ink high


def test_jpeg_and_transparent_png_are_read(tmp_path):
    jpeg = preprocess.load_digit(draw_one(tmp_path / "one.jpg"))
    png = tmp_path / "alpha.png"
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # transparent paper
    ImageDraw.Draw(image).ellipse((40, 40, 160, 160), outline=(0, 0, 0, 255), width=18)
    image.save(png)
    zero = preprocess.load_digit(png)
    assert jpeg.max() > 0.9 and zero.max() > 0.9
    assert zero[14, 14, 0] < 0.2  # the hole of a zero stays empty


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("this is not an image"), "not an image"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: Image.new("L", (100, 100), 255).save(p, format="PNG"), "blank"),
        (lambda p: Image.new("1", (6000, 5000), 1).save(p, format="PNG"), "too large"),
        (lambda p: None, "no such file"),
    ],
    ids=["not-an-image", "empty", "blank-page", "huge", "missing"],
)
def test_bad_files_get_a_clear_error(tmp_path, make, message):
    path = tmp_path / "digit.png"
    make(path)
    with pytest.raises(preprocess.InvalidImageError, match=message):
        preprocess.load_digit(path)


def test_truncated_png_gets_a_clear_error(tmp_path):
    path = draw_one(tmp_path / "one.png")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(preprocess.InvalidImageError):
        preprocess.load_digit(path)
