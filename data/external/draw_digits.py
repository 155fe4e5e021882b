"""Draw the digit images of this folder: mouse-like strokes, dark ink on white paper.

They stand in for what a user draws in Paint: one digit per file, thick round
strokes, not centred, of varied size, slant and pen, some saved as JPEG. Each
digit is a few hand-placed stroke points, smoothed into a curve. Run from the
repository root to redraw them (the result is deterministic):

    .venv/bin/python data/external/draw_digits.py
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def circle(cx: float, cy: float, rx: float, ry: float, start: float = -90, sweep: float = 360):
    steps = 24
    return [
        (
            cx + rx * math.cos(math.radians(start + sweep * i / steps)),
            cy + ry * math.sin(math.radians(start + sweep * i / steps)),
        )
        for i in range(steps + 1)
    ]


# Strokes in a 100x100 box (x to the right, y down); each digit is a list of strokes.
STROKES = {
    0: [circle(50, 50, 27, 40)],
    1: [[(38, 24), (55, 8), (54, 50), (53, 92)]],
    2: [[(24, 30), (38, 11), (62, 10), (76, 28), (66, 50), (24, 90), (82, 89)]],
    3: [[(24, 18), (50, 7), (74, 20), (70, 40), (45, 50), (74, 60), (78, 80), (52, 94), (22, 84)]],
    4: [[(58, 8), (20, 64), (86, 64)], [(64, 34), (63, 95)]],
    5: [[(78, 10), (34, 10), (29, 46), (56, 40), (76, 56), (75, 78), (54, 93), (24, 86)]],
    6: [[(70, 8), (42, 32), (28, 64), (36, 88), (56, 93), (72, 77), (66, 57), (46, 52), (30, 66)]],
    7: [[(18, 12), (82, 12), (60, 50), (44, 93)]],
    8: [circle(50, 28, 19, 19, start=90), circle(50, 70, 23, 23, start=-90, sweep=-360)],
    9: [circle(50, 32, 21, 21, start=0), [(71, 32), (67, 62), (62, 94)]],
}

# Variants: canvas size, pen width, slant (shear), box scale and position, ink, file type.
VARIANTS = {
    "a": {
        "canvas": (280, 280),
        "pen": 22,
        "slant": 0.0,
        "scale": 1.8,
        "at": (50, 40),
        "ink": (0, 0, 0),
        "ext": "png",
    },
    "b": {
        "canvas": (420, 320),
        "pen": 16,
        "slant": 0.22,
        "scale": 2.2,
        "at": (150, 60),
        "ink": (20, 30, 90),
        "ext": "jpg",
    },
}


def smooth(points, per_segment: int = 12):
    """A Catmull-Rom curve through the points, so strokes look drawn, not polygonal."""
    if len(points) < 3:
        return points
    padded = [points[0], *points, points[-1]]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        for step in range(per_segment):
            t = step / per_segment
            out.append(
                tuple(
                    0.5
                    * (
                        2 * p1[k]
                        + (-p0[k] + p2[k]) * t
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t * t
                        + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t**3
                    )
                    for k in range(2)
                )
            )
    out.append(points[-1])
    return out


def draw(digit: int, variant: dict) -> Image.Image:
    image = Image.new("RGB", variant["canvas"], "white")
    pen = ImageDraw.Draw(image)
    (x0, y0), scale, slant = variant["at"], variant["scale"], variant["slant"]
    for stroke in STROKES[digit]:
        path = [(x0 + scale * (x + slant * (100 - y)), y0 + scale * y) for x, y in smooth(stroke)]
        pen.line(path, fill=variant["ink"], width=variant["pen"], joint="curve")
        r = variant["pen"] / 2
        for x, y in (path[0], path[-1]):
            pen.ellipse((x - r, y - r, x + r, y + r), fill=variant["ink"])
    return image


def main() -> None:
    rows = []
    for digit in STROKES:
        for name, variant in VARIANTS.items():
            file = f"digit-{digit}-{name}.{variant['ext']}"
            draw(digit, variant).save(HERE / file, quality=90)
            rows.append({"file": file, "label": digit})
    with open(HERE / "labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "label"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
