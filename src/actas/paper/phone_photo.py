"""Synthetic phone photographs of a printed acta, for testing and measuring the scanner.

A witness photographs the tally sheet on a table, in a school classroom, with whatever phone they
have. `phone_photo` turns a clean rendering of the sheet into such a picture, each distortion drawn
from a seeded generator so a corpus can be made again exactly:

- the sheet lies on a darker table, rotated by up to ±`rotate` degrees (any angle when 180);
- the camera is not square to it: the four corners move by up to `tilt` of the size (perspective);
- the light is uneven: a brightness gradient across the picture, down to `shade` of full light;
- the picture is out of focus: Gaussian blur of up to `blur` pixels;
- the phone is old: the picture is scaled down to a width between `min_width` pixels and the
  original's (an acta rendered at 200 dpi is about 920 pixels wide, so its QR modules end between
  about 3 and 4 pixels);
- part of the sheet falls out of frame, never the QR codes: up to `crop` of the top is cut off;
- the phone saves it as JPEG, quality between `min_quality` and 90.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter


@dataclass(frozen=True)
class Distortion:
    rotate: float = 25.0
    tilt: float = 0.08
    shade: float = 0.55
    blur: float = 1.6
    min_width: int = 900
    crop: float = 0.3
    min_quality: int = 35


def _perspective_coefficients(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """PIL's eight perspective coefficients mapping `target` corners back to `source` corners."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=float), np.array([c for p in source for c in p], dtype=float))
    return [float(c) for c in solution]


def phone_photo(sheet: Image.Image, seed: int, distortion: Distortion = Distortion()) -> bytes:
    """A JPEG photograph of `sheet` (a rendered acta), distorted as drawn from `seed`."""
    rng = np.random.default_rng(seed)
    d = distortion
    page = sheet.convert("RGB")
    width, height = page.size
    cut = int(height * rng.uniform(0, d.crop))
    page = page.crop((0, cut, width, height))  # the top of the sheet out of frame; the codes are at the bottom
    width, height = page.size
    side, top = int(0.12 * width), int(0.06 * height)  # the table around the sheet
    full = width + 2 * side
    target = int(rng.uniform(min(d.min_width, full), full)) if full > d.min_width else full
    scale = target / full  # the old phone's resolution, applied first so the rest works on fewer pixels
    page = page.resize((max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.LANCZOS)
    table = tuple(int(c) for c in rng.integers(60, 140, size=3))
    canvas = Image.new("RGB", (page.width + 2 * int(side * scale), page.height + 2 * int(top * scale)), table)
    canvas.paste(page, (int(side * scale), int(top * scale)))
    w, h = canvas.size
    # rotation and perspective as one projective map: where each corner of the canvas lands
    angle = np.radians(rng.uniform(-d.rotate, d.rotate))
    cos, sin = np.cos(angle), np.sin(angle)
    corners = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    turned = [((x - w / 2) * cos - (y - h / 2) * sin, (x - w / 2) * sin + (y - h / 2) * cos) for x, y in corners]
    moved = [(x + rng.uniform(-d.tilt, d.tilt) * w, y + rng.uniform(-d.tilt, d.tilt) * h) for x, y in turned]
    left, upper = min(x for x, _ in moved), min(y for _, y in moved)
    landed = [(x - left, y - upper) for x, y in moved]
    size = (int(max(x for x, _ in landed)) + 1, int(max(y for _, y in landed)) + 1)
    canvas = canvas.transform(
        size,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(corners, landed),
        resample=Image.Resampling.BILINEAR,
        fillcolor=table,
    )
    w, h = canvas.size
    across = np.linspace(1.0, rng.uniform(d.shade, 1.0), w, dtype=np.float32)[None, :]
    light = across * np.linspace(1.0, rng.uniform(d.shade, 1.0), h, dtype=np.float32)[:, None]
    pixels = np.asarray(canvas, dtype=np.float32) * light[:, :, None]
    canvas = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0, d.blur)))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=int(rng.integers(d.min_quality, 91)))
    return out.getvalue()
