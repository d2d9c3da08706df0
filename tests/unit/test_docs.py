"""Docs that cannot drift: the CLI reference is the commands' own help, and every command has an example."""

from __future__ import annotations

import re
from pathlib import Path

from actas.cli.reference import cli_reference, command_paths, help_text

ROOT = Path(__file__).parents[2]


def test_cli_reference_is_up_to_date() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference(), "run: make docs"


def test_every_command_is_documented_with_an_example() -> None:
    paths = list(command_paths())
    assert ("simulate",) in paths and ("acta", "verify") in paths and ("machine", "cast") in paths
    for path in paths:
        assert "Example: actas " + path[0] in help_text(path), path


def test_the_readme_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen


def test_links_between_docs_point_to_files_that_exist() -> None:
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_test_the_security_page_names_exists() -> None:
    """docs/security.md says which test holds each defence: each of them is a test that exists."""
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", page)
    assert len(named) > 30
    for path, test in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert not test or f"def {test}(" in source, f"docs/security.md names {path}::{test}, which does not exist"
