"""Tables derived at publish time (rollups), so panels never scan raw rows they don't need.

A rollup builder is a function `(snapshot_dir, con) -> rows` registered under a name with the
`@rollup("name")` decorator (or `register_rollup`). `build_rollups(snapshot_dir)` runs every
builder in registration order on a DuckDB connection whose views are the snapshot's tables
(see `snapshot_views`); each builder writes `rollups/<name>.parquet` (usually through
`write_rollup`) and returns its row count. A builder can use the rollups built before it: after
each builder the connection gets a view named after the new rollup.

To add one (analytics), define it below the existing ones:

    @rollup("requests_daily")
    def requests_daily(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> int:
        return write_rollup(con, snapshot_dir, "requests_daily", "SELECT ... FROM requests ...")
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from cockpit.contract import CONTRACTS, SQL_TYPES

RollupBuilder = Callable[[Path, duckdb.DuckDBPyConnection], int]

_BUILDERS: dict[str, RollupBuilder] = {}


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


def _q(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def snapshot_views(snapshot_dir: Path) -> dict[str, str]:
    """`{view name: SELECT ...}` over every table of a snapshot directory.

    - `tables/<name>.parquet` → view `<name>` (regions.geometry is DuckDB GEOMETRY / WKB),
    - `requests/month=YYYY-MM/data.parquet` → view `requests` with the contract's columns only:
      the files are read without hive partitioning, so there is no `month` column (it would
      only repeat `received_at`; filter on `received_at` and parquet statistics prune row groups).
    - a core table absent from the snapshot → an empty view with the contract's columns.
    - `rollups/<name>.parquet` → view `<name>`.
    """
    snapshot_dir = Path(snapshot_dir).resolve()
    views: dict[str, str] = {}
    for path in sorted((snapshot_dir / "tables").glob("*.parquet")):
        views[path.stem] = f"SELECT * FROM read_parquet({_q(path)})"
    if sorted((snapshot_dir / "requests").glob("month=*/data.parquet")):
        glob = snapshot_dir / "requests" / "month=*" / "data.parquet"
        views["requests"] = f"SELECT * FROM read_parquet({_q(glob)}, hive_partitioning = false)"
    # A core table no drop has delivered yet (e.g. no ledger yet) is an empty view with the
    # contract's columns, so SQL over it runs and returns nothing instead of failing.
    for name, t in CONTRACTS.items():
        if name not in views:
            cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {_ident(c.name)}" for c in t.columns)
            views[name] = f"SELECT {cols} WHERE false"
    for path in sorted((snapshot_dir / "rollups").glob("*.parquet")):
        views[path.stem] = f"SELECT * FROM read_parquet({_q(path)})"
    return views


def connect_snapshot(snapshot_dir: Path, con: duckdb.DuckDBPyConnection | None = None, *,
                     temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (new, or `con`) with a view per table of the snapshot."""
    if con is None:
        from cockpit.validate import connect_duckdb
        con = connect_duckdb(temp_directory)
    for name, sql in snapshot_views(snapshot_dir).items():
        con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS {sql}")
    return con


def write_rollup(con: duckdb.DuckDBPyConnection, snapshot_dir: Path, name: str, sql: str,
                 params: dict | list | None = None) -> int:
    """Write the result of `sql` to rollups/<name>.parquet and return its row count."""
    out = Path(snapshot_dir) / "rollups" / f"{name}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    con.sql(sql, params=params).write_parquet(str(out), compression="zstd")
    return con.execute(f"SELECT count(*) FROM read_parquet({_q(out)})").fetchall()[0][0]


def build_rollups(snapshot_dir: Path) -> dict[str, int]:
    """Run every registered builder on a (staging) snapshot; returns {rollup name: rows}."""
    snapshot_dir = Path(snapshot_dir)
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
                con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM read_parquet({_q(path)})")
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

def _register_analytics() -> None:
    from cockpit.analytics.flow import build_requests_daily
    from cockpit.analytics.scores import build_street_scores
    register_rollup("requests_daily", build_requests_daily)
    register_rollup("street_scores", build_street_scores)  # after region_tree: it scopes by it


_register_analytics()
