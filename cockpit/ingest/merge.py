"""The requests upsert: merge a drop's requests into the live ones, one parquet file per month.

Rows are upserted by request_id into the live requests (latest updated_at wins, ties go to the
drop) with DuckDB, and stored as requests/month=YYYY-MM/data.parquet by month of received_at.
Only months that receive rows from the drop or lose rows to it are rewritten; the others are
hardlinked, so a daily drop costs one or two months of rewriting. The merge tables live in a
database file and spill to the staging run's work directory: bounded memory for 10M rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cockpit.contract import REQUESTS, SQL_TYPES
from cockpit.duck import connect_duckdb, ident, literal
from cockpit.store import link_or_copy

Log = Callable[[str], None]


def parquet_rows(path: Path) -> int:
    """The row count of a parquet file, from its footer."""
    with pq.ParquetFile(path) as pf:
        return pf.metadata.num_rows


def _merge_connection(work: Path) -> duckdb.DuckDBPyConnection:
    # A database file (not in-memory) so the merge tables live on disk, not in RAM.
    (work / "spill").mkdir(exist_ok=True)
    return connect_duckdb(work / "spill", database=work / "merge.duckdb", preserve_insertion_order=True)


def _month_files(requests_dir: Path | None) -> dict[str, Path]:
    """{'YYYY-MM': path} of a snapshot's request partitions."""
    if requests_dir is None or not requests_dir.is_dir():
        return {}
    return {p.parent.name.split("=", 1)[1]: p for p in sorted(requests_dir.glob("month=*/data.parquet"))}


def merge_requests(drop_file: Path | None, live_dir: Path | None, out_dir: Path, work: Path,
                   log: Log = print) -> dict:
    """Upsert the drop's requests into the live ones; write month partitions under out_dir.

    Returns {"rows", "incoming", "stale", "months_rewritten", "months_linked", "days"} ("stale":
    incoming rows ignored because the live version is newer; "days": the received days whose
    requests changed, None on a first load where every month is new).
    """
    live = _month_files(live_dir / "requests" if live_dir else None)
    stats = {"incoming": 0, "stale": 0, "months_rewritten": 0, "months_linked": 0, "days": set()}
    affected: set[str] = set()
    if drop_file is not None:
        cols = [c.name for c in REQUESTS.columns]
        casts = ", ".join(f"CAST({ident(c.name)} AS {SQL_TYPES[c.type]}) AS {ident(c.name)}"
                          for c in REQUESTS.columns)
        sel = ", ".join(ident(c) for c in cols)
        con = _merge_connection(work)
        try:
            if live:
                winners = _winners(con, drop_file, casts, sel, live, stats)
                affected = {d.strftime("%Y-%m") for d in stats["days"]}
            else:
                # A first load: nothing to upsert against, so the drop is written straight from
                # its file (no copy into a table first); only several versions of one request
                # need the latest picked ((id, updated_at) is unique, validation checked it).
                src = f"read_parquet({literal(drop_file)})"
                n, distinct = con.execute(f"SELECT count(*), count(DISTINCT request_id) FROM {src}").fetchall()[0]
                stats["incoming"] = distinct
                stats["days"] = None  # every month is new: the rollups are built whole
                months = _ordered_months(drop_file) if n == distinct else None
                if months is not None:
                    log(f"  writing requests: {distinct} rows, {len(months)} months, one month at a time")
                    _write_by_month(con, src, casts, months, out_dir)
                    stats["months_rewritten"] = len(list(out_dir.glob("month=*"))) if out_dir.is_dir() else 0
                    return _finish(stats, live, affected, out_dir)
                winners = f"SELECT {casts} FROM {src}"
                if n != distinct:
                    winners += " QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY updated_at DESC) = 1"
            parts = [winners]
            rewrite = [live[m] for m in sorted(affected) if m in live]
            if rewrite:
                files = ", ".join(literal(p) for p in rewrite)
                parts.insert(0, f"SELECT {sel} FROM read_parquet([{files}]) l "
                                "ANTI JOIN incoming i ON l.request_id = i.request_id")
            union = " UNION ALL ".join(f"({p})" for p in parts)
            log(f"  merging requests: {stats['incoming']} new or changed rows"
                + (f", rewriting {len(affected)} months" if live else ""))
            con.execute(f"""
                COPY (SELECT *, strftime(received_at, '%Y-%m') AS month FROM ({union}) u
                      ORDER BY received_at, request_id)
                TO {literal(out_dir)} (FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'data_{{i}}',
                                  COMPRESSION zstd)""")
            _name_partitions(con, out_dir)
        finally:
            con.close()
        stats["months_rewritten"] = len(list(out_dir.glob("month=*"))) if out_dir.is_dir() else 0
    return _finish(stats, live, affected, out_dir)


def _finish(stats: dict, live: dict[str, Path], affected: set[str], out_dir: Path) -> dict:
    """Link the live months the drop did not touch and count the rows."""
    for month, path in live.items():
        if month not in affected:
            link_or_copy(path, out_dir / f"month={month}" / "data.parquet")
            stats["months_linked"] += 1
    stats["rows"] = sum(parquet_rows(p) for p in _month_files(out_dir).values())
    return stats


def _ordered_months(drop_file: Path) -> list[tuple[dt.datetime, dt.datetime]] | None:
    """The [start, end) of every month of a drop whose row groups are (nearly) in received_at
    order, from the footer's statistics; None when they are not (or say nothing).

    Then each month is read alone (its row groups found from the statistics) and sorted in
    memory, instead of one sort of the whole drop that spills to disk."""
    with pq.ParquetFile(drop_file) as pf:
        md, schema = pf.metadata, pf.schema_arrow
        if "received_at" not in schema.names or not pa.types.is_timestamp(schema.field("received_at").type) \
                or schema.field("received_at").type.tz is not None or md.num_row_groups == 0:
            return None
        col = pf.schema_arrow.get_field_index("received_at")
        ranges = []
        for i in range(md.num_row_groups):
            st = md.row_group(i).column(col).statistics
            if st is None or not st.has_min_max:
                return None
            ranges.append((st.min, st.max))
    first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
    months, start = [], dt.datetime(first.year, first.month, 1)
    while start <= last:
        end = dt.datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
        months.append((start, end))
        start = end
    # Each row group should fall into one month or two: far more overlaps mean the drop is not
    # ordered and every month would read most of it.
    overlaps = sum(1 for a, b in months for lo, hi in ranges if lo < b and hi >= a)
    return months if overlaps <= 2 * len(ranges) + len(months) else None


def _write_by_month(con: duckdb.DuckDBPyConnection, src: str, casts: str,
                    months: list[tuple[dt.datetime, dt.datetime]], out_dir: Path) -> None:
    for start, end in months:
        # Written as a partition like the other path writes them, so every month file has the
        # same (nullable) schema whichever path wrote it.
        tmp = out_dir.parent / f".{out_dir.name}-{start:%Y-%m}"
        con.execute(f"""COPY (SELECT {casts}, strftime(received_at, '%Y-%m') AS month FROM {src}
                              WHERE received_at >= $a AND received_at < $b ORDER BY received_at, request_id)
                        TO {literal(tmp)} (FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'data_{{i}}',
                                          COMPRESSION zstd)""", {"a": start, "b": end})
        out_dir.mkdir(parents=True, exist_ok=True)
        if (tmp / f"month={start:%Y-%m}").is_dir():  # absent: a month without requests
            (tmp / f"month={start:%Y-%m}").rename(out_dir / f"month={start:%Y-%m}")
        shutil.rmtree(tmp, ignore_errors=True)
    _name_partitions(con, out_dir)


def _winners(con: duckdb.DuckDBPyConnection, drop_file: Path, casts: str, sel: str, live: dict[str, Path],
             stats: dict) -> str:
    """Load the drop into `incoming` and find the live versions it touches; returns the SQL of
    the winning rows of those requests. Fills stats "incoming", "stale" and "days" (the received
    days of every row that changes: the drop's and those of the live versions it replaces)."""
    con.execute(f"CREATE TABLE incoming AS SELECT {casts} FROM read_parquet({literal(drop_file)})")
    # Several versions of one request in a drop: keep the latest ((id, updated_at) is unique).
    con.execute("""
        DELETE FROM incoming USING (
            SELECT request_id, max(updated_at) AS latest FROM incoming
            GROUP BY request_id HAVING count(*) > 1) d
        WHERE incoming.request_id = d.request_id AND incoming.updated_at < d.latest""")
    stats["incoming"] = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
    all_live = f"read_parquet([{', '.join(literal(p) for p in live.values())}], filename = true)"
    # Live versions of the requests the drop touches (wherever their month is): first only the
    # ids are read from every live file (a whole-row scan of 10M requests costs several times
    # more), then the whole rows from the few files that hold a match.
    holders = [r[0] for r in con.execute(
        f"SELECT DISTINCT l.filename FROM {all_live} l SEMI JOIN incoming i ON l.request_id = i.request_id").fetchall()]
    if holders:
        con.execute(f"CREATE TABLE touched AS SELECT {sel} FROM read_parquet([{', '.join(literal(h) for h in holders)}]) l "
                    "SEMI JOIN incoming i ON l.request_id = i.request_id")
    else:
        con.execute(f"CREATE TABLE touched AS SELECT {sel} FROM incoming WHERE false")
    stats["days"] = {r[0] for r in con.execute(
        "SELECT DISTINCT cast(received_at AS date) FROM incoming UNION SELECT DISTINCT cast(received_at AS date) "
        "FROM touched").fetchall()}
    # The live version wins only when strictly newer; on a tie the drop wins.
    con.execute("CREATE TABLE live_wins AS SELECT t.* FROM touched t "
                "JOIN incoming i ON t.request_id = i.request_id WHERE t.updated_at > i.updated_at")
    stats["stale"] = con.execute("SELECT count(*) FROM live_wins").fetchall()[0][0]
    return (f"SELECT {sel} FROM incoming ANTI JOIN live_wins w USING (request_id) "
            f"UNION ALL SELECT {sel} FROM live_wins")


def _name_partitions(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """DuckDB names partition files data_<i>.parquet; the layout wants exactly data.parquet."""
    if not out_dir.is_dir():
        return
    for part in sorted(out_dir.glob("month=*")):
        files = sorted(part.glob("data_*.parquet"))
        if len(files) == 1:
            files[0].rename(part / "data.parquet")
        elif files:  # several files for one month: combine them, keeping the order by time
            lst = ", ".join(literal(f) for f in files)
            con.execute(f"COPY (SELECT * FROM read_parquet([{lst}]) ORDER BY received_at, request_id) "
                        f"TO {literal(part / 'data.parquet')} (FORMAT parquet, COMPRESSION zstd)")
            for f in files:
                f.unlink()
