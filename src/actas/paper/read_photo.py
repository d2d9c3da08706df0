"""Reading an acta from a witness's photograph, and checking it offline against the key registry.

zxing-cpp reads the codes from the pixels. A phone photo of thermal paper defeats it now and then,
so when the codes found do not yet make a whole acta, the picture is tried again cleaned up in a
few ways (contrast stretched, light evened out, enlarged, sharpened, another binarizer), keeping
every code any attempt reads, until the parts join into whole actas. The verdict is scan.py's.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from actas.acta.qr import join_parts
from actas.errors import FormatError, TooLargeError
from actas.files import read_bytes
from actas.paper.qr_image import QR, open_gray
from actas.registry import KeyRegistry
from actas.witness.scan import MAX_PHOTO_BYTES, REJECTED, Scan, judge


def _variants(gray: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The picture, then cleaned-up versions of it, cheapest first."""
    local = zxingcpp.Binarizer.LocalAverage
    yield gray, local
    yield ImageOps.autocontrast(gray, cutoff=1), zxingcpp.Binarizer.GlobalHistogram
    light = np.asarray(gray.filter(ImageFilter.GaussianBlur(max(8, gray.width // 40))), dtype=float) + 1
    evened = np.clip(np.asarray(gray, dtype=float) / light * 200, 0, 255).astype(np.uint8)
    yield Image.fromarray(evened), local  # the light evened out: each pixel against its neighbourhood
    big = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
    yield big, local
    yield big.filter(ImageFilter.UnsharpMask(radius=2, percent=160, threshold=2)), local
    yield gray.filter(ImageFilter.MedianFilter(3)), zxingcpp.Binarizer.FixedThreshold


def _complete(texts: list[str]) -> bool:
    """Whether the codes read so far make at least one whole acta and no unfinished one."""
    try:
        return bool(join_parts(texts))
    except FormatError:
        return False


def read_codes(gray: Image.Image) -> list[str]:
    """The texts of the QR codes in a photo (in gray, bounded: `open_gray`), trying cleaned-up versions of it
    as long as parts are missing."""
    texts: list[str] = []
    for variant, binarizer in _variants(gray):
        for barcode in zxingcpp.read_barcodes(variant, formats=QR, binarizer=binarizer):
            text = bytes(barcode.bytes).decode("utf-8", errors="replace")
            if text not in texts:
                texts.append(text)
        if texts and _complete(texts):
            break
    return texts


def scan_file(path: Path, registry: KeyRegistry) -> Scan:
    """A photo on disk, read in bounded chunks: one larger than MAX_PHOTO_BYTES is rejected as soon as the
    reading passes that size, whatever the file claims to be (a device, a pipe)."""
    try:
        data = read_bytes(path, limit=MAX_PHOTO_BYTES, what="photo")
    except TooLargeError as exc:
        return Scan(str(path), "", REJECTED, str(exc))
    return scan_photo(data, str(path), registry)


def scan_photo(data: bytes, name: str, registry: KeyRegistry) -> Scan:
    digest = hashlib.sha256(data).hexdigest()

    def rejected(reason: str) -> Scan:
        return Scan(name, digest, REJECTED, reason, photo_bytes=len(data))

    if len(data) > MAX_PHOTO_BYTES:
        return rejected(f"the photo is {len(data):,} bytes, more than {MAX_PHOTO_BYTES:,}")
    try:
        texts = read_codes(open_gray(data, "the photo"))
    except FormatError as exc:
        return rejected(str(exc))
    if not texts:
        return rejected("no QR code could be read in the photo")
    try:
        payloads = join_parts(texts)
    except FormatError as exc:
        return rejected(str(exc))
    if len(payloads) != 1:
        return rejected(f"the photo holds {len(payloads)} different actas; photograph one at a time")
    return dataclasses.replace(judge(payloads[0], name, digest, registry), photo_bytes=len(data))
