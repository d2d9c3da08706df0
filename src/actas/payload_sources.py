"""Where acta payloads come from: a payload file, a literal payload, a photo or scan, a bundle, stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from actas.acta.codec import FORMAT_LINE, MAX_ACTA_BYTES, parse_payload
from actas.acta.model import SignedActa
from actas.acta.qr import join_parts
from actas.errors import FormatError, InputError
from actas.files import BUNDLE_FILE, read_bundle, read_bytes, read_text

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
MAX_IMAGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourcePayload:
    origin: str
    """Where the payload was read: a file, a file and line, an image."""
    payload: str | FormatError
    """The payload, or why the record holding it could not be read (a damaged bundle line)."""

    def text(self) -> str:
        if isinstance(self.payload, FormatError):
            raise FormatError(f"{self.origin}: {self.payload}")
        return self.payload


def _is_literal(source: str) -> bool:
    return source == "-" or source.startswith((FORMAT_LINE + "\n", "actas-qr "))


def is_bundle(source: str) -> bool:
    if _is_literal(source):
        return False
    path = Path(source)
    return path.suffix == ".jsonl" or (path.is_dir() and (path / BUNDLE_FILE).exists())


def read_payloads(source: str) -> Iterator[SourcePayload]:
    """Every acta payload a source holds, in order."""
    if source == "-":
        yield SourcePayload("stdin", sys.stdin.read(MAX_ACTA_BYTES + 1))
        return
    if _is_literal(source):
        # A payload pasted on a command line usually loses its final newline: give it back.
        text = source if source.endswith("\n") else source + "\n"
        yield from (SourcePayload("argument", p) for p in join_parts([text]))
        return
    path = Path(source)
    if path.is_dir():
        if not (path / BUNDLE_FILE).exists():
            raise InputError(f"{path} is a directory without an {BUNDLE_FILE}; give a payload, image or bundle")
        path = path / BUNDLE_FILE
    if not path.exists():
        raise InputError(f"{source[:80]!r} is neither an acta payload nor an existing file")
    if path.suffix == ".jsonl":
        for number, payload in read_bundle(path):
            yield SourcePayload(f"{path}:{number}", payload)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        for payload in payloads_from_image(path):
            yield SourcePayload(str(path), payload)
    else:
        text = read_text(path, limit=MAX_ACTA_BYTES, what="acta payload file")
        yield from (SourcePayload(str(path), p) for p in join_parts(_qr_texts(text)))


def _qr_texts(text: str) -> list[str]:
    """A text file holds one payload, or the texts of several QR parts one after another."""
    if not text.startswith("actas-qr "):
        return [text]
    pieces = text.split("actas-qr ")
    return ["actas-qr " + piece for piece in pieces[1:]]


def payloads_from_image(path: Path) -> list[str]:
    """The payloads of the QR codes in an image file, bounded in bytes and in pixels before decoding."""
    from actas.paper.qr_image import decode_qr_texts, open_gray  # the image libraries, only for images

    data = read_bytes(path, limit=MAX_IMAGE_BYTES, what="image")
    texts = decode_qr_texts(open_gray(data, f"image {path}"))
    if not texts:
        raise FormatError(f"no QR code could be read in {path}")
    return join_parts(texts)


def pick_acta(source: str, station: str | None, kind: str) -> SignedActa:
    """The first acta of that kind (and station, when given) that a source holds."""
    for item in read_payloads(source):
        if isinstance(item.payload, FormatError):
            continue
        signed = parse_payload(item.payload)
        if (station is None or signed.acta.station == station) and signed.acta.kind.value == kind:
            return signed
    raise InputError(f"no {kind} acta{' of station ' + station if station else ''} in {source[:80]}")
