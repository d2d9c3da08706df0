"""The QR code printed on Venezuela's 2024 actas, read as an unsigned acta.

The code is plain text, `<acta id>!<38 counts>!<null>!<invalid>`, for example
`110601011.04.1.0001!122,1,0,...,406,0,1!0!0`: the acta id is the 9-digit centre code (state,
municipality and parish, two digits each, then the centre), the 2-digit mesa, then `1.0001`; the
counts are one per party card in ballot order (see `actas.dataset.venezuela_2024`). It carries no
hash and no signature: anything read from it is unsigned, and a changed digit is a different,
equally well-formed acta. Stations are named as in the opposition's CSV (`<centre>.<mesa>`, without
leading zeros), so the two sources can be set side by side. The code's null and invalid votes are
counted together as the dataset's null votes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actas.dataset.model import Dataset, Declared, Option, Provenance, StationRow
from actas.dataset.venezuela_2024 import CANDIDATES, MESAS, REGISTERED
from actas.errors import FormatError

CARDS = sum(len(cards) for _, _, cards in CANDIDATES)
_COUNT = "(?:0|[1-9][0-9]{0,5})"
_QR = re.compile(
    rf"([0-9]{{9}})\.([0-9]{{2}})\.1\.([0-9]{{4}})!((?:{_COUNT},){{{CARDS - 1}}}{_COUNT})!({_COUNT})!({_COUNT})"
)
LEVELS = ("state", "municipality", "parish", "centre")
MAX_QR_TEXT = 1024


@dataclass(frozen=True)
class QrActa:
    centre: str
    mesa: str
    serial: str
    cards: tuple[int, ...]
    null: int
    invalid: int

    @property
    def station(self) -> str:
        return f"{int(self.centre)}.{int(self.mesa)}"

    @property
    def path(self) -> tuple[str, ...]:
        c = self.centre
        return (str(int(c[:2])), str(int(c[2:4])), str(int(c[4:6])), str(int(c)))

    def to_text(self) -> str:
        counts = ",".join(map(str, self.cards))
        return f"{self.centre}.{self.mesa}.1.{self.serial}!{counts}!{self.null}!{self.invalid}"


def parse_qr(text: str) -> QrActa:
    if len(text) > MAX_QR_TEXT:
        raise FormatError(f"a 2024 acta QR text is at most {MAX_QR_TEXT} characters, found {len(text)}")
    match = _QR.fullmatch(text.strip())
    if match is None:
        raise FormatError(
            f"not a 2024 acta QR text (<centre>.<mesa>.1.<serial>!<{CARDS} counts>!<null>!<invalid>): {text[:60]!r}"
        )
    centre, mesa, serial, counts, null, invalid = match.groups()
    return QrActa(centre, mesa, serial, tuple(int(c) for c in counts.split(",")), int(null), int(invalid))


def options() -> tuple[Option, ...]:
    return tuple(
        Option(card, card_name, candidate, name) for candidate, name, cards in CANDIDATES for card, card_name in cards
    )


def dataset_from_qr(lines: list[str], source: str) -> tuple[Dataset, list[tuple[int, str]]]:
    """A dataset of the actas read from QR texts, one a line; and the lines that could not be used."""
    dataset = Dataset(
        name="Venezuela 2024 presidential election: actas read from their QR codes (unsigned)",
        contest="presidente",
        options=options(),
        levels=LEVELS,
        sources=[source],
        declared=Declared(MESAS, REGISTERED),
    )
    refused: list[tuple[int, str]] = []
    seen: dict[str, tuple[int, QrActa]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            acta = parse_qr(line)
        except FormatError as exc:
            refused.append((number, str(exc)))
            continue
        earlier = seen.get(acta.station)
        if earlier is not None:
            same = "the same acta" if earlier[1] == acta else "a different acta"
            refused.append((number, f"station {acta.station} is already on line {earlier[0]} ({same})"))
            continue
        seen[acta.station] = (number, acta)
        dataset.add(
            StationRow(
                acta.station, acta.path, None, None, acta.cards, acta.null + acta.invalid, None, Provenance(0, number)
            )
        )
    return dataset, refused
