"""Shapes for a simulated election's first-level units: a made-up country cut into regions along jagged
borders, written as GeoJSON, so that the map of a simulated election is drawn as a real one is.

The regions sit on a grid of cells whose corners are moved at random; each border between two corners is
bent by midpoint displacement once, and both regions beside it use the same positions, as a real map's
neighbours do."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import numpy as np

from actas.election import Election, ShapesFile

SHAPES_FILE = "shapes.geojson"
WEST, NORTH = -66.0, 11.0
"""Where the made-up country's north-west corner is (degrees)."""
CELL = 1.5
"""A cell's side, in degrees."""
BENDS = 3
"""Each border is halved this many times: 8 segments."""


def simulated_shapes(election: Election, seed: int) -> tuple[Election, bytes]:
    """The election, now naming its shapes' file, and the file's bytes."""
    first = election.levels[0].id
    codes = [u.code for u in election.units if u.level == first]
    columns = math.ceil(math.sqrt(len(codes)))
    rows = math.ceil(len(codes) / columns)
    rng = np.random.default_rng(seed)
    corners = rng.uniform(-0.25, 0.25, (rows + 1, columns + 1, 2)) * CELL
    corners[[0, -1], :, 1] = 0  # the country's outer edges stay straight at the grid's lines
    corners[:, [0, -1], 0] = 0
    borders: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}

    def corner(r: int, c: int) -> tuple[float, float]:
        dx, dy = corners[r, c]
        return (WEST + c * CELL + dx, NORTH - r * CELL + dy)

    def border(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[float, float]]:
        """The positions from corner a to corner b, the same (reversed) whichever side asks."""
        key = (min(a, b), max(a, b))
        if key not in borders:
            points = [corner(*key[0]), corner(*key[1])]
            (r0, c0), (r1, c1) = key
            outer = (r0 == r1 and r0 in (0, rows)) or (c0 == c1 and c0 in (0, columns))
            spread = 0.0 if outer else 0.18 * CELL
            for _ in range(BENDS):
                bent = [points[0]]
                for p, q in zip(points, points[1:], strict=False):
                    across = np.array([q[1] - p[1], p[0] - q[0]])
                    shift = rng.uniform(-spread, spread) * across / max(float(np.hypot(*across)), 1e-9)
                    bent += [((p[0] + q[0]) / 2 + shift[0], (p[1] + q[1]) / 2 + shift[1]), q]
                points = bent
                spread /= 2
            borders[key] = points
        points = borders[key]
        return points if key[0] == a else points[::-1]

    features = []
    for k, code in enumerate(codes):
        r, c = divmod(k, columns)
        around = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]
        ring: list[tuple[float, float]] = [corner(r, c)]
        for a, b in zip(around, around[1:], strict=False):
            ring += border(a, b)[1:]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code},
                "geometry": {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]},
            }
        )
    data = (json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")) + "\n").encode()
    return dataclasses.replace(election, shapes=ShapesFile(SHAPES_FILE, hashlib.sha256(data).hexdigest())), data
