"""The outlines of the first-level units, for the results' map (a choropleth), read from the GeoJSON file
(RFC 7946) the definition names and commits to by its SHA-256 (`ShapesFile`).

Every feature is a Polygon or a MultiPolygon naming a first-level unit by its code; anything else is
refused, naming the feature. The outlines are projected once, when the server starts: longitude scaled
by the cosine of the middle latitude (an equirectangular projection, true to shape near that latitude),
fitted to a box `WIDTH` long on its longer side, each ring simplified by Douglas–Peucker to `TOLERANCE`
and written as SVG path data in whole units of that box. A unit whose rings all shrink below a triangle is drawn as its
bounding box, so that a small unit stays on the map and can be clicked.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from actas.election import Election, ShapesFile
from actas.errors import FormatError

MAX_SHAPES_BYTES = 16 * 1024 * 1024
"""The shapes' file is read with this limit; a national map of first-level units is far smaller."""
MAX_POSITIONS = 2_000_000
WIDTH = 1000
"""The map's box is this long on its longer side."""
TOLERANCE = 0.6
"""How far, in the box's units, a simplified outline may stray from the file's (under 0.25 px at 360 px)."""
NO_EXTENT = 1e-9


@dataclass(frozen=True)
class Outline:
    code: str
    """The first-level unit's code."""
    path: str
    """SVG path data in the map's box, drawn with `fill-rule: evenodd` (holes are rings inside rings)."""


@dataclass(frozen=True)
class Outlines:
    width: int
    height: int
    units: tuple[Outline, ...]
    """In the order of the file's features."""

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def read_outlines(data: bytes, election: Election, shapes: ShapesFile) -> Outlines:
    """The outlines in the file's bytes, once they match the definition's digest; a FormatError naming the
    first problem otherwise."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != shapes.sha256:
        raise FormatError(
            f"the shapes' file {shapes.file} has SHA-256 {digest}, not the {shapes.sha256} the definition "
            "commits to: it is not the file the definition was published with"
        )
    first = election.levels[0].id
    codes = {u.code for u in election.units if u.level == first}
    rings = dict(_features(_parse(data, shapes.file), codes, shapes))
    return _project(rings)


def _parse(data: bytes, file: str) -> Any:
    def refuse(constant: str) -> None:
        raise FormatError(f"the shapes' file {file}: {constant} is not a number GeoJSON allows")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse)
    except UnicodeDecodeError:
        raise FormatError(f"the shapes' file {file} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"the shapes' file {file}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise FormatError(f"the shapes' file {file}: nested deeper than any GeoJSON is") from None


Ring = NDArray[np.float64]
"""A closed ring's positions, (n, 2) of longitude and latitude, its first repeated last."""


def _features(obj: Any, codes: set[str], shapes: ShapesFile) -> Iterator[tuple[str, list[Ring]]]:
    where = f"the shapes' file {shapes.file}"
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection" or not isinstance(obj.get("features"), list):
        raise FormatError(f"{where}: expected a GeoJSON FeatureCollection")
    seen: set[str] = set()
    positions = 0
    for i, feature in enumerate(obj["features"]):
        at = f"{where}: feature {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FormatError(f"{at}: expected a GeoJSON Feature")
        properties = feature.get("properties")
        code = properties.get(shapes.property) if isinstance(properties, dict) else None
        if not isinstance(code, str) or code not in codes:
            shown = repr(code)[:60]
            raise FormatError(f"{at}: its {shapes.property!r} ({shown}) is not the code of a first-level unit")
        if code in seen:
            raise FormatError(f"{at}: unit {code} has a shape already")
        seen.add(code)
        rings = list(_rings(feature.get("geometry"), f"{at} ({code})"))
        positions += sum(len(r) for r in rings)
        if positions > MAX_POSITIONS:
            raise FormatError(f"{where}: more than {MAX_POSITIONS:,} positions; simplify it before publishing")
        yield code, rings
    if not seen:
        raise FormatError(f"{where}: no feature")


def _rings(geometry: Any, at: str) -> Iterator[Ring]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        polygons = coordinates
    else:
        raise FormatError(f"{at}: expected a Polygon or a MultiPolygon geometry, found {str(kind)[:30]!r}")
    for p, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            raise FormatError(f"{at}: polygon {p} is not a list of rings")
        for r, ring in enumerate(polygon):
            yield _ring(ring, f"{at}: polygon {p}, ring {r}")


def _ring(raw: Any, at: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise FormatError(f"{at}: a ring needs at least four positions")
    points = []
    for position in raw:
        if (
            not isinstance(position, list)
            or not 2 <= len(position) <= 3
            or not all(type(x) in (int, float) and math.isfinite(x) for x in position)
            or not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90)
        ):
            raise FormatError(f"{at}: {str(position)[:40]} is not a longitude and latitude in degrees")
        points.append((float(position[0]), float(position[1])))
    if points[0] != points[-1]:
        raise FormatError(f"{at}: the ring is not closed (its last position is not its first)")
    return np.array(points, dtype=np.float64)


def _project(rings: Mapping[str, list[Ring]]) -> Outlines:
    every = np.concatenate([r for unit in rings.values() for r in unit])
    west, south = every.min(axis=0)
    east, north = every.max(axis=0)
    squeeze = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * squeeze, north - south)
    if span < NO_EXTENT:
        raise FormatError("the shapes' file: every position is the same point; there is no map to draw")
    scale = WIDTH / span
    width = max(1, math.ceil((east - west) * squeeze * scale))
    height = max(1, math.ceil((north - south) * scale))
    origin = np.array([west, north])
    factor = np.array([squeeze * scale, -scale])
    units = []
    for code, unit in rings.items():
        projected = [(r - origin) * factor for r in unit]
        parts = [d for d in (_path(simplify(r, TOLERANCE)) for r in projected) if d]
        units.append(Outline(code, "".join(parts) or _box(np.concatenate(projected))))
    return Outlines(width, height, tuple(units))


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas–Peucker on a closed ring: split at the position farthest from the first, and keep, on each
    side, every position farther than `tolerance` from the segment between the positions kept around it."""
    last = len(ring) - 1
    far = int(np.argmax(np.hypot(*(ring[:last] - ring[0]).T)))
    keep = np.zeros(len(ring), dtype=bool)
    keep[[0, far, last]] = True
    stack = [(0, far), (far, last)]
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        inner = ring[start + 1 : end]
        a, chord = ring[start], ring[end] - ring[start]
        along = np.clip((inner - a) @ chord / max(float(chord @ chord), NO_EXTENT), 0.0, 1.0)
        distances = np.hypot(*(a + along[:, None] * chord - inner).T)  # to the segment, not its line: spikes too
        worst = int(np.argmax(distances))
        if distances[worst] > tolerance:
            split = start + 1 + worst
            keep[split] = True
            stack += [(start, split), (split, end)]
    return ring[keep]


def _path(ring: Ring) -> str:
    """A ring as path data in whole units: its first point, then each step to the next, closed; "" when
    fewer than three distinct points remain."""
    points = np.rint(ring).astype(np.int64)
    steps = np.diff(points, axis=0)
    moves = steps[np.any(steps != 0, axis=1)]
    if len(moves) < 3:
        return ""
    x, y = points[0]
    return f"M{x} {y}l" + " ".join(f"{dx} {dy}" for dx, dy in moves[:-1].tolist()) + "z"


def _box(points: Sequence[Sequence[float]] | NDArray[np.float64]) -> str:
    """A unit too small to outline, as its bounding box of at least 2 units a side."""
    corners = np.asarray(points)
    x0, y0 = np.floor(corners.min(axis=0)).astype(int).tolist()
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int).tolist()
    w, h = max(2, x1 - x0), max(2, y1 - y0)
    return f"M{x0} {y0}h{w}v{h}h{-w}z"
