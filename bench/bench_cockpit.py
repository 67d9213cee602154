"""The benchmark of issue 8 (run: `make bench`): the cockpit against two ordinary Dash apps over
the same requests, in one invocation, one server at a time. Not a test: nothing passes or fails.

For each store size (1M and 10M demo requests by default; 100M with --huge) it prints, for the
cockpit (gunicorn, `make run`'s 2 workers × 4 threads, cache on) and both baselines
(`baseline_duckdb`, `baseline_pandas`, served the same way):

- page ready, cold and warm (median of --runs; readiness as defined in `readiness`);
- click → every output redrawn (drill-down, cross-filter, period, language; the baselines'
  county and period changes);
- callback p50/p95 per panel, uncached (result cache off) and cached;
- bytes on the wire of a cold load; PSS of the two workers; Lighthouse desktop figures;
- ingest of the whole drop (timed when the store is built) and of a one-day increment;
- the panel queries moved to the coarse rollup, timed on it and on the fine one (`rollup_switch`);

with ratios against the baselines measured in the same run. `--load` adds the load test (50
leaders clicking, 20 walls refreshing, `--load-seconds` long). `--json` prints one JSON object.
All traffic stays on loopback; every loop is bounded."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser, callbacks, lighthouse, load, rollup_switch, servers, stores  # noqa: E402

DEFAULT_WORK = ROOT / "data" / "bench"


def machine() -> dict:
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        chromium = subprocess.run([browser.CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        chromium = "missing"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "os": platform.platform(),
            "python": platform.python_version(), "chromium": chromium, "load_average": list(os.getloadavg())}


def _store_facts(snapshot: Path) -> dict:
    import duckdb

    from cockpit.snapshot import rollup_sources

    daily = rollup_sources(snapshot)["requests_daily"]  # one file, or one per month
    con = duckdb.connect()
    try:
        county = con.execute(f"""select region_code from read_parquet('{snapshot / "tables" / "regions.parquet"}')
                                 where level = 'county' order by region_code""").fetchall()
        top = con.execute(f"""select region_code from read_parquet('{snapshot / "tables" / "regions.parquet"}')
                              where parent_code is null""").fetchall()
        cat = con.execute(f"""select category from read_parquet('{daily}')
                              group by 1 order by sum(received) desc limit 1""").fetchall()
        months = con.execute(f"""select distinct strftime(day, '%Y-%m') as m
                                 from read_parquet('{daily}') order by m""").fetchall()
    finally:
        con.close()
    return {"counties": [c[0] for c in county], "top": top[0][0], "category": cat[0][0] if cat else None,
            "months": [m[0] for m in months]}


def bench_target(name: str, store: Path, snapshot: Path, work: Path, facts: dict, args, log) -> dict:
    """Every figure of one server (started, measured, stopped)."""
    from playwright.sync_api import sync_playwright

    log(f"  {name}: starting ...")
    server = servers.start(name, store, snapshot, work)
    # The 1-minute load average as the server starts: other work on the machine skews every figure.
    out: dict = {"what": servers.TARGETS[name][1], "boot_s": round(server.started_s, 1),
                 "load_average": round(os.getloadavg()[0], 1)}
    try:
        with sync_playwright() as p:
            chromium = browser.launch(p)
            try:
                log(f"  {name}: page loads ...")
                out["page"] = browser.page_loads(chromium, server.url + "/", args.runs)
                log(f"  {name}: clicks ...")
                actions = browser.cockpit_actions if name == "cockpit" else browser.baseline_actions
                out["clicks"] = browser.clicks(chromium, server.url, actions, args.runs)
            finally:
                chromium.close()
        log(f"  {name}: callbacks ...")
        if name == "cockpit":
            states = callbacks.cockpit_states(facts["counties"], facts["category"])
            panels = callbacks.page_panels("overview")
            callbacks.time_cockpit(server.url, panels, states)  # fills the result cache
            out["callbacks_cached"] = callbacks.time_cockpit(server.url, panels, states, repeat=args.repeat)
        else:
            out["callbacks_uncached"] = callbacks.time_baseline(server.url, facts["counties"], facts["months"],
                                                                repeat=args.repeat)
        out["pss_mb"] = round(servers.workers_pss_mb(server))
        if args.lighthouse:
            log(f"  {name}: lighthouse ...")
            out["lighthouse"] = lighthouse.run(server.url + "/")
        else:
            out["lighthouse"] = {"skipped": "--no-lighthouse"}
        if name == "cockpit" and args.load:
            log(f"  {name}: load test, {args.load_seconds} s ...")
            states = callbacks.cockpit_states(facts["counties"], facts["category"])
            out["load"] = load.run(server, work, states, facts["top"], args.load_seconds,
                                   leaders=args.load_leaders, walls=args.load_walls)
    finally:
        server.stop()
    if name == "cockpit":
        log("  cockpit: callbacks with the result cache off ...")
        server = servers.start(name, store, snapshot, work, cache="NullCache")
        try:
            states = callbacks.cockpit_states(facts["counties"], facts["category"])
            out["callbacks_uncached"] = callbacks.time_cockpit(server.url, callbacks.page_panels("overview"), states,
                                                               repeat=args.repeat)
        finally:
            server.stop()
    return out


def ratios(result: dict) -> dict:
    """Baseline ÷ cockpit for times, bytes and memory (> 1: the cockpit is ahead)."""
    c = result.get("cockpit")
    out: dict = {}
    if not c:
        return out
    for base in ("duckdb", "pandas"):
        b = result.get(base)
        if not b:
            continue
        r: dict = {}
        for key in ("cold_ms", "warm_ms", "cold_bytes"):
            if c["page"].get(key) and b["page"].get(key):
                r[f"page_{key}"] = round(b["page"][key] / c["page"][key], 2)
        b_click = max((v["median_ms"] for v in b["clicks"].values() if "median_ms" in v), default=None)
        c_click = max((v["median_ms"] for v in c["clicks"].values() if "median_ms" in v), default=None)
        if b_click and c_click:
            r["slowest_click"] = round(b_click / c_click, 2)
        bw = callbacks.worst(b["callbacks_uncached"]).get("p95_ms")
        for kind in ("callbacks_uncached", "callbacks_cached"):
            cw = callbacks.worst(c.get(kind, {})).get("p95_ms")
            if bw and cw:
                r[f"worst_p95_{kind.split('_')[1]}"] = round(bw / cw, 2)
        if c.get("pss_mb") and b.get("pss_mb"):
            r["pss"] = round(b["pss_mb"] / c["pss_mb"], 2)
        out[f"{base}_over_cockpit"] = r
    return out


def run_size(requests: int, args, log) -> dict:
    work = args.work
    store, ingest_full = stores.ensure_store(work, requests, log)
    snapshot = stores.live_snapshot(store)
    log(f"store {stores.label(requests)}: {store} (snapshot {snapshot.name})")
    log("  one-day increment ...")
    result: dict = {"requests": requests, "ingest": {"full": ingest_full, "increment": stores.time_increment(store, work)}}
    facts = _store_facts(snapshot)
    log("  panel SQL on the coarse rollup vs the fine one ...")
    result["rollup_switch"] = rollup_switch.run(store, facts["counties"], facts["category"])
    scratch = Path(tempfile.mkdtemp(prefix=f"run-{stores.label(requests)}-", dir=work))
    for name in args.targets:
        result[name] = bench_target(name, store, snapshot, scratch, facts, args, log)
    result["ratios"] = ratios(result)
    return result


# -- printing -------------------------------------------------------------------------------------

def _fmt(v, unit="") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        v = round(v, 1)
    return f"{v:,}{unit}"


def print_size(res: dict) -> None:
    names = [n for n in ("cockpit", "duckdb", "pandas") if n in res]
    print(f"\n=== {stores.label(res['requests'])} requests ===")
    full, inc = res["ingest"]["full"], res["ingest"]["increment"]
    print(f"ingest, whole drop: {full['seconds']} s, peak {full['peak_rss_mb']} MiB"
          f"{' (timed when the store was built)' if full.get('reused') else ''}; "
          f"one-day increment ({inc['rows']:,} rows): {inc['seconds']} s, peak {inc['peak_rss_mb']} MiB")
    row = lambda label, values: print(f"{label:44s}" + "".join(f"{v:>18s}" for v in values))  # noqa: E731
    row("", names)
    row("page ready cold, median (ms)", [_fmt(res[n]["page"]["cold_ms"]) for n in names])
    row("page ready warm, median (ms)", [_fmt(res[n]["page"]["warm_ms"]) for n in names])
    row("bytes on the wire, cold load (KiB)", [_fmt(res[n]["page"]["cold_bytes"] // 1024) for n in names])
    clicks = sorted({k for n in names for k in res[n]["clicks"]})
    for k in clicks:
        row(f"click → redrawn: {k} (ms)", [_fmt(res[n]["clicks"].get(k, {}).get("median_ms"))
                                           if "error" not in res[n]["clicks"].get(k, {}) else "error" for n in names])
    for kind in ("callbacks_uncached", "callbacks_cached"):
        w = {n: callbacks.worst(res[n].get(kind, {})) for n in names}
        row(f"worst panel p95, {kind.split('_')[1]} (ms)", [
            f"{_fmt(w[n].get('p95_ms'))} {w[n].get('panel', '')}" if w[n] else "—" for n in names])
    row("PSS of the two workers (MiB)", [_fmt(res[n]["pss_mb"]) for n in names])
    row("machine load average at start", [_fmt(res[n].get("load_average")) for n in names])
    for key, label in (("score", "Lighthouse desktop score"), ("lcp_ms", "Lighthouse LCP (ms)"),
                       ("tbt_ms", "Lighthouse TBT (ms)")):
        row(label, [_fmt(res[n]["lighthouse"].get(key)) if "skipped" not in res[n]["lighthouse"] else "skipped"
                    for n in names])
    skipped = {n: res[n]["lighthouse"]["skipped"] for n in names if "skipped" in res[n]["lighthouse"]}
    if skipped:
        print(f"  Lighthouse skipped: {next(iter(skipped.values()))}")
    for n in names:
        errors = {k: v["error"] for k, v in res[n]["clicks"].items() if "error" in v}
        if errors:
            print(f"  {n}: interactions not measured: {errors}")
    for n in names:
        for kind in ("callbacks_uncached", "callbacks_cached"):
            if kind in res[n]:
                per = ", ".join(f"{p} {v.get('p50_ms', '?')}/{v.get('p95_ms', '?')}" for p, v in res[n][kind].items())
                print(f"  {n} {kind.split('_')[1]} p50/p95 ms: {per}")
    print("  panel SQL p95, fine rollup → coarse (ms): " + ", ".join(
        f"{q} {v['fine']['p95_ms']} → {v['coarse']['p95_ms']}" for q, v in res.get("rollup_switch", {}).items()))
    for base, r in res["ratios"].items():
        print(f"  ratio {base.replace('_over_', ' ÷ ')} (>1: cockpit ahead): " + ", ".join(f"{k} {v}" for k, v in r.items()))
    ld = res.get("cockpit", {}).get("load")
    if ld:
        if "skipped" in ld:
            print(f"load test skipped: {ld['skipped']}")
        else:
            print(f"load test: {ld['leaders']} leaders + {ld['walls']} walls for {ld['seconds']} s: "
                  f"{ld.get('requests', 0):,} requests, {ld.get('errors', 0)} errors, p95 {ld.get('p95_ms')} ms; "
                  f"workers' PSS {ld['pss_start_mb']} → {ld['pss_end_mb']} MiB")


def sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().upper()
        mult = {"K": 1_000, "M": 1_000_000}.get(part[-1:], 1)
        out.append(int(float(part[:-1] if mult > 1 else part) * mult))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default=[1_000_000, 10_000_000],
                        help="request counts of the stores, e.g. 1M,10M (default) or 20k")
    parser.add_argument("--huge", action="store_true", help="add the 100M store (slow: hours to build)")
    parser.add_argument("--targets", default="cockpit,duckdb,pandas", type=lambda s: s.split(","),
                        help="servers to measure (default cockpit,duckdb,pandas)")
    parser.add_argument("--runs", type=int, default=3, help="page loads and click rounds per server (median)")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the states when timing callbacks")
    parser.add_argument("--no-lighthouse", dest="lighthouse", action="store_false")
    parser.add_argument("--load", action="store_true", help="add the load test (50 leaders, 20 walls)")
    parser.add_argument("--load-seconds", type=int, default=300, help="load test duration (default 300)")
    parser.add_argument("--load-leaders", type=int, default=50, help="leaders clicking (default 50)")
    parser.add_argument("--load-walls", type=int, default=20, help="walls refreshing (default 20)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where stores are built and kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    unknown = set(args.targets) - set(servers.TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; expected some of {sorted(servers.TARGETS)}")
    if args.huge:
        args.sizes = [*args.sizes, 100_000_000]
    args.work.mkdir(parents=True, exist_ok=True)
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else (lambda m: print(m, flush=True))
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "settings": {"workers": servers.WORKERS, "threads": servers.THREADS, "runs": args.runs},
              "sizes": []}
    for n in args.sizes:
        res = run_size(n, args, log)
        report["sizes"].append(res)
        if not args.json:
            print_size(res)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (args.work / "last-run.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
