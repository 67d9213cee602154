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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from cockpit.analytics.flow import (
    REQUESTS_CLOSING_DAILY_COLUMNS,
    REQUESTS_CLOSING_DAILY_SQL,
    REQUESTS_DAILY_COLUMNS,
    REQUESTS_DAILY_SQL,
    REQUESTS_STREET_DAILY_COLUMNS,
    REQUESTS_STREET_DAILY_SQL,
)
from cockpit.analytics.scores import STREET_SCORES_ROLLUP_SQL
from cockpit.duck import ident, literal
from cockpit.ingest import monthly
from cockpit.snapshot import connect_snapshot, snapshot_as_of

RollupBuilder = Callable[[Path, duckdb.DuckDBPyConnection], int]

_BUILDERS: dict[str, RollupBuilder] = {}
#: The live snapshot the one being built succeeds (None: the first, or a builder run by hand):
#: builders may reuse its rollups for what did not change.
_PARENT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("rollup_parent", default=None)
#: The received days whose requests the drop changed (None: unknown), from the merge.
_DAYS: contextvars.ContextVar[frozenset | None] = contextvars.ContextVar("rollup_days", default=None)
#: The dirty days of the build under way ({(snapshot, as_of): plan}; None: no build, no memo).
_DIRTY: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rollup_dirty", default=None)


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


def build_rollups(snapshot_dir: Path, parent: Path | None = None, changed_days=None,
                  log: Callable[[str], None] | None = None) -> dict[str, int]:
    """Run every registered builder on a (staging) snapshot; returns {rollup name: rows}.

    `parent` is the live snapshot this one follows (its unchanged request months are hard links
    of the parent's), so a builder can carry over what those months contribute; `changed_days`
    the received days whose requests the drop changed (None: unknown). `log` gets each
    builder's time."""
    snapshot_dir = Path(snapshot_dir)
    tokens = (_PARENT.set(Path(parent) if parent is not None else None),
              _DAYS.set(frozenset(changed_days) if changed_days is not None else None), _DIRTY.set({}))
    try:
        return _build_all(snapshot_dir, log)
    finally:
        for var, token in zip((_PARENT, _DAYS, _DIRTY), tokens):
            var.reset(token)


def _build_all(snapshot_dir: Path, log: Callable[[str], None] | None = None) -> dict[str, int]:
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
                t0 = time.monotonic()
                try:
                    counts[name] = int(builder(snapshot_dir, cur))
                finally:
                    cur.close()
                if log is not None:
                    log(f"  {name}: {counts[name]} rows (rollup, {time.monotonic() - t0:.1f} s)")
                path = (snapshot_dir / "rollups" / f"{name}.parquet").resolve()
                folder = (snapshot_dir / "rollups" / name).resolve()
                if path.is_file():
                    source = literal(path)
                elif folder.is_dir() and any(folder.glob("*.parquet")):
                    source = literal(folder / "*.parquet")
                else:
                    raise RuntimeError(f"rollup builder {name!r} did not write {path.name} or {name}/")
                con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet({source})")
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


def _plan(snapshot_dir: Path, con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict:
    """The dirty days of this build (`cockpit.ingest.monthly.dirty_days`), computed once per build
    and shared by every day-keyed rollup; the parent only when its rollups can be taken over."""
    key = (str(snapshot_dir), as_of)
    cache = _DIRTY.get()
    if cache is not None and key in cache:
        return cache[key]
    parent = _PARENT.get()
    parent_as_of = None
    if parent is not None:
        try:
            parent_as_of = dt.date.fromisoformat(
                json.loads((parent / "manifest.json").read_text(encoding="utf-8"))["as_of"])
        except (OSError, ValueError, KeyError):
            parent = None
    changes = monthly.Changes(parent=parent, parent_as_of=parent_as_of, as_of=as_of, days=_DAYS.get())
    plan = {"dirty": monthly.dirty_days(con, snapshot_dir, changes),
            "parent": parent if parent_as_of is not None and parent_as_of <= as_of else None}
    if cache is not None:
        cache[key] = plan
    return plan


_DAILY_KEYS = "day, street_code, category, channel, handling_level, dept_code"


@rollup("requests_daily")
def build_requests_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection,
                         as_of: dt.date | str | None = None) -> int:
    """``rollups/requests_daily/<month>.parquet`` (columns ``cockpit.analytics.flow.REQUESTS_DAILY_COLUMNS``).

    Returns the row count. ``as_of`` defaults to :func:`rollup_as_of`; overdue_open_asof
    counts requests not closed whose deadline passed before the end of that day. Day-keyed and
    incremental (`cockpit.ingest.monthly`): after a daily drop only the days it changed, and the
    days whose overdue count the new as_of moved, are rolled up from their requests.
    """
    if as_of is None:
        as_of = rollup_as_of(snapshot_dir, con)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    snapshot_dir = Path(snapshot_dir)
    plan = _plan(snapshot_dir, con, as_of)
    return monthly.build_monthly(
        con, snapshot_dir, "requests_daily", REQUESTS_DAILY_SQL, source="requests",
        source_files=monthly.request_months(snapshot_dir), day_expr="cast(received_at AS date)",
        order=_DAILY_KEYS, columns=REQUESTS_DAILY_COLUMNS, dirty=plan["dirty"], parent=plan["parent"],
        params={"as_of": as_of})


@rollup("requests_street_daily")  # after requests_daily: summed from it
def build_requests_street_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """``rollups/requests_street_daily/<month>.parquet``: requests_daily per received day × street
    only (columns ``cockpit.analytics.flow.REQUESTS_STREET_DAILY_COLUMNS``).

    The fine rollup keeps a row per day × street × category × channel × level × department,
    nearly one per request; panels that need none of those dimensions read this one (through
    the ``requests_street_days`` relation, which falls back to the fine rollup under a cross-filter).
    Summed from the fine rollup's month files, not the raw requests: the same measures, a small
    scan; the same dirty days as the fine rollup.
    """
    snapshot_dir = Path(snapshot_dir)
    plan = _plan(snapshot_dir, con, rollup_as_of(snapshot_dir, con))
    return monthly.build_monthly(
        con, snapshot_dir, "requests_street_daily", REQUESTS_STREET_DAILY_SQL, source="requests_daily",
        source_files=monthly.rollup_months(snapshot_dir, "requests_daily"), day_expr="day",
        order="day, street_code", columns=REQUESTS_STREET_DAILY_COLUMNS, dirty=plan["dirty"],
        parent=plan["parent"])


@rollup("requests_closing_daily")
def build_requests_closing_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """``rollups/requests_closing_daily/<month>.parquet``: requests per received day × street ×
    closing day (columns ``cockpit.analytics.flow.REQUESTS_CLOSING_DAILY_COLUMNS``), for the
    like-for-like KPIs. Day-keyed and incremental like requests_daily."""
    snapshot_dir = Path(snapshot_dir)
    plan = _plan(snapshot_dir, con, rollup_as_of(snapshot_dir, con))
    return monthly.build_monthly(
        con, snapshot_dir, "requests_closing_daily", REQUESTS_CLOSING_DAILY_SQL, source="requests",
        source_files=monthly.request_months(snapshot_dir), day_expr="cast(received_at AS date)",
        order="day, street_code, closed_day", columns=REQUESTS_CLOSING_DAILY_COLUMNS, dirty=plan["dirty"],
        parent=plan["parent"])


@rollup("street_scores")  # after region_tree: it scopes by it
def build_street_scores(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
    """``rollups/street_scores.parquet`` for every period, whole tree (``cockpit.analytics.scores``).

    Columns: period, street_code, parent_code, score, rank, rank_change, rank_all, veto,
    veto_reason (published weights). Returns the row count.
    """
    return write_rollup(con, Path(snapshot_dir), "street_scores", STREET_SCORES_ROLLUP_SQL)
