"""Canonical JSON: the one byte form of a JSON value that is hashed.

The form is that of RFC 8785 (JSON Canonicalization Scheme) for the values actas hashes, which hold
only objects with ASCII keys, arrays, strings, integers, booleans and null: keys sorted, no white
space, strings in UTF-8 with only the escapes JSON requires. Floats are refused, since their
canonical form is where implementations disagree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from actas.errors import FormatError


def _check(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise FormatError(f"{path}: a canonical value may not hold a float, found {value!r}")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise FormatError(f"{path}: object keys must be ASCII strings, found {key!r}")
            _check(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of a float-free JSON value."""
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
