"""Tables derived at publish time (rollups), so panels never scan raw rows they don't need.

A rollup builder is a function `(snapshot_dir, con) -> rows` registered under a name with the
`@rollup("name")` decorator (or `register_rollup`). `build_rollups(snapshot_dir)` runs every
builder in registration order on a DuckDB connection whose views are the snapshot's tables
(`cockpit.snapshot.snapshot_views`, the same views panels read); each builder writes
`rollups/<name>.parquet` (usually through `write_rollup`) and returns its row count. A builder can use the rollups built before it: after
each builder the connection gets a view named after the new rollup.

Write side only: the serving path reads the parquet files these builders leave behind and never
imports this module. The analytics rollups' SQL is written once in `cockpit.analytics` (read
side, where panels reuse it); the builders below only run it and write the result.

To add one (analytics), define it below the existing ones:

    @rollup("requests_daily")
    def requests_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
        return write_rollup(con, snapshot_dir, "requests_daily", "SELECT ... FROM requests ...")
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from cockpit.analytics.flow import REQUESTS_DAILY_COLUMNS, REQUESTS_DAILY_SQL, REQUESTS_STREET_DAILY_SQL
from cockpit.analytics.scores import STREET_SCORES_ROLLUP_SQL
from cockpit.duck import ident, literal
from cockpit.snapshot import connect_snapshot, snapshot_as_of

RollupBuilder = Callable[[Path, duckdb.DuckDBPyConnection], int]

_BUILDERS: dict[str, RollupBuilder] = {}
#: The live snapshot the one being built succeeds (None: the first, or a builder run by hand):
#: builders may reuse its rollups for what did not change.
_PARENT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("rollup_parent", default=None)


def register_rollup(name: str, builder: RollupBuilder, *, replace: bool = False) -> RollupBuilder:
    """Register `builder` as the rollup `name` (built after those registered before it)."""
    if name in _BUILDERS and not replace:
        raise ValueError(f"rollup {name!r} is already registered")
    _BUILDERS[name] = builder
    return builder


def rollup(name: str) -> Callable[[RollupBuilder], RollupBuilder]:
    """Decorator form of `register_rollup`."""
    def deco(fn: RollupBuilder) -> RollupBuilder:
        return register_rollup(name, fn)
    return deco


def rollup_names() -> list[str]:
    """Names of the registered rollups, in build order."""
    return list(_BUILDERS)


def write_rollup(con: duckdb.DuckDBPyConnection, snapshot_dir: Path, name: str, sql: str,
                 params: dict | list | None = None) -> int:
    """Write the result of `sql` to rollups/<name>.parquet and return its row count."""
    out = Path(snapshot_dir) / "rollups" / f"{name}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    con.sql(sql, params=params).write_parquet(str(out), compression="zstd")
    return con.execute(f"SELECT count(*) FROM read_parquet({literal(out)})").fetchall()[0][0]


def build_rollups(snapshot_dir: Path, parent: Path | None = None) -> dict[str, int]:
    """Run every registered builder on a (staging) snapshot; returns {rollup name: rows}.

    `parent` is the live snapshot this one follows (its unchanged request months are hard links
    of the parent's), so a builder can carry over what those months contribute."""
    snapshot_dir = Path(snapshot_dir)
    token = _PARENT.set(Path(parent) if parent is not None else None)
    try:
        return _build_all(snapshot_dir)
    finally:
        _PARENT.reset(token)


def _build_all(snapshot_dir: Path) -> dict[str, int]:
    (snapshot_dir / "rollups").mkdir(exist_ok=True)
    counts: dict[str, int] = {}
    # Spill space next to the snapshot (in staging), never inside it: the snapshot dir is published as is.
    with tempfile.TemporaryDirectory(prefix="rollup-tmp-", dir=snapshot_dir.parent) as tmp:
        con = connect_snapshot(snapshot_dir, temp_directory=Path(tmp))
        try:
            for name, builder in _BUILDERS.items():
                # A cursor of its own per builder: a result one builder leaves half-fetched must
                # not block the next (DuckDB refuses new work on a connection with one pending).
                cur = con.cursor()
                try:
                    counts[name] = int(builder(snapshot_dir, cur))
                finally:
                    cur.close()
                path = (snapshot_dir / "rollups" / f"{name}.parquet").resolve()
                if not path.is_file():
                    raise RuntimeError(f"rollup builder {name!r} did not write {path.name}")
                con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet({literal(path)})")
        finally:
            con.close()
    return counts


# --- builders ------------------------------------------------------------------------------------

@rollup("region_tree")
def region_tree(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """Every (ancestor, descendant) pair of the region tree, each region paired with itself at depth 0.

    Columns: ancestor_code, region_code, depth (0 = itself, 1 = parent, ...), level (of
    region_code), ancestor_level. "All streets under $region" is then
    `WHERE ancestor_code = $region AND level = 'street'`.
    """
    sql = """
        WITH RECURSIVE up(region_code, ancestor_code, depth) AS (
            SELECT region_code, region_code, 0 FROM regions
            UNION ALL
            SELECT up.region_code, r.parent_code, up.depth + 1
            FROM up JOIN regions r ON r.region_code = up.ancestor_code
            WHERE r.parent_code IS NOT NULL AND up.depth < 32   -- a guard; validation forbids cycles
        )
        SELECT up.ancestor_code, up.region_code, CAST(up.depth AS BIGINT) AS depth,
               c.level, a.level AS ancestor_level
        FROM up
        JOIN regions c ON c.region_code = up.region_code
        JOIN regions a ON a.region_code = up.ancestor_code
        ORDER BY up.ancestor_code, up.depth, up.region_code
    """
    return write_rollup(con, snapshot_dir, "region_tree", sql)


# --- analytics rollups (methods in docs/methods.md) ------------------------------------------------

#: as_of when a snapshot directory has no manifest (a builder run by hand): the date of the
#: latest update in the data (the data runs to the end of the as_of day).
_AS_OF_FROM_DATA_SQL = "select cast(max(updated_at) as date) from requests"


def rollup_as_of(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as_of a rollup is built for: the snapshot manifest's (ingest writes a provisional
    one before building rollups), else the latest ``updated_at`` date as a stand-in."""
    as_of = snapshot_as_of(snapshot_dir)
    if as_of is not None:
        return dt.date.fromisoformat(as_of)
    rows = con.execute(_AS_OF_FROM_DATA_SQL).fetchall()  # fetch all: leave no open result behind
    return rows[0][0] if rows else None


@rollup("requests_daily")
def build_requests_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection,
                         as_of: dt.date | str | None = None) -> int:
    """``rollups/requests_daily.parquet`` (columns ``cockpit.analytics.flow.REQUESTS_DAILY_COLUMNS``).

    Returns the row count. ``as_of`` defaults to :func:`rollup_as_of`; overdue_open_asof
    counts requests not closed whose deadline passed before the end of that day.

    After a daily drop most request months are the parent snapshot's files (hard links): their
    rows are carried over from the parent's rollup, only overdue_open_asof moved on to the new
    as_of; the months the drop rewrote are rolled up from their requests (`_carry_over`).
    """
    if as_of is None:
        as_of = rollup_as_of(snapshot_dir, con)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    snapshot_dir = Path(snapshot_dir)
    plan = _carry_over(snapshot_dir, _PARENT.get(), as_of)
    if plan is None:
        # Streamed from DuckDB to parquet: the rollup of 10M requests never sits in Python memory.
        return write_rollup(con, snapshot_dir, "requests_daily", REQUESTS_DAILY_SQL, {"as_of": as_of})
    return _write_requests_daily_incremental(snapshot_dir, plan, as_of)


def _month_files(snapshot_dir: Path) -> dict[str, Path]:
    return {p.parent.name.split("=", 1)[1]: p for p in sorted((snapshot_dir / "requests").glob("month=*/data.parquet"))}


def _carry_over(snapshot_dir: Path, parent: Path | None, as_of: dt.date) -> dict | None:
    """What of the parent's requests_daily can be reused, or None (build it whole).

    Reusable: a parent with that rollup in today's columns, an as_of not earlier than the
    parent's (overdue counts only grow with time for unchanged requests), and at least one
    request month that is the very same file as the parent's."""
    if parent is None:
        return None
    old = parent / "rollups" / "requests_daily.parquet"
    try:
        parent_as_of = dt.date.fromisoformat(json.loads((parent / "manifest.json").read_text(encoding="utf-8"))["as_of"])
    except (OSError, ValueError, KeyError):
        return None
    if not old.is_file() or parent_as_of > as_of:
        return None
    import pyarrow.parquet as pq

    if tuple(pq.read_schema(old).names) != REQUESTS_DAILY_COLUMNS:
        return None
    mine, theirs = _month_files(snapshot_dir), _month_files(parent)
    kept = sorted(m for m, f in mine.items() if m in theirs and os.path.samefile(f, theirs[m]))
    if not kept:
        return None
    return {"parent_daily": old, "parent_as_of": parent_as_of, "kept": kept,
            "kept_files": [mine[m] for m in kept], "fresh_files": [f for m, f in mine.items() if m not in kept]}


def _write_requests_daily_incremental(snapshot_dir: Path, plan: dict, as_of: dt.date) -> int:
    keys = ("day", "street_code", "category", "channel", "handling_level", "dept_code")
    with tempfile.TemporaryDirectory(prefix="rollup-inc-", dir=snapshot_dir.parent) as tmp:
        con = connect_snapshot(snapshot_dir, temp_directory=Path(tmp))
        try:
            # The rewritten months, rolled up from their requests alone (the same SQL as a full build).
            if plan["fresh_files"]:
                fresh = ", ".join(literal(f) for f in plan["fresh_files"])
                con.execute(f"CREATE OR REPLACE VIEW requests AS SELECT * FROM read_parquet([{fresh}], hive_partitioning = false)")
                con.execute(f"CREATE TEMP TABLE fresh AS {REQUESTS_DAILY_SQL}", {"as_of": as_of})
            else:  # a drop without requests: every month is the parent's
                con.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM read_parquet({literal(plan['parent_daily'])}) WHERE false")
            kept = ", ".join(literal(f) for f in plan["kept_files"])
            # Unchanged requests still open whose deadline fell between the two as_of cut-offs.
            con.execute(f"""CREATE TEMP TABLE newly_overdue AS
                SELECT cast(received_at AS date) AS day, street_code, category, channel, handling_level, dept_code,
                       count(*) AS n
                FROM read_parquet([{kept}], hive_partitioning = false)
                WHERE closed_at IS NULL AND due_at >= cast($old AS timestamp) + interval '1 day'
                  AND due_at < cast($new AS timestamp) + interval '1 day'
                GROUP BY ALL""", {"old": plan["parent_as_of"], "new": as_of})
            months = ", ".join(literal(m) for m in plan["kept"])
            cols = ", ".join("p.overdue_open_asof + coalesce(o.n, 0) AS overdue_open_asof"
                             if c == "overdue_open_asof" else f"p.{c}" for c in REQUESTS_DAILY_COLUMNS)
            on = " AND ".join(f"o.{k} IS NOT DISTINCT FROM p.{k}" for k in keys)
            sql = f"""
                SELECT * FROM (
                    SELECT {cols} FROM read_parquet({literal(plan['parent_daily'])}) p
                    LEFT JOIN newly_overdue o ON {on}
                    WHERE strftime(p.day, '%Y-%m') IN ({months})
                    UNION ALL
                    SELECT * FROM fresh
                ) ORDER BY {", ".join(keys)}"""
            return write_rollup(con, snapshot_dir, "requests_daily", sql)
        finally:
            con.close()


@rollup("requests_street_daily")  # after requests_daily: summed from it
def build_requests_street_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """``rollups/requests_street_daily.parquet``: requests_daily per received day × street only
    (columns ``cockpit.analytics.flow.REQUESTS_STREET_DAILY_COLUMNS``).

    The fine rollup keeps a row per day × street × category × channel × level × department,
    nearly one per request; panels that need none of those dimensions read this one (through
    the ``requests_street_days`` relation, which falls back to the fine rollup under a cross-filter).
    Summed from the fine rollup, not the raw requests: the same measures, a small scan.
    """
    return write_rollup(con, Path(snapshot_dir), "requests_street_daily", REQUESTS_STREET_DAILY_SQL)


@rollup("street_scores")  # after region_tree: it scopes by it
def build_street_scores(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """``rollups/street_scores.parquet`` for every period, whole tree (``cockpit.analytics.scores``).

    Columns: period, street_code, parent_code, score, rank, rank_change, rank_all, veto,
    veto_reason (published weights). Returns the row count.
    """
    return write_rollup(con, Path(snapshot_dir), "street_scores", STREET_SCORES_ROLLUP_SQL)
