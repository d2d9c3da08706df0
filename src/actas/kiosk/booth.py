"""The voting booth: one station's journaled machine, the ballot a poll worker enables, its printer and
its link to the tabulation server.

A machine given the trustees' key encrypts the ballot once the voter confirms the choice and shows its
confirmation code; the voter casts it (its receipt goes into the ballot box as always, its code on a slip
the voter keeps) or challenges it (the machine reveals what it encrypted on a slip, counts nothing, and
the voter votes again). After the final acta, the mesa's encrypted ballots go to the server.

One ballot per voter: the poll worker checks the voter in the poll book and enables one ballot from
the poll workers' console; the voter's screen can cast only an enabled ballot, and casting uses it
up. A vote must name a card or "null" for every contest: an empty choice is never read as a null
vote. Nothing the booth keeps links a choice to its order or its time: the journal holds running
totals (`actas.store.journal`), and a receipt is printed from memory and dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from actas.acta.model import ActaKind, SignedActa
from actas.election import NULL_VOTE, Election
from actas.errors import InputError, MachineStateError
from actas.fields import format_utc_time
from actas.files import write_private
from actas.i18n import spoken
from actas.kiosk.printer import Printer, PrinterError
from actas.machine.receipt import Receipt
from actas.machine.voting_machine import MachineSetup, MachineState
from actas.outbox import Outbox
from actas.paper.render import pdf_bytes, render_acta, render_confirmation, render_receipt
from actas.payload_sources import SourcePayload
from actas.send_ballots import send_records
from actas.signed_note import Signer, Verifier
from actas.store.journal import JournaledMachine
from actas.transmit import transmit

JOURNAL, OUTBOX = "machine.journal", "sent.jsonl"
RETRY_SECONDS = 10.0


class BallotNotEnabled(MachineStateError):
    """A vote with no ballot enabled by a poll worker."""


class ChoiceRefused(InputError):
    """A vote whose choices are missing, empty or for no contest on the ballot."""


@dataclass(frozen=True)
class KioskConfig:
    election: Election
    station: str
    signer: Signer
    out_dir: Path
    """The journal and the actas (0600, in a 0700 directory): never a receipt."""
    server: str | None
    printer: Printer
    board_key: Verifier | None = None
    """The tabulation server's checkpoint key, pinned; taken from the server when None."""
    logos: Mapping[str, tuple[bytes, str]] = field(default_factory=dict)
    """The parties' logos the definition names, by ballot option: bytes and media type (`files.load_logos`)."""
    encryption_key: str | None = None
    """The trustees' joint key (hex): the machine encrypts every ballot, the voter may challenge it, and
    its encrypted ballots go to the server after its final acta (docs/e2e.md)."""


def _now() -> str:
    return format_utc_time(dt.datetime.now(dt.UTC))


class Booth:
    def __init__(self, config: KioskConfig) -> None:
        self.config = config
        config.out_dir.mkdir(parents=True, exist_ok=True)
        config.out_dir.chmod(0o700)
        journal = config.out_dir / JOURNAL
        self.machine: JournaledMachine | None = JournaledMachine.resume(journal) if journal.exists() else None
        if self.machine is not None and self.machine.machine.setup.encryption_key != config.encryption_key:
            self.machine.close_file()
            raise InputError(
                f"journal {journal} was started {'with' if config.encryption_key is None else 'without'} the "
                "trustees' key: start the kiosk as it was started (the same --ceremony, or none)"
            )
        self.ballot_enabled = False
        """Whether a poll worker has enabled a ballot that no vote has used yet."""
        self.delivered = self.machine is None
        """Whether the server has acknowledged every acta printed so far (a resumed kiosk sends again)."""
        self.words = spoken(config.election)
        """The election's language: what the poll workers' console is told, it is told in."""
        self.transmission = self.words.gettext("not yet")
        self.printer_problem: str | None = None

    @property
    def state(self) -> str:
        return MachineState.READY.value if self.machine is None else self.machine.machine.state.value

    def printed(self) -> list[str]:
        """The actas printed so far: zero, then final."""
        if self.machine is None:
            return []
        return [kind.value for kind, payload in self._actas() if payload is not None]

    def _actas(self) -> list[tuple[ActaKind, str | None]]:
        assert self.machine is not None
        return [(ActaKind.ZERO, self.machine.zero), (ActaKind.FINAL, self.machine.final)]

    # --- the poll workers' acts ----------------------------------------------------------------------------

    def open(self) -> None:
        if self.machine is not None:
            raise MachineStateError(f"the machine is {self.state}, not {MachineState.READY.value}")
        config = self.config
        setup = MachineSetup.for_station(config.election, config.station, config.signer.name, config.encryption_key)
        machine = JournaledMachine.create(self.config.out_dir / JOURNAL, setup)
        self.machine = machine
        self._print_acta(machine.open(self.config.signer, _now()))

    def enable_ballot(self) -> None:
        machine = self._require(MachineState.OPEN)
        if self.ballot_enabled:
            raise MachineStateError("a ballot is already enabled and not yet cast; cancel it if the voter left")
        if machine.machine.voters >= machine.machine.setup.registered:
            raise MachineStateError("every registered voter of this station has voted")
        self.ballot_enabled = True

    def cancel_ballot(self) -> None:
        if not self.ballot_enabled:
            raise MachineStateError("no ballot is enabled")
        self.ballot_enabled = False
        if self.machine is not None:
            self.machine.machine.discard()  # a ballot encrypted and shown, its voter gone: nothing of it kept

    @property
    def encrypts(self) -> bool:
        return self.config.encryption_key is not None

    def close(self) -> None:
        machine = self._require(MachineState.OPEN)
        self.ballot_enabled = False
        machine.machine.discard()
        self._print_acta(machine.close(self.config.signer, _now()))

    def reprint(self, kind: str) -> None:
        """Print an acta again (for the witnesses, or after a paper jam)."""
        known = self.machine is not None and kind in {k.value for k in ActaKind}
        payload = dict(self._actas()).get(ActaKind(kind)) if known else None
        if payload is None:
            raise MachineStateError(f"no {kind[:10]} acta has been printed")
        self.config.printer.print_pdf((self.config.out_dir / f"{kind}-acta.pdf").read_bytes())

    # --- the voter's act -----------------------------------------------------------------------------------

    def vote(self, choices: Mapping[str, object]) -> bool:
        """Cast the enabled ballot and print its receipt; whether the receipt printed. A choice refused
        leaves the ballot enabled and nothing counted."""
        machine, picks = self._enabled(choices)
        return self._cast(machine.cast(picks))

    def encrypt(self, choices: Mapping[str, object]) -> str:
        """Encrypt the enabled ballot's choices: its confirmation code, which the voter sees before casting it
        (`cast`) or challenging it (`challenge`)."""
        machine, picks = self._enabled(choices)
        return machine.encrypt(picks).hex()

    def cast(self) -> bool:
        """Cast the ballot encrypted and shown: its receipt into the ballot box, its code on a slip the voter
        keeps; whether both printed."""
        machine = self._require(MachineState.OPEN)
        receipt = machine.cast_encrypted()
        assert machine.machine.box is not None
        code = machine.machine.box.last_code
        printed = self._cast(receipt)
        return self._slip(render_confirmation(code, self.config.station, self.config.election)) and printed

    def challenge(self) -> tuple[str, str, bool]:
        """Challenge the ballot encrypted and shown: never counted, the ballot stays enabled for the voter to
        vote again. (the choice the machine revealed, the code, whether its slip printed)."""
        machine = self._require(MachineState.OPEN)
        if not self.ballot_enabled:
            raise BallotNotEnabled("no ballot is enabled")
        spoiled = machine.challenge()
        assert machine.machine.box is not None
        code = machine.machine.box.last_code
        slip = render_confirmation(code, self.config.station, self.config.election, spoiled.choice)
        return spoiled.choice, code.hex(), self._slip(slip)

    def _slip(self, figure: Figure) -> bool:
        return self._print(figure, self.words.gettext("the last slip did not print: %(why)s"))

    def _print(self, figure: Figure, failed: str) -> bool:
        """Print a voter's printout; whether it printed (else the console says `failed`, with why)."""
        try:
            self.config.printer.print_pdf(pdf_bytes(figure))
        except PrinterError as exc:
            self.printer_problem = failed % {"why": self._printer_failure(exc)}
            return False
        return True

    def _enabled(self, choices: Mapping[str, object]) -> tuple[JournaledMachine, dict[str, str | None]]:
        """The open machine, with a ballot enabled, and the choices it is given, each a card or null of a
        contest on the ballot."""
        machine = self._require(MachineState.OPEN)
        if not self.ballot_enabled:
            raise BallotNotEnabled(
                "no ballot is enabled: a poll worker enables each ballot after checking the poll book"
            )
        picks: dict[str, str | None] = {}
        for contest in self.config.election.contests:
            pick = choices.get(contest.id)
            if not isinstance(pick, str) or not pick:
                raise ChoiceRefused(
                    f"choose a card or '{NULL_VOTE}' for {contest.name[:60]}: an empty choice is refused"
                )
            if pick != NULL_VOTE and pick not in contest.option_ids:
                raise ChoiceRefused(f"{pick[:40]!r} is not a card of {contest.name[:60]}")
            picks[contest.id] = pick
        extra = set(choices) - set(picks)
        if extra:
            raise ChoiceRefused(f"no contest {sorted(extra)[0][:40]} on this ballot")
        return machine, picks

    def _cast(self, receipt: Receipt) -> bool:
        """A vote cast: the ballot used up, its receipt printed for the ballot box; whether it printed."""
        self.ballot_enabled = False
        self.printer_problem = None
        failed = self.words.gettext("the last receipt did not print: %(why)s")
        return self._print(render_receipt(receipt, self.config.election), failed)

    # --- printing and sending actas -------------------------------------------------------------------------

    def _printer_failure(self, exc: PrinterError) -> str:
        if exc.printer_exit is None:
            return self.words.gettext("the printer command could not run")
        return self.words.gettext("the printer failed (exit %(code)s)") % {"code": exc.printer_exit}

    def printer_status(self) -> str:
        """What the console says of the printer, in the election's language."""
        if self.printer_problem is not None:
            return self.printer_problem
        program = self.config.printer.program
        if program is None:
            return self.words.gettext("no printer: printouts go nowhere")
        return self.words.gettext("printing with %(program)s") % {"program": program}

    def _require(self, state: MachineState) -> JournaledMachine:
        if self.state != state.value:
            raise MachineStateError(f"the machine is {self.state}, not {state.value}")
        assert self.machine is not None
        return self.machine

    def _print_acta(self, signed: SignedActa) -> None:
        name = f"{signed.acta.kind.value}-acta"
        pdf = pdf_bytes(render_acta(signed, self.config.election))
        write_private(self.config.out_dir / f"{name}.acta.txt", signed.payload)
        write_private(self.config.out_dir / f"{name}.pdf", pdf)
        self.delivered = False
        try:
            self.config.printer.print_pdf(pdf)
            self.printer_problem = None
        except PrinterError as exc:
            if signed.acta.kind is ActaKind.FINAL:
                said = self.words.gettext("the final acta did not print: %(why)s")
            else:
                said = self.words.gettext("the zero acta did not print: %(why)s")
            self.printer_problem = said % {"why": self._printer_failure(exc)}

    def transmit(self) -> bool:
        """Send the printed actas to the server; True once the server has acknowledged them."""
        if self.config.server is None:
            self.transmission = self.words.gettext("no server configured: carry the printed acta")
            self.delivered = True
            return True
        if self.machine is None:
            return True
        items = [SourcePayload(f"{kind.value} acta", payload) for kind, payload in self._actas() if payload]
        report = transmit(
            self.config.server,
            items,
            Outbox(self.config.out_dir / OUTBOX),
            workers=1,
            board_key=self.config.board_key,
            retry_for=RETRY_SECONDS,
        )
        if report.unsent:
            self.transmission = self.words.gettext("not delivered to %(server)s: retrying every %(s)s s") % {
                "server": self.config.server,
                "s": f"{RETRY_SECONDS:.0f}",
            }
            return False
        problems = report.refused + report.conflicts
        if not problems and self.machine.final is not None and self.machine.ballots is not None:
            sent = send_records(
                self.config.server,
                [(self.config.station, self.machine.ballots.path)],
                board_key=self.config.board_key or report.board_key,
                retry_for=RETRY_SECONDS,
            )
            if sent.unsent:
                self.transmission = self.words.gettext("encrypted ballots not delivered: retrying every %(s)s s") % {
                    "s": f"{RETRY_SECONDS:.0f}"
                }
                return False
            problems = sent.refused
        if problems:
            self.transmission = self.words.gettext("refused: %(why)s") % {"why": "; ".join(problems)}
        else:
            self.transmission = self.words.gettext("acknowledged by %(server)s") % {"server": self.config.server}
        self.delivered = True
        return True
