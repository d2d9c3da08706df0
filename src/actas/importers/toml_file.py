"""Reading the TOML files users write (mappings, announced results), or those shipped with actas by name."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from actas.errors import FormatError, InputError
from actas.files import read_bytes


def read_toml(source: str, shipped: Path, what: str, limit: int) -> tuple[Path, dict[str, Any]]:
    """A file at `source`, or `shipped/<source>.toml` when there is no such file; refused past `limit` bytes."""
    path = Path(source)
    if not path.exists() and (shipped / f"{source}.toml").exists():
        path = shipped / f"{source}.toml"
    if not path.exists() or path.is_dir():
        names = ", ".join(sorted(p.stem for p in shipped.glob("*.toml")))
        raise InputError(f"no {what} {source} (those shipped with actas are: {names})")
    raw = read_bytes(path, limit=limit, what=what)
    try:
        return path, tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FormatError(f"{what} {path} is not valid TOML: {exc}") from None
