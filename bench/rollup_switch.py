"""Before and after the coarse rollup, in one run: every panel query that reads
`requests_street_days` (the day × street rollup, falling back to the fine one under a
cross-filter) timed against the same SQL reading `requests_daily_scoped` (the fine rollup, as
the panels did before), through the query layer with no result cache, over the same states."""

from __future__ import annotations

import statistics
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COARSE, FINE = "requests_street_days", "requests_daily_scoped"


def switched_queries() -> dict[str, str]:
    """{panel[.query]: SQL} of every shipped panel query reading the coarse relation."""
    out = {}
    for path in sorted((ROOT / "layouts" / "panels").glob("*.toml")):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        for name, sql in {"sql": spec.get("sql", ""), **spec.get("queries", {})}.items():
            if COARSE in sql:
                out[path.stem if name == "sql" else f"{path.stem}.{name}"] = sql
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(store: Path, counties: list[str], category: str | None, repeat: int = 3) -> dict:
    """{query: {"coarse": {p50_ms, p95_ms}, "fine": {...}, "speedup": fine p95 ÷ coarse p95}}."""
    from cockpit.db import Database
    from cockpit.filters import FilterState, resolve
    from cockpit.query import run_sql

    db = Database(store)
    states = [FilterState(), FilterState(period="2026-09"), *(FilterState(region=c) for c in counties[:2])]
    if category:
        states.append(FilterState(filters={"category": category}))
    contexts = [resolve(s, db, None).ctx for s in states]
    out = {}
    for name, sql in switched_queries().items():
        timings = {}
        for label, text in (("coarse", sql), ("fine", sql.replace(COARSE, FINE))):
            run_sql(text, contexts[0], db=db)  # plan and file metadata once, like a warm worker
            ms = []
            for _ in range(repeat):
                for ctx in contexts:
                    t0 = time.perf_counter()
                    run_sql(text, ctx, db=db)
                    ms.append((time.perf_counter() - t0) * 1000)
            timings[label] = {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(_p95(ms), 1)}
        timings["speedup_p95"] = round(timings["fine"]["p95_ms"] / max(timings["coarse"]["p95_ms"], 0.01), 1)
        out[name] = timings
    return out
