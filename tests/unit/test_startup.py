"""The command line starts at once: `actas --help` and `actas acta verify` load none of the heavy
libraries (the numerical ones, plotting, the database layer, the web framework, templates); each
command imports its subsystem only when it runs. Checked in a fresh interpreter, by what it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from actas.machine.voting_machine import MachineSetup, VotingMachine

HEAVY = ("scipy", "numpy", "matplotlib", "sqlalchemy", "fastapi", "starlette", "uvicorn", "jinja2", "httpx", "PIL")

RUN = """
import json, sys
from actas.cli import app
args = json.loads(sys.argv[1])
code = 0
if args:
    try:
        app(args, prog_name="actas", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
sys.stderr.write(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def loaded(*args: str | Path) -> tuple[int, set[str]]:
    """The exit code of `actas ARGS` run in a fresh interpreter, and every top-level module it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps([str(a) for a in args])], capture_output=True, text=True, timeout=120
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    code, modules = loaded()
    assert code == 0
    assert "typer" in modules and "actas" in modules  # the check sees what is loaded
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_acta_verify_loads_no_heavy_library(small: Any, tmp_path: Path) -> None:
    station = small.election.stations[0]
    signer = small.keys.machines[station.code]
    machine = VotingMachine(MachineSetup.for_station(small.election, station.code, signer.name))
    machine.open(signer, "2024-07-28T06:00:00Z")
    machine.cast("AZUL")
    payload = tmp_path / "final.txt"
    payload.write_text(machine.close(signer, "2024-07-28T18:00:00Z").payload, encoding="utf-8")
    registry = tmp_path / "registry.note"
    registry.write_text(small.registry.sign(small.keys.authority), encoding="utf-8")
    code, modules = loaded("acta", "verify", payload, "--registry", registry)
    assert code == 0
    assert "nacl" in modules  # the signature was checked
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_a_command_that_needs_a_heavy_library_still_loads_it(tmp_path: Path) -> None:
    code, modules = loaded("simulate-results", "--stations", "200", "--out", tmp_path / "r.dataset")
    assert code == 0 and "numpy" in modules
