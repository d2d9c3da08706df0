"""Asking the board's cosigners to cosign each checkpoint, and publishing it with what they gave.

After each checkpoint, every cosigner of the policy is asked at once (tlog-witness add-checkpoint over
HTTP, with the consistency proof from the size it last cosigned), each within a timeout and retried
while there is time. The checkpoint is then published with every valid cosignature that came back
(`board.publication`), and receipts carry it: ingest never waits longer than the timeout.

A cosigner that answers that it cosigned a larger tree, or another root, is asked for the checkpoint
it holds. Only a checkpoint signed with this board's own key is evidence: if the board's database
does not extend it (it holds fewer entries, or other ones), the database was rolled back or forked,
and the server halts; it takes nothing more. A cosigner that merely says so, without the board's
signed checkpoint, cannot halt it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool

from actas.board.publication import Published
from actas.errors import ActasError, BoardHalted, FormatError
from actas.fields import format_utc_time
from actas.ledger.add_checkpoint import AddCheckpoint, Status, read_cosignatures, read_known_size
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint, open_checkpoint
from actas.ledger.cosignature import CosignerPolicy, PolicyCosigner, with_cosignatures
from actas.signed_note import NoteSignature, SignedNote

if TYPE_CHECKING:
    import httpx

    from actas.board import Board

log = logging.getLogger("actas.cosigning")
DEFAULT_TIMEOUT = 5.0
DEFAULT_EVERY = 0.1
"""Seconds between the starts of two rounds of requests to the cosigners, at least."""
RETRY_INTERVAL = 5.0
ROUNDS = 4
"""Requests to one cosigner for one checkpoint: a conflict tells the size to prove from, then again."""


@dataclass(frozen=True)
class CosignPace:
    """How the server asks its cosigners: each request within `timeout` seconds, and a new round at most
    every `every` seconds. Each round covers every acta committed before it starts, so pacing the rounds
    bounds the cosigners' load (a public cosigner budgets each log's requests) without bounding ingest;
    a receipt waits at most `every` seconds more."""

    timeout: float = DEFAULT_TIMEOUT
    every: float = DEFAULT_EVERY


DEFAULT_PACE = CosignPace()


@dataclass
class CosignerState:
    """What this server process knows of one cosigner."""

    name: str
    url: str
    known: int | None = None
    """The size the cosigner last cosigned, as far as this process knows (None: to be learnt)."""
    problem: str | None = None
    """Why the last request got no cosignature, if it did not."""
    asked_at: str | None = None


class Cosigning:
    def __init__(self, board: Board, pace: CosignPace = DEFAULT_PACE, *, quiet: bool = False) -> None:
        """`quiet`: a halt is only raised, not logged (at start, where the command says it)."""
        assert board.publication is not None, "a board with a cosigner policy"
        self.board = board
        self.publication = board.publication
        self.policy: CosignerPolicy = board.publication.policy
        self.timeout = pace.timeout
        self.every = pace.every
        self.round_started = -math.inf
        """When the latest round of requests started (time.monotonic)."""
        self.states = {c.key.name: CosignerState(c.key.name, c.url) for c in self.policy.cosigners}
        self.halted: str | None = None
        self.quiet = quiet
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def check_running(self) -> None:
        if self.halted is not None:
            raise BoardHalted(self.halted)

    async def publish(self, *, again: bool = False, covering: int | None = None) -> Published | None:
        """Have the latest checkpoint cosigned and publish it: once per checkpoint unless it is short of its
        quorum, or `again` (at start, when every cosigner must be asked what it holds). With `covering`,
        a checkpoint of at least that size published once the cosigners were asked, quorum or not, is
        enough: a write waits for one round of requests that covers it, not for the quorum."""
        self.check_running()
        async with self._lock:
            current = self.board.published_checkpoint()
            if covering is not None and current is not None and current.checkpoint.size >= covering:
                return current
            wait = self.round_started + self.every - time.monotonic()
            if wait > 0 and not again:  # what commits meanwhile joins this round
                await asyncio.sleep(wait)
            latest = await run_in_threadpool(self.board.latest_checkpoint)
            if latest is None:
                return None
            checkpoint, note = latest
            current = self.board.published_checkpoint()
            if current is not None and current.checkpoint.size >= checkpoint.size and current.met and not again:
                return current
            signed = SignedNote.from_text(note)
            self.round_started = time.monotonic()
            answers = await asyncio.gather(
                *(self._within_timeout(c, checkpoint, signed) for c in self.policy.cosigners)
            )
            self.check_running()
            cosigned = with_cosignatures(signed, [a for a in answers if a is not None])
            if current is not None and current.checkpoint.size == checkpoint.size:
                if len(self.policy.check(cosigned).signed) <= current.cosignatures:
                    return current  # asked again, and nothing more came back
            return await run_in_threadpool(self.publication.publish, cosigned)

    async def _within_timeout(
        self, cosigner: PolicyCosigner, checkpoint: Checkpoint, note: SignedNote
    ) -> NoteSignature | None:
        state = self.states[cosigner.key.name]
        state.asked_at = format_utc_time(dt.datetime.now(dt.UTC))
        try:
            return await asyncio.wait_for(self._cosignature(cosigner, state, checkpoint, note), self.timeout)
        except TimeoutError:
            state.problem = f"no answer within {self.timeout:g} s"
            return None

    async def _cosignature(
        self, cosigner: PolicyCosigner, state: CosignerState, checkpoint: Checkpoint, note: SignedNote
    ) -> NoteSignature | None:
        for _ in range(ROUNDS):
            old = state.known or 0
            if old > checkpoint.size:
                await self._hold_to(
                    cosigner, state, f"cosigned a board of {old:,} entries, this one has {checkpoint.size:,}"
                )
                return None
            proof = (
                await run_in_threadpool(self.board.consistency, old, checkpoint.size)
                if 0 < old < checkpoint.size
                else []
            )
            request = AddCheckpoint(old, tuple(proof or ()), note.to_text())
            status, text = await self._post(cosigner, request.to_bytes())
            if status == Status.COSIGNED:
                return self._read_cosignature(cosigner, state, checkpoint, note, text)
            if status == Status.CONFLICT:
                try:
                    known = read_known_size(text)
                except FormatError as exc:
                    state.problem = f"conflict: {exc}"
                    return None
                if known == old:  # the same size it last cosigned, with another root
                    await self._hold_to(cosigner, state, f"cosigned another root for {old:,} entries")
                    return None
                state.known = known
                continue
            if status == Status.BAD_PROOF:
                await self._hold_to(cosigner, state, f"refused the proof from {old:,} entries: {text.strip()[:200]}")
                return None
            state.problem = f"HTTP {status}: {text.strip()[:200]}"
            return None
        state.problem = f"its size kept changing over {ROUNDS} requests"
        return None

    def _read_cosignature(
        self, cosigner: PolicyCosigner, state: CosignerState, checkpoint: Checkpoint, note: SignedNote, text: str
    ) -> NoteSignature | None:
        try:
            lines = read_cosignatures(text)
        except FormatError as exc:
            state.problem = str(exc)
            return None
        for line in lines:
            if cosigner.key.timestamp(note.text, line) is not None:
                state.known, state.problem = checkpoint.size, None
                return line
        state.problem = "answered without a valid cosignature by its key"
        return None

    async def _post(self, cosigner: PolicyCosigner, body: bytes) -> tuple[int, str]:
        """The cosigner's status and body; transport failures are retried until the timeout stops them."""
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        delay = 0.05
        while True:
            try:
                response = await self._client.post(f"{cosigner.url}/add-checkpoint", content=body)
                return response.status_code, response.text[:MAX_CHECKPOINT_BYTES]
            except httpx.HTTPError as exc:
                self.states[cosigner.key.name].problem = f"unreachable: {exc.__class__.__name__}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _hold_to(self, cosigner: PolicyCosigner, state: CosignerState, said: str) -> None:
        """The cosigner says this board is behind or forked: ask for the checkpoint it holds, and halt if it
        is signed with this board's key and the database does not extend it."""
        import httpx

        state.problem = said
        state.known = None
        assert self._client is not None
        try:
            response = await self._client.get(f"{cosigner.url}/latest/{quote(self.board.origin, safe='/')}")
            held = open_checkpoint(response.text[:MAX_CHECKPOINT_BYTES], self.board.signer.verifier, self.board.origin)
        except (httpx.HTTPError, ActasError):
            return  # no signed evidence: a cosigner's word alone halts nothing
        root = await run_in_threadpool(self.board.root_at, held.size)
        signed = f"the checkpoint of {held.size:,} entries this board signed and {cosigner.key.name} cosigned"
        if root is None:
            why = f"holds fewer entries than {signed}: it was rolled back"
        elif root != held.root:
            why = f"does not have the root of {signed}: it was forked"
        else:
            return
        if self.halted is None:
            self.halted = f"the board's database {why}; the server takes nothing more"
            if not self.quiet:
                log.critical(self.halted)

    def view(self) -> dict[str, object]:
        """Which cosigners signed the latest checkpoint published, and what this process knows of each."""
        published = self.board.published_checkpoint()
        signed = dict(self.policy.check(SignedNote.from_text(published.note)).signed) if published else {}
        return {
            "quorum": self.policy.quorum,
            "size": published.checkpoint.size if published else 0,
            "cosignatures": published.cosignatures if published else 0,
            "met": published.met if published else False,
            "halted": self.halted,
            "cosigners": [
                {
                    "name": state.name,
                    "url": state.url,
                    "signed": state.name in signed,
                    "time": signed.get(state.name),
                    "problem": state.problem,
                    "asked_at": state.asked_at,
                }
                for state in self.states.values()
            ],
        }
