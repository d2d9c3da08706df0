"""The `actas` command line: one module per group of commands, each a thin shell over the library."""

from actas.cli.app import app, main

__all__ = ["app", "main"]
