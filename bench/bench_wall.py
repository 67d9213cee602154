"""Display-wall figures (run by `make bench`). Not a test: nothing here passes or fails.

An accelerated soak: one wall in real Chromium rotates through hundreds of steps and refreshes
(`speed` divides every duration), and the JS heap after garbage collection is read through the
DevTools protocol after a warm-up and at the end; the growth is printed as a ratio of the
warm-up figure (target: at most +20 %). Also: the bytes of a `ping` against a full step payload,
and a step served from the shared cache against one computed cold, in the same run."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def demo_store(work: Path, requests: int) -> Path:
    from cockpit.demo import write_demo_drop
    from cockpit.ingest import cli_ingest

    store = work / "store"
    drop = write_demo_drop(work / "drop", requests=requests, seed=2026, as_of="2026-11-25")
    assert cli_ingest(drop, store) == 0
    return store


def serve(store: Path, work: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "COCKPIT_STORE": str(store), "COCKPIT_CACHE_DIR": str(work / "cache"),
           "COCKPIT_ACCOUNTS_DB": str(work / "accounts.db")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
                             "-c", "python:cockpit.web.gunicorn_conf", "app:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/wall-static/wall.css", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def fetch(url: str) -> tuple[float, int]:
    t = time.perf_counter()
    body = urllib.request.urlopen(url, timeout=120).read()
    return time.perf_counter() - t, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=None, help="a published store (default: build a demo one)")
    parser.add_argument("--requests", type=int, default=100_000, help="demo requests when building a store")
    parser.add_argument("--steps", type=int, default=200, help="rotation steps of the soak after warm-up")
    parser.add_argument("--port", type=int, default=8093)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["COCKPIT_ACCOUNTS_DB"] = str(work / "accounts.db")
        store = args.store or demo_store(work, args.requests)
        from cockpit.access import tokens
        _, token = tokens.create(work / "accounts.db", "command-centre", _top(store))
        proc = serve(store, work, args.port)
        base = f"http://127.0.0.1:{args.port}/wall/command-centre"
        try:
            cold = [fetch(f"{base}/step?token={token}&screen={i}")[0] for i in range(4)]
            cached = [fetch(f"{base}/step?token={token}&screen={i % 4}")[0] for i in range(40)]
            _, ping_bytes = fetch(f"{base}/ping?token={token}")
            _, step_bytes = fetch(f"{base}/step?token={token}&screen=0")
            print("wall step payload, cold vs shared cache (same run):")
            print(f"  cold   median {statistics.median(cold) * 1000:7.1f} ms")
            print(f"  cached median {statistics.median(cached) * 1000:7.1f} ms  "
                  f"ratio {statistics.median(cold) / statistics.median(cached):.0f}× faster")
            print(f"  new-snapshot check: ping {ping_bytes} B vs a step payload {step_bytes / 1024:.0f} KiB "
                  f"({step_bytes / max(ping_bytes, 1):.0f}× smaller)")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                cdp = page.context.new_cdp_session(page)
                page.goto(f"{base}?token={token}&speed=300")

                def heap_after(steps: int) -> tuple[float, int]:
                    page.wait_for_function(f"window.cockpitWall.state().stepsShown >= {steps}", timeout=900_000)
                    cdp.send("HeapProfiler.collectGarbage")
                    used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
                    nodes = page.evaluate("document.getElementsByTagName('*').length")
                    return used, nodes

                warm_steps = 40
                t0 = time.perf_counter()
                warm, warm_nodes = heap_after(warm_steps)
                end, end_nodes = heap_after(warm_steps + args.steps)
                state = page.evaluate("window.cockpitWall.state()")
                took = time.perf_counter() - t0
                browser.close()
            print(f"wall soak: {args.steps} rotations after a {warm_steps}-step warm-up, "
                  f"{state['refreshes']} in-place refreshes, {took:.0f} s at speed 300")
            print(f"  JS heap after GC: warm-up {warm:.1f} MiB → end {end:.1f} MiB, "
                  f"growth {100 * (end / warm - 1):+.1f}% (target ≤ +20%)")
            print(f"  DOM elements: {warm_nodes} → {end_nodes}; layers {state['layers']}, plots {state['plots']}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _top(store: Path) -> str:
    from cockpit.db import Database
    from cockpit.regions import region_index

    db = Database(store)
    return region_index(db, db.live_id()).tops[0]


if __name__ == "__main__":
    main()
