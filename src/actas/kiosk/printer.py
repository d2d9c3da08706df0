"""The kiosk's printer: each printout is a PDF handed to a command (`lp -d receipts`, say) on its standard input.

A voter's receipt goes to the printer and nowhere else: it is made in memory, piped to the command
and dropped, so nothing on the machine keeps a choice with its place in the day. Every PDF is made
without a creation date or a producer that could vary, so two receipts of the same choice are the
same bytes whenever they were printed (`acta.render.pdf_bytes`).
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path

from actas.errors import InputError

log = logging.getLogger("actas.kiosk")

PRINT_TIMEOUT = 60.0


class PrinterError(InputError):
    """The printer command failed: what was to be printed did not come out. `printer_exit` is None when the
    command could not run at all. What the command said is logged, never shown: it may name files."""

    def __init__(self, message: str, exit_code: int | None) -> None:
        super().__init__(message)
        self.printer_exit = exit_code


class Printer:
    """Pipes PDFs to `command`; with no command, printouts go nowhere (a kiosk on a screen alone)."""

    def __init__(self, command: str | None) -> None:
        self.argv = shlex.split(command) if command else None
        if command is not None and not self.argv:
            raise InputError("--printer is a command that prints a PDF from its standard input, e.g. 'lp -d receipts'")

    @property
    def program(self) -> str | None:
        """The printer command's name, without its directory (None: no printer)."""
        return Path(self.argv[0]).name if self.argv else None

    def print_pdf(self, pdf: bytes) -> None:
        if self.argv is None:
            return
        try:
            done = subprocess.run(
                self.argv, input=pdf, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=PRINT_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("the printer command could not run: %s", exc.__class__.__name__)
            raise PrinterError("the printer command could not run", None) from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            log.warning("the printer failed (exit %s): %s", done.returncode, said[0][:200] if said else "no message")
            raise PrinterError(f"the printer failed (exit {done.returncode})", done.returncode)
