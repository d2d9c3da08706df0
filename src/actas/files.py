"""The project's files on disk: election definitions, keys, registries, acta bundles and witnesses' tokens.

Private keys and witnesses' tokens are created with mode 0600 inside directories of mode 0700, and never printed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from actas.election import Election
from actas.errors import FormatError, InputError, KeyFileError, TooLargeError
from actas.i18n import time_zone
from actas.ledger.cosignature import MAX_POLICY_BYTES, CosignerPolicy
from actas.registry import MAX_REGISTRY_BYTES, KeyRegistry
from actas.signed_note import PRIVATE_KEY_PREFIX, Signer, Verifier
from actas.witness.credentials import MAX_WITNESS_LIST_BYTES, ListedWitness, WitnessList, token_hash

if TYPE_CHECKING:
    from actas.e2e.trustees import Ceremony
    from actas.shapes import Outlines

ELECTION_FILE = "election.json"
REGISTRY_FILE = "registry.note"
AUTHORITY_KEY_FILE = "authority.key"
MACHINE_KEYS_FILE = "machines.keys"
BUNDLE_FILE = "actas.jsonl"
BALLOTS_DIR = "ballots"
"""Where each mesa's encrypted ballots are written, as <mesa>.jsonl."""
KEYS_DIR = "keys"
MAX_ELECTION_BYTES = 512 * 1024 * 1024
READ_CHUNK = 1024 * 1024
MAX_DAMAGED_LINES = 10_000
MAX_BUNDLE_LINE = 64 * 1024
"""A bundle line holds one acta (at most 16 KiB) with JSON escaping; longer lines are refused."""


def read_bytes(path: Path, *, limit: int, what: str) -> bytes:
    """A file's bytes, refused as soon as they pass `limit`: one read of at most `limit` + 1 bytes, whatever the
    file claims to be, so a device (/dev/zero), a pipe or a file that grows is refused just the same, holding
    no more than the limit in memory."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise TooLargeError(f"{what} {path} is more than the {limit:,} bytes allowed")
    return data


def read_text(path: Path, *, limit: int, what: str) -> str:
    """A UTF-8 text file, read as `read_bytes` reads it."""
    try:
        return read_bytes(path, limit=limit, what=what).decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{what} {path} is not UTF-8 text") from None


def election_path(path: Path) -> Path:
    return path / ELECTION_FILE if path.is_dir() else path


def load_election(path: Path) -> Election:
    """Read a definition from DIR/election.json (or the file itself) and validate it."""
    file = election_path(path)
    text = read_text(file, limit=MAX_ELECTION_BYTES, what="election definition")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"election definition {file}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise FormatError(f"election definition {file}: nested deeper than any definition is") from None
    election = Election.from_json(obj)
    if election.time_zone is not None:
        time_zone(election.time_zone)  # a zone this machine's time zone database knows
    return election


MAX_LOGO_BYTES = 256 * 1024
"""A party's logo is a small image: a larger file is refused as it is read."""
LOGO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


def load_outlines(election: Election, path: Path) -> Outlines | None:
    """The outlines of the shapes the definition at `path` names (None if it names none), read from beside
    it with a limit and checked against the digest it commits to (`actas.shapes`)."""
    from actas.shapes import MAX_SHAPES_BYTES, read_outlines

    if election.shapes is None:
        return None
    file = _beside(path, election.shapes.file, f"the shapes' file {election.shapes.file}")
    return read_outlines(read_bytes(file, limit=MAX_SHAPES_BYTES, what="the shapes' file"), election, election.shapes)


def _beside(definition: Path, relative: str, what: str) -> Path:
    """A file the definition at `definition` names, refused unless its real path lies beside it (a link
    out of the definition's directory is refused too)."""
    base = election_path(definition).parent.resolve()
    file = (base / relative).resolve()
    if not file.is_relative_to(base):
        raise InputError(f"{what} is not beside the definition")
    return file


def load_logos(election: Election, path: Path) -> dict[str, tuple[bytes, str]]:
    """The logos the definition at `path` names, by ballot option: each file's bytes and media type, read
    from beside the definition, of at most MAX_LOGO_BYTES and of a type its first bytes show."""
    logos = {}
    for contest in election.contests:
        for option in contest.options:
            if option.logo is None:
                continue
            file = _beside(path, option.logo, f"the logo of {option.id} ({option.logo})")
            data = read_bytes(file, limit=MAX_LOGO_BYTES, what=f"the logo of {option.id}")
            found = next((media for magic, media in LOGO_TYPES if data.startswith(magic)), None)
            if found is None and file.suffix == ".svg" and b"<svg" in data[:1024]:
                found = "image/svg+xml"
            if found is None:
                raise FormatError(f"the logo of {option.id} ({option.logo}) is not a PNG, JPEG, WebP or SVG image")
            logos[option.id] = (data, found)
    return logos


def save_election(election: Election, directory: Path, shapes: bytes | None = None) -> Path:
    """Write the definition into `directory`, and beside it the `shapes` it names, where given."""
    directory.mkdir(parents=True, exist_ok=True)
    if shapes is not None and election.shapes is not None:
        _atomic_write(directory / election.shapes.file, shapes)
    file = directory / ELECTION_FILE
    text = json.dumps(election.to_json(), ensure_ascii=False, separators=(",", ":"))
    _atomic_write(file, text + "\n")
    return file


def _atomic_write(path: Path, content: str | bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file, synced, then renamed over it)."""
    _atomic_write(path, text)


def write_public(path: Path, content: bytes) -> None:
    """Write a file for publication, whole or not at all, creating its directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, content)


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)


def write_private(path: Path, content: str | bytes) -> None:
    """Write a secret: the file is created 0600 and is never world- or group-readable, even briefly."""
    _private_dir(path.parent)
    _atomic_write(path, content, mode=0o600)
    os.chmod(path, 0o600)


# --- keys -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySet:
    """The authority's key and one key per station's machine, as a simulation or a test holds them."""

    authority: Signer
    machines: Mapping[str, Signer]

    @classmethod
    def generate(cls, election: Election, authority_name: str) -> KeySet:
        return cls(
            Signer.generate(authority_name),
            {s.code: Signer.generate(f"vm-{s.code}") for s in election.stations},
        )

    def registry(self, election: Election, cosigners: CosignerPolicy | None = None) -> KeyRegistry:
        verifiers = {code: signer.verifier for code, signer in self.machines.items()}
        return KeyRegistry.for_election(election, self.authority.verifier, verifiers, cosigners)

    def save(self, directory: Path) -> None:
        write_private(directory / AUTHORITY_KEY_FILE, self.authority.to_text() + "\n")
        lines = "".join(f"{code} {signer.to_text()}\n" for code, signer in self.machines.items())
        write_private(directory / MACHINE_KEYS_FILE, lines)

    @classmethod
    def load(cls, directory: Path) -> KeySet:
        authority = load_signer(directory / AUTHORITY_KEY_FILE)
        machines = {}
        text = read_private(directory / MACHINE_KEYS_FILE, MAX_ELECTION_BYTES)
        for number, line in enumerate(text.splitlines(), start=1):
            code, sep, key = line.partition(" ")
            if not sep:
                raise KeyFileError(f"machine key file line {number}: expected '<station> <private key>'")
            machines[code] = Signer.from_text(key)
        return cls(authority, machines)


def publish_keys(
    election: Election, out_dir: Path, authority_name: str, cosigners: CosignerPolicy | None = None
) -> tuple[KeySet, KeyRegistry]:
    """New keys for an election: the private ones under out_dir/keys (0600), the signed registry (with the
    cosigner policy, if any) beside them for publication."""
    keys = KeySet.generate(election, authority_name)
    keys.save(out_dir / KEYS_DIR)
    registry = keys.registry(election, cosigners)
    (out_dir / REGISTRY_FILE).write_text(registry.sign(keys.authority), encoding="utf-8")
    return keys, registry


def read_private(path: Path, limit: int, what: str = "key file") -> str:
    """A secret's file (a key, tokens, a PIN), refused if anyone but its owner may read it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read {what} {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise KeyFileError(f"{what} {path} is readable by others; run: chmod 600 {path}")
    return read_text(path, limit=limit, what=what)


def load_signer(path: Path) -> Signer:
    return Signer.from_text(read_private(path, 4096).strip())


def load_machine_signer(path: Path, station: str) -> Signer:
    """A machine's key: a file holding one key, or a machines.keys file (the station's line)."""
    text = read_private(path, MAX_ELECTION_BYTES)
    if text.startswith(PRIVATE_KEY_PREFIX):
        return Signer.from_text(text.strip())
    for line in text.splitlines():
        code, _, key = line.partition(" ")
        if code == station:
            return Signer.from_text(key)
    raise KeyFileError(f"no key for station {station} in {path}")


def load_policy(path: Path, quorum: int | None = None) -> CosignerPolicy:
    """A cosigner policy file, its quorum replaced by `quorum` when given."""
    policy = CosignerPolicy.from_text(read_text(path, limit=MAX_POLICY_BYTES, what="cosigner policy"))
    return policy if quorum is None else policy.with_quorum(quorum)


def load_registry(path: Path, authority: str | None = None) -> KeyRegistry:
    text = read_text(path, limit=MAX_REGISTRY_BYTES, what="key registry")
    pinned = Verifier.from_text(authority) if authority else None
    return KeyRegistry.from_text(text, authority=pinned)


# --- acta bundles -------------------------------------------------------------------------------------------


def write_bundle(path: Path, records: Iterable[tuple[str, str, str]]) -> int:
    """Write (station, kind, payload) records as JSON lines; returns how many were written."""
    count = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for station, kind, payload in records:
            out.write(json.dumps({"station": station, "kind": kind, "payload": payload}, ensure_ascii=False) + "\n")
            count += 1
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return count


def read_ceremony(path: Path) -> Ceremony:
    """A key ceremony's public record, read with its limit and checked field by field (`actas.e2e.records`)."""
    from actas.e2e.records import MAX_RECORD_BYTES, ceremony_from_text

    return ceremony_from_text(read_text(path, limit=MAX_RECORD_BYTES, what="ceremony record"))


def read_lines(path: Path, *, limit: int, what: str) -> Iterator[str]:
    """A text file's lines, each refused as soon as it passes `limit` characters, as it is read."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    with handle:
        try:
            number = 0
            while line := handle.readline(limit + 1):
                number += 1
                if len(line) > limit:
                    raise FormatError(f"{what} {path}, line {number}: longer than {limit:,} characters")
                yield line
        except UnicodeDecodeError:
            raise FormatError(f"{what} {path} is not UTF-8 text") from None


def read_bundle(path: Path) -> Iterator[tuple[int, str | FormatError]]:
    """(line number, payload) of every acta in a bundle; a damaged line gives its error instead, so that one
    bad line does not stop the reading of the rest. What is no bundle at all (a line of megabytes, a
    device, thousands of damaged lines in a row) stops the reading with one error."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read acta bundle {path}: {exc.strerror}") from None
    with handle:
        try:
            number = damaged = 0
            while line := handle.readline(MAX_BUNDLE_LINE):
                number += 1
                payload = _bundle_payload(line, number, handle, path)
                damaged = damaged + 1 if isinstance(payload, FormatError) else 0
                if damaged > MAX_DAMAGED_LINES:
                    raise FormatError(f"{path}: {MAX_DAMAGED_LINES:,} damaged lines in a row: not an acta bundle")
                yield number, payload
        except UnicodeDecodeError:
            raise FormatError(f"acta bundle {path} is not UTF-8 text") from None


def _bundle_payload(line: str, number: int, handle: IO[str], path: Path) -> str | FormatError:
    if not line.endswith("\n") and len(line) == MAX_BUNDLE_LINE:
        skipped = 0
        while (rest := handle.readline(MAX_BUNDLE_LINE)) and not rest.endswith("\n"):
            skipped += len(rest)
            if skipped > READ_CHUNK:
                raise FormatError(f"{path}: line {number} runs past {READ_CHUNK:,} characters: not an acta bundle")
        return FormatError(f"line {number} is longer than {MAX_BUNDLE_LINE:,} characters")
    try:
        payload = json.loads(line)["payload"]
    except (ValueError, KeyError, TypeError, RecursionError):
        payload = None
    if isinstance(payload, str):
        return payload
    return FormatError(f"line {number} is not a JSON object with a text payload")


# --- witnesses' credentials ---------------------------------------------------------------------------------


def enroll_witnesses(
    list_path: Path, tokens_path: Path, assigned: Mapping[str, Iterable[str]], organization: Signer
) -> WitnessList:
    """Add witnesses, each with the mesas assigned to them, to the organization's list (public: token hashes
    and mesas, signed with the organization's key) and their tokens to a private file (0600: `WITNESS TOKEN`
    a line, to hand each witness theirs). Nothing is written if any id is taken."""
    listed: dict[str, ListedWitness] = {}
    if list_path.exists():
        held = WitnessList.from_note(read_text(list_path, limit=MAX_WITNESS_LIST_BYTES, what="witness list"))
        if held.organization != organization.verifier:
            raise InputError(f"{list_path} is signed by another organization key than the one given")
        listed = dict(held.witnesses)
    tokens = read_private(tokens_path, MAX_WITNESS_LIST_BYTES, "tokens file") if tokens_path.exists() else ""
    taken = sorted(set(assigned) & set(listed))
    if taken:
        raise InputError(f"witness {taken[0]} is already enrolled")
    if any(not list(mesas) for mesas in assigned.values()):
        raise InputError("every witness is assigned one mesa or more")
    new = {w: secrets.token_urlsafe(32) for w in assigned}  # 256 random bits
    listed.update({w: ListedWitness(token_hash(new[w]), tuple(mesas)) for w, mesas in assigned.items()})
    signed = WitnessList.of(organization.verifier, listed)
    _atomic_write(tokens_path, tokens + "".join(f"{w} {t}\n" for w, t in new.items()), mode=0o600)
    _atomic_write(list_path, signed.sign(organization))
    return signed


def signer_at(path: Path, name: str) -> Signer:
    """The key in `path`, created (0600) with `name` when there is none yet."""
    if path.exists():
        return load_signer(path)
    signer = Signer.generate(name)
    write_private(path, signer.to_text() + "\n")
    return signer


def load_witness_token(path: Path, witness: str) -> str:
    """A witness's token: a file holding only the token, or the organization's tokens file (their line)."""
    text = read_private(path, MAX_WITNESS_LIST_BYTES)
    lines = text.split()
    if len(lines) == 1:
        return lines[0]
    for line in text.splitlines():
        name, _, token = line.partition(" ")
        if name == witness and token:
            return token.strip()
    raise KeyFileError(f"no token for witness {witness} in {path}")
