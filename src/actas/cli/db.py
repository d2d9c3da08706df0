"""`actas db migrate`: create or update the board's tables as their owner, and give the server's role
what it needs and nothing more."""

from __future__ import annotations

from typing import Annotated

import typer

from actas.console import out

db_app = typer.Typer(help="The board's database: its tables and who may write to them.", no_args_is_help=True)


@db_app.command("migrate")
def db_migrate(
    db: Annotated[str, typer.Option(help="The database, connected to as the role that owns the board's tables.")],
    grant: Annotated[
        list[str] | None,
        typer.Option(help="A role the server connects as (PostgreSQL): it may read and add rows, nothing else."),
    ] = None,
) -> None:
    """Create the board's tables or bring them up to date, as their owner.

    On PostgreSQL the server connects as another role, one that owns nothing: --grant gives it
    SELECT and INSERT on the board's tables and nothing else, so the server, and whoever takes it
    over, cannot update, delete, truncate or alter a table, nor turn off the triggers that refuse
    changes. Only the owner can, and the checks in docs/threat-model.md catch what the owner does.

    Example: actas db migrate --db postgresql://actas_owner@db/election --grant actas_server
    """
    from actas.store.database import Database

    database = Database(db)
    database.migrate()
    for role in grant or []:
        database.grant(role)
    database.dispose()
    granted = f"; {', '.join(grant)} may read and add rows, nothing else" if grant else ""
    out.print(f"the board's tables are up to date{granted}", markup=False)
