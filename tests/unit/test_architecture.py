"""The shape of the code: a pure core that imports no framework and does no I/O, and a pinned public API."""

from __future__ import annotations

import ast
from pathlib import Path

import actas

SRC = Path(actas.__file__).parent
CORE = [
    "canonical.py",
    "election.py",
    "errors.py",
    "fields.py",
    "registry.py",
    "signed_note.py",
    "acta/model.py",
    "acta/codec.py",
    "acta/check.py",
    "acta/qr.py",
    "machine/receipt.py",
    "machine/voting_machine.py",
    "tally/totals.py",
    "tally/progressive.py",
    "tally/witnessed.py",
    "tally/board_count.py",
    "sim/split.py",
    "ledger/merkle.py",
    "ledger/checkpoint.py",
    "ledger/receipt.py",
    "dataset/model.py",
    "dataset/summary.py",
    "dataset/ve2024_qr.py",
    "dataset/reconcile.py",
    "witness/report.py",
    "witness/credentials.py",
    "dataset/from_board.py",
    "sim/scenarios.py",
    "audit/outcome.py",
    "audit/sampler.py",
    "audit/bravo.py",
    "audit/macro.py",
    "audit/batch_comparison.py",
    "audit/quick_count.py",
    "audit/ballot_polling.py",
]
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
    "json",
    "math",
    "re",
    "statistics",
    "random",
    "typing",
    "nacl",
    "segno",
    "numpy",
    "actas",
}
SHELLS = {
    "actas.cli",
    "actas.console",
    "actas.files",
    "actas.payload_sources",
    "actas.machine.journal",
    "actas.dataset.store",
}


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
    for name in CORE:
        for module in imports(SRC / name):
            assert module.split(".")[0] in ALLOWED, f"{name} imports {module}"
            assert module not in SHELLS and not module.startswith("actas.cli."), f"{name} reaches out to {module}"


def test_the_core_opens_no_files() -> None:
    for name in CORE:
        tree = ast.parse((SRC / name).read_text(encoding="utf-8"))
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"open", "print", "input"}, name


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
