"""What a machine prints: the tally sheet (header, every candidate and party card with its count, totals,
QR code(s)) and the voter's paper receipt.

Drawn with matplotlib, so the same page comes out as a PNG for screens and a vector PDF for printers.
With the election definition the sheet shows names; without it, the ids the acta carries. A receipt is
sized for an 80 mm thermal receipt printer and carries its own text as a QR code, so the hand count of the
receipts can be checked by scanning them.
"""

from __future__ import annotations

import io

import numpy as np
import segno
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from actas.acta.model import ActaKind, ContestCount, SignedActa
from actas.acta.qr import qr_codes
from actas.election import Contest, Election
from actas.i18n import Language, language, spoken
from actas.machine.receipt import Receipt

WIDTH_IN = 4.6
ROW_IN = 0.19
QR_IN = 1.95
RECEIPT_WIDTH_IN = 80 / 25.4
"""An 80 mm paper roll, the common width of receipt printers."""
MONO = "DejaVu Sans Mono"
PDF_METADATA = {"Creator": "actas", "Producer": None, "CreationDate": None, "ModDate": None}
"""No date and nothing that varies: a PDF is the same bytes whenever it is made (None removes a key)."""


def pdf_bytes(figure: Figure) -> bytes:
    """A figure as a PDF without a date or a producer's version: the same figure gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", facecolor="white", metadata=PDF_METADATA)
    return buffer.getvalue()


def _rows(signed: SignedActa, election: Election | None, lang: Language) -> list[tuple[str, str, str]]:
    """(style, label, value) lines of the sheet, top to bottom, in `lang`."""
    acta = signed.acta
    if acta.kind is ActaKind.FINAL:
        title = lang.gettext("TALLY SHEET (ACTA) - FINAL RESULTS")
    else:
        title = lang.gettext("ZERO ACTA - POLLS OPENED")
    label = election.station_label if election else lang.gettext("Station")
    rows = [("title", title, ""), ("head", election.name if election else acta.election, "")]
    if election is not None:
        station = election.station_by_code.get(acta.station)
        if station is not None:
            for unit in election.path(station):
                rows.append(("info", unit.name, unit.code))
    rows += [
        ("info", label, acta.station),
        ("info", lang.gettext("Machine"), acta.machine),
        ("info", lang.gettext("Opened"), lang.moment_of(acta.opened)),
    ]
    if acta.closed:
        rows.append(("info", lang.gettext("Closed"), lang.moment_of(acta.closed)))
    for count in acta.contests:
        contest = next((c for c in election.contests if c.id == count.contest), None) if election else None
        rows += _contest_rows(count, contest, lang)
    rows += [
        ("rule", "", ""),
        ("total", lang.gettext("Voters"), lang.number(acta.voters)),
        ("info", lang.gettext("Registered voters"), lang.number(acta.registered)),
        ("info", lang.gettext("Receipts printed"), lang.number(acta.receipts)),
        ("info", lang.gettext("Turnout"), lang.percent(acta.voters, acta.registered)),
        ("rule", "", ""),
        ("small", lang.gettext("election %(digest)s") % {"digest": acta.fingerprint[:32]}, ""),
    ]
    if acta.zero and acta.chain:
        rows += [
            ("small", lang.gettext("zero acta %(digest)s") % {"digest": acta.zero[:32]}, ""),
            ("small", lang.gettext("last receipt %(digest)s") % {"digest": acta.chain[:32]}, ""),
        ]
    rows.append(("small", lang.gettext("acta %(digest)s") % {"digest": signed.digest[:32]}, ""))
    rows.append(("small", lang.gettext("signed by %(key)s (Ed25519)") % {"key": signed.note.signatures[0].name}, ""))
    return rows


def _contest_rows(count: ContestCount, contest: Contest | None, lang: Language) -> list[tuple[str, str, str]]:
    rows = [("rule", "", ""), ("head", contest.name if contest else count.contest, "")]
    if contest is None:
        rows += [("option", oid, lang.number(n)) for oid, n in zip(count.options, count.votes, strict=True)]
    else:
        for cand in contest.candidates:
            cards = [(o, count.count(o.id)) for o in contest.options if o.candidate == cand.id]
            rows.append(("candidate", cand.name, lang.number(sum(n for _, n in cards))))
            rows += [("option", f"   {o.id}  {o.name}", lang.number(n)) for o, n in cards]
    rows.append(("candidate", lang.gettext("Null votes"), lang.number(count.null)))
    return rows


def _draw_qr(ax: Axes, code: segno.QRCode) -> None:
    matrix = np.array(list(code.matrix_iter(scale=1, border=4)), dtype=np.uint8)
    ax.imshow(1 - matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    ax.set_axis_off()


def render_acta(signed: SignedActa, election: Election | None = None) -> Figure:
    """The printed tally sheet, in the election's language (English without a definition)."""
    lang = spoken(election) if election is not None else language()
    rows = _rows(signed, election, lang)
    codes = qr_codes(signed.payload)
    qr_rows = (len(codes) + 1) // 2
    height = 0.4 + ROW_IN * len(rows) + qr_rows * (QR_IN + 0.3)
    fig = Figure(figsize=(WIDTH_IN, height))
    y = height - 0.3
    sizes = {"title": 10.5, "head": 9, "candidate": 8, "total": 9, "info": 7.5, "option": 7, "small": 6}
    for style, label, value in rows:
        fy = y / height
        if style == "rule":
            fig.add_artist(Line2D([0.05, 0.95], [fy, fy], linewidth=0.5, color="black"))
        else:
            weight = "bold" if style in ("title", "head", "candidate", "total") else "normal"
            family = MONO if style == "small" else "DejaVu Sans"
            fig.text(0.05, fy, label, fontsize=sizes[style], weight=weight, family=family, va="center")
            if value:
                fig.text(
                    0.95,
                    fy,
                    value,
                    fontsize=sizes[style],
                    weight=weight,
                    family=MONO,
                    va="center",
                    ha="right",
                )
        y -= ROW_IN
    y -= 0.1
    for k, code in enumerate(codes):
        column, row = k % 2, k // 2
        size = QR_IN if len(codes) > 1 else QR_IN * 1.1
        left = (0.5 - size / WIDTH_IN / 2) if len(codes) == 1 else (0.03 + 0.5 * column)
        top = y - row * (QR_IN + 0.3)
        ax = fig.add_axes((left, (top - size) / height, size / WIDTH_IN, size / height))
        _draw_qr(ax, code)
        if len(codes) > 1:
            fig.text(
                left + size / WIDTH_IN / 2,
                (top - size - 0.08) / height,
                lang.gettext("QR %(i)s of %(n)s") % {"i": k + 1, "n": len(codes)},
                fontsize=7,
                ha="center",
                va="top",
            )
    return fig


def render_receipt(receipt: Receipt, election: Election) -> Figure:
    """A voter's paper receipt, in the election's language: the choices by name, the chain code, and the
    receipt's text as a QR code."""
    lang = spoken(election)
    names = {(c.id, o.id): o.name for c in election.contests for o in c.options}
    contests = {c.id: c.name for c in election.contests}
    lines: list[tuple[str, str]] = [("title", lang.gettext("VOTE RECEIPT")), ("info", election.name)]
    lines += [
        ("info", f"{election.station_label} {receipt.station}"),
        ("info", lang.gettext("Receipt %(seq)s") % {"seq": receipt.seq}),
        ("rule", ""),
    ]
    for contest, option in receipt.choices:
        lines.append(("info", contests.get(contest, contest)))
        chosen = lang.gettext("Null vote") if option == "null" else names.get((contest, option), option)
        lines.append(("head", chosen))
    chain = lang.gettext("code %(digest)s") % {"digest": receipt.code[:32]}
    lines += [("rule", ""), ("small", chain), ("small", " " * chain.index(receipt.code[:32]) + receipt.code[32:])]
    lines.append(("small", lang.gettext("Put this receipt in the ballot box.")))
    return _slip(lines, qr_codes(receipt.to_text()))


def render_confirmation(code: bytes, station: str, election: Election, challenged: str | None = None) -> Figure:
    """The slip a voter keeps, in the election's language: their encrypted ballot's confirmation code, to
    find it on the board (`/ballot/CODE`), and nothing of the vote; for a challenged ballot, which counts
    for no one, also what the machine revealed it held."""
    lang = spoken(election)
    digits = code.hex()
    lines: list[tuple[str, str]] = [("title", lang.gettext("CONFIRMATION CODE")), ("info", election.name)]
    lines += [("info", f"{election.station_label} {station}"), ("rule", "")]
    lines += [
        ("head", " ".join(digits[i : i + 4] for i in range(0, 16, 4))),
        ("small", digits[:32]),
        ("small", digits[32:]),
    ]
    if challenged is not None:
        names = {o.id: o.name for c in election.contests for o in c.options}
        held = lang.gettext("Null vote") if challenged == "null" else names.get(challenged, challenged)
        lines += [
            ("rule", ""),
            ("info", lang.gettext("CHALLENGED: NOT COUNTED")),
            ("info", lang.gettext("The machine encrypted:")),
            ("head", held),
        ]
    lines += [
        ("rule", ""),
        ("small", lang.gettext("Keep this slip. Find your ballot")),
        ("small", lang.gettext("on the results site: /ballot/CODE")),
    ]
    return _slip(lines, qr_codes(digits))


def _slip(lines: list[tuple[str, str]], codes: list[segno.QRCode]) -> Figure:
    """A narrow printout: its lines top to bottom, then its QR codes."""
    qr_in = 1.6
    height = 0.35 + ROW_IN * 1.25 * len(lines) + len(codes) * (qr_in + 0.1) + 0.1
    fig = Figure(figsize=(RECEIPT_WIDTH_IN, height))
    y = height - 0.3
    sizes = {"title": 11, "head": 11, "info": 8, "small": 6.5}
    for style, text in lines:
        if style == "rule":
            fig.add_artist(Line2D([0.06, 0.94], [y / height] * 2, linewidth=0.5, color="black"))
        else:
            fig.text(
                0.06,
                y / height,
                text,
                fontsize=sizes[style],
                weight="bold" if style in ("title", "head") else "normal",
                family=MONO if style == "small" else "DejaVu Sans",
                va="center",
            )
        y -= ROW_IN * 1.25
    for k, code in enumerate(codes):
        bottom = 0.1 + (len(codes) - 1 - k) * (qr_in + 0.1)
        ax = fig.add_axes(
            ((1 - qr_in / RECEIPT_WIDTH_IN) / 2, bottom / height, qr_in / RECEIPT_WIDTH_IN, qr_in / height)
        )
        _draw_qr(ax, code)
    return fig
