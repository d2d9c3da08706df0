"""The shape of the code: a pure core that imports no framework and does no I/O, and a pinned public API."""

from __future__ import annotations

import ast
from pathlib import Path

import actas

SRC = Path(actas.__file__).parent
CORE_PACKAGES = ("acta", "machine", "ledger", "tally", "audit", "forensics", "dataset", "witness", "e2e")
"""The domain: every module under these packages is pure."""
CORE_MODULES = ("canonical", "election", "errors", "fields", "registry", "signed_note", "announcement", "pvalues")
"""The model's modules at the top of the package, as pure as the packages."""
ALLOWED = {
    "__future__",
    "base64",
    "binascii",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "json",
    "math",
    "operator",
    "re",
    "statistics",
    "random",
    "secrets",
    "typing",
    "nacl",
    "segno",
    "numpy",
    "scipy",
}
"""What a core module may import besides the core itself: computation, never files, a clock, a network,
a database, a framework or a screen."""


def core_files() -> list[Path]:
    found = [SRC / f"{name}.py" for name in CORE_MODULES]
    for package in CORE_PACKAGES:
        found += sorted((SRC / package).rglob("*.py"))
    return found


def is_core(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "actas" and len(parts) > 1 and (parts[1] in CORE_PACKAGES or parts[1] in CORE_MODULES)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_core_imports_no_framework_database_or_io_module() -> None:
    files = core_files()
    assert len(files) > 40  # the rule sees the core
    for path in files:
        for module in imports(path):
            allowed = module.split(".")[0] in ALLOWED or is_core(module)
            assert allowed, f"{path.relative_to(SRC)} imports {module}"


def test_the_core_opens_no_files() -> None:
    for path in core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"open", "print", "input"}, path


def test_no_print_outside_the_cli() -> None:
    for path in SRC.rglob("*.py"):
        if path.name != "cli.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            assert not any(isinstance(n, ast.Name) and n.id == "print" for n in ast.walk(tree)), path


def test_the_public_api_is_pinned() -> None:
    assert sorted(actas.__all__) == [
        "Acta",
        "ActaKind",
        "ActasError",
        "ContestCount",
        "Election",
        "Finding",
        "FormatError",
        "InputError",
        "KeyRegistry",
        "SignedActa",
        "SignedNote",
        "Signer",
        "VerificationError",
        "Verifier",
        "check_acta",
        "parse_payload",
        "sign_acta",
    ]
    for name in actas.__all__:
        assert getattr(actas, name) is not None
