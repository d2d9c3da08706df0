"""Reading actas from phone photos: success rate and photos per second, beside other decoders.

Makes a corpus of synthetic phone photos (actas.paper.phone_photo, every distortion documented there
and drawn from the photo's seed) of the printed final actas of mesas with Venezuela's 38-card ballot
(two or three QR codes each), then reads every photo, in the same run, with:

- `actas witness scan`'s scanner: decode, clean up and retry, join the parts, verify the signature;
- zxing-cpp called once on the photo as it is (the floor this scanner builds on);
- pyzbar (ZBar), the decoder the 2024 volunteer tools used, when the zbar library is installed.

A photo counts as read when its codes join into exactly the acta that was photographed.

Usage: python bench/scan_photos.py [--photos 1000] [--mesas 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import zxingcpp
from PIL import Image

from actas.acta.codec import parse_payload
from actas.acta.qr import join_parts
from actas.errors import FormatError
from actas.files import KeySet
from actas.paper.phone_photo import Distortion, phone_photo
from actas.paper.read_photo import scan_photo
from actas.paper.render import render_acta
from actas.registry import KeyRegistry
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import generate
from actas.witness.scan import VERIFIED


def joined(texts: list[str]) -> list[str]:
    try:
        return join_parts(texts)
    except FormatError:
        return []


def zxing_once(photo: bytes) -> list[str]:
    image = Image.open(io.BytesIO(photo)).convert("L")
    return joined([bytes(b.bytes).decode("utf-8", "replace") for b in zxingcpp.read_barcodes(image)])


def pyzbar_reader() -> Callable[[bytes], list[str]] | None:
    try:
        from pyzbar import pyzbar  # type: ignore[import-not-found]
    except (ImportError, OSError):
        return None

    def read(photo: bytes) -> list[str]:
        image = Image.open(io.BytesIO(photo)).convert("L")
        return joined([d.data.decode("utf-8", "replace") for d in pyzbar.decode(image)])

    return read


SHEETS: list[Image.Image] = []


def photograph(k: int) -> bytes:
    return phone_photo(SHEETS[k % len(SHEETS)], k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--mesas", type=int, default=20)
    args = parser.parse_args()

    full = generate("venezuela-2024")
    election = dataclasses.replace(full, stations=full.stations[: args.mesas])
    keys = KeySet.generate(election, "bench-authority")
    registry = KeyRegistry.from_text(keys.registry(election).sign(keys.authority))
    finals = [s.final for s in simulate(election, keys.machines, VoterModel(seed=8))]
    sheets = []
    for payload in finals:
        out = io.BytesIO()
        render_acta(parse_payload(payload), election).savefig(out, format="png", dpi=200)
        sheets.append(Image.open(io.BytesIO(out.getvalue())))
    start = time.perf_counter()
    global SHEETS
    SHEETS = sheets
    with ProcessPoolExecutor() as pool:  # forked workers see SHEETS
        photos = list(pool.map(photograph, range(args.photos), chunksize=8))
    corpus = [(finals[k % len(finals)], photo) for k, photo in enumerate(photos)]
    made = time.perf_counter() - start
    codes = [len(parse_payload(p).payload) for p in finals]

    readers: dict[str, Callable[[bytes], list[str]]] = {
        "actas witness scan": lambda photo: (
            [s.payload or ""] if (s := scan_photo(photo, "p", registry)).status == VERIFIED else []
        ),
        "zxing-cpp, once": zxing_once,
    }
    zbar = pyzbar_reader()
    if zbar is not None:
        readers["pyzbar (ZBar)"] = zbar
    print(
        f"# {args.photos:,} synthetic phone photos of {len(finals)} printed final actas "
        f"({min(codes)}-{max(codes)}-byte payloads in 2-3 QR codes), made in {made:.0f} s; {time.strftime('%Y-%m-%d')}"
    )
    print(f"# distortions: {Distortion()}")
    for name, read in readers.items():
        start = time.perf_counter()
        good = sum(read(photo) == [payload] for payload, photo in corpus)
        seconds = time.perf_counter() - start
        print(f"{name:<22} {100 * good / len(corpus):6.1f}% read   {len(corpus) / seconds:6.2f} photos/s")
    if zbar is None:
        print("pyzbar (ZBar)          not measured: pip install pyzbar and the zbar library (Debian: libzbar0)")


if __name__ == "__main__":
    main()
