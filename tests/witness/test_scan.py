"""Reading actas from synthetic phone photos: verified, unsigned (2024 codes) or rejected with a reason."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

from actas.acta.codec import parse_payload
from actas.files import KeySet
from actas.paper.phone_photo import phone_photo
from actas.paper.qr_image import WORKING_SIDE, ImageTooLarge, open_gray
from actas.paper.read_photo import scan_photo
from actas.paper.render import render_acta
from actas.registry import KeyRegistry
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import generate
from actas.witness.scan import REJECTED, UNSIGNED, VERIFIED
from tests.conftest import assert_clean_failure, run_actas


@dataclasses.dataclass(frozen=True)
class Day:
    registry: Any
    registry_note: str
    finals: list[str]
    sheets: list[Image.Image]


def sheet(payload: str, election: Any = None) -> Image.Image:
    figure = render_acta(parse_payload(payload), election)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=200)
    return Image.open(io.BytesIO(out.getvalue()))


@pytest.fixture(scope="module")
def day() -> Day:
    """Six mesas of the Venezuelan ballot: 38 party cards, so each acta needs several QR codes."""
    full = generate("venezuela-2024")
    election = dataclasses.replace(full, stations=full.stations[:6])
    keys = KeySet.generate(election, "test-authority")
    finals = [s.final for s in simulate(election, keys.machines, VoterModel(seed=4))]
    note = keys.registry(election).sign(keys.authority)
    return Day(KeyRegistry.from_text(note), note, finals, [sheet(p, election) for p in finals])


def test_phone_photos_of_printed_actas_are_read_and_verified(day: Day) -> None:
    for seed in range(12):
        scan = scan_photo(phone_photo(day.sheets[seed % 6], seed), f"p{seed}.jpg", day.registry)
        assert scan.status == VERIFIED, (seed, scan.reason)
        assert scan.payload == day.finals[seed % 6]
        assert sum(scan.votes.values()) == sum(sum(c.votes) for c in parse_payload(scan.payload).acta.contests)


def test_photos_are_made_again_exactly_from_their_seed(day: Day) -> None:
    assert phone_photo(day.sheets[0], 7) == phone_photo(day.sheets[0], 7) != phone_photo(day.sheets[0], 8)


def test_an_acta_with_altered_counts_is_rejected_for_its_signature(day: Day) -> None:
    altered = re.sub(r"(contest presidente \S+=)(\d+)", lambda m: m[1] + str(int(m[2]) + 50), day.finals[0], count=1)
    scan = scan_photo(phone_photo(sheet(altered), 1), "altered.jpg", day.registry)
    assert scan.status == REJECTED and "signature" in scan.reason


def test_an_acta_of_another_election_is_rejected(day: Day) -> None:
    other = generate("synthetic", stations=3, seed=9)
    keys = KeySet.generate(other, "other-authority")
    foreign = next(iter(simulate(other, keys.machines, VoterModel(seed=1)))).final
    scan = scan_photo(phone_photo(sheet(foreign), 2), "foreign.jpg", day.registry)
    assert scan.status == REJECTED and "election" in scan.reason


def test_what_is_not_a_readable_acta_is_rejected_with_the_reason(day: Day) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(blank, "JPEG")
    assert "no QR code" in scan_photo(blank.getvalue(), "blank.jpg", day.registry).reason
    assert "not an image" in scan_photo(b"GIF89a not really", "x.gif", day.registry).reason
    half = day.sheets[0].crop((0, 0, day.sheets[0].width, day.sheets[0].height - 200))  # the last code cut off
    incomplete = scan_photo(phone_photo(half, 3), "half.jpg", day.registry)
    assert incomplete.status == REJECTED and "incomplete" in incomplete.reason
    text = segno.make("hello, this is a menu", error="m")
    image = io.BytesIO()
    text.save(image, kind="png", scale=6)
    assert "not an acta" in scan_photo(image.getvalue(), "menu.png", day.registry).reason


def test_a_2024_venezuelan_code_is_read_as_an_unsigned_acta(day: Day) -> None:
    counts = [122, 1, 0] + [0] * 32 + [406, 0, 1]
    code = segno.make("110601011.04.1.0001!" + ",".join(map(str, counts)) + "!0!0", error="m")
    image = io.BytesIO()
    code.save(image, kind="png", scale=8, border=4)
    page = Image.new("RGB", (900, 1300), "white")  # as on the 2024 sheet, the code at the foot of the page
    page.paste(Image.open(image), (250, 900))
    scan = scan_photo(phone_photo(page, 5), "2024.jpg", day.registry)
    assert scan.status == UNSIGNED and "no signature" in scan.reason
    assert scan.station == "110601011.4" and scan.votes["PSUV"] == 122 and sum(scan.votes.values()) == 530


def test_the_witness_scan_command(day: Day, tmp_path: Path) -> None:
    registry = tmp_path / "registry.note"
    registry.write_text(day.registry_note)
    photos = []
    for seed in range(2):
        photo = tmp_path / f"acta{seed}.jpg"
        photo.write_bytes(phone_photo(day.sheets[seed], seed))
        photos.append(photo)
    (tmp_path / "blank.jpg").write_bytes(b"not an image")
    good = run_actas("witness", "scan", *photos, "--registry", registry, "--json")
    assert good.code == 0, good.stderr
    assert [s["status"] for s in json.loads(good.stdout)] == [VERIFIED, VERIFIED]
    mixed = run_actas("witness", "scan", photos[0], tmp_path / "blank.jpg", "--registry", registry)
    assert mixed.code == 1 and "REJECTED" in mixed.stdout and "1 of 2 photos" in mixed.stderr
    assert_clean_failure(run_actas("witness", "scan", photos[0], "--registry", tmp_path / "none.note"), 2)


def test_the_witness_report_command(day: Day, tmp_path: Path) -> None:
    registry = tmp_path / "registry.note"
    registry.write_text(day.registry_note)
    photo = tmp_path / "acta.jpg"
    photo.write_bytes(phone_photo(day.sheets[0], 11))
    acta = parse_payload(day.finals[0]).acta
    options = acta.contests[0].options
    votes = dict(zip(options, acta.contests[0].votes, strict=True))
    hand = [f"--hand={o}={n}" for o, n in votes.items()]
    common = ["--station", acta.station, "--witness", "W-7", "--photo", photo, "--registry", registry]
    agreed = run_actas("witness", "report", *common, *hand, "--receipts", acta.receipts, "--out", tmp_path / "r.json")
    assert agreed.code == 0, agreed.stdout + agreed.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["acta"] == day.finals[0] and report["acta_status"] == VERIFIED and report["hand"] == votes
    first = options[0]
    hand[0] = f"--hand={first}={votes[first] + 2}"
    incident = "--incident=witness-forced-to-leave:asked to leave at 18:10"
    differs = run_actas("witness", "report", *common, *hand, "--receipts", 1, incident, "--out", tmp_path / "d.json")
    assert differs.code == 1 and f"hand count of {first}" in differs.stdout
    saved = json.loads((tmp_path / "d.json").read_text())
    assert saved["incidents"] == [{"kind": "witness-forced-to-leave", "note": "asked to leave at 18:10"}]
    wrong = run_actas("witness", "report", *common, "--incident", "alien-landing", "--out", tmp_path / "x.json")
    assert_clean_failure(wrong, 2)
    assert not (tmp_path / "x.json").exists()


def test_an_oversized_photo_is_refused_without_being_read(day: Day, tmp_path: Path) -> None:
    registry = tmp_path / "registry.note"
    registry.write_text(day.registry_note)
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as f:
        f.truncate(41 * 1024 * 1024)  # sparse: larger than any photo a witness sends
    result = run_actas("witness", "scan", huge, "--registry", registry, "--json")
    assert result.code == 1
    (scan,) = json.loads(result.stdout)
    assert scan["status"] == REJECTED and "more than" in scan["reason"]
    assert scan["photo_sha256"] == ""  # not read through, so not hashed either
    assert_clean_failure(run_actas("witness", "scan", tmp_path, "--registry", registry), 2)


def png_bomb(width: int, height: int) -> bytes:
    """A PNG of blank gray rows that declares `width` x `height` pixels: a few hundred kilobytes on the
    wire, and width x height bytes once decoded. Made a row at a time, as an attacker would."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte, then the row's pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def peak_rss(pid: int | None = None) -> int:
    """The most memory the process has held (VmHWM) since `reset_peak_rss`, in bytes."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def reset_peak_rss(pid: int | None = None) -> int:
    """Start measuring the peak afresh (Linux's clear_refs); returns the memory held now."""
    Path(f"/proc/{pid or 'self'}/clear_refs").write_text("5")
    return peak_rss(pid)


def test_an_image_is_bounded_by_the_pixels_it_declares_before_decoding(day: Day, tmp_path: Path) -> None:
    bomb = png_bomb(10_000, 10_000)
    assert len(bomb) < 200_000
    before = reset_peak_rss()
    with pytest.raises(ImageTooLarge, match="declares 10,000 x 10,000 pixels"):
        open_gray(bomb, "the photo")
    scan = scan_photo(bomb, "bomb.png", day.registry)
    assert scan.status == REJECTED and "declares 10,000 x 10,000" in scan.reason
    assert peak_rss() - before < 50 * 2**20  # decoded, it would take 100 MB
    big = io.BytesIO()  # a 48-megapixel phone photo is within the limit, and read at a working size
    Image.new("L", (8000, 6000), 200).save(big, format="JPEG", quality=30)
    assert max(open_gray(big.getvalue(), "photo").size) == WORKING_SIDE
    registry = tmp_path / "registry.note"
    registry.write_text(day.registry_note)
    (tmp_path / "bomb.png").write_bytes(bomb)
    scanned = run_actas("witness", "scan", tmp_path / "bomb.png", "--registry", registry)
    assert scanned.code == 1 and "declares 10,000 x 10,000 pixels" in scanned.stdout
    verified = run_actas("acta", "verify", tmp_path / "bomb.png", "--registry", registry)
    assert_clean_failure(verified, 2)
    assert "declares 10,000 x 10,000 pixels" in verified.stderr
