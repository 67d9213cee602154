"""Engine and shared-cache figures (run by `make bench-engines`). Not a test: nothing here passes or fails.

For each store size (default 1M and 10M demo requests) and each engine (DuckDB in process, Spark
through a local Spark Connect server, local[2]): the latency of a set of panels computed cold, and
served through a shared Redis cache by another "replica" (a second `ResultCache` on the same
redis-server). Then the cache hit rate when many walls (several per region) ask for their panels
at once. Ratios are against DuckDB cold in the same run, never against remembered numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PANELS = ["kpi_requests", "category_bar", "map_requests", "volume_trend", "ranking_streets",
                  "sankey_requests", "stage_durations", "early_warning"]


def build_store(work: Path, requests: int, drops: Path | None = None, stores: Path | None = None) -> Path:
    """The store of `requests` demo requests: reused from `stores` when one is published there
    (`store-1M`, ...), else ingested from the demo drop in `drops` (`drop-1M`, ..., as written by
    `cockpit demo --requests N --seed 2026`, as_of 2026-11-25; the drop is read, never changed),
    else from a drop written here and removed afterwards."""
    from cockpit.demo import write_demo_drop
    from cockpit.ingest import cli_ingest

    from bench.stores import AS_OF, SEED, label

    name = label(requests)
    store = (stores or work) / f"store-{name}"
    if (store / "CURRENT").is_file():
        print(f"reusing the store {store}")
        return store
    given = drops / f"drop-{name}" if drops is not None else None
    if given is not None and (given / "manifest.json").is_file():
        print(f"ingesting the existing drop {given}")
        assert cli_ingest(given, store) == 0
        return store
    drop = write_demo_drop(work / f"drop-{name}", requests=requests, seed=SEED, as_of=AS_OF)
    assert cli_ingest(drop, store) == 0
    shutil.rmtree(drop, ignore_errors=True)
    return store


def start_redis(work: Path, port: int) -> subprocess.Popen:
    import redis

    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("redis-server did not start")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cache(url: str):
    """A `ResultCache` on the shared Redis, as a replica's app builds it (signed, no pickles)."""
    from flask import Flask

    from cockpit.query import ResultCache
    from cockpit.settings import Settings

    cache = ResultCache()
    cache.init_app(Flask("bench"), Settings(cache_type="RedisCache", redis_url=url, secret_key="bench"))
    return cache


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--panels", nargs="+", default=DEFAULT_PANELS)
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument("--walls", type=int, default=40, help="walls asking at once in the hit-rate run")
    parser.add_argument("--regions", type=int, default=4, help="distinct regions those walls show")
    parser.add_argument("--spark-driver-memory", default="2g", help="heap of the local Spark Connect server")
    parser.add_argument("--drops", type=Path, help="a folder with demo drops drop-1M, drop-10M, ... to ingest "
                        "instead of writing new ones")
    parser.add_argument("--stores", type=Path, help="a folder to keep the stores in (store-1M, ...) and reuse "
                        "them from on the next run")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per panel and engine (the median is "
                        "printed), after one warm-up")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cockpit-bench-engines-"))
    redis_port = free_port()
    redis_proc = start_redis(work, redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    spark_proc = None
    try:
        if "spark" in args.engines:
            from cockpit.engines import spark_server

            spark_port = free_port()
            t = time.perf_counter()
            spark_proc = spark_server.start(spark_port, work / "spark.log", args.spark_driver_memory)
            os.environ["COCKPIT_SPARK_REMOTE"] = f"sc://127.0.0.1:{spark_port}"
            print(f"Spark Connect server up in {time.perf_counter() - t:.1f} s (local[2])")
        for n in args.requests:
            run_size(work, n, args, redis_url)
    finally:
        if spark_proc is not None:
            from cockpit.engines import spark_server

            spark_server.stop(spark_proc)
        redis_proc.terminate()
        redis_proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def run_size(work: Path, n: int, args, redis_url: str) -> None:
    import redis

    from cockpit.db import Database
    from cockpit.filters import FilterState, resolve
    from cockpit.query import run_sql
    from cockpit.settings import get_settings
    from cockpit.specs.loader import load_catalog

    t = time.perf_counter()
    store = build_store(work, n, args.drops, args.stores)
    print(f"\n== {n:,} requests (ingest {time.perf_counter() - t:.0f} s)")
    os.environ["COCKPIT_STORE"] = str(store)
    os.environ["COCKPIT_QUERY_TIMEOUT_S"] = "600"
    get_settings.cache_clear()
    db = Database(store)
    catalog = load_catalog(ROOT / "layouts")
    ctx = resolve(FilterState(), db, None).ctx
    panels = [p for p in args.panels if p in catalog.panels]
    client = redis.Redis.from_url(redis_url)
    print(f"{'panel':<18}{'engine':<8}{'cold s':>9}{'× duck':>8}{'shared s':>10}{'× cold':>8}")
    for engine in args.engines:
        os.environ["COCKPIT_ENGINE"] = engine
        get_settings.cache_clear()
        for pid in panels:
            sql = catalog.panels[pid].spec.sql
            run_sql(sql, ctx, db=db, engine=engine)  # warm the engine's session and file metadata
            cold = statistics.median(timed(lambda: run_sql(sql, ctx, db=db, engine=engine)) for _ in range(args.repeat))
            client.flushdb()
            redis_cache(redis_url).query(sql, ctx, db)  # replica A computes and stores
            other = redis_cache(redis_url)  # replica B: its own process state, the same Redis
            shared = statistics.median(timed(lambda: other.query(sql, ctx, db)) for _ in range(args.repeat))
            base = BASE.setdefault((n, pid), cold) if engine == "duckdb" else BASE.get((n, pid))
            ratio = f"{cold / base:>7.1f}×" if base else f"{'–':>8}"
            print(f"{pid:<18}{engine:<8}{cold:>9.3f}{ratio}{shared:>10.4f}{shared / cold:>7.3f}×")
            FIGURES[(n, pid, engine)] = (cold, shared)
    print_markdown(n, panels, args.engines, args.repeat)
    hit_rate(db, catalog, panels, args, redis_url, client)


FIGURES: dict[tuple[int, str, str], tuple[float, float]] = {}


def print_markdown(n: int, panels: list[str], engines: list[str], repeat: int = 3) -> None:
    """The same figures as the table of docs/deployment.md (one row per panel)."""
    load = os.getloadavg()[0]
    print(f"\n{n:,} requests, load average {load:.1f} (median of {repeat} after one warm-up):\n")
    cols = [f"{e} {k}" for e in engines for k in ("cold", "via Redis")]
    print("| requests | panel | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for pid in panels:
        cells = []
        for e in engines:
            cold, shared = FIGURES[(n, pid, e)]
            base = FIGURES.get((n, pid, "duckdb"), (None,))[0]
            ratio = f" ({cold / base:.0f}×)" if e != "duckdb" and base else ""
            cells += [f"{cold:.2f} s{ratio}", f"{shared:.3f} s"]
        print(f"| {n / 1e6:g}M | {pid} | " + " | ".join(cells) + " |")


BASE: dict[tuple[int, str], float] = {}


def hit_rate(db, catalog, panels, args, redis_url, client) -> None:
    """Many walls at once: each shows one of a few regions and asks for every panel of its step."""
    from cockpit.filters import FilterState, resolve
    from cockpit.regions import region_index

    os.environ["COCKPIT_ENGINE"] = "duckdb"
    from cockpit.settings import get_settings

    get_settings.cache_clear()
    snapshot = db.live_id()
    index = region_index(db, snapshot)
    root = resolve(FilterState(), db, None).ctx.region
    regions = [root, *index.children.get(root, [])][: args.regions]
    contexts = [resolve(FilterState(region=r), db, None).ctx for r in regions]
    client.flushdb()
    client.config_resetstat()
    caches = [redis_cache(redis_url) for _ in range(4)]  # four replicas

    def wall(i: int) -> None:
        ctx = contexts[i % len(contexts)]
        cache = caches[i % len(caches)]
        for pid in panels:
            cache.query(catalog.panels[pid].spec.sql, ctx, db)

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(wall, range(args.walls)))
    elapsed = time.perf_counter() - t
    commands = client.info("commandstats")
    computed = sum(commands.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("set", "setex"))
    asked = args.walls * len(panels)
    print(f"{args.walls} walls × {len(panels)} panels over {len(contexts)} regions, 4 replicas: {asked} panel queries, "
          f"{computed} computed (each stored once), hit rate {1 - computed / asked:.0%} "
          f"(best possible {1 - len(contexts) * len(panels) / asked:.0%}), {elapsed:.1f} s")


if __name__ == "__main__":
    main()
