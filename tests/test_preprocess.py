"""User digit images become MNIST-like inputs; bad files get a clear error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_pipeline.data import user_images
from tests.helpers import huge_png, png_bytes


def draw_one(path, size=(300, 400), offset=(40, 30), mode="RGB"):
    """A thick dark stroke, off centre, on white paper, like a '1' drawn in Paint."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).line(
        [(150 + offset[0], 60 + offset[1]), (150 + offset[0], 330)], fill="black", width=30
    )
    image.save(path)
    return path


def test_digit_becomes_centred_28x28_input(tmp_path):
    out = user_images.load_digit(draw_one(tmp_path / "one.png"))
    assert out.shape == (28, 28, 1) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
    rows, _ = np.nonzero(out[..., 0] > 0.1)
    assert rows.max() - rows.min() + 1 <= 21  # fitted into 20x20 (+1 for anti-aliasing)
    centre = np.array(ndimage.center_of_mass(out[..., 0]))
    assert np.all(np.abs(centre - 13.5) <= 1.0)
    assert out[0, :, 0].sum() == 0 and out[:, 0, 0].sum() == 0  # background is zero, ink high


def test_jpeg_and_transparent_png_are_read(tmp_path):
    jpeg = user_images.load_digit(draw_one(tmp_path / "one.jpg"))
    png = tmp_path / "alpha.png"
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # transparent paper
    ImageDraw.Draw(image).ellipse((40, 40, 160, 160), outline=(0, 0, 0, 255), width=18)
    image.save(png)
    zero = user_images.load_digit(png)
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
    with pytest.raises(user_images.InvalidImageError, match=message):
        user_images.load_digit(path)


def test_truncated_png_gets_a_clear_error(tmp_path):
    path = draw_one(tmp_path / "one.png")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(user_images.InvalidImageError):
        user_images.load_digit(path)


def test_white_on_black_is_inverted_only_when_needed(tmp_path):
    dark_on_light = user_images.load_digit(draw_one(tmp_path / "one.png"))
    light_on_dark = Image.open(tmp_path / "one.png").convert("L").point(lambda v: 255 - v)
    inverted = user_images.digit_from_bytes(png_bytes(light_on_dark))
    np.testing.assert_allclose(inverted, dark_on_light, atol=1 / 255)


def test_grey_paper_is_not_ink():
    image = Image.new("L", (120, 120), 200)  # grey scanned paper
    ImageDraw.Draw(image).line([(60, 15), (60, 105)], fill=20, width=10)
    out = user_images.digit_from_bytes(png_bytes(image))
    assert out[0, :, 0].sum() == 0 and out.max() > 0.9


@pytest.mark.parametrize(
    ("image", "error", "message"),
    [
        (Image.new("L", (200, 200), 0), user_images.InvalidImageError, "all ink"),
        (Image.new("L", (200, 200), 255), user_images.InvalidImageError, "blank"),
        (Image.new("L", (1, 1), 0), user_images.InvalidImageError, "too small"),
        (Image.new("L", (1, 1), 255), user_images.InvalidImageError, "too small"),
        (None, user_images.ImageTooLargeError, "too large"),
    ],
    ids=["all-black", "all-white", "1x1-black", "1x1-white", "20000x20000"],
)
def test_uploads_that_hold_no_digit_are_refused(image, error, message):
    data = huge_png(20_000, 20_000) if image is None else png_bytes(image)
    with pytest.raises(error, match=message):
        user_images.digit_from_bytes(data, name="upload.png")


def test_a_page_mostly_ink_is_refused():
    image = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(image).rectangle((5, 5, 94, 94), fill=0)
    with pytest.raises(user_images.InvalidImageError, match="ink covers 81%"):
        user_images.digit_from_bytes(png_bytes(image))


def test_image_format_is_sniffed_without_decoding():
    assert user_images.image_format(huge_png(20_000, 20_000)) in {"PNG", "too large"}
    assert user_images.image_format(png_bytes(Image.new("L", (9, 9)), "JPEG")) == "JPEG"
    assert user_images.image_format(b"%PDF-1.7") is None


def asymmetric_digit(size: int = 240) -> Image.Image:
    """A '7' with a foot: no rotation or mirror of it looks like itself."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    s = size / 240
    draw.line(
        [(50 * s, 40 * s), (190 * s, 40 * s), (100 * s, 200 * s)], fill="black", width=int(18 * s)
    )
    draw.line([(100 * s, 200 * s), (150 * s, 200 * s)], fill="black", width=int(18 * s))
    return image


# EXIF orientation -> how the stored pixels were turned from the upright picture (the EXIF
# spec: 3 = shown turned 180 degrees, 6 = shown turned 90 degrees clockwise, 8 = anticlockwise).
STORED_TURN = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,  # Pillow's ROTATE_90 turns anticlockwise
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", sorted(STORED_TURN))
def test_a_photo_stored_sideways_is_read_upright(orientation):
    upright = asymmetric_digit()
    stored = upright.transpose(STORED_TURN[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    tagged = io.BytesIO()
    stored.save(tagged, format="JPEG", quality=95, exif=exif)
    expected = user_images.digit_from_bytes(png_bytes(upright, "JPEG"))
    got = user_images.digit_from_bytes(tagged.getvalue(), name="photo.jpg")
    np.testing.assert_allclose(got, expected, atol=0.1)
    # without the tag the same pixels give another input: the orientation did the work
    untagged = user_images.digit_from_bytes(png_bytes(stored, "JPEG"))
    assert np.abs(untagged - expected).max() > 0.5


def test_a_large_jpeg_is_decoded_small_and_gives_the_same_input():
    big = asymmetric_digit(2400)
    data = png_bytes(big, "JPEG")
    with Image.open(io.BytesIO(data)) as image:
        decoded = user_images._upright(image, "big.jpg")
        assert max(decoded.size) <= 2400 // 4  # decoded at a quarter of the scale
    with Image.open(io.BytesIO(data)) as image:  # the reference: every pixel decoded
        full = user_images.to_mnist(np.asarray(image.convert("L")))
    np.testing.assert_allclose(user_images.digit_from_bytes(data, "big.jpg"), full, atol=0.05)
