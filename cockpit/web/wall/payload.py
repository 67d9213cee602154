"""The data of one wall step: every panel of the screen's grids rendered in its wall variant.

One JSON document per (snapshot, wall, region, step, language), cached in the shared result cache:
every wall of one wall file and region costs one query per panel and snapshot, however many
screens show it. A failing panel is reported by itself (the wall keeps its last good figure)."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import uuid
from functools import lru_cache
from pathlib import Path

from plotly.utils import PlotlyJSONEncoder

from cockpit.query import results
from cockpit.specs.walls import WallSpec
from cockpit.visuals.registry import visuals
from cockpit.web.views import Views
from cockpit.web.wall.markup import NotForWalls, to_html
from cockpit.web.wall.plan import Plan, wall_resolve

log = logging.getLogger("cockpit.wall")


def _panel(views: Views, pid: str, res) -> dict:
    """One panel in its kind's wall variant, as JSON-ready data."""
    out = views.render(views.holder.get().panels[pid], res, wall=True).value
    if isinstance(out, dict) and "data" in out:
        return {"figure": out}
    return {"html": to_html(out)}


def step_payload(views: Views, wall: WallSpec, region: str, plan: Plan, screen: int, value: str | None) -> dict:
    """Every panel of step (screen, value), each {"figure"} / {"html"} / {"error"}."""
    spec = wall.screens[screen]
    res = wall_resolve(views, wall, region, spec, value)
    lang = wall.lang
    names: list[str] = []
    for grid in plan.grids[screen].values():
        names += [n for n in grid.names() if n not in names]
    panels: dict[str, dict] = {}
    for pid in names:
        try:
            panels[pid] = _panel(views, pid, res)
        except NotForWalls as exc:
            panels[pid] = {"error": str(exc)}
        except Exception:  # noqa: BLE001 - one panel failing must not take the screen down
            ref = uuid.uuid4().hex[:8]
            log.exception("wall panel %s failed (ref %s)", pid, ref)
            panels[pid] = {"error": ("面板暂时无法显示，参考号 " if lang == "zh" else "Panel unavailable, ref ") + ref}
    return {"snapshot": res.ctx.snapshot, "as_of": res.ctx.as_of.isoformat(), "screen": screen, "value": value,
            "panels": panels}


def cached_step_json(views: Views, wall: WallSpec, region: str, plan: Plan, screen: int, value: str | None) -> str:
    """`step_payload` as JSON through the shared cache. Only complete payloads are cached: one with
    a failed panel is computed again next time, so a transient failure does not stick."""
    snapshot = views.db.live_id() or ""
    info = views.db.attach(snapshot) if snapshot else None
    identity = json.dumps([str(views.db.store), snapshot, info.created_at if info else "", wall.model_dump_json(),
                           region, screen, value, _declarations(views, wall, region, plan, screen),
                           _code_version()],
                          ensure_ascii=False)
    key = "wall:" + hashlib.sha256(identity.encode()).hexdigest()
    cache = results.cache
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    payload = step_payload(views, wall, region, plan, screen, value)
    text = json.dumps(payload, cls=PlotlyJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    if cache is not None and not any("error" in p for p in payload["panels"].values()):
        cache.set(key, text)
    return text


@lru_cache(maxsize=1)
def _code_version() -> str:
    """A digest of the code that renders walls (every visual kind and this package), so a new
    release never serves payloads rendered by the old one from a shared cache."""
    files = [inspect.getfile(v.render) for v in visuals().values()]
    files += sorted(str(p) for p in Path(__file__).parent.glob("*.py"))
    digest = hashlib.sha256()
    for name in sorted(set(files)):
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def _declarations(views: Views, wall: WallSpec, region: str, plan: Plan, screen: int) -> str:
    """A digest of every declaration the step's rendering depends on (its grids and panels), so a
    dev-mode edit is a new key while every worker and replica computes the same key."""
    catalog = views.holder.get()
    memo = ("wall-declarations", views.holder.version, wall.id, region, screen)
    if memo not in views.db.memo:
        parts = [json.dumps({k: g.model_dump() for k, g in plan.grids[screen].items()}, sort_keys=True)]
        for grid in plan.grids[screen].values():
            parts += [catalog.panels[n].spec.model_dump_json() for n in grid.names() if n in catalog.panels]
        views.db.memo[memo] = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return views.db.memo[memo]
