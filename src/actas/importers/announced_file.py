"""Announced-results files (TOML; see docs/import.md): a user's, or one of the examples shipped with
actas by name (`examples/`)."""

from __future__ import annotations

from pathlib import Path

from actas.dataset.announced import MAX_ANNOUNCED_BYTES, Announced, parse_announced
from actas.importers.toml_file import read_toml

EXAMPLES = Path(__file__).parent / "examples"


def load_announced(source: str) -> Announced:
    """An announced-results file, or one of the examples shipped with actas by name."""
    path, data = read_toml(source, EXAMPLES, "announced-results file", MAX_ANNOUNCED_BYTES)
    return parse_announced(data, str(path))
