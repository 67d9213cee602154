"""Day-keyed rollups kept one file per request month, rebuilt only for the days a drop changed.

A day-keyed rollup has a `day` column (the received day) and its rows for a day depend only on
the requests received that day and, for some measures, on the snapshot's as_of. It is stored as
``rollups/<name>/<YYYY-MM>.parquet`` (one file per month of the snapshot's requests; a rollup
with no rows at all is one empty ``empty.parquet`` that still carries the columns).

After a drop, the rows of day d can be taken over from the parent snapshot's rollup unless d is
*dirty*: the drop changed a request received on d (`Changes.days`, from the merge), or the as_of
moved past the deadline of a request of d still open (its overdue count moved). So a month with
no dirty day is the parent's file (hard link), a month with some is the parent's rows of its
clean days plus its dirty days rolled up afresh, and a month the parent lacks is rolled up
whole. The result equals a full rebuild row for row (tests/test_rollups_incremental.py). With
no usable parent (first snapshot, an earlier as_of, a parent of an older layout) every month is
rolled up whole, each month on its own: small hash tables, bounded memory.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from cockpit.duck import ident, literal
from cockpit.store import link_or_copy

EMPTY = "empty"


@dataclass(frozen=True)
class Changes:
    """What a drop changed, for the incremental rollups.

    `parent`: the snapshot this one follows (None: build whole). `days`: received days whose
    requests the drop changed (None: unknown; then every month whose requests file is not the
    parent's very file counts as changed throughout). `dirty` is filled by `dirty_days`."""

    parent: Path | None = None
    parent_as_of: dt.date | None = None
    as_of: dt.date | None = None
    days: frozenset[dt.date] | None = None


def request_months(snapshot_dir: Path) -> dict[str, Path]:
    """{'YYYY-MM': requests file} of a snapshot."""
    return {p.parent.name.split("=", 1)[1]: p
            for p in sorted((Path(snapshot_dir) / "requests").glob("month=*/data.parquet"))}


def rollup_months(snapshot_dir: Path, name: str) -> dict[str, Path]:
    """{'YYYY-MM': file} of a month-partitioned rollup (empty when it is not stored that way)."""
    folder = Path(snapshot_dir) / "rollups" / name
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.parquet")) if p.stem != EMPTY}


def rollup_rows(snapshot_dir: Path, name: str) -> int:
    """Rows of a month-partitioned rollup, from the files' footers."""
    folder = Path(snapshot_dir) / "rollups" / name
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def dirty_days(con: duckdb.DuckDBPyConnection, snapshot_dir: Path, changes: Changes) -> dict[str, set[dt.date] | None]:
    """{month: its dirty days, or None when the whole month is to be rolled up} (see module docs);
    months not listed are clean. Every month is whole without a usable parent."""
    months = request_months(snapshot_dir)
    if changes.parent is None or changes.parent_as_of is None or changes.as_of is None \
            or changes.parent_as_of > changes.as_of:
        return {m: None for m in months}
    theirs = request_months(changes.parent)
    out: dict[str, set[dt.date] | None] = {}
    for m, f in months.items():
        same = m in theirs and os.path.samefile(f, theirs[m])
        if same:
            continue
        if changes.days is None or m not in theirs:
            out[m] = None
        else:
            days = {d for d in changes.days if d.strftime("%Y-%m") == m}
            out[m] = days
    if changes.as_of > changes.parent_as_of and months:
        # Requests still open whose deadline fell between the two cut-offs (the end of each
        # as_of day): their day's overdue count moved. Files are sorted by received_at, so
        # parquet statistics on due_at skip most row groups.
        files = ", ".join(literal(f) for f in months.values())
        rows = con.execute(f"""
            SELECT DISTINCT cast(received_at AS date) FROM read_parquet([{files}], hive_partitioning = false)
            WHERE closed_at IS NULL AND due_at >= cast($old AS timestamp) + interval '1 day'
              AND due_at < cast($new AS timestamp) + interval '1 day'""",
                           {"old": changes.parent_as_of, "new": changes.as_of}).fetchall()
        for (d,) in rows:
            m = d.strftime("%Y-%m")
            if m in out and out[m] is None:
                continue
            out.setdefault(m, set()).add(d)
    return out


def _day_filter(days: set[dt.date] | None, day_expr: str) -> str:
    if days is None:
        return "true"
    return f"{day_expr} IN ({', '.join('DATE ' + literal(d.isoformat()) for d in sorted(days))})"


def build_monthly(con: duckdb.DuckDBPyConnection, snapshot_dir: Path, name: str, sql: str, *,
                  source: str, source_files: dict[str, Path], day_expr: str, order: str,
                  columns: tuple[str, ...], dirty: dict[str, set[dt.date] | None],
                  parent: Path | None, params: dict | None = None) -> int:
    """Write ``rollups/<name>/<month>.parquet`` for every month of `source_files`; returns the rows.

    `sql` reads the view `source` (replaced, per month, by that month's file restricted to the
    days to roll up; `day_expr` is a row's received day in it) and yields `columns`, sorted by
    `order` within a month. `dirty` and `parent` as from `dirty_days`: a clean month is the
    parent's file, a partly dirty one the parent's clean days plus its dirty days afresh.
    """
    out_dir = Path(snapshot_dir) / "rollups" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.parquet"):  # a builder run again on the same directory
        stale.unlink()
    theirs = rollup_months(parent, name) if parent is not None else {}
    if theirs and tuple(pq.read_schema(next(iter(theirs.values()))).names) != columns:
        theirs = {}  # the parent's rollup has other columns (an older version): roll up whole
    if not source_files:
        return _build_from_view(con, out_dir, sql, params)
    try:
        for month, src in source_files.items():
            out = out_dir / f"{month}.parquet"
            days: set[dt.date] | None = dirty[month] if month in dirty else set()
            if month not in theirs:
                days = None  # nothing to take over: the whole month
            if days is not None and not days:
                link_or_copy(theirs[month], out)
                continue
            # A temporary view shadows the snapshot's view of the same name for this month.
            con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(source)} AS SELECT * FROM "
                        f"read_parquet({literal(src)}, hive_partitioning = false) WHERE {_day_filter(days, day_expr)}")
            fresh = f"SELECT * FROM ({sql})"
            if days is None:
                query = sql
            else:
                kept = f"SELECT * FROM read_parquet({literal(theirs[month])}) WHERE NOT ({_day_filter(days, 'day')})"
                query = f"SELECT * FROM ({kept} UNION ALL {fresh}) ORDER BY {order}"
            con.sql(query, params=params).write_parquet(str(out), compression="zstd")
    finally:
        con.execute(f"DROP VIEW IF EXISTS temp.{ident(source)}")
    return rollup_rows(snapshot_dir, name)


def _build_from_view(con: duckdb.DuckDBPyConnection, out_dir: Path, sql: str, params: dict | None) -> int:
    """The rollup of whatever the connection's views hold (no month files on disk: a snapshot
    made by hand, or one without requests), split into month files; one empty file if no rows."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _monthly AS {sql}", params)
    try:
        months = [r[0] for r in con.execute(
            "SELECT DISTINCT strftime(day, '%Y-%m') FROM _monthly WHERE day IS NOT NULL ORDER BY 1").fetchall()]
        for m in months:
            con.sql(f"SELECT * FROM _monthly WHERE strftime(day, '%Y-%m') = {literal(m)}") \
               .write_parquet(str(out_dir / f"{m}.parquet"), compression="zstd")
        if not months:
            con.sql("SELECT * FROM _monthly WHERE false").write_parquet(str(out_dir / f"{EMPTY}.parquet"),
                                                                        compression="zstd")
        return con.execute("SELECT count(*) FROM _monthly").fetchall()[0][0]
    finally:
        con.execute("DROP TABLE IF EXISTS temp._monthly")
