"""Reading one snapshot directory: its views, its as_of, a DuckDB connection over it.

The read side's one definition of what SQL sees in a snapshot. The serving database
(`cockpit.db`) registers these views per snapshot schema; the analytics CLI and tests open them
with `connect_snapshot`; the rollup builders of the ingest see the same views over a staging
snapshot, so a rollup's SQL and a panel's SQL read identical tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from cockpit.contract import CONTRACTS, SQL_TYPES
from cockpit.duck import connect_duckdb, ident, literal
from cockpit.store import read_live_id


def snapshot_views(snapshot_dir: Path) -> dict[str, str]:
    """`{view name: SELECT ...}` over every table of a snapshot directory.

    - `tables/<name>.parquet` → view `<name>` (regions.geometry is DuckDB GEOMETRY / WKB),
    - `requests/month=YYYY-MM/data.parquet` → view `requests` with the contract's columns only:
      the files are read without hive partitioning, so there is no `month` column (it would
      only repeat `received_at`; filter on `received_at` and parquet statistics prune row groups).
    - a core table absent from the snapshot → an empty view with the contract's columns.
    - `rollups/<name>.parquet` or `rollups/<name>/*.parquet` (one file per month) → view `<name>`.
    """
    snapshot_dir = Path(snapshot_dir).resolve()
    views: dict[str, str] = {}
    for path in sorted((snapshot_dir / "tables").glob("*.parquet")):
        views[path.stem] = f"SELECT * FROM read_parquet({literal(path)})"
    if sorted((snapshot_dir / "requests").glob("month=*/data.parquet")):
        glob = snapshot_dir / "requests" / "month=*" / "data.parquet"
        views["requests"] = f"SELECT * FROM read_parquet({literal(glob)}, hive_partitioning = false)"
    # A core table no drop has delivered yet (e.g. no ledger yet) is an empty view with the
    # contract's columns, so SQL over it runs and returns nothing instead of failing.
    for name, t in CONTRACTS.items():
        if name not in views:
            cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {ident(c.name)}" for c in t.columns)
            views[name] = f"SELECT {cols} WHERE false"
    for name, source in rollup_sources(snapshot_dir).items():
        views[name] = f"SELECT * FROM read_parquet({literal(source)})"
    if "requests_closing_daily" not in views:
        # A snapshot published before this rollup existed: the same rows from its requests
        # (slower, but the panels over it answer on every snapshot kept for time travel).
        views["requests_closing_daily"] = CLOSING_DAILY_SQL
    return views


#: Requests per received day × street × closing day (NULL: open): received, closed on time,
#: rated, rated 满意, over the view `requests` (`cockpit.analytics.flow.REQUESTS_CLOSING_DAILY_SQL`).
#: Portable SQL (`cockpit.portable`): Spark derives the same view for such a snapshot.
CLOSING_DAILY_SQL = """
select cast(received_at as date) as day, street_code, cast(closed_at as date) as closed_day,
       count(*) as received,
       count(case when closed_at is not null and (due_at is null or closed_at <= due_at) then 1 end)
         as closed_on_time,
       count(satisfaction) as rated,
       count(case when satisfaction = 3 then 1 end) as satisfied
from requests
group by cast(received_at as date), street_code, cast(closed_at as date)
order by day, street_code, closed_day
"""


def rollup_sources(snapshot_dir: Path) -> dict[str, Path]:
    """{rollup name: what to read}: `rollups/<name>.parquet`, or for a rollup kept one file per
    month (`cockpit.ingest.monthly`) the glob `rollups/<name>/*.parquet`."""
    out: dict[str, Path] = {}
    root = Path(snapshot_dir) / "rollups"
    for path in sorted(root.glob("*.parquet")):
        out[path.stem] = path
    for folder in sorted(p for p in root.glob("*") if p.is_dir()):
        if any(folder.glob("*.parquet")):
            out[folder.name] = folder / "*.parquet"
    return out


def connect_snapshot(snapshot_dir: Path, con: duckdb.DuckDBPyConnection | None = None, *,
                     temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (new, or `con`) with one view per table of a snapshot directory
    (`snapshot_views`): tables, `requests` over the month partitions, rollups, and empty views
    for absent core tables."""
    if con is None:
        con = connect_duckdb(temp_directory)
    for name, sql in snapshot_views(Path(snapshot_dir)).items():
        con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS {sql}")
    return con


def snapshot_as_of(snapshot_dir: Path) -> str | None:
    """The `as_of` date (`YYYY-MM-DD`) of a snapshot, from its `manifest.json`."""
    manifest = Path(snapshot_dir) / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("as_of")


def live_snapshot_dir(store: Path) -> Path:
    """The directory of the snapshot that `STORE/CURRENT` points at.

    FileNotFoundError when nothing is published; `cockpit.store.StoreError` when the pointer is
    not a snapshot id or names a snapshot that is not there (`cockpit.store.read_live_id`).
    """
    store = Path(store)
    live = read_live_id(store)
    if live is None:
        raise FileNotFoundError(f"no published snapshot in {store} (CURRENT missing)")
    return store / "snapshots" / live
