"""The request stores the benchmark runs on: demo drops of 1M / 10M (/ 100M) requests, published
with `cockpit ingest` and kept between runs under the work folder, plus the ingest figures (the
full drop, timed when the store is built, and a one-day increment, timed on every run on a
hard-linked copy of the store, so the kept store never changes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

AS_OF = "2026-11-25"
SEED = 2026


def label(n: int) -> str:
    """1000000 -> '1M', 20000 -> '20k'."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def peak_rss_mb(usage) -> float:
    return usage.ru_maxrss / 1024  # Linux reports KiB


def _run_ingest(drop: Path, store: Path, log: Path) -> dict:
    """`cockpit ingest` in its own process, timed, with its peak memory (RSS of the process)."""
    cockpit = Path(sys.executable).with_name("cockpit")
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(cockpit), "ingest", str(drop), "--store", str(store)],
                                # no cache warm-up after it: a background process of its own that
                                # would compete with the timings that follow
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "COCKPIT_WARM_S": "0"})
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"cockpit ingest {drop} failed ({code}); see {log}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_rss_mb(usage))}


def ensure_store(work: Path, requests: int, log=print) -> tuple[Path, dict]:
    """The store with `requests` demo requests (built if missing) and its recorded ingest figures."""
    name = label(requests)
    drop, store = work / f"drop-{name}", work / f"store-{name}"
    record = store / "bench-ingest.json"
    if record.is_file() and (store / "CURRENT").is_file():
        return store, {**json.loads(record.read_text()), "reused": True}
    if not (drop / "manifest.json").is_file():
        from cockpit.demo import write_demo_drop

        log(f"writing the demo drop of {name} requests (once; kept in {drop}) ...")
        t0 = time.perf_counter()
        write_demo_drop(drop, requests=requests, seed=SEED, as_of=AS_OF)
        log(f"  written in {time.perf_counter() - t0:.0f} s")
    if store.exists():
        shutil.rmtree(store)
    log(f"ingesting {name} requests into {store} ...")
    figures = _run_ingest(drop, store, work / f"ingest-{name}.log")
    figures["requests"] = requests
    record.write_text(json.dumps(figures))
    return store, {**figures, "reused": False}


def live_snapshot(store: Path) -> Path:
    return store / "snapshots" / (store / "CURRENT").read_text().strip()


def write_increment(snapshot: Path, out: Path) -> int:
    """A drop with one day of new requests: the as_of day's requests again, one day later, under
    new ids (every time shifted by a day), and a manifest for the next day. Returns its rows."""
    import duckdb

    as_of = dt.date.fromisoformat(json.loads((snapshot / "manifest.json").read_text())["as_of"])
    day = dt.datetime.combine(as_of, dt.time())
    out.mkdir(parents=True, exist_ok=True)
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in sorted((snapshot / "requests").glob("month=*/data.parquet")))
    times = ("received_at", "relayed_at", "dispatched_at", "handled_at", "closed_at", "due_at", "updated_at")
    con = duckdb.connect()
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet([{files}], hive_partitioning = false)").fetchall()]
        select = ", ".join(f"{c} + INTERVAL 1 DAY AS {c}" if c in times else
                           ("request_id || '-next' AS request_id" if c == "request_id" else c) for c in cols)
        target = str(out / "requests.parquet").replace("'", "''")
        con.execute(f"""COPY (SELECT {select} FROM read_parquet([{files}], hive_partitioning = false)
                        WHERE received_at >= $start AND received_at < $end)
                        TO '{target}' (FORMAT parquet)""", {"start": day, "end": day + dt.timedelta(days=1)})
        rows = con.execute(f"SELECT count(*) FROM '{target}'").fetchall()[0][0]
    finally:
        con.close()
    (out / "manifest.json").write_text(json.dumps({"as_of": (as_of + dt.timedelta(days=1)).isoformat()}))
    return rows


def time_increment(store: Path, work: Path) -> dict:
    """Ingest a one-day increment into a hard-linked copy of `store` (snapshots are immutable, so
    sharing their files is safe; the copy gets its own CURRENT). Returns its figures."""
    scratch = work / "increment"
    if scratch.exists():
        shutil.rmtree(scratch)
    copy = scratch / "store"
    shutil.copytree(store, copy, copy_function=os.link)
    (copy / "CURRENT").unlink()
    shutil.copy2(store / "CURRENT", copy / "CURRENT")  # replaced by the ingest, never the original
    rows = write_increment(live_snapshot(store), scratch / "drop")
    figures = _run_ingest(scratch / "drop", copy, work / "ingest-increment.log")
    shutil.rmtree(scratch)
    return {**figures, "rows": rows}
