"""Draws the pictures in docs/images from the published test vector: python docs/images/make_images.py"""

from __future__ import annotations

import json
from pathlib import Path

from actas.acta.codec import parse_payload
from actas.paper.render import render_acta
from actas.election import Election

HERE = Path(__file__).parent
VECTOR = json.loads((HERE.parents[1] / "tests" / "vectors" / "acta-v1.json").read_text(encoding="utf-8"))

if __name__ == "__main__":
    election = Election.from_json(VECTOR["definition"])
    figure = render_acta(parse_payload(VECTOR["final_acta"]), election)
    figure.savefig(HERE / "acta-vector.png", dpi=110, facecolor="white")
