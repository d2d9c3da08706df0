"""Simulated witnesses: at each mesa they photograph the printed acta with a phone, read it back from the
photo, count the paper receipts by hand, and write their report.

A share of the mesas gets a witness, some of them a second one; which, and every photo's
distortions, follow from the seed. A witness whose photo cannot be read takes another, up to
three. The paper receipts are what the voters left, so the hand count is what the machine would
have printed had it counted right.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import matplotlib.pyplot as plt
from PIL import Image

from actas.acta.codec import parse_payload
from actas.election import Election
from actas.paper.phone_photo import phone_photo
from actas.paper.read_photo import scan_photo
from actas.paper.render import render_acta
from actas.registry import KeyRegistry
from actas.tally.witnessed import acta_counts
from actas.witness.report import WitnessReport
from actas.witness.scan import REJECTED

PHOTOS = 3
"""Photos a witness takes at most before giving up on reading the acta."""
WITNESSED_SHARE = 0.4
"""The share of mesas with a witness in the demo."""
_CONTEXT: dict[str, object] = {}


def assign(election: Election, share: float, seed: int, second: float = 0.15) -> list[tuple[str, str]]:
    """(station, witness id) for a `share` of the mesas, and a second witness at a `second` share of those."""
    rng = random.Random(seed)
    stations = sorted(rng.sample([s.code for s in election.stations], round(share * len(election.stations))))
    pairs = [(code, f"W-{n:04d}") for n, code in enumerate(stations, start=1)]
    again = rng.sample(stations, round(second * len(stations)))
    pairs += [(code, f"W-{n:04d}") for n, code in enumerate(sorted(again), start=len(stations) + 1)]
    return pairs


def _init(election: Election, registry_note: str) -> None:
    _CONTEXT["election"] = election
    _CONTEXT["registry"] = KeyRegistry.from_text(registry_note)


def _at_mesa(job: tuple[str, str, str, str, int]) -> WitnessReport:
    station, witness, printed, paper, seed = job
    election, registry = _CONTEXT["election"], _CONTEXT["registry"]
    assert isinstance(election, Election) and isinstance(registry, KeyRegistry)
    figure = render_acta(parse_payload(printed), election)
    sheet = io.BytesIO()
    figure.savefig(sheet, format="png", dpi=150, facecolor="white")
    plt.close(figure)
    image = Image.open(sheet)
    scans = []
    for attempt in range(PHOTOS):  # as a witness would, take another photo when the phone cannot read one
        scans.append(
            scan_photo(phone_photo(image, seed * PHOTOS + attempt), f"{station}-{witness}-{attempt}.jpg", registry)
        )
        if scans[-1].status != REJECTED:
            break
    scan = scans[-1]
    read = scan.status != REJECTED
    hand = acta_counts(parse_payload(paper).acta)
    return WitnessReport(
        station=station,
        witness=witness,
        acta=scan.payload if read else None,
        acta_status=scan.status if read else "none",
        hand_counted=True,
        hand=tuple(hand.items()),
        receipts=sum(hand.values()),
        photos=tuple(s.photo_sha256 for s in scans),
    )


def witness_reports(
    election: Election,
    registry_note: str,
    printed: dict[str, str],
    paper: dict[str, str],
    assignments: list[tuple[str, str]],
    seed: int,
    on_progress: Callable[[], None] | None = None,
) -> Iterator[WitnessReport]:
    """Each assigned witness's report on the acta their mesa's machine printed, with the hand count of the
    paper (what the voters chose, which an altered machine did not print), made on every core."""
    jobs = [
        (station, witness, printed[station], paper[station], seed * 100_003 + k)
        for k, (station, witness) in enumerate(assignments)
    ]
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init, initargs=(election, registry_note)) as pool:
        for report in pool.map(_at_mesa, jobs, chunksize=4):
            if on_progress:
                on_progress()
            yield report
