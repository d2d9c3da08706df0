"""The first-level units' shapes (`actas.shapes`): the definition commits to the file by its digest, the
GeoJSON (RFC 7946) is checked feature by feature, and the outlines drawn stay within the stated tolerance
of the file's (checked by decoding the SVG path data the pages send)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas import shapes as shapes_module
from actas.election import Election, ShapesFile
from actas.errors import FormatError, InputError, TooLargeError
from actas.files import load_outlines, save_election
from actas.shapes import TOLERANCE, WIDTH, Outlines, read_outlines, simplify
from actas.sim.generator import synthetic
from actas.sim.shapes import simulated_shapes

ELECTION = synthetic(1700, 5)
"""Four regions."""
REGIONS = [u.code for u in ELECTION.units if u.level == "region"]


def committed(collection: Any, prop: str = "code") -> tuple[Election, bytes]:
    data = json.dumps(collection).encode()
    shapes = ShapesFile("shapes.geojson", hashlib.sha256(data).hexdigest(), prop)
    return dataclasses.replace(ELECTION, shapes=shapes), data


def square(code: str, x: float, y: float, side: float = 1.0, prop: str = "code") -> dict[str, Any]:
    ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return {"type": "Feature", "properties": {prop: code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def polygon(*ring: list[Any]) -> dict[str, Any]:
    """A feature of the first region whose one ring is `ring`, as given."""
    return {**square(REGIONS[0], 0, 0), "geometry": {"type": "Polygon", "coordinates": [list(ring)]}}


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def outlines_of(obj: Any, prop: str = "code") -> Outlines:
    election, data = committed(obj, prop)
    assert election.shapes is not None
    return read_outlines(data, election, election.shapes)


def decode(path: str) -> list[list[tuple[int, int]]]:
    """The rings of path data as `actas.shapes` writes it: `Mx y` then relative steps, `z`; or a box."""
    rings = []
    for part in re.findall(r"M[^M]*", path):
        box = re.fullmatch(r"M(-?\d+) (-?\d+)h(\d+)v(\d+)h-\d+z", part)
        if box:
            x, y, w, h = map(int, box.groups())
            rings.append([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
            continue
        found = re.fullmatch(r"M(-?\d+) (-?\d+)l((?:-?\d+ -?\d+ ?)+)z", part)
        assert found, part
        x, y = int(found[1]), int(found[2])
        ring = [(x, y)]
        steps = list(map(int, found[3].split()))
        for dx, dy in zip(steps[::2], steps[1::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        rings.append(ring)
    return rings


def test_a_simulated_country_is_drawn_unit_by_unit_with_shared_borders() -> None:
    election, data = simulated_shapes(ELECTION, 5)
    assert election.shapes is not None and election.fingerprint != ELECTION.fingerprint
    outlines = read_outlines(data, election, election.shapes)
    assert [u.code for u in outlines.units] == REGIONS
    assert max(outlines.width, outlines.height) == WIDTH
    rings = {u.code: decode(u.path) for u in outlines.units}
    assert all(len(r) == 1 and len(r[0]) >= 4 for r in rings.values())
    # neighbours on the grid share a border: some corner of R01 is a corner of R02
    assert set(rings[REGIONS[0]][0]) & set(rings[REGIONS[1]][0])


def test_the_definition_commits_to_its_shapes_and_reads_them_back() -> None:
    election, _ = simulated_shapes(ELECTION, 5)
    again = Election.from_json(json.loads(json.dumps(election.to_json())))
    assert again == election and again.fingerprint == election.fingerprint
    assert "shapes" not in ELECTION.to_json()  # a definition without shapes keeps its fingerprint
    other = dataclasses.replace(election, shapes=ShapesFile("shapes.geojson", "0" * 64))
    assert other.fingerprint != election.fingerprint


@pytest.mark.parametrize(
    ("shapes", "field"),
    [
        ("shapes.geojson", "$.shapes"),
        ({"file": "../shapes.geojson", "sha256": "0" * 64}, "$.shapes.file"),
        ({"file": "/etc/shapes.geojson", "sha256": "0" * 64}, "$.shapes.file"),
        ({"file": "shapes.shp", "sha256": "0" * 64}, "$.shapes.file"),
        ({"file": "shapes.geojson", "sha256": "0" * 63}, "$.shapes.sha256"),
        ({"file": "shapes.geojson", "sha256": "A" * 64}, "$.shapes.sha256"),
        ({"file": "shapes.geojson", "sha256": "0" * 64, "property": "bad name"}, "$.shapes.property"),
        ({"file": "shapes.geojson", "sha256": "0" * 64, "url": "http://x"}, "$.shapes"),
    ],
)
def test_a_definition_naming_its_shapes_badly_is_refused_naming_the_field(shapes: Any, field: str) -> None:
    obj = {**ELECTION.to_json(), "shapes": shapes}
    with pytest.raises(FormatError, match=re.escape(f"{field}:")):
        Election.from_json(obj)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_changed_byte_of_the_shapes_is_refused(data: st.DataObject) -> None:
    election, original = simulated_shapes(ELECTION, 5)
    assert election.shapes is not None
    at = data.draw(st.integers(0, len(original) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[at]))
    changed = original[:at] + bytes([byte]) + original[at + 1 :]
    with pytest.raises(FormatError, match="not the file the definition was published with"):
        read_outlines(changed, election, election.shapes)


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("obj", "said"),
    [
        (b"\xff\xfe not text", "not UTF-8"),
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (DEEP, "nested deeper"),
        (b'{"type": "FeatureCollection", "features": [NaN]}', "NaN is not a number"),
        ({"type": "Feature"}, "expected a GeoJSON FeatureCollection"),
        (collection(), "no feature"),
        (collection({"type": "Point"}), "feature 0: expected a GeoJSON Feature"),
        (collection(square("nowhere", 0, 0)), "'nowhere') is not the code of a first-level unit"),
        (collection({**square(REGIONS[0], 0, 0), "properties": None}), "is not the code of a first-level unit"),
        (collection(square(REGIONS[0], 0, 0), square(REGIONS[0], 1, 0)), f"unit {REGIONS[0]} has a shape already"),
        (
            collection({**square(REGIONS[0], 0, 0), "geometry": {"type": "Point", "coordinates": [0, 0]}}),
            "expected a Polygon or a MultiPolygon",
        ),
        (
            collection(polygon([0, 0], [1, 0], [0, 0])),
            "at least four positions",
        ),
        (
            collection(polygon([0, 0], [1, 0], [1, 1], [0, 1])),
            "not closed",
        ),
        (collection(square(REGIONS[0], 179.5, 0)), "not a longitude and latitude"),
        (collection(square(REGIONS[0], 0, 89.5)), "not a longitude and latitude"),
        (
            collection(polygon([True, 0], [1, 0], [1, 1], [True, 0])),
            "not a longitude and latitude",
        ),
        (
            collection(polygon(["0", 0], [1, 0], [1, 1], ["0", 0])),
            "not a longitude and latitude",
        ),
        (
            collection({**square(REGIONS[0], 0, 0), "geometry": {"type": "MultiPolygon", "coordinates": [[]]}}),
            "polygon 0 is not a list of rings",
        ),
        (collection(square(REGIONS[0], 3, 3, side=0)), "every position is the same point"),
    ],
)  # fmt: skip
def test_bad_shapes_are_refused_naming_the_feature(obj: Any, said: str) -> None:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    election = dataclasses.replace(ELECTION, shapes=ShapesFile("s.geojson", hashlib.sha256(data).hexdigest()))
    assert election.shapes is not None
    with pytest.raises(FormatError, match=re.escape(said)):
        read_outlines(data, election, election.shapes)


def test_more_positions_than_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapes_module, "MAX_POSITIONS", 9)
    with pytest.raises(FormatError, match="more than 9 positions"):
        outlines_of(collection(square(REGIONS[0], 0, 0), square(REGIONS[1], 1, 0)))


def test_the_features_may_name_their_unit_by_another_property_and_a_tiny_unit_stays_on_the_map() -> None:
    big = square(REGIONS[0], 0, 0, side=10, prop="cod_estado")
    tiny = square(REGIONS[1], 10, 0, side=0.0001, prop="cod_estado")
    with_hole = square(REGIONS[2], 0, -10, side=10, prop="cod_estado")
    with_hole["geometry"]["coordinates"].append([[2, -8], [2, -2], [8, -2], [8, -8], [2, -8]])
    outlines = outlines_of(collection(big, tiny, with_hole), "cod_estado")
    paths = {u.code: u.path for u in outlines.units}
    assert re.fullmatch(r"M\d+ \d+h2v2h-2z", paths[REGIONS[1]]), paths[REGIONS[1]]  # its box, to click on
    assert len(decode(paths[REGIONS[2]])) == 2  # the hole is a ring of its own (drawn even-odd)


@st.composite
def star_ring(draw: st.DrawFn) -> list[list[float]]:
    """A simple polygon: points at increasing angles around a centre, at random distances."""
    n = draw(st.integers(3, 60))
    cx = draw(st.floats(-170, 170))
    cy = draw(st.floats(-60, 60))
    size = draw(st.floats(0.01, 5))
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi, exclude_max=True), min_size=n, max_size=n, unique=True)))
    radii = draw(st.lists(st.floats(0.2, 1), min_size=n, max_size=n))
    ring = [[cx + size * r * math.cos(a), cy + size * r * math.sin(a)] for a, r in zip(angles, radii, strict=True)]
    return [*ring, ring[0]]


def distance_to_ring(point: np.ndarray, ring: np.ndarray) -> float:
    a, b = ring, np.roll(ring, -1, axis=0)
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", point - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
    return float(np.min(np.hypot(*(a + t[:, None] * ab - point).T)))


@settings(max_examples=80, deadline=None)
@given(star_ring())
def test_an_outline_keeps_within_the_tolerance_of_the_file_and_only_its_positions(ring: list[list[float]]) -> None:
    feature = {
        "type": "Feature",
        "properties": {"code": REGIONS[0]},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    election, data = committed(collection(feature))
    assert election.shapes is not None
    outlines = read_outlines(data, election, election.shapes)
    points = np.array(ring[:-1])
    west, south = points.min(axis=0)
    east, north = points.max(axis=0)
    squeeze = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / max((east - west) * squeeze, north - south)
    projected = (points - [west, north]) * [squeeze * scale, -scale]
    (drawn,) = decode(outlines.units[0].path)
    if len(drawn) == 4 and "h" in outlines.units[0].path:
        return  # shrunk below a triangle: its box
    rounded = {tuple(p) for p in np.rint(projected).astype(int).tolist()}
    assert set(drawn) <= rounded  # only the file's positions, rounded
    rounding = math.sqrt(0.5)
    drawn_ring = np.array(drawn, dtype=float)
    for p in projected:
        assert distance_to_ring(p, drawn_ring) <= TOLERANCE + rounding + 1e-6


def test_douglas_peucker_keeps_the_corners_of_a_square_with_points_along_its_sides() -> None:
    side = [(x, 0.0) for x in range(10)] + [(10.0, y) for y in range(10)]
    side += [(10.0 - x, 10.0) for x in range(10)] + [(0.0, 10.0 - y) for y in range(10)] + [(0.0, 0.0)]
    kept = simplify(np.array(side), TOLERANCE)
    assert {tuple(p) for p in kept.tolist()} == {(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)}


def test_shapes_are_read_beside_the_definition_with_a_limit(tmp_path: Path) -> None:
    election, data = simulated_shapes(ELECTION, 5)
    save_election(election, tmp_path / "e", data)
    assert load_outlines(election, tmp_path / "e") is not None
    assert load_outlines(ELECTION, tmp_path / "e") is None
    (tmp_path / "e" / "shapes.geojson").unlink()
    with pytest.raises(InputError, match="cannot read the shapes' file"):
        load_outlines(election, tmp_path / "e")
    (tmp_path / "outside.geojson").write_bytes(data)
    os.symlink(tmp_path / "outside.geojson", tmp_path / "e" / "shapes.geojson")
    with pytest.raises(InputError, match="is not beside the definition"):
        load_outlines(election, tmp_path / "e")
    (tmp_path / "e" / "shapes.geojson").unlink()
    os.symlink("/dev/zero", tmp_path / "e" / "dev.geojson")
    endless = dataclasses.replace(election, shapes=ShapesFile("dev.geojson", "0" * 64))
    with pytest.raises(InputError, match="is not beside the definition"):
        load_outlines(endless, tmp_path / "e")
    (tmp_path / "e" / "big.geojson").write_bytes(b" " * (shapes_module.MAX_SHAPES_BYTES + 1))
    with pytest.raises(TooLargeError, match="more than"):
        load_outlines(dataclasses.replace(election, shapes=ShapesFile("big.geojson", "0" * 64)), tmp_path / "e")
