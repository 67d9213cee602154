"""Build a new snapshot in staging: core and extra tables, tables carried over, requests, rollups.

- each core or extra table in the drop → tables/<name>.parquet (core tables cast to the
  canonical schema of the contract; regions keep their GeoParquet metadata; extras copied);
- tables absent from the drop → carried over from the live snapshot (hardlinked);
- requests → merged into the live ones (`cockpit.ingest.merge`);
- rollups (`cockpit.ingest.rollups.build_rollups`) over a provisional manifest, then the
  data-quality flags (`cockpit.ingest.quality`), which compare the drop with the live snapshot.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cockpit.contract import CONTRACTS, LOGICAL_TYPES, TableContract
from cockpit.ingest.merge import Log, merge_requests, parquet_rows
from cockpit.ingest.quality import ROLLUP as QUALITY_ROLLUP, build_quality_flags
from cockpit.ingest.rollups import build_rollups
from cockpit.ingest.validate import scan_drop
from cockpit.store import Store, link_or_copy


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
                col.pop("covering", None)  # its bbox column is not stored (see validate.geometry)
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


def build_snapshot(folder: Path, store: Store, snap: Path, work: Path, manifest: dict, log: Log) -> dict:
    """Fill the staging snapshot directory from `folder`, the validated copy of the drop in the
    same staging run (never the provider's folder); returns the manifest's "tables"."""
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
        link_or_copy(path, dst)  # the staged copy of the drop: nobody else writes it
        tables[name] = {"rows": parquet_rows(dst), "kind": "extra"}
        log(f"  {name}: {tables[name]['rows']} rows (extra table)")
    if live:
        for path in sorted((live / "tables").glob("*.parquet")):
            if path.stem not in tables:
                link_or_copy(path, snap / "tables" / path.name)
                kind = live_tables.get(path.stem, {}).get("kind") or ("core" if path.stem in CONTRACTS else "extra")
                tables[path.stem] = {"rows": parquet_rows(path), "kind": kind}
                log(f"  {path.stem}: {tables[path.stem]['rows']} rows (kept from {live.name})")
    t0 = time.monotonic()
    stats = merge_requests(files.core.get("requests"), live, snap / "requests", work, log)
    merge_s = time.monotonic() - t0
    if stats["rows"] or "requests" in files.core or (live and "requests" in live_tables):
        tables["requests"] = {"rows": stats["rows"], "kind": "core"}
        log(f"  requests: {stats['rows']} rows in {stats['months_rewritten'] + stats['months_linked']} months "
            f"({stats['months_rewritten']} written, {stats['months_linked']} kept"
            + (f", {stats['stale']} older versions ignored" if stats["stale"] else "") + f") in {merge_s:.1f} s")
    # A provisional manifest, so builders can read the snapshot's as_of like in a published
    # snapshot (Store.publish rewrites it with the id, parent and the rollups).
    (snap / "manifest.json").write_text(json.dumps(
        {"as_of": manifest["as_of"], "tables": tables}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log("  building rollups ...")
    t0 = time.monotonic()
    for name, rows in build_rollups(snap, parent=live, changed_days=stats["days"], log=log).items():
        tables[name] = {"rows": rows, "kind": "rollup"}
    t1 = time.monotonic()
    rows = build_quality_flags(snap, files.core.get("requests"), live)
    tables[QUALITY_ROLLUP] = {"rows": rows, "kind": "rollup"}
    log(f"  {QUALITY_ROLLUP}: {rows} rows (data-quality flags per region, {time.monotonic() - t1:.1f} s)")
    log(f"  rollups built in {time.monotonic() - t0:.1f} s")
    return dict(sorted(tables.items(), key=lambda kv: (["core", "extra", "rollup"].index(kv[1]["kind"]), kv[0])))
