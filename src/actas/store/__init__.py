"""Persistence of the bulletin board: SQLite (embedded, the default) and PostgreSQL, one code path."""
