"""`python -m actas` runs the `actas` command."""

from actas.cli import main

main()
