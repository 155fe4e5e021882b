"""Images that are not digits, generated and seeded: what a "not a digit" detector must refuse.

Six families, none used to fit the detector (its layers were chosen while looking at them, so
they describe it rather than test its design): uniform noise, Gaussian blobs, a near-blank
canvas with one stray mark, patches of the photographs scikit-image ships, letters rendered from a
font Debian installs (``fonts-dejavu-core``), and random scribbles.

Four more families, :data:`HELD_OUT`, were added after the detector's design (its layers, its
score and its threshold rule) was settled, and before any detector scored them: sparse noise,
stripes, geometric shapes and typographic symbols. Nothing about the detector was changed after
they were first scored, so they test the design itself. Adding them at the end of
:data:`FAMILIES` leaves every earlier family's images unchanged for a given seed.

Each image is a greyscale
``uint8`` canvas of :data:`SIDE` pixels, light ink on a dark background, as a user could upload it;
:func:`as_inputs` prepares them the way the service does and reports which the preparation
already refuses.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIDE = 56
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
# Photographs bundled with scikit-image (no download): greyscale or converted to it.
PHOTOS = ("camera", "coins", "moon", "brick", "grass", "gravel", "chelsea", "coffee", "astronaut",
          "rocket", "clock")  # fmt: skip
LETTERS = string.ascii_letters


class MissingFontError(RuntimeError):
    """The Debian font the letters are drawn with is not installed."""


def _canvas(values: np.ndarray) -> np.ndarray:
    return np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)


def uniform_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Every pixel drawn uniformly from 0 to 255."""
    return _canvas(rng.random((n, SIDE, SIDE)))


def gaussian_blobs(n: int, rng: np.random.Generator) -> np.ndarray:
    """One to four soft round blobs of random size, place and brightness."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    out = np.zeros((n, SIDE, SIDE))
    for i in range(n):
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(8, SIDE - 8, 2)
            sigma = rng.uniform(3, 10)
            out[i] += rng.uniform(0.4, 1.0) * np.exp(
                -((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2)
            )
    return _canvas(out)


def near_blank(n: int, rng: np.random.Generator) -> np.ndarray:
    """A dark canvas with one stray mark: a dot or a short stroke of 2 to 6 pixels."""
    out = []
    for _ in range(n):
        picture = Image.new("L", (SIDE, SIDE), int(rng.integers(0, 30)))
        draw = ImageDraw.Draw(picture)
        x, y = rng.uniform(5, SIDE - 5, 2)
        dx, dy = rng.uniform(-6, 6, 2) * rng.integers(0, 2)
        draw.line(
            [(x, y), (x + dx, y + dy)],
            fill=int(rng.integers(150, 256)),
            width=int(rng.integers(2, 4)),
        )
        out.append(np.asarray(picture))
    return np.stack(out)


def _photo(name: str) -> np.ndarray:
    from skimage import color, data  # scikit-image ships these photographs

    image = getattr(data, name)()
    if image.ndim == 3:
        image = color.rgb2gray(image[..., :3])
    image = np.asarray(image, dtype=np.float64)
    return (image - image.min()) / max(float(np.ptp(image)), 1e-9)


def natural_patches(n: int, rng: np.random.Generator) -> np.ndarray:
    """Square patches of random size (40 to 160 pixels) cut from the bundled photographs."""
    photos = [_photo(name) for name in PHOTOS]
    out = []
    for _ in range(n):
        photo = photos[rng.integers(len(photos))]
        side = int(rng.integers(40, min(161, *photo.shape)))
        top, left = (int(rng.integers(0, s - side + 1)) for s in photo.shape)
        patch = Image.fromarray(_canvas(photo[top : top + side, left : left + side]))
        out.append(np.asarray(patch.resize((SIDE, SIDE), Image.Resampling.BILINEAR)))
    return np.stack(out)


def font_path(name: str) -> Path:
    """Where Debian installs one of :data:`FONTS`.

    Raises:
        MissingFontError: naming the package to install.
    """
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise MissingFontError(
        f"{name} not found in {', '.join(map(str, FONT_DIRS))} "
        "(Debian: apt-get install fonts-dejavu-core)"
    )


def letters(n: int, rng: np.random.Generator) -> np.ndarray:
    """Latin letters, upper and lower case, in one of four DejaVu faces, size and place varied.

    Returns:
        The images, and nothing says which letter each is: see :func:`letter_labels`.
    """
    return _glyphs(n, rng, LETTERS)[0]


def _glyphs(n: int, rng: np.random.Generator, alphabet: str) -> tuple[np.ndarray, list[str]]:
    fonts = [font_path(name) for name in FONTS]
    out, chosen = [], []
    for _ in range(n):
        letter = alphabet[rng.integers(len(alphabet))]
        font = ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), int(rng.integers(28, 44)))
        picture = Image.new("L", (SIDE, SIDE), 0)
        ImageDraw.Draw(picture).text(
            (SIDE / 2 + rng.uniform(-4, 4), SIDE / 2 + rng.uniform(-4, 4)),
            letter,
            fill=255,
            font=font,
            anchor="mm",
        )
        out.append(np.asarray(picture))
        chosen.append(letter)
    return np.stack(out), chosen


def letter_labels(n: int, seed: int) -> list[str]:
    """Which letter each image of ``generate("letters", n, seed)`` shows."""
    return _glyphs(n, np.random.default_rng(_family_seed(seed, "letters")), LETTERS)[1]


def scribbles(n: int, rng: np.random.Generator) -> np.ndarray:
    """Random strokes: a pen that wanders for 3 to 8 segments, one to three times."""
    out = []
    for _ in range(n):
        picture = Image.new("L", (SIDE, SIDE), 0)
        draw = ImageDraw.Draw(picture)
        for _ in range(rng.integers(1, 4)):
            points = np.cumsum(rng.normal(0, 9, (int(rng.integers(3, 9)), 2)), axis=0)
            points = points - points.mean(axis=0) + rng.uniform(16, SIDE - 16, 2)
            draw.line(
                [tuple(p) for p in np.clip(points, 2, SIDE - 3)],
                fill=255,
                width=int(rng.integers(2, 5)),
                joint="curve",
            )
        out.append(np.asarray(picture))
    return np.stack(out)


def sparse_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """A dark canvas with 2 to 15 % of its pixels lit, each at a random brightness."""
    lit = rng.random((n, SIDE, SIDE)) < rng.uniform(0.02, 0.15, (n, 1, 1))
    return _canvas(lit * rng.uniform(0.4, 1.0, (n, SIDE, SIDE)))


def stripes(n: int, rng: np.random.Generator) -> np.ndarray:
    """A sine grating over the whole canvas: random direction, period (4 to 20 pixels), phase
    and contrast."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    out = np.empty((n, SIDE, SIDE))
    for i in range(n):
        angle, period = rng.uniform(0, np.pi), rng.uniform(4, 20)
        wave = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period
                      + rng.uniform(0, 2 * np.pi))  # fmt: skip
        out[i] = 0.5 + 0.5 * rng.uniform(0.5, 1.0) * wave
    return _canvas(out)


SHAPES = ("ellipse", "rectangle", "triangle", "star")


def shapes(n: int, rng: np.random.Generator) -> np.ndarray:
    """One geometric shape (:data:`SHAPES`), outlined or filled, of random size and place."""
    out = []
    for _ in range(n):
        picture = Image.new("L", (SIDE, SIDE), 0)
        draw = ImageDraw.Draw(picture)
        kind = SHAPES[rng.integers(len(SHAPES))]
        cx, cy = rng.uniform(20, SIDE - 20, 2)
        rx, ry = rng.uniform(8, 20, 2)
        filled = bool(rng.integers(0, 2))
        ink = int(rng.integers(150, 256))
        width = int(rng.integers(2, 5))
        if kind in ("ellipse", "rectangle"):
            box = [cx - rx, cy - ry, cx + rx, cy + ry]
            paint = draw.ellipse if kind == "ellipse" else draw.rectangle
            paint(box, fill=ink if filled else None, outline=ink, width=width)
        else:
            corners = 3 if kind == "triangle" else 10
            turn = rng.uniform(0, 2 * np.pi)
            radii = np.ones(corners) if kind == "triangle" else np.tile([1.0, 0.45], 5)
            angles = turn + 2 * np.pi * np.arange(corners) / corners
            points = [
                (cx + rx * r * np.cos(a), cy + ry * r * np.sin(a))
                for r, a in zip(radii, angles, strict=True)
            ]
            draw.polygon(points, fill=ink if filled else None, outline=ink, width=width)
        out.append(np.asarray(picture))
    return np.stack(out)


# Symbols of the DejaVu fonts that are neither letters nor digits, nor strokes a pen could make
# as a digit (no "/", "|", "(", ")", "[", "]", "!" or "-", which a reader could take for a 1).
SYMBOLS = "#$%&@*+=?<>{}~^§¶©®±÷×"


def symbols(n: int, rng: np.random.Generator) -> np.ndarray:
    """Typographic symbols (:data:`SYMBOLS`) in one of the DejaVu faces, size and place varied."""
    return _glyphs(n, rng, SYMBOLS)[0]


_FAMILIES: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "uniform_noise": uniform_noise,
    "gaussian_blobs": gaussian_blobs,
    "near_blank": near_blank,
    "natural_patches": natural_patches,
    "letters": letters,
    "scribbles": scribbles,
    # Added after the detector's design was settled (HELD_OUT); keep them last.
    "sparse_noise": sparse_noise,
    "stripes": stripes,
    "shapes": shapes,
    "symbols": symbols,
}
FAMILIES = tuple(_FAMILIES)
HELD_OUT = ("sparse_noise", "stripes", "shapes", "symbols")


def _family_seed(seed: int, family: str) -> int:
    return int(np.random.SeedSequence([seed, FAMILIES.index(family)]).generate_state(1)[0])


def generate(family: str, n: int, seed: int) -> np.ndarray:
    """``n`` images of one family, the same for the same seed.

    Returns:
        ``(n, SIDE, SIDE)`` uint8 greyscale canvases.

    Raises:
        ValueError: for an unknown family or a negative count.
        MissingFontError: for letters, without the Debian font.
    """
    if family not in _FAMILIES:
        raise ValueError(f"unknown family {family!r}; the families are: {', '.join(FAMILIES)}")
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n}")
    if n == 0:
        return np.zeros((0, SIDE, SIDE), np.uint8)
    return _FAMILIES[family](n, np.random.default_rng(_family_seed(seed, family)))


def as_inputs(
    canvases: np.ndarray, prepare: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The model inputs of the canvases the preparation accepts, and which it refused.

    Args:
        canvases: from :func:`generate`.
        prepare: the service's preparation of a greyscale image (``user_images.to_mnist``),
            raising ``ValueError`` (or a subclass) for an image it refuses.

    Returns:
        ``(inputs, refused)``: ``(k, 28, 28, 1)`` float32 inputs of the accepted canvases, and a
        boolean per canvas, true where the preparation refused it.
    """
    inputs, refused = [], []
    for canvas in canvases:
        try:
            inputs.append(prepare(canvas))
            refused.append(False)
        except ValueError:
            refused.append(True)
    stacked = np.stack(inputs) if inputs else np.zeros((0, 28, 28, 1), np.float32)
    return stacked, np.array(refused, dtype=bool)
