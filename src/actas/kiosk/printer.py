"""The kiosk's printer: each printout is a PDF handed to a command (`lp -d receipts`, say) on its standard input.

A voter's receipt goes to the printer and nowhere else: it is made in memory, piped to the command
and dropped, so nothing on the machine keeps a choice with its place in the day. Every PDF is made
without a creation date or a producer that could vary, so two receipts of the same choice are the
same bytes whenever they were printed (`acta.render.pdf_bytes`).
"""

from __future__ import annotations

import shlex
import subprocess

from actas.errors import InputError

PRINT_TIMEOUT = 60.0


class PrinterError(InputError):
    """The printer command failed: what was to be printed did not come out."""


class Printer:
    """Pipes PDFs to `command`; with no command, printouts go nowhere (a kiosk on a screen alone)."""

    def __init__(self, command: str | None) -> None:
        self.argv = shlex.split(command) if command else None
        if command is not None and not self.argv:
            raise InputError("--printer is a command that prints a PDF from its standard input, e.g. 'lp -d receipts'")

    @property
    def description(self) -> str:
        return "no printer: printouts go nowhere" if self.argv is None else f"printing with {self.argv[0]}"

    def print_pdf(self, pdf: bytes) -> None:
        if self.argv is None:
            return
        try:
            done = subprocess.run(
                self.argv, input=pdf, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=PRINT_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterError(f"the printer command could not run: {exc.__class__.__name__}") from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            raise PrinterError(
                f"the printer failed (exit {done.returncode}): {said[0][:120] if said else 'no message'}"
            )
