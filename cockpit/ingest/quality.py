"""Count the data-quality flags of a staging snapshot into ``rollups/quality_flags.parquet``.

The flags and their SQL are defined once on the read side (`cockpit.analytics.quality`); this
module gives that SQL the two extra views the arrival flags need and writes the result:

- ``drop_requests``: the requests this drop delivered (the staged copy, one row per request id,
  the latest ``updated_at`` winning as in the upsert), contract columns only;
- ``previous_requests``: the requests of the snapshot that was live before this one.

Without either (a drop without requests, the very first snapshot) the arrival flags are not
counted: with nothing to compare against, every category would be "new".
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from cockpit.analytics.quality import FLAGS, quality_rollup_sql
from cockpit.contract import CONTRACTS, SQL_TYPES
from cockpit.duck import ident, literal
from cockpit.snapshot import connect_snapshot

ROLLUP = "quality_flags"


def _drop_requests_sql(path: Path) -> str:
    """The drop's requests file read with the contract's columns (absent optional ones null)."""
    present = set(pq.ParquetFile(path).schema_arrow.names)
    cols = []
    for c in CONTRACTS["requests"].columns:
        expr = ident(c.name) if c.name in present else "NULL"
        cols.append(f"CAST({expr} AS {SQL_TYPES[c.type]}) AS {ident(c.name)}")
    return (f"SELECT {', '.join(cols)} FROM read_parquet({literal(path)}) "
            "QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY updated_at DESC) = 1")


def build_quality_flags(snapshot_dir: Path, drop_requests: Path | None, previous_dir: Path | None) -> int:
    """Write ``rollups/quality_flags.parquet`` for a staging snapshot; returns its row count.

    Runs after the other rollups (it reads the snapshot's views, ``region_tree`` included).
    """
    snapshot_dir = Path(snapshot_dir)
    out = snapshot_dir / "rollups" / f"{ROLLUP}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    arrivals = drop_requests is not None and previous_dir is not None
    flags = tuple(f for f in FLAGS if f.kind == "state" or arrivals)
    with tempfile.TemporaryDirectory(prefix="quality-tmp-", dir=snapshot_dir.parent) as tmp:
        con = connect_snapshot(snapshot_dir, temp_directory=Path(tmp))
        try:
            if arrivals:
                con.execute(f"CREATE VIEW drop_requests AS {_drop_requests_sql(drop_requests)}")
                prev = sorted((previous_dir / "requests").glob("month=*/data.parquet"))
                if prev:
                    glob = previous_dir / "requests" / "month=*" / "data.parquet"
                    con.execute("CREATE VIEW previous_requests AS SELECT category, channel FROM "
                                f"read_parquet({literal(glob)}, hive_partitioning = false)")
                else:  # the snapshot before had no requests: nothing is "first seen" against it
                    flags = tuple(f for f in flags if f.kind == "state")
            con.sql(quality_rollup_sql(flags)).write_parquet(str(out), compression="zstd")
            return con.execute(f"SELECT count(*) FROM read_parquet({literal(out)})").fetchall()[0][0]
        finally:
            con.close()
