"""`actas trustees ceremony|check`: the trustees' key ceremony for encrypted ballots (docs/e2e.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.console import Col, out, print_json, table
from actas.errors import InputError, VerificationError
from actas.files import load_election, read_text, write_private, write_text

if TYPE_CHECKING:
    from actas.e2e.trustees import Ceremony

trustees_app = typer.Typer(
    help="The trustees who make the election's joint key and decrypt each mesa's tally (docs/e2e.md).",
    no_args_is_help=True,
)

CEREMONY_FILE = "ceremony.json"
TRUSTEES_DIR = "trustees"


@trustees_app.command("ceremony")
def trustees_ceremony(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the record and the trustees' files.")],
    trustees: Annotated[int, typer.Option(help="How many trustees (n).")] = 5,
    quorum: Annotated[int, typer.Option(help="How many of them can decrypt together (k).")] = 3,
    names: Annotated[str | None, typer.Option(help="Their names, comma-separated; 'Trustee 1', ... if none.")] = None,
) -> None:
    """Run the key ceremony: each trustee commits to a polynomial with proofs, deals its shares to the
    others sealed to their box keys, checks the shares it receives against the commitments, and
    complains of any that fail, which its dealer answers in the clear. The joint key is the sum of the
    qualified trustees' first commitments.

    Writes OUT/ceremony.json, the public record anyone checks (`actas trustees check`), and each
    trustee's secrets to its own file, OUT/trustees/trustee-N.key (mode 0600), to be handed to that
    trustee alone and kept off any server. This command plays every trustee in one place; it makes the
    same record the trustees would make each on their own machine.

    Example: actas trustees ceremony --election ve2024 --trustees 5 --quorum 3 --out ceremony
    """
    from actas.e2e.records import ceremony_to_json, dumps, trustee_to_json
    from actas.e2e.trustees import MAX_TRUSTEES, run_ceremony

    if not 1 <= quorum <= trustees <= MAX_TRUSTEES:
        raise InputError(f"--quorum {quorum} of --trustees {trustees}: need 1 <= quorum <= trustees <= {MAX_TRUSTEES}")
    named = [n.strip() for n in names.split(",")] if names else [f"Trustee {i}" for i in range(1, trustees + 1)]
    if len(named) != trustees or not all(named) or any(len(n) > 200 for n in named):
        raise InputError(f"--names: give {trustees} names of at most 200 characters, separated by commas")
    if (out_dir / CEREMONY_FILE).exists():
        raise InputError(f"{out_dir / CEREMONY_FILE} exists: a ceremony is never run over another")
    election = load_election(election_dir)
    members, ceremony = run_ceremony(election.fingerprint, named, quorum)
    for member in members:
        secrets = dumps(trustee_to_json(member, election.fingerprint))
        write_private(out_dir / TRUSTEES_DIR / f"trustee-{member.index}.key", secrets)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / CEREMONY_FILE, dumps(ceremony_to_json(ceremony)))
    _show(ceremony)
    out.print(f"wrote {out_dir / CEREMONY_FILE} and {trustees} trustees' files in {out_dir / TRUSTEES_DIR} (0600)")


@trustees_app.command("check")
def trustees_check(
    record: Annotated[Path, typer.Argument(help="A ceremony's record (ceremony.json).")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a ceremony's record: every proof of every commitment, every complaint's answer, that the
    qualified trustees and the joint key are what they give, and that it is for this election.
    Exit 0 when all hold, 1 when something does not (each named), 2 when it cannot be read.

    Example: actas trustees check ceremony/ceremony.json --election ve2024
    """
    from actas.e2e.records import MAX_RECORD_BYTES, ceremony_from_text

    election = load_election(election_dir)
    ceremony = ceremony_from_text(read_text(record, limit=MAX_RECORD_BYTES, what="ceremony record"))
    problems = ceremony.problems()
    if ceremony.fingerprint != election.fingerprint:
        problems.insert(0, f"it is for the election of fingerprint {ceremony.fingerprint[:16]}…, not {election.id}")
    if as_json:
        key, qualified = ceremony.joint_key().hex(), list(ceremony.qualified())
        print_json({"joint_key": key, "qualified": qualified, "problems": problems})
    else:
        _show(ceremony)
        for problem in problems:
            out.print(f"problem: {problem}", markup=False)
    if problems:
        raise VerificationError(f"{len(problems)} problems in the ceremony's record")


def _show(ceremony: Ceremony) -> None:
    qualified = set(ceremony.qualified())
    rows = [
        [
            str(a.index),
            a.name,
            "yes" if a.index in qualified else "no",
            str(sum(c.dealer == a.index for c in ceremony.complaints)),
        ]
        for a in ceremony.announcements
    ]
    columns = [Col("#", True), Col("trustee"), Col("qualified"), Col("complaints\nagainst", True)]
    out.print(table(f"Key ceremony: {ceremony.k} of {ceremony.n} trustees", columns, rows))
    out.print(f"joint key {ceremony.joint_key().hex()}", markup=False, soft_wrap=True)
