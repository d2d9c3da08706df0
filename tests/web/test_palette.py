"""The candidates' colours stay apart for everyone: every pair of the palette's twelve colours differs by
at least 10 CIEDE2000 units with normal vision and under simulated protanopia, deuteranopia and
tritanopia, and each has 3:1 contrast against the white page."""

from __future__ import annotations

import itertools
import math

from actas.election import Election
from actas.sim.generator import venezuela
from actas.web.palette import PALETTE, candidate_colors

DICHROMACY = {
    # Machado, Oliveira and Fernandes, "A Physiologically-based Model for Simulation of Color Vision
    # Deficiency", IEEE TVCG 15(6), 2009: the matrices of severity 1.0, applied to linear sRGB.
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
Lab = tuple[float, float, float]


def linear(color: str) -> tuple[float, float, float]:
    """sRGB (IEC 61966-2-1) to linear light."""
    channels = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> Lab:
    """Linear sRGB to CIELAB under D65."""
    r, g, b = rgb
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
    fx, fy, fz = (t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def simulated(color: str, matrix: tuple[tuple[float, float, float], ...]) -> Lab:
    rgb = linear(color)
    seen = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix]
    return lab((seen[0], seen[1], seen[2]))


def ciede2000(one: Lab, two: Lab) -> float:
    """The CIEDE2000 colour difference, as Sharma, Wu and Dalal (2005) state it."""
    (l1, a1, b1), (l2, a2, b2) = one, two
    mean_c = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p - 360 * (h2p - h1p > 180) + 360 * (h2p - h1p < -180)
    d_l, d_c, d_h = l2 - l1, c2p - c1p, 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    mean_l, mean_cp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        mean_h = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        mean_h = (h1p + h2p) / 2
    else:
        mean_h = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1 - 0.17 * math.cos(math.radians(mean_h - 30)) + 0.24 * math.cos(math.radians(2 * mean_h))
        + 0.32 * math.cos(math.radians(3 * mean_h + 6)) - 0.20 * math.cos(math.radians(4 * mean_h - 63))
    )  # fmt: skip
    rotation = 30 * math.exp(-(((mean_h - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(mean_cp**7 / (mean_cp**7 + 25**7))
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / math.sqrt(20 + (mean_l - 50) ** 2)
    s_c, s_h = 1 + 0.045 * mean_cp, 1 + 0.015 * mean_cp * t
    r_t = -math.sin(math.radians(2 * rotation)) * r_c
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def test_the_colour_difference_matches_the_published_test_data() -> None:
    # Sharma, Wu and Dalal, "The CIEDE2000 Color-Difference Formula", Color Res. Appl. 30(1), 2005, table 1
    assert round(ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)), 4) == 2.0425
    assert round(ciede2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)), 4) == 27.1492
    assert round(ciede2000((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387)), 4) == 1.2644


def test_twelve_candidates_stay_apart_under_every_dichromacy_and_stand_out_on_white() -> None:
    assert len(PALETTE) == len(set(PALETTE)) == 12
    views = {"normal vision": [lab(linear(c)) for c in PALETTE]}
    views |= {name: [simulated(c, m) for c in PALETTE] for name, m in DICHROMACY.items()}
    for name, seen in views.items():
        closest = min(ciede2000(a, b) for a, b in itertools.combinations(seen, 2))
        assert closest >= 10, f"{name}: two colours only {closest:.1f} apart"
    for color in PALETTE:
        luminance = sum(w * c for w, c in zip((0.2126, 0.7152, 0.0722), linear(color), strict=True))
        assert 1.05 / (luminance + 0.05) >= 3, color
    # the check can fail: the blue and the purple of the former palette merge under protanopia
    assert (
        ciede2000(simulated("#1f5fa8", DICHROMACY["protanopia"]), simulated("#7b4fa0", DICHROMACY["protanopia"])) < 10
    )


def test_the_definitions_colours_come_first_and_no_two_candidates_share_one() -> None:
    ve = venezuela()
    colors = candidate_colors(ve)
    assert len(ve.contests[0].candidates) == 10 and len(set(colors.values())) == 10
    named = ve.to_json()
    named["contests"][0]["candidates"][0]["color"] = PALETTE[0]
    named["contests"][0]["candidates"][1]["color"] = "#123456"
    chosen = candidate_colors(Election.from_json(named))
    first, second = (k["id"] for k in named["contests"][0]["candidates"][:2])
    assert chosen[first] == PALETTE[0] and chosen[second] == "#123456"
    assert len(set(chosen.values())) == 10  # the palette skips the colours the definition took
