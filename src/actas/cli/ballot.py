"""`actas ballot check CODE`: a voter's confirmation code looked up in the published encrypted ballots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from actas.cli.options import BoardKey, RetryFor
from actas.console import out, print_json
from actas.errors import InputError, VerificationError
from actas.files import BALLOTS_DIR, read_lines

ballot_app = typer.Typer(
    help="A voter's encrypted ballot, by its confirmation code (docs/e2e.md).", no_args_is_help=True
)


@ballot_app.command("check")
def ballot_check(
    code: Annotated[str, typer.Argument(help="The confirmation code on the voter's receipt (at least 16 hex digits).")],
    server: Annotated[str | None, typer.Option(help="An official board's URL: check the ballot there.")] = None,
    board_key: Annotated[
        str | None, typer.Option(help="With --server: pin the board's checkpoint key (as `actas serve` prints it).")
    ] = None,
    day: Annotated[
        Path | None, typer.Option(help=f"Or a published day: actas.jsonl, registry.note and {BALLOTS_DIR}/.")
    ] = None,
    election_dir: Annotated[Path | None, typer.Option("--election", help="With --day: election directory.")] = None,
    record: Annotated[Path | None, typer.Option("--ceremony", help="With --day: the ceremony's record.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the ballot with this confirmation code and say what became of it: in which mesa it is, at
    which place of its chain, whether it was cast (and so is in that mesa's tally, which the trustees
    decrypt) or challenged (and then what its revealed nonces show the machine encrypted), whether the
    mesa's whole record holds, and whether the mesa's signed final acta commits to it.

    With --server, on an official board: every entry the answer rests on is proved included in a
    checkpoint signed by the board's key (pin it with --board-key), every ballot of the mesa is
    checked, and once a quorum of trustees has published its shares of the mesa's tally, every share's
    proof is checked and the tally decrypted here and set against the signed acta, beside what the
    board says of it: a voter's or a witness's check of one mesa in seconds, without mirroring the
    board. With --day, in a published day's files.

    Exit 0 when the ballot is found and everything holds, 1 when it is not found, something does not
    hold (each named) or the mesa's decrypted ballots differ from its acta, 2 when the board or the
    files cannot be read.

    Example: actas ballot check 6639a55114a068cd --server https://resultados.example --board-key "..."
             actas ballot check 6639a55114a068cd --day day --election e --ceremony ceremony.json
    """
    from actas.board.ballots import CODE, MIN_CODE_DIGITS

    wanted = code.strip().lower()
    if not CODE.fullmatch(wanted):
        raise InputError(f"a confirmation code is {MIN_CODE_DIGITS} to 64 hexadecimal digits, found {code[:70]!r}")
    if (server is None) == (day is None):
        raise InputError("give --server (an official board) or --day (a published day's files), one of them")
    if server is not None:
        _check_on_board(server, wanted, board_key, as_json)
        return
    if day is None or election_dir is None or record is None:
        raise InputError("--day needs --election and --ceremony")
    from actas.cli.trustees import load_ceremony, mesa_files, mesa_record, signed_finals
    from actas.e2e.mesa import MAX_BALLOT_LINE, check_mesa

    election, _, context = load_ceremony(record, election_dir)
    found = None
    for station, path in mesa_files(day / BALLOTS_DIR, election):
        for line in read_lines(path, limit=MAX_BALLOT_LINE, what="mesa record"):
            try:
                given = json.loads(line).get("code")
            except (ValueError, AttributeError, RecursionError):
                continue  # the mesa's check below names a damaged line
            if isinstance(given, str) and given.startswith(wanted):
                if found is not None and found[0] != (station, given):
                    raise InputError(f"{code[:70]} is the start of more than one code: give more of it")
                found = ((station, given), path)
    if found is None:
        if as_json:
            print_json({"code": wanted, "found": False})
        raise VerificationError(f"no ballot with code {wanted} in {day / BALLOTS_DIR}")
    (station, full), path = found
    mesa = mesa_record(path)
    checked = check_mesa(context, election.contests[0], mesa)
    place, entry = next((i, b) for i, b in enumerate(mesa.ballots, start=1) if b.code.hex() == full)
    final = signed_finals(day).get(station)
    spoiled = {c.hex(): choice for c, choice in checked.spoiled}
    committed = final is not None and final.ballots == checked.last_code.hex()
    facts = {
        "code": full,
        "found": True,
        "mesa": station,
        "place": place,
        "of": len(mesa.ballots),
        "status": "challenged" if entry.spoiled is not None else "cast",
        "choice_revealed": spoiled.get(full),
        "record_holds": not checked.problems,
        "problems": list(checked.problems),
        "acta_commits": committed,
    }
    if as_json:
        print_json(facts)
    else:
        out.print(f"Ballot {full}", markup=False)
        out.print(f"  mesa {station}, ballot {place} of {len(mesa.ballots)} in its chain of codes", markup=False)
        if entry.spoiled is not None:
            shown = spoiled.get(full)
            held = shown or "no valid vote"
            out.print(f"  challenged: not counted; its revealed nonces show it held {held}", markup=False)
        else:
            out.print(
                f"  cast: counted in mesa {station}'s tally, which only the trustees decrypt, whole", markup=False
            )
        holds = "holds" if not checked.problems else f"does NOT hold: {checked.problems[0]}"
        out.print(f"  the mesa's record of {len(mesa.ballots)} ballots {holds}", markup=False)
        commits = "commits to this record" if committed else "does NOT commit to this record"
        out.print(f"  the mesa's signed final acta {commits}", markup=False)
    if checked.problems or not committed:
        raise VerificationError(f"the record of ballot {full[:16]}… or its acta does not hold")


@ballot_app.command("publish")
def ballot_publish(
    ballots: Annotated[Path, typer.Argument(help=f"The mesas' records: a directory of <mesa>.jsonl ({BALLOTS_DIR}/).")],
    server: Annotated[str, typer.Option(help="The official board's URL (served with --ceremony).")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    board_key: BoardKey = None,
    retry_for: RetryFor = "10m",
) -> None:
    """Publish each mesa's record of encrypted ballots on the official board, after its final acta (which
    commits to it: send the actas first, with `actas transmit`). The board checks every ballot's proofs
    and the chain of codes before it takes a record, and refuses it with the reason otherwise; every
    receipt is checked with the board's key.

    Exit 0 when every record is on the board, 1 when one was refused, 2 when some could not be delivered.

    Example: actas ballot publish day/ballots --server http://127.0.0.1:8080 --election ve2024
    """
    from actas.cli.serve import duration, send_reported
    from actas.cli.trustees import mesa_files
    from actas.files import load_election
    from actas.send_ballots import send_records
    from actas.signed_note import Verifier

    files = mesa_files(ballots, load_election(election_dir))
    pinned, seconds = Verifier.from_text(board_key) if board_key else None, duration(retry_for, "--retry-for")
    send_reported(
        "records",
        len(files),
        server,
        lambda step: send_records(server, files, board_key=pinned, retry_for=seconds, on_progress=step),
    )


def _check_on_board(server: str, code: str, board_key: str | None, as_json: bool) -> None:
    from actas.ballot_lookup import check_on_board
    from actas.e2e.tally import AGREES, DIFFERS
    from actas.signed_note import Verifier

    found = check_on_board(server, code, Verifier.from_text(board_key) if board_key else None)
    if as_json:
        print_json(found.to_json())
    elif not found.found:
        out.print(f"no ballot with code {code} on the board {server}", markup=False)
    else:
        out.print(f"Ballot {found.code}", markup=False)
        out.print(f"  mesa {found.station}, ballot {found.place} of its chain of codes", markup=False)
        if found.state == "spoiled":
            out.print(f"  challenged: not counted; its revealed nonces show it held {found.choice}", markup=False)
        else:
            out.print(f"  cast: counted in mesa {found.station}'s tally, which only the trustees decrypt", markup=False)
        out.print(f"  on the board, in its checkpoint of {found.checkpoint:,} entries", markup=False)
        out.print(f"  the mesa's {found.ballots:,} ballots checked here; the board says: {found.mesa}", markup=False)
        verdict = found.verdict
        if verdict is None:
            out.print(f"  not decrypted yet: {found.shares} trustees' shares of its tally on the board", markup=False)
        else:
            said = {AGREES: "agrees with", DIFFERS: "DIFFERS from"}.get(verdict.status, "cannot be set against")
            out.print(f"  its tally, decrypted here from the trustees' shares, {said} its signed acta", markup=False)
            for problem in (*verdict.problems, *verdict.refused):
                out.print(f"    {problem}", markup=False, soft_wrap=True)
        for problem in found.problems:
            out.print(f"  problem: {problem}", markup=False, soft_wrap=True)
    if not found.found:
        raise VerificationError(f"no ballot with code {code} on the board")
    if found.problems:
        raise VerificationError(f"{len(found.problems)} problems with ballot {code[:16]}… or its mesa")
    if found.verdict is not None and found.verdict.status == DIFFERS:
        raise VerificationError(f"mesa {found.station}'s decrypted ballots differ from its signed acta")
