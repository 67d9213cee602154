"""The state of one validation run, shared by the checks of every concern.

The checks (`schema`, `rows`, `references`, `geometry`) are functions of a `DropCheck`: it holds
the DuckDB connection, the drop's files, the problems found so far, and which tables and columns
are usable by later checks (a check never runs on data an earlier one found broken).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from cockpit.duck import ident, literal
from cockpit.ingest.validate.folder import DropFiles
from cockpit.ingest.validate.problems import Problem


class DropCheck:
    """One validation run: holds the DuckDB connection, the drop's files and what is usable."""

    def __init__(self, folder: Path, live: Path | None, con: duckdb.DuckDBPyConnection, *,
                 backdate: bool = False, today: date | None = None, refused: tuple[Problem, ...] = ()):
        self.folder = folder
        self.live = live
        self.con = con
        self.backdate = backdate  # an as_of before the live one is allowed (`cockpit ingest --backdate`)
        self.today = today  # None: the local date when checked
        # Problems with entries of the original folder that were not copied into staging (links,
        # FIFOs, ...; see cockpit.ingest.stage): reported first, the copy does not hold them.
        self.refused = refused
        self.problems: list[Problem] = []
        self.files = DropFiles()
        # Per core table in the drop: the columns usable by checks (present, with a good type).
        self.usable: dict[str, set[str]] = {}
        self.readable: set[str] = set()  # core tables whose data could be read so far
        self.failed: set[str] = set()  # files already reported as unreadable

    # -- plumbing ---------------------------------------------------------------------------------

    def add(self, *problems: Problem) -> None:
        self.problems.extend(problems)

    def view(self, table: str) -> str:
        return ident(f"drop_{table}")

    def live_view(self, table: str) -> str | None:
        """A view over the live snapshot's table, or None when there is no such table."""
        if self.live is None:
            return None
        name = ident(f"live_{table}")
        if table == "requests":
            files = sorted((self.live / "requests").glob("month=*/data.parquet"))
            if not files:
                return None
            src = f"read_parquet({literal(self.live / 'requests' / 'month=*' / 'data.parquet')})"
        else:
            path = self.live / "tables" / f"{table}.parquet"
            if not path.is_file():
                return None
            src = f"read_parquet({literal(path)})"
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {src}")
        return name

    def query_rows(self, file: str, sql: str) -> tuple[int, tuple[int, ...], str | None] | None:
        """Run a query returning (count, first rows list, example); None if the data is unreadable."""
        try:
            count, rows, example = self.con.execute(sql).fetchall()[0]
        except duckdb.Error as exc:
            self.unreadable(file, exc)
            return None
        return int(count or 0), tuple(int(r) for r in (rows or ())), example

    def unreadable(self, file: str, exc: Exception) -> None:
        """A query on a file failed: report it once and stop checking that file.

        Any failure counts (fail closed): a check that cannot run must not let a drop through.
        """
        self.readable.discard(file[: -len(".parquet")])
        if file not in self.failed:
            self.failed.add(file)
            msg = str(exc).strip().splitlines()[0][:300]
            self.add(Problem(file, None, f"unreadable parquet data: {msg}", "unreadable"))
