"""`actas election` and `actas keys`: the definition of an election, and the keys that sign for it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from actas.console import Col, out, print_json, table
from actas.election import Election
from actas.errors import InputError
from actas.files import KEYS_DIR, REGISTRY_FILE, load_election, load_policy, publish_keys, save_election
from actas.sim import PRESETS

election_app = typer.Typer(help="Election definitions: generate and inspect.", no_args_is_help=True)
keys_app = typer.Typer(help="The authority's key, machine keys and the signed key registry.", no_args_is_help=True)


@election_app.command("generate")
def election_generate(
    preset: Annotated[str, typer.Option(help=f"One of: {', '.join(PRESETS)}.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write election.json into.")],
    stations: Annotated[int | None, typer.Option(help="Number of stations (synthetic preset).")] = None,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same definition.")] = 2024,
    language: Annotated[
        str | None,
        typer.Option(help="The language its pages, kiosks and actas speak (es_VE, en); the preset's by default."),
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option(help="The IANA time zone its times are shown in (America/Caracas).")
    ] = None,
) -> None:
    """Write an election definition.

    Example: actas election generate --preset venezuela-2024 --out ve2024
    """
    from dataclasses import replace

    from actas.i18n import CODE_RE
    from actas.i18n import time_zone as zone_named
    from actas.sim.generator import generate

    election = generate(preset, stations=stations, seed=seed)
    if language is not None:
        if not CODE_RE.fullmatch(language):
            raise InputError(f"--language: expected a code such as es_VE or en, found {language[:16]!r}")
        election = replace(election, language=language)
    if time_zone is not None:
        zone_named(time_zone)
        election = replace(election, time_zone=time_zone)
    shapes = None
    if preset == "synthetic":  # a made-up country, drawn with made-up borders
        from actas.sim.shapes import simulated_shapes

        election, shapes = simulated_shapes(election, seed)
    path = save_election(election, out_dir, shapes)
    out.print(f"wrote {path}: {len(election.stations):,} stations, {election.registered:,} registered voters")
    out.print(f"fingerprint {election.fingerprint}")


def _summary(election: Election) -> dict[str, Any]:
    from actas.i18n import spoken

    levels = []
    for level in election.levels:
        levels.append({"id": level.id, "name": level.name, "units": sum(u.level == level.id for u in election.units)})
    return {
        "id": election.id,
        "name": election.name,
        "date": election.date,
        "fingerprint": election.fingerprint,
        "levels": levels,
        "stations": len(election.stations),
        "station_label": election.station_label,
        "language": spoken(election).code,
        "time_zone": spoken(election).zone.key,
        "registered": election.registered,
        "contests": [
            {
                "id": c.id,
                "name": c.name,
                "candidates": [
                    {"id": k.id, "name": k.name, "options": [o.id for o in c.options if o.candidate == k.id]}
                    for k in c.candidates
                ],
                "options": len(c.options),
            }
            for c in election.contests
        ],
    }


@election_app.command("show")
def election_show(
    election_dir: Annotated[Path, typer.Argument(help="Election directory or election.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarize a definition: levels, stations, registered voters, contests, candidates, options.

    Example: actas election show ve2024 --json
    """
    election = load_election(election_dir)
    summary = _summary(election)
    if as_json:
        print_json(summary)
        return
    out.print(f"[bold]{election.name}[/bold] ({election.id}), {election.date}")
    out.print(f"fingerprint {election.fingerprint}")
    for level in summary["levels"]:
        out.print(f"  {level['name']:<24} {level['units']:>10,}")
    out.print(f"  {election.station_label + 's':<24} {len(election.stations):>10,}")
    out.print(f"  {'Registered voters':<24} {election.registered:>10,}")
    for contest in election.contests:
        rows = [[c.name, " ".join(o.id for o in contest.options if o.candidate == c.id)] for c in contest.candidates]
        title = f"{contest.name}: {len(contest.candidates)} candidates, {len(contest.options)} options"
        out.print(table(title, [Col("Candidate"), Col("Ballot options (party cards)")], rows))


@keys_app.command("generate")
def keys_generate(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write keys/ (private, 0600) and registry.note.")],
    authority: Annotated[str, typer.Option(help="The authority key's name.")] = "electoral-authority",
    cosigners: Annotated[
        Path | None,
        typer.Option(help="A cosigner policy file (who cosigns the board, how many must): published in the registry."),
    ] = None,
    quorum: Annotated[int | None, typer.Option(help="The policy's quorum, in place of the file's.", min=1)] = None,
) -> None:
    """Create the authority key, one key per station's machine, and the signed key registry.

    With --cosigners, the registry also fixes, before election day, the cosigners every reader of
    the board will require: a checkpoint counts only once a quorum of them have cosigned it.

    Example: actas keys generate --election ve2024 --out ve2024 --cosigners cosigners.policy
    """
    election = load_election(election_dir)
    policy = load_policy(cosigners, quorum) if cosigners is not None else None
    if policy is None and quorum is not None:
        raise InputError("--quorum goes with --cosigners")
    keys, _ = publish_keys(election, out_dir, authority, policy)
    out.print(f"wrote {out_dir / KEYS_DIR} (private) and {out_dir / REGISTRY_FILE} (publish this)")
    out.print(f"authority key: {keys.authority.verifier.to_text()}")
