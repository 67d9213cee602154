"""`cockpit ingest FOLDER`: validate a drop, build a snapshot in staging, publish it atomically.

1. Validate everything first (`cockpit.validate`). Any problem rejects the whole drop: one line
   per problem is printed, the report is kept in STORE/rejected/, the exit code is 1, the live
   snapshot is untouched. The drop folder is only ever read.
2. Build the new snapshot in STORE/staging/<run>/snapshot:
   - each core or extra table in the drop → tables/<name>.parquet (core tables cast to the
     canonical schema of the contract; regions keep their GeoParquet metadata; extras copied);
   - tables absent from the drop → carried over from the live snapshot (hardlinked);
   - requests → upserted by request_id into the live requests (latest updated_at wins, ties go
     to the drop) with DuckDB, stored as requests/month=YYYY-MM/data.parquet by month of
     received_at. Only months that receive rows from the drop or lose rows to it are rewritten;
     the others are hardlinked, so a daily drop costs one or two months of rewriting.
   - rollups (`cockpit.rollups.build_rollups`) and manifest.json.
3. Publish (`Store.publish`): fsync, rename into snapshots/, swap CURRENT.

All DuckDB work has a memory limit and spills to a directory inside the staging run, so a
10M-row requests file is merged with bounded memory.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cockpit.contract import CONTRACTS, LOGICAL_TYPES, REQUESTS, SQL_TYPES, TableContract
from cockpit.store import Store, StoreError, link_or_copy
from cockpit.validate import Problem, read_manifest, scan_drop, validate_drop

Log = Callable[[str], None]


@dataclass
class IngestResult:
    """Outcome of one ingest: the published id, or the problems and where the report was kept."""

    ok: bool
    snapshot_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    report: Path | None = None
    tables: dict[str, dict] = field(default_factory=dict)


def _q(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(path: Path) -> int:
    with pq.ParquetFile(path) as pf:
        return pf.metadata.num_rows


# --- core tables ---------------------------------------------------------------------------------

def _canonical(arr: pa.Array | pa.ChunkedArray, logical: str) -> pa.Array:
    """Cast a column accepted by the contract to its canonical storage type."""
    target = LOGICAL_TYPES[logical]
    if isinstance(arr.type, pa.ExtensionType):
        arr = arr.storage
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if arr.type == target:
        return arr
    # Timestamps/dates: truncating sub-microsecond parts is intended; numbers must not overflow.
    return pc.cast(arr, target, safe=logical not in ("timestamp", "date"))


def write_core_table(t: TableContract, src: Path, dst: Path) -> int:
    """Write a drop's core file as tables/<name>.parquet with the canonical schema; returns rows.

    Streams in batches. Absent optional columns are stored as all-null columns, so readers can
    rely on every contract column existing. For GeoParquet the 'geo' metadata and the geometry
    field metadata are kept (the pandas metadata is dropped: it would describe the old layout).
    """
    with pq.ParquetFile(src) as pf:
        src_schema = pf.schema_arrow
        present = [c for c in t.columns if c.name in src_schema.names]
        fields = []
        for c in t.columns:
            f = pa.field(c.name, LOGICAL_TYPES[c.type])
            if c.type == "geometry" and c.name in src_schema.names:
                f = f.with_metadata(src_schema.field(c.name).metadata)
            fields.append(f)
        meta = {}
        if t.geo and src_schema.metadata and b"geo" in src_schema.metadata:
            geo = json.loads(src_schema.metadata[b"geo"])
            for col in geo.get("columns", {}).values():
                col.pop("covering", None)  # its bbox column is not stored (see validate)
            meta[b"geo"] = json.dumps(geo).encode()
        schema = pa.schema(fields, metadata=meta or None)
        rows = 0
        dst.parent.mkdir(parents=True, exist_ok=True)
        with pq.ParquetWriter(dst, schema, compression="zstd") as writer:
            for batch in pf.iter_batches(batch_size=65536, columns=[c.name for c in present]):
                n = batch.num_rows
                cols = [(_canonical(batch.column(c.name), c.type) if c.name in src_schema.names
                         else pa.nulls(n, LOGICAL_TYPES[c.type])) for c in t.columns]
                writer.write_batch(pa.record_batch(cols, schema=schema))
                rows += n
            if rows == 0:  # keep the schema even for an empty table
                writer.write_table(schema.empty_table())
    return rows


# --- requests ------------------------------------------------------------------------------------

def _merge_connection(work: Path) -> duckdb.DuckDBPyConnection:
    from cockpit.settings import get_settings
    s = get_settings()
    # A database file (not in-memory) so the merge tables live on disk, not in RAM.
    con = duckdb.connect(str(work / "merge.duckdb"))
    (work / "spill").mkdir(exist_ok=True)
    con.execute(f"SET memory_limit = {_q(s.duckdb_memory_limit)}")
    con.execute(f"SET temp_directory = {_q(work / 'spill')}")
    con.execute(f"SET threads = {int(s.duckdb_threads)}")
    return con


def _month_files(requests_dir: Path | None) -> dict[str, Path]:
    """{'YYYY-MM': path} of a snapshot's request partitions."""
    if requests_dir is None or not requests_dir.is_dir():
        return {}
    return {p.parent.name.split("=", 1)[1]: p for p in sorted(requests_dir.glob("month=*/data.parquet"))}


def merge_requests(drop_file: Path | None, live_dir: Path | None, out_dir: Path, work: Path,
                   log: Log = print) -> dict:
    """Upsert the drop's requests into the live ones; write month partitions under out_dir.

    Returns {"rows", "incoming", "stale", "months_rewritten", "months_linked"} ("stale":
    incoming rows ignored because the live version is newer).
    """
    live = _month_files(live_dir / "requests" if live_dir else None)
    stats = {"incoming": 0, "stale": 0, "months_rewritten": 0, "months_linked": 0}
    affected: set[str] = set()
    if drop_file is not None:
        cols = [c.name for c in REQUESTS.columns]
        casts = ", ".join(f"CAST({_ident(c.name)} AS {SQL_TYPES[c.type]}) AS {_ident(c.name)}"
                          for c in REQUESTS.columns)
        sel = ", ".join(_ident(c) for c in cols)
        con = _merge_connection(work)
        try:
            con.execute(f"CREATE TABLE incoming AS SELECT {casts} FROM read_parquet({_q(drop_file)})")
            # Several versions of one request in a drop: keep the latest ((id, updated_at) is unique).
            con.execute("""
                DELETE FROM incoming USING (
                    SELECT request_id, max(updated_at) AS latest FROM incoming
                    GROUP BY request_id HAVING count(*) > 1) d
                WHERE incoming.request_id = d.request_id AND incoming.updated_at < d.latest""")
            stats["incoming"] = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
            affected = {r[0] for r in con.execute(
                "SELECT DISTINCT strftime(received_at, '%Y-%m') FROM incoming").fetchall()}
            if live:
                all_live = f"read_parquet([{', '.join(_q(p) for p in live.values())}])"
                # Live versions of the requests the drop touches (wherever their month is).
                con.execute(f"CREATE TABLE touched AS SELECT {sel} FROM {all_live} l "
                            "SEMI JOIN incoming i ON l.request_id = i.request_id")
                affected |= {r[0] for r in con.execute(
                    "SELECT DISTINCT strftime(received_at, '%Y-%m') FROM touched").fetchall()}
                # The live version wins only when strictly newer; on a tie the drop wins.
                con.execute("CREATE TABLE live_wins AS SELECT t.* FROM touched t "
                            "JOIN incoming i ON t.request_id = i.request_id WHERE t.updated_at > i.updated_at")
                stats["stale"] = con.execute("SELECT count(*) FROM live_wins").fetchall()[0][0]
                winners = (f"SELECT {sel} FROM incoming ANTI JOIN live_wins w USING (request_id) "
                           f"UNION ALL SELECT {sel} FROM live_wins")
            else:
                winners = f"SELECT {sel} FROM incoming"
            parts = [winners]
            rewrite = [live[m] for m in sorted(affected) if m in live]
            if rewrite:
                files = ", ".join(_q(p) for p in rewrite)
                parts.insert(0, f"SELECT {sel} FROM read_parquet([{files}]) l "
                                "ANTI JOIN incoming i ON l.request_id = i.request_id")
            union = " UNION ALL ".join(f"({p})" for p in parts)
            log(f"  merging requests: {stats['incoming']} new or changed rows, rewriting {len(affected)} months")
            con.execute(f"""
                COPY (SELECT *, strftime(received_at, '%Y-%m') AS month FROM ({union}) u
                      ORDER BY received_at, request_id)
                TO {_q(out_dir)} (FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'data_{{i}}',
                                  COMPRESSION zstd)""")
            _name_partitions(con, out_dir)
        finally:
            con.close()
        stats["months_rewritten"] = len(list(out_dir.glob("month=*"))) if out_dir.is_dir() else 0
    for month, path in live.items():
        if month not in affected:
            link_or_copy(path, out_dir / f"month={month}" / "data.parquet")
            stats["months_linked"] += 1
    stats["rows"] = sum(_rows(p) for p in _month_files(out_dir).values())
    return stats


def _name_partitions(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """DuckDB names partition files data_<i>.parquet; the layout wants exactly data.parquet."""
    if not out_dir.is_dir():
        return
    for part in sorted(out_dir.glob("month=*")):
        files = sorted(part.glob("data_*.parquet"))
        if len(files) == 1:
            files[0].rename(part / "data.parquet")
        elif files:  # several files for one month: combine them, keeping the order by time
            lst = ", ".join(_q(f) for f in files)
            con.execute(f"COPY (SELECT * FROM read_parquet([{lst}]) ORDER BY received_at, request_id) "
                        f"TO {_q(part / 'data.parquet')} (FORMAT parquet, COMPRESSION zstd)")
            for f in files:
                f.unlink()


# --- the ingest ----------------------------------------------------------------------------------

def _build_snapshot(folder: Path, store: Store, snap: Path, work: Path, manifest: dict, log: Log) -> dict:
    """Fill the staging snapshot directory; returns the manifest's "tables"."""
    files = scan_drop(folder)
    live = store.live_dir()
    live_tables = store.manifest(live.name)["tables"] if live else {}
    tables: dict[str, dict] = {}
    for name, path in files.core.items():
        if name == "requests":
            continue
        rows = write_core_table(CONTRACTS[name], path, snap / "tables" / f"{name}.parquet")
        tables[name] = {"rows": rows, "kind": "core"}
        log(f"  {name}: {rows} row{'s' if rows != 1 else ''}")
    for name, path in files.extras.items():
        dst = snap / "tables" / f"{name}.parquet"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dst)
        tables[name] = {"rows": _rows(dst), "kind": "extra"}
        log(f"  {name}: {tables[name]['rows']} rows (extra table)")
    if live:
        for path in sorted((live / "tables").glob("*.parquet")):
            if path.stem not in tables:
                link_or_copy(path, snap / "tables" / path.name)
                kind = live_tables.get(path.stem, {}).get("kind") or ("core" if path.stem in CONTRACTS else "extra")
                tables[path.stem] = {"rows": _rows(path), "kind": kind}
                log(f"  {path.stem}: {tables[path.stem]['rows']} rows (kept from {live.name})")
    t0 = time.monotonic()
    stats = merge_requests(files.core.get("requests"), live, snap / "requests", work, log)
    merge_s = time.monotonic() - t0
    if stats["rows"] or "requests" in files.core or (live and "requests" in live_tables):
        tables["requests"] = {"rows": stats["rows"], "kind": "core"}
        log(f"  requests: {stats['rows']} rows in {stats['months_rewritten'] + stats['months_linked']} months "
            f"({stats['months_rewritten']} written, {stats['months_linked']} kept"
            + (f", {stats['stale']} older versions ignored" if stats["stale"] else "") + f") in {merge_s:.1f} s")
    from cockpit.rollups import build_rollups
    # A provisional manifest, so builders can read the snapshot's as_of like in a published
    # snapshot (Store.publish rewrites it with the id, parent and the rollups).
    (snap / "manifest.json").write_text(json.dumps(
        {"as_of": manifest["as_of"], "tables": tables}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log("  building rollups ...")
    t0 = time.monotonic()
    for name, rows in build_rollups(snap).items():
        tables[name] = {"rows": rows, "kind": "rollup"}
        log(f"  {name}: {rows} rows (rollup)")
    log(f"  rollups built in {time.monotonic() - t0:.1f} s")
    return dict(sorted(tables.items(), key=lambda kv: (["core", "extra", "rollup"].index(kv[1]["kind"]), kv[0])))


def ingest(folder: Path, store: Path, *, log: Log = print) -> IngestResult:
    """Validate `folder` and publish it as the new live snapshot of `store` (see module docs)."""
    folder = Path(folder)
    st = Store(store)
    st.root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with st.lock():
        removed = st.clean()
        if removed:
            log(f"removed leftovers of an interrupted ingest: {', '.join(removed)}")
        live = st.live_dir()
        run = st.new_staging()
        snap, work = run / "snapshot", run / "work"
        work.mkdir()
        try:
            log(f"validating {folder} against data contract v1 ...")
            problems = validate_drop(folder, live, temp_dir=work)
            if problems:
                return _reject(st, folder, problems, live, log)
            manifest, _ = read_manifest(folder)
            assert manifest is not None
            log(f"valid ({time.monotonic() - started:.1f} s). building snapshot as of {manifest['as_of']} "
                "in staging ...")
            try:
                tables = _build_snapshot(folder, st, snap, work, manifest, log)
            except Exception as exc:  # data that passed validation but could not be read or written
                log(traceback.format_exc().rstrip())
                problem = Problem("(drop)", None, f"could not be ingested: {type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''}", "build")
                return _reject(st, folder, [problem], live, log)
            shutil.rmtree(work, ignore_errors=True)
            snapshot_id = st.publish(snap, {
                "as_of": manifest["as_of"],
                "source": manifest.get("source") or str(folder.resolve()),
                "tables": tables,
            })
        finally:
            shutil.rmtree(run, ignore_errors=True)
    log(f"published snapshot {snapshot_id} (live) in {time.monotonic() - started:.1f} s")
    return IngestResult(True, snapshot_id=snapshot_id, tables=tables)


def _reject(st: Store, folder: Path, problems: list[Problem], live: Path | None, log: Log) -> IngestResult:
    lines = [str(p) for p in problems]
    for line in lines:
        log(line)
    kept = live.name if live else "none"
    summary = (f"rejected: {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
               f"the published snapshot ({kept}) is unchanged")
    report = "\n".join([
        f"drop: {folder.resolve()}",
        f"checked at: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        "rows are 0-based positions in the file",
        summary,
        "",
        *lines,
    ]) + "\n"
    path = st.write_rejection(folder, report)
    log(summary)
    log(f"report kept in {path}")
    return IngestResult(False, problems=problems, report=path)


def cli_ingest(folder: Path, store: Path) -> int:
    """`cockpit ingest FOLDER`: 0 when published, 1 when rejected (or the store is unusable)."""
    try:
        return 0 if ingest(folder, store).ok else 1
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Disk full, permissions...: the drop was valid but could not be published. The live
        # snapshot is untouched (the pointer moves last) and the drop folder is only ever read.
        print(f"error: could not publish {folder}: {exc}; the live snapshot is unchanged", file=sys.stderr)
        return 2


def bootstrap_demo(store: Path, requests: int) -> int:
    """Publish the demo drop if the store has no live snapshot yet (used by `cockpit bootstrap`)."""
    st = Store(store)
    live = st.live_id()
    if live is not None:
        print(f"store {store} is already live ({live}); nothing to do")
        return 0
    from cockpit.demo import write_demo_drop  # lazy: heavy, and only needed here

    out = Path(store).resolve().parent / "demo-drop"
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = out.parent / f".cockpit-write-test-{id(out)}"
        probe.touch()
        probe.unlink()
    except OSError:
        tmp = tempfile.TemporaryDirectory(prefix="cockpit-demo-")
        out = Path(tmp.name) / "demo-drop"
    try:
        print(f"writing the demo drop ({requests} requests) to {out} ...", flush=True)
        written = write_demo_drop(out=out, requests=requests, seed=2026, as_of="2026-11-25")
        drop = Path(written) if isinstance(written, (str, Path)) else out
        return cli_ingest(drop, store)
    finally:
        if tmp is not None:
            tmp.cleanup()
