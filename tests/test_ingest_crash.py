"""An ingest killed (SIGKILL) at any publication step leaves the store on exactly the old or the
new snapshot, never a mix, and the next ingest cleans up and works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import drops
from cockpit.ingest import ingest
from cockpit.store import PAUSE_ENV, PAUSE_STEPS, Store

OLD = {"departments": 3, "requests": 12}
NEW = {"departments": 4, "requests": 20}


def _read_counts(snap: Path) -> dict[str, int]:
    """Row counts read back from the files themselves (not from the manifest)."""
    counts = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in (snap / "tables").glob("*.parquet")}
    counts["requests"] = sum(pq.ParquetFile(p).metadata.num_rows
                             for p in (snap / "requests").glob("month=*/data.parquet"))
    return counts


def _live_state(store: Path) -> dict[str, int]:
    """Resolve CURRENT like a reader, check the snapshot is self-consistent, return its counts."""
    st = Store(store)
    snap = st.live_dir()
    assert snap is not None
    manifest = json.loads((snap / "manifest.json").read_text())
    counts = _read_counts(snap)
    for name, entry in manifest["tables"].items():
        if entry["kind"] != "rollup":
            assert counts[name] == entry["rows"], name
        else:
            files = [snap / "rollups" / f"{name}.parquet"]
            if not files[0].is_file():  # a rollup kept one file per month
                files = sorted((snap / "rollups" / name).glob("*.parquet"))
            assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == entry["rows"]
    return {k: counts[k] for k in OLD}


def _new_drop(folder: Path) -> Path:
    deps = pa.concat_tables([drops.departments(), pa.table({"dept_code": ["D04"], "name": ["新部门"],
                                                             "region_code": ["330102"]})])
    rows = [drops.request_row(f"N{i}", datetime(2026, 11, 21) + timedelta(hours=i)) for i in range(8)]
    return drops.write_drop(folder, as_of="2026-11-26", only=(), departments=deps,
                            requests=drops.requests_table(rows))


def _run_until(step: str, folder: Path, store: Path) -> subprocess.Popen:
    env = dict(os.environ, **{PAUSE_ENV: step})
    proc = subprocess.Popen([sys.executable, "-m", "cockpit.cli", "ingest", str(folder), "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.strip() == f"PAUSED AT {step}":
                break
        else:
            pytest.fail("ingest ended without reaching " + step + ":\n" + "".join(seen))
    finally:
        watchdog.cancel()
    return proc


@pytest.mark.parametrize("step", PAUSE_STEPS)
def test_kill_during_publication(step: str, tmp_path: Path):
    store = tmp_path / "store"
    res = ingest(drops.write_drop(tmp_path / "d0"), store, log=lambda s: None)
    assert res.ok
    old_id = res.snapshot_id
    assert _live_state(store) == OLD

    proc = _run_until(step, _new_drop(tmp_path / "d1"), store)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()

    state = _live_state(store)
    live = Store(store).live_id()
    if step == "after-pointer-replaced":
        assert live == "00002_2026-11-26" and state == NEW
    else:
        assert live == old_id and state == OLD
    assert (store / "CURRENT").read_text().strip() == live

    # the next ingest cleans the leftovers and publishes
    res = ingest(drops.write_drop(tmp_path / "d2", as_of="2026-11-27", only=(),
                                  requests=drops.requests_table([drops.request_row("Z1", datetime(2026, 11, 27, 8))])),
                 store, log=lambda s: None)
    assert res.ok, [str(p) for p in res.problems]
    st = Store(store)
    assert not (store / "CURRENT.tmp").exists()
    assert [p.name for p in (store / "staging").iterdir()] == [".lock"]
    ids = [s.id for s in st.list_snapshots()]
    if step == "after-pointer-replaced":
        assert ids == [old_id, "00002_2026-11-26", "00003_2026-11-27"]
        assert _live_state(store) == {"departments": 4, "requests": 21}
    else:
        assert ids == [old_id, "00002_2026-11-27"]  # the unpublished snapshot is gone
        assert _live_state(store) == {"departments": 3, "requests": 13}
