"""DuckDB helpers for code that builds SQL text itself: literals, identifiers, a bounded connection.

A leaf module (it imports only duckdb and the settings), shared by the read side (snapshot views)
and the write side (validation, merge, rollups). Literals and identifiers embed values the
cockpit controls (paths, enum values, column names of the contract), never a viewer's input:
those are always bound parameters.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cockpit.settings import get_settings


def literal(s: str | Path) -> str:
    """A SQL string literal: `it's` becomes `'it''s'`."""
    return "'" + str(s).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (double quotes, inner double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def connect_duckdb(temp_dir: Path | None = None, memory_limit: str | None = None,
                   threads: int | None = None, *, database: Path | None = None,
                   preserve_insertion_order: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection bounded in memory (the settings' limit unless given), spilling to `temp_dir`.

    In memory unless `database` names a file (so big intermediate tables live on disk). Unless
    asked to, rows are not kept in insertion order: order only matters where the SQL sorts
    explicitly, and this lets DuckDB stream and spill more.
    """
    s = get_settings()
    con = duckdb.connect(str(database) if database is not None else ":memory:")
    con.execute(f"SET memory_limit = {literal(memory_limit or s.duckdb_memory_limit)}")
    con.execute(f"SET threads = {int(threads or s.duckdb_threads)}")
    if temp_dir is not None:
        con.execute(f"SET temp_directory = {literal(temp_dir)}")
    if not preserve_insertion_order:
        con.execute("SET preserve_insertion_order = false")
    return con
