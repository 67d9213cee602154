"""Server-side callback latency per panel over HTTP, one client at a time (p50 and p95 in ms).

The cockpit's panels are asked with the callback bodies of `cockpit.web.wire` (exactly what the
renderer posts), over a fixed list of page states (periods, a drill-down, a cross-filter); the
baselines' six callbacks with the same county × period pairs they offer. "Uncached" runs against a
server whose result cache is off (NullCache); "cached" repeats states a cache-on server has seen."""

from __future__ import annotations

import json
import statistics
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPDATE_PATH = "/_dash-update-component"


def page_panels(page: str = "overview") -> list[str]:
    """The panels of a layout page in grid order (from layouts/<page>.toml)."""
    spec = tomllib.loads((ROOT / "layouts" / f"{page}.toml").read_text(encoding="utf-8"))
    names: list[str] = []
    for row in spec["page"]["areas"]:
        for name in row.split():
            if name != "." and name not in names:
                names.append(name)
    return names


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(ms: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 0.95), 1), "n": len(ms)}


def post(url: str, body: dict, timeout: float = 120) -> tuple[float, int, int]:
    """(ms, status, bytes) of one dispatcher POST."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(url + UPDATE_PATH, data=data, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            size = len(resp.read())
            status = resp.status
    except urllib.error.HTTPError as err:
        size, status = len(err.read()), err.code
    return (time.perf_counter() - t0) * 1000, status, size


def cockpit_states(regions: list[str], category: str | None) -> list[str]:
    """URL searches of the states timed: periods, drill-downs, a cross-filter (all server-valid)."""
    states = ["", "?period=2026-10", "?period=2026-09", "?cmp=yoy"]
    states += [f"?region={r}" for r in regions[:3]]
    if category:
        states.append("?f_category=" + urllib.request.quote(category))
    return states


def cockpit_body(panel: str, search: str) -> dict:
    """The body of a panel's callback: the figure or the component one, as its kind outputs."""
    from cockpit.visuals.registry import get_visual
    from cockpit.web import wire

    spec = tomllib.loads((ROOT / "layouts" / "panels" / f"{panel}.toml").read_text(encoding="utf-8"))
    if get_visual(spec["kind"]).output == "figure":
        return wire.graph_request(panel, search)
    return wire.component_request(panel, search)


def page_bodies(search: str, page: str = "overview") -> list[dict]:
    """What the browser posts for a page state: the two batched callbacks (figures, component
    bodies), each listing every such panel of the page."""
    from cockpit.visuals.registry import get_visual
    from cockpit.web import wire

    spec = tomllib.loads((ROOT / "layouts" / f"{page}.toml").read_text(encoding="utf-8"))
    outputs: dict[str, list[str]] = {"figure": [], "component": []}
    for panel in page_panels(page):
        kind = tomllib.loads((ROOT / "layouts" / "panels" / f"{panel}.toml").read_text(encoding="utf-8"))["kind"]
        outputs[get_visual(kind).output].append(panel)
    return [wire.batch_request(out, panels, search, pathname=spec.get("path", "/"))
            for out, panels in outputs.items() if panels]


def time_cockpit(url: str, panels: list[str], states: list[str], repeat: int = 1) -> dict:
    """{panel: p50/p95} over `states` (each asked `repeat` times), plus the errors seen."""
    out: dict = {}
    for panel in panels:
        body = cockpit_body(panel, states[0])
        ms, errors = [], 0
        for _ in range(repeat):
            for search in states:
                took, status, _ = post(url, _with_search(body, search))
                ms.append(took)
                errors += status != 200
        out[panel] = {**summary(ms), "errors": errors}
    return out


def _with_search(body: dict, search: str) -> dict:
    """The same callback body for another URL search (the `search` input's value replaced)."""
    copy = json.loads(json.dumps(body))
    for dep in copy["inputs"]:
        if isinstance(dep, dict) and dep.get("property") == "search":  # (lists: ALL dependencies)
            dep["value"] = search
    return copy


def baseline_body(output: str, prop: str, county: str | None, period: str) -> dict:
    return {"output": f"{output}.{prop}", "outputs": {"id": output, "property": prop},
            "inputs": [{"id": "county", "property": "value", "value": county},
                       {"id": "period", "property": "value", "value": period}],
            "changedPropIds": ["period.value"], "state": []}


BASELINE_OUTPUTS = {"count": "children", "closure": "children", "by_area": "figure", "daily": "figure",
                    "by_channel": "figure", "overdue": "data"}


def time_baseline(url: str, counties: list[str], periods: list[str], repeat: int = 1) -> dict:
    pairs = [(c, p) for c in [None, *counties[:3]] for p in periods[-2:]]
    out = {}
    for output, prop in BASELINE_OUTPUTS.items():
        ms, errors = [], 0
        for _ in range(repeat):
            for county, period in pairs:
                took, status, _ = post(url, baseline_body(output, prop, county, period))
                ms.append(took)
                errors += status != 200
        out[output] = {**summary(ms), "errors": errors}
    return out


def worst(per_panel: dict, key: str = "p95_ms") -> dict:
    """The panel with the highest `key`: {"panel", key}."""
    rows = [(v[key], k) for k, v in per_panel.items() if key in v]
    if not rows:
        return {}
    value, name = max(rows)
    return {"panel": name, key: value}
