"""Count the data-quality flags of a staging snapshot into ``rollups/quality_flags.parquet``.

The flags and their SQL are defined once on the read side (`cockpit.analytics.quality`); this
module gives that SQL the two extra views the arrival flags need and writes the result:

- ``drop_requests``: the requests this drop delivered (the staged copy, one row per request id,
  the latest ``updated_at`` winning as in the upsert), contract columns only;
- ``previous_requests``: the requests of the snapshot that was live before this one.

Without either (a drop without requests, the very first snapshot) the arrival flags are not
counted: with nothing to compare against, every category would be "new".

The state flags of requests depend on each request alone, so they are counted per request month
into ``parts/quality_requests/<YYYY-MM>.parquet`` (counts and the smallest example ids per flag and
region) and combined: a month whose requests file is the previous snapshot's very file takes its
part over (hard link), so a daily drop counts one month, not every request. The smallest ids of
the whole are among the smallest ids of each month, so the combination equals one count over all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from cockpit.analytics.quality import EXAMPLES_PER_REGION, FLAGS, quality_rollup_sql
from cockpit.contract import CONTRACTS, SQL_TYPES
from cockpit.duck import ident, literal
from cockpit.snapshot import connect_snapshot
from cockpit.store import link_or_copy

ROLLUP = "quality_flags"
#: Where the per-month counts of the request state flags are kept in a snapshot (not a view).
PARTS = Path("parts") / "quality_requests"


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
            per_month = tuple(f for f in flags if f.table == "requests" and f.kind == "state")
            rest = tuple(f for f in flags if f not in per_month)
            parts = _month_parts(con, snapshot_dir, previous_dir, per_month)
            selects = []
            if parts:
                files = ", ".join(literal(p) for p in parts)
                selects.append(
                    "select flag, source_table, region_code, cast(sum(flagged) as bigint) as flagged, "
                    f"list_sort(flatten(list(example_ids)))[1:{EXAMPLES_PER_REGION}] as example_ids "
                    f"from read_parquet([{files}]) group by flag, source_table, region_code")
            if rest:
                selects.append(f"select * from ({quality_rollup_sql(rest)})")
            if not selects:  # nothing to count: an empty rollup with the columns
                selects.append(f"select * from ({quality_rollup_sql(per_month)}) where false")
            sql = f"select * from ({' union all '.join(selects)}) order by flag, region_code"
            con.sql(sql).write_parquet(str(out), compression="zstd")
            return con.execute(f"SELECT count(*) FROM read_parquet({literal(out)})").fetchall()[0][0]
        finally:
            con.close()


def _month_parts(con, snapshot_dir: Path, previous_dir: Path | None, flags) -> list[Path]:
    """The per-month counts of `flags` (request state flags), one file per request month: the
    previous snapshot's file where the month's requests are the very same file, else counted."""
    months = {p.parent.name.split("=", 1)[1]: p
              for p in sorted((snapshot_dir / "requests").glob("month=*/data.parquet"))}
    if not flags or not months:
        return []
    theirs = {}
    if previous_dir is not None:
        prev_req = {p.parent.name.split("=", 1)[1]: p
                    for p in (previous_dir / "requests").glob("month=*/data.parquet")}
        theirs = {m: previous_dir / PARTS / f"{m}.parquet" for m in prev_req
                  if m in months and os.path.samefile(prev_req[m], months[m])
                  and (previous_dir / PARTS / f"{m}.parquet").is_file()}
    out_dir = snapshot_dir / PARTS
    out_dir.mkdir(parents=True, exist_ok=True)
    sql = quality_rollup_sql(flags)
    written = []
    try:
        for m, src in months.items():
            out = out_dir / f"{m}.parquet"
            if m in theirs:
                link_or_copy(theirs[m], out)
            else:
                con.execute(f"CREATE OR REPLACE TEMP VIEW requests AS SELECT * FROM "
                            f"read_parquet({literal(src)}, hive_partitioning = false)")
                con.sql(sql).write_parquet(str(out), compression="zstd")
            written.append(out)
    finally:
        con.execute("DROP VIEW IF EXISTS temp.requests")
    return written
