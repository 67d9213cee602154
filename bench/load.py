"""The load test of `make bench --load`: locust (pinned, headless, bounded in time) against a
running cockpit on loopback, with the workers' memory (PSS) before and after."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

try:
    from bench import callbacks, servers
except ImportError:  # pragma: no cover
    import callbacks
    import servers

HERE = Path(__file__).resolve().parent


def _wall_token(accounts_db: Path, region: str) -> str:
    from cockpit.access import tokens

    _, token = tokens.create(accounts_db, "command-centre", region, label="bench load")
    return token


def run(server, work: Path, states: list[str], region: str, seconds: int, leaders: int = 50,
        walls: int = 20) -> dict:
    """Run the load for `seconds`; returns errors, request counts, p95 (ms) and PSS start/end."""
    locust = Path(sys.executable).with_name("locust")
    if not locust.exists():
        return {"skipped": "locust is not installed (pip install -e '.[bench]')"}
    # A click asks for what the browser asks for: the overview's two batched panel callbacks.
    bodies = [callbacks.page_bodies(s) for s in states]
    bodies_file = work / "load-bodies.json"
    bodies_file.write_text(json.dumps(bodies))
    token = _wall_token(work / "accounts.db", region)
    prefix = work / "load"
    env = {**os.environ, "BENCH_LOAD_BODIES": str(bodies_file), "BENCH_LOAD_LEADERS": str(leaders),
           "BENCH_LOAD_WALLS": str(walls), "BENCH_LOAD_WALL": f"/wall/command-centre?token={token}"}
    users = leaders + walls
    pss_start = servers.workers_pss_mb(server)
    t0 = time.perf_counter()
    done = subprocess.run([str(locust), "-f", str(HERE / "locustfile.py"), "--headless", "--host", server.url,
                           "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s",
                           "--stop-timeout", "10", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=seconds + 120)
    took = time.perf_counter() - t0
    pss_end = servers.workers_pss_mb(server)
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.is_file():
        return {"skipped": f"locust wrote no stats ({done.returncode}): {done.stderr.strip()[-300:]}"}
    rows = {r["Name"]: r for r in csv.DictReader(stats_file.open(encoding="utf-8"))}

    def figures(row) -> dict:
        return {"requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"])}

    total = rows.get("Aggregated")
    return {"seconds": round(took), "leaders": leaders, "walls": walls,
            **(figures(total) if total else {}),
            "by_request": {name: figures(r) for name, r in rows.items() if name != "Aggregated"},
            "pss_start_mb": round(pss_start), "pss_end_mb": round(pss_end)}
