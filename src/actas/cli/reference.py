"""The command-line reference in docs/cli.md, written from the commands' own --help.

Run `make docs` (python -m actas.cli.reference > docs/cli.md); a test fails when the file and
the commands disagree, so the reference cannot drift from what the program says.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from actas.cli import app

WIDTH = "80"


def command_paths(group: typer.Typer = app, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command, as the words that invoke it, in the order they are declared."""
    for command in group.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
        yield (*prefix, name)
    for sub in group.registered_groups:
        if sub.typer_instance is not None and sub.name:
            yield from command_paths(sub.typer_instance, (*prefix, sub.name))


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": WIDTH, "TERM": "dumb"})
    return result.output.rstrip() + "\n"


def cli_reference() -> str:
    parts = [
        "# Command-line reference\n",
        "Written from each command's `--help` by `make docs`; a test fails when this page is out of date.\n",
        "Exit codes of every command: 0 success, 1 a check found a problem, 2 could not run "
        "(bad input or usage). Add `--verbose` before the command to see a traceback of an unexpected error.\n",
        f"```\n{help_text(())}```\n",
    ]
    for path in command_paths():
        parts.append(f"## actas {' '.join(path)}\n\n```\n{help_text(path)}```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(cli_reference())
