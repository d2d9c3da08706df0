"""`actas demo --scenario split-view` and `--scenario rollback`: an authority that tries to show one history
to the observers and another to the public, or to go back to an older database, against three
independent cosigners. Every part is real: the cosigners and the servers are processes on loopback,
the actas are signed by the simulated machines, and the verifier is the one anyone runs.

Both scenarios start alike: the registry publishes the cosigner policy (3 cosigners, quorum 2); the
official server takes the first half of the final actas, and its database is copied. Then:

- **split-view**: the observers' board (the original) takes the rest; the public's board (the copy)
  takes the same actas in another order, a history as valid as the first, after the same prefix. Its
  server, asking the cosigners, is refused (they cosigned the observers' fork) and will not start;
  the authority then publishes it anyway, cosigned by a cosigner of its own. The public's verifier
  refuses it: no quorum of the published policy's cosigners, and the checkpoint they did cosign,
  signed with the board's key, is not a prefix of it. The two checkpoints are named.
- **rollback**: the board takes the rest, then the authority restores the copy. The server refuses
  to start (its cosigners hold a later checkpoint it signed); published anyway, a fresh mirror of
  it fails verification once the cosigners' latest checkpoint is known to it.

The demo succeeds only when each attempt is caught.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.console import out, progress
from actas.errors import InputError, VerificationError
from actas.files import KEYS_DIR, REGISTRY_FILE, publish_keys, save_election, signer_at, write_private
from actas.ledger.cosignature import Cosigner, CosignerPolicy, PolicyCosigner
from actas.mirror import cosigned_notes, latest_checkpoint, mirror_board, mirror_checkpoints, mirror_entries
from actas.outbox import Outbox
from actas.payload_sources import SourcePayload, read_payloads
from actas.server.process import RunningCosigner, RunningServer, start_cosigner, start_server
from actas.signed_note import Signer, Verifier
from actas.sim.election_day import VoterModel, simulate_bundle
from actas.sim.generator import generate
from actas.transmit import transmit
from actas.verification import BoardVerification, HeldCheckpoint, verify_board

SPLIT_VIEW, ROLLBACK = "split-view", "rollback"
COSIGNERS, QUORUM = 3, 2


@dataclass
class Stage:
    out_dir: Path
    election_dir: Path
    registry: Path
    board_key: Path
    board: Signer
    origin: str
    cosigners: list[RunningCosigner]
    first: list[SourcePayload]
    rest: list[SourcePayload]


def run_board_attack(stations: int, seed: int, out_dir: Path, scenario: str) -> None:
    """One of BOARD_SCENARIOS, printed step by step; VerificationError unless every attempt is caught."""
    started = time.perf_counter()
    for stale in out_dir.glob("*.sqlite*"):
        stale.unlink()
    for stale in (out_dir / "board.checkpoint", out_dir / "sent.jsonl", out_dir / "copy"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
    stage = _stage(stations, seed, out_dir)
    try:
        caught = _split_view(stage) if scenario == SPLIT_VIEW else _rollback(stage)
    finally:
        for cosigner in stage.cosigners:
            cosigner.stop()
    verdict = "every attempt was caught" if caught else "AN ATTEMPT WAS NOT CAUGHT"
    out.print(f"[bold]{verdict}[/bold]; demo finished in {time.perf_counter() - started:.1f} s")
    if not caught:
        raise VerificationError("the demo's own verification failed")


def _stage(stations: int, seed: int, out_dir: Path) -> Stage:
    election = generate("synthetic", stations=stations, seed=seed)
    save_election(election, out_dir / "election")
    origin = f"actas/{election.id}/official"
    board_key = out_dir / "board.key"
    board_key.unlink(missing_ok=True)
    board = signer_at(board_key, origin.replace("/", "."))
    running = []
    for i in range(COSIGNERS):
        key_file = out_dir / KEYS_DIR / f"cosigner{i}.key"
        key_file.unlink(missing_ok=True)
        write_private(key_file, Cosigner.generate(f"cosigner{i}.demo").to_text() + "\n")
        running.append(start_cosigner(key_file, {origin: board.verifier}, out_dir / f"cosigner{i}.sqlite"))
    policy = CosignerPolicy(tuple(PolicyCosigner(c.key, c.url) for c in running), QUORUM)
    keys, _ = publish_keys(election, out_dir, "demo-electoral-authority", policy)
    out.print(
        f"[bold]1. Cosigners[/bold] {COSIGNERS} independent cosigners follow board {origin}; the registry, "
        f"signed by {keys.authority.name} before election day, requires {QUORUM} of them on every checkpoint"
    )
    with progress() as bar:
        task = bar.add_task("machines", total=len(election.stations))
        bundle, voters = out_dir / "actas.jsonl", VoterModel(seed=seed)
        simulate_bundle(election, bundle, keys.machines, voters, None, lambda n: bar.advance(task, n))
    items = list(read_payloads(str(out_dir / "actas.jsonl")))
    finals = [i for i in items if _is_final(i)]
    first = [i for i in items if not _is_final(i)] + finals[: len(finals) // 2]
    return Stage(
        out_dir, out_dir / "election", out_dir / REGISTRY_FILE, board_key, board, origin, running, first,
        finals[len(finals) // 2 :],
    )  # fmt: skip


def _is_final(item: SourcePayload) -> bool:
    return isinstance(item.payload, str) and parse_payload(item.payload).acta.kind is ActaKind.FINAL


def _server(stage: Stage, db: Path, *options: str, key: Path | None = None) -> RunningServer:
    """A server of the board (its key at `key`, a copy of the board's key with its own checkpoint file)."""
    board_key = key or stage.board_key
    return start_server(stage.election_dir, stage.registry, f"sqlite:///{db}", board_key, options=options)


def _send(server: RunningServer, items: list[SourcePayload], outbox: Path) -> int:
    report = transmit(server.url, iter(items), Outbox(outbox), workers=4, board_key=server.board_key)
    if report.refused or report.unsent:
        raise VerificationError(f"the board did not take the actas: {(report.refused or report.unsent)[0]}")
    return report.accepted + report.duplicates


def _copy_database(db: Path, to: Path) -> None:
    """The database with its write-ahead log: what a backup of a live SQLite board holds."""
    to.mkdir(parents=True, exist_ok=True)
    for part in db.parent.glob(db.name + "*"):
        if not part.name.endswith(".lock"):
            shutil.copy(part, to / part.name)


def _prefix(stage: Stage) -> Path:
    """Step 2: the official board takes the first half of the actas; its database is copied."""
    db = stage.out_dir / "board.sqlite"
    with _server(stage, db) as server:
        sent = _send(server, stage.first, stage.out_dir / "sent.jsonl")
    _copy_database(db, stage.out_dir / "copy")
    out.print(
        f"[bold]2. The same beginning[/bold] the board takes {sent:,} actas, each checkpoint cosigned; "
        "the authority keeps a copy of its database"
    )
    return db


def _refused_to_start(stage: Stage, db: Path, what: str, key: Path | None) -> bool:
    """The authority starts the other board with the published policy: its own server must refuse."""
    try:
        with _server(stage, db, key=key):
            out.print(f"   {what}: the server started. [bold red]NOT CAUGHT[/bold red]")
            return False
    except InputError as exc:
        out.print(f"   {what}: {exc}", markup=False)
        return "cosigned" in str(exc)


def _published_anyway(
    stage: Stage, db: Path, send: list[SourcePayload], key: Path | None
) -> tuple[RunningServer, RunningCosigner]:
    """The authority publishes the other board anyway, cosigned by a cosigner of its own."""
    key_file = stage.out_dir / KEYS_DIR / "authority-cosigner.key"
    key_file.unlink(missing_ok=True)
    write_private(key_file, Cosigner.generate("cosigner.authority.demo").to_text() + "\n")
    own = start_cosigner(key_file, {stage.origin: stage.board.verifier}, stage.out_dir / "authority-cosigner.sqlite")
    policy_file = stage.out_dir / "authority.policy"
    policy_file.write_text(CosignerPolicy((PolicyCosigner(own.key, own.url),), 1).to_text(), encoding="utf-8")
    try:
        server = _server(stage, db, "--cosigners", str(policy_file), key=key)
    except BaseException:
        own.stop()
        raise
    if send:
        try:
            _send(server, send, stage.out_dir / "public-sent.jsonl")
        except BaseException:
            server.stop()
            own.stop()
            raise
    out.print(f"   the authority publishes it anyway at {server.url}, cosigned by a cosigner of its own", markup=False)
    return server, own


def _verify_fresh(url: str, mirror: Path, board_key: Verifier) -> BoardVerification:
    """What anyone does: mirror the board afresh (by the registry's policy, the checkpoint each cosigner
    last cosigned is fetched with it) and verify it, the board's key pinned."""
    shutil.rmtree(mirror, ignore_errors=True)
    mirror_board(url, mirror)
    note, head = latest_checkpoint(mirror)
    held = [HeldCheckpoint(f"the checkpoint {name} cosigned", n) for name, n in cosigned_notes(mirror)]
    return verify_board(mirror_entries(mirror, head.size), note, mirror_checkpoints(mirror), board_key, held=held)


def _report(report: BoardVerification, who: str, words: Callable[[str], bool]) -> bool:
    failures = [f"{f.item}: {f.problem}" for f in report.failures]
    for failure in failures[:4]:
        out.print(f"   FAIL {failure}", markup=False)
    caught = not report.ok and any(words(f) for f in failures)
    out.print(f"   {who}: {'refused, and the proof named' if caught else 'NOT CAUGHT'}", markup=False)
    return caught


def _split_view(stage: Stage) -> bool:
    db = _prefix(stage)
    with _server(stage, db) as observers:
        sent = _send(observers, stage.rest, stage.out_dir / "sent.jsonl")
        out.print(f"[bold]3. The observers' history[/bold] the board they watch takes the other {sent:,} actas")
        public_db, public_key = stage.out_dir / "public.sqlite", stage.out_dir / "public" / "board.key"
        for part in (stage.out_dir / "copy").iterdir():
            shutil.copy(part, stage.out_dir / part.name.replace("board.sqlite", "public.sqlite"))
        shutil.rmtree(public_key.parent, ignore_errors=True)
        write_private(public_key, stage.board_key.read_text(encoding="utf-8"))  # the same key, run apart
        out.print("[bold]4. The public's history[/bold] the copy takes the same actas in another order")
        refused = _refused_to_start(stage, public_db, "asking the published cosigners", public_key)
        public, own = _published_anyway(stage, public_db, list(reversed(stage.rest)), public_key)
        try:
            report = _verify_fresh(public.url, stage.out_dir / "public-mirror", stage.board.verifier)
            caught = _report(report, "the public's verifier", lambda f: "the board signed both" in f)
            fine = _verify_fresh(observers.url, stage.out_dir / "observers-mirror", stage.board.verifier)
            out.print(f"   the observers' board: {'verifies, with its quorum' if fine.ok else 'DOES NOT VERIFY'}")
        finally:
            public.stop()
            own.stop()
    return refused and caught and fine.ok


def _rollback(stage: Stage) -> bool:
    db = _prefix(stage)
    with _server(stage, db) as server:
        sent = _send(server, stage.rest, stage.out_dir / "sent.jsonl")
    out.print(f"[bold]3. Later[/bold] the board takes the other {sent:,} actas, each checkpoint cosigned")
    for part in db.parent.glob(db.name + "*"):
        part.unlink()
    for part in (stage.out_dir / "copy").iterdir():
        shutil.copy(part, stage.out_dir / part.name)
    (stage.out_dir / "board.checkpoint").unlink(missing_ok=True)
    out.print("[bold]4. Rollback[/bold] the authority restores the copy, and the checkpoint kept beside its key")
    refused = _refused_to_start(stage, db, "restarting with the published cosigners", None)
    public, own = _published_anyway(stage, db, [], None)
    try:
        report = _verify_fresh(public.url, stage.out_dir / "public-mirror", stage.board.verifier)
        caught = _report(report, "a fresh mirror's verifier", lambda f: "rolled back" in f)
    finally:
        public.stop()
        own.stop()
    return refused and caught
