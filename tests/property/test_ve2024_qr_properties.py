"""The 2024 Venezuelan acta QR text: read back as written; anything but that form refused."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from actas.dataset.model import Signature
from actas.dataset.ve2024_qr import CARDS, QrActa, dataset_from_qr, parse_qr
from actas.errors import FormatError

EXAMPLE_CARDS = [122, 1, 0] + [0] * (CARDS - 6) + [406, 0, 1]

qr_actas = st.builds(
    QrActa,
    st.from_regex(r"[0-9]{9}", fullmatch=True),
    st.from_regex(r"[0-9]{2}", fullmatch=True),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.lists(st.integers(0, 999_999), min_size=CARDS, max_size=CARDS).map(tuple),
    st.integers(0, 999_999),
    st.integers(0, 999_999),
)


@given(qr_actas)
def test_a_qr_text_round_trips(acta: QrActa) -> None:
    assert parse_qr(acta.to_text()) == acta


@given(qr_actas, st.data())
def test_a_broken_qr_text_is_refused(acta: QrActa, data: st.DataObject) -> None:
    text = acta.to_text()
    where = data.draw(st.integers(0, len(text) - 1))
    broken = text[:where] + data.draw(st.sampled_from(["!", ",", "x", ".", ",1", ""])) + text[where + 1 :]
    if broken == text:
        return
    try:
        read = parse_qr(broken)
    except FormatError:
        return
    assert read != acta  # a change that keeps the form (a digit for a digit) is another acta: nothing signs it


def test_the_readme_example_and_a_file_of_codes(tmp_path: Path) -> None:
    """The example of ../shared/data/README.md: acta 110601011.04.1.0001, 122 votes on the first card."""
    text = "110601011.04.1.0001!" + ",".join(map(str, EXAMPLE_CARDS)) + "!0!0"
    acta = parse_qr(text)
    assert (acta.station, acta.path, acta.cards[0], acta.cards[-3]) == (
        "110601011.4",
        ("11", "6", "1", "110601011"),
        122,
        406,
    )
    other = text.replace("!122,", "!123,")
    dataset, refused = dataset_from_qr([text, "", "garbage", text, other], "codes.txt")
    assert len(dataset) == 1 and dataset.rows[0].provenance.signature == Signature.UNSIGNED
    assert [line for line, _ in refused] == [3, 4, 5]
    assert "(the same acta)" in refused[1][1] and "(a different acta)" in refused[2][1]
    assert sum(dataset.rows[0].votes) == sum(EXAMPLE_CARDS)
    assert dataset.candidates[0] == ("NM", "Nicolás Maduro")
