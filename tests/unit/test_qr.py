"""QR codes: split and joined again, drawn as pixels and read back by zxing-cpp."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from actas.acta.codec import parse_payload
from actas.acta.qr import MAX_PART_BYTES, join_parts, qr_codes, split_payload
from actas.errors import FormatError
from actas.paper.qr_image import decode_qr_texts
from actas.paper.render import render_acta

VECTOR = json.loads((Path(__file__).parents[1] / "vectors" / "acta-v1.json").read_text("utf-8"))
FINAL = VECTOR["final_acta"]


def test_the_vector_acta_needs_two_codes_as_published() -> None:
    assert split_payload(FINAL) == VECTOR["final_acta_qr"]
    assert join_parts(reversed(VECTOR["final_acta_qr"])) == [FINAL]


def test_a_short_payload_is_one_code_holding_the_payload_itself() -> None:
    assert split_payload(VECTOR["zero_acta"][:300]) == [VECTOR["zero_acta"][:300]]


def test_every_part_fits_a_code_of_version_16_or_less() -> None:
    long_payload = FINAL + ("contest x " + " ".join(f"OPT{i}=123456" for i in range(200)) + "\n")
    parts = split_payload(long_payload)
    assert len(parts) > 2 and all(len(p.encode()) <= MAX_PART_BYTES for p in parts)
    assert all(code.version <= 16 for code in qr_codes(long_payload))
    assert join_parts(parts) == [long_payload]


def test_missing_mixed_and_conflicting_parts_are_refused() -> None:
    one, two = VECTOR["final_acta_qr"]
    with pytest.raises(FormatError, match="part\\(s\\) 2 of 2 missing"):
        join_parts([one])
    with pytest.raises(FormatError, match="two different"):
        join_parts([one, two, two.replace("null=1", "null=2")])
    with pytest.raises(FormatError, match="do not join"):
        join_parts([one, two.replace("null=1", "null=2")])
    with pytest.raises(FormatError, match="malformed"):
        join_parts(["actas-qr x:y\n"])
    with pytest.raises(FormatError, match="out of range"):
        join_parts([one.replace("1:2", "3:2")])


def test_a_rendered_acta_is_read_back_from_its_pixels() -> None:
    signed = parse_payload(FINAL)
    buffer = io.BytesIO()
    render_acta(signed).savefig(buffer, format="png", dpi=200)
    buffer.seek(0)
    texts = decode_qr_texts(Image.open(buffer))
    assert sorted(texts) == sorted(VECTOR["final_acta_qr"])
    assert join_parts(texts) == [FINAL]


def test_a_rendered_acta_survives_a_rotated_low_quality_jpeg() -> None:
    buffer = io.BytesIO()
    render_acta(parse_payload(FINAL)).savefig(buffer, format="png", dpi=200)
    photo = Image.open(io.BytesIO(buffer.getvalue())).convert("L").rotate(7, expand=True, fillcolor=255)
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=40)
    jpeg.seek(0)
    assert join_parts(decode_qr_texts(Image.open(jpeg))) == [FINAL]


def test_an_image_without_codes_yields_nothing() -> None:
    assert decode_qr_texts(Image.new("L", (200, 200), 255)) == []


def test_pdf_rendering_is_a_pdf() -> None:
    buffer = io.BytesIO()
    render_acta(parse_payload(VECTOR["zero_acta"])).savefig(buffer, format="pdf")
    assert buffer.getvalue().startswith(b"%PDF")
