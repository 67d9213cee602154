"""Benchmarks that print figures (run: `make bench`). Not a test: nothing here passes or fails.

Each figure is a ratio against a baseline measured in the same run, so it means the same on any
machine: map value updates by Patch vs the full figure; cached vs uncached panel queries; and a
real gunicorn under concurrent callback load vs one client at a time, with the workers' memory
before and after. All traffic stays on the loopback interface; loops are bounded."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cockpit.web import wire

ROOT = Path(__file__).resolve().parent.parent


def graph_body(panel: str, search: str, figkey=None) -> bytes:
    return json.dumps(wire.graph_request(panel, search, figkey=figkey)).encode()


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def in_process(store: Path) -> None:
    from cockpit.db import Database
    from cockpit.settings import Settings
    from cockpit.web.app import create_app

    client = create_app(Settings(store=store, cache_type="NullCache"), Database(store)).server.test_client()

    def post(body):
        resp = client.post(wire.UPDATE_PATH, data=body, content_type="application/json")
        assert resp.status_code == 200
        return resp

    first = post(graph_body("map_requests", "")).get_json()["response"]
    key = first['{"panel":"map_requests","type":"figkey"}']["data"]
    full = timed(lambda: post(graph_body("map_requests", "?period=2026-10")), 15)
    patch = timed(lambda: post(graph_body("map_requests", "?period=2026-10", key)), 15)
    size_full = len(post(graph_body("map_requests", "?period=2026-10")).data)
    size_patch = len(post(graph_body("map_requests", "?period=2026-10", key)).data)
    print(f"map update, full figure : median {statistics.median(full) * 1000:7.1f} ms, {size_full / 1024:7.1f} KiB")
    print(f"map update, Patch       : median {statistics.median(patch) * 1000:7.1f} ms, {size_patch / 1024:7.1f} KiB")
    print(f"  Patch vs full: {statistics.median(full) / statistics.median(patch):.1f}× faster, "
          f"{size_full / size_patch:.0f}× smaller")


def serve(store: Path, cache: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = 8390
    env = {**os.environ, "COCKPIT_STORE": str(store), "COCKPIT_CACHE_TYPE": cache,
           "COCKPIT_CACHE_DIR": tempfile.mkdtemp(prefix="bench-cache-")}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--threads", "4", "app:server"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def rss_mb(proc: subprocess.Popen) -> float:
    import psutil

    parent = psutil.Process(proc.pid)
    return sum(p.memory_info().rss for p in parent.children(recursive=True)) / 2**20


def load(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    def one(body: bytes) -> float:
        t = time.perf_counter()
        req = urllib.request.Request(url + "/_dash-update-component", data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=60).read()
        return time.perf_counter() - t

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, bodies))
    return len(bodies) / (time.perf_counter() - start), latencies


def over_http(store: Path, requests: int) -> None:
    panels = ["kpi_requests", "kpi_closure", "map_requests", "flow_overview", "ledger_runway_stage"]
    periods = ["", "?period=2026-10", "?period=2026-09", "?region=330100", "?region=330200"]
    bodies = [graph_body(p, s) for s in periods for p in panels]
    bodies = (bodies * (requests // len(bodies) + 1))[:requests]
    for cache in ("NullCache", "FileSystemCache"):
        proc, url = serve(store, cache, workers=2)
        try:
            load(url, bodies[:10], 1)  # warm up both workers' connections
            before = rss_mb(proc)
            rate1, lat1 = load(url, bodies, 1)
            rate8, lat8 = load(url, bodies, 8)
            after = rss_mb(proc)
        finally:
            proc.terminate()
            proc.wait(10)
        p95 = lambda xs: sorted(xs)[int(0.95 * (len(xs) - 1))] * 1000  # noqa: E731
        print(f"gunicorn 2 workers, {cache:15s}: 1 client {rate1:6.1f} req/s (p95 {p95(lat1):6.1f} ms); "
              f"8 clients {rate8:6.1f} req/s (p95 {p95(lat8):6.1f} ms); "
              f"8 vs 1 = {rate8 / rate1:.2f}×; worker RSS {before:.0f} → {after:.0f} MiB")


def main() -> None:
    os.environ.setdefault("COCKPIT_AUTH", "off")  # the benchmark measures serving, not logins
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=None, help="a published store (default: build a demo one)")
    parser.add_argument("--requests", type=int, default=200, help="callback requests per load run")
    args = parser.parse_args()
    store = args.store
    if store is None:
        from cockpit.demo import write_demo_drop
        from cockpit.ingest import cli_ingest

        tmp = Path(tempfile.mkdtemp(prefix="bench-"))
        drop = write_demo_drop(tmp / "drop", requests=300_000, seed=2026, as_of="2026-11-25")
        store = tmp / "store"
        assert cli_ingest(drop, store) == 0
    print(f"store: {store}")
    in_process(store)
    over_http(store, args.requests)


if __name__ == "__main__":
    main()
