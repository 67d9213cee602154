"""Helpers of the real-Chromium tests: waiting on conditions (every panel has its stamp or its
error, no callback in flight), reading panel states, choosing in dropdowns, clicking map regions."""

from __future__ import annotations

import os
import re
import time
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cockpit.specs.loader import LABELS_FILE
from conftest import ROOT, save_screenshot as _save_screenshot

AS_OF = "2026-11-25"
STAMP = f"数据截至 {AS_OF}"
PAGES = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "layouts").glob("*.toml"))
         if p.name != LABELS_FILE}
PANELS = {p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
          for p in sorted((ROOT / "layouts" / "panels").glob("*.toml"))}

# Counts Dash callback requests in flight (the renderer uses fetch), so waits can require quiet.
TRACK_JS = """
(() => {
  window.__cockpitPending = 0;
  window.__cockpitNetAt = performance.now();
  const orig = window.fetch;
  window.fetch = function (...args) {
    const url = String((args[0] && args[0].url) || args[0]);
    if (!url.includes('_dash-update-component')) return orig.apply(this, args);
    window.__cockpitPending++;
    window.__cockpitNetAt = performance.now();
    return orig.apply(this, args).finally(() => {
      window.__cockpitPending--;
      window.__cockpitNetAt = performance.now();
    });
  };
})();
"""

# True when no callback is pending and every panel shows its result (or its error card).
SETTLED_JS = """
(quiet) => {
  if (window.__cockpitPending !== 0 || performance.now() - window.__cockpitNetAt < quiet) return false;
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  const panels = [...document.querySelectorAll('section.panel')];
  if (!panels.length) return false;
  return panels.every(s => {
    const err = s.querySelector('.panel-error');
    if (err && err.textContent.trim()) return true;
    const stamp = s.querySelector('.panel-stamp');
    if (!stamp || !stamp.textContent.trim()) return false;
    const gd = s.querySelector('.js-plotly-plot');
    if (gd) return !!gd.querySelector('.main-svg');  // the stamp comes in the same response as the figure
    const body = s.querySelector('.panel-body');
    return !!body && body.children.length > 0;
  });
}
"""

PANEL_STATE_JS = """
() => [...document.querySelectorAll('section.panel')].map(s => ({
  id: s.id,
  kind: [...s.classList].find(c => c.startsWith('kind-')),
  title: (s.querySelector('.panel-title') || {}).textContent,
  // the "as of" line without the note on filters the panel does not follow (`unfiltered`)
  stamp: (() => { const st = s.querySelector('.panel-stamp'); if (!st) return '';
                  const c = st.cloneNode(true); c.querySelectorAll('.panel-unfiltered').forEach(e => e.remove());
                  return c.textContent; })(),
  unfiltered: ((s.querySelector('.panel-stamp .panel-unfiltered') || {}).textContent || ''),
  error: ((s.querySelector('.panel-error') || {}).textContent || '').trim(),
  meta: (s.querySelector('.panel-sql-meta') || {}).textContent || '',
  traces: (s.querySelector('.js-plotly-plot') || {}).data ? s.querySelector('.js-plotly-plot').data.length : null,
  body: s.querySelector('.panel-body') ? s.querySelector('.panel-body').children.length : null,
  text: s.innerText.slice(0, 200),
}))
"""

# A point well inside region `code` on a choropleth panel, in page coordinates (or null). Plotly
# hit-tests geo clicks itself, so a click must land inside the polygon, not at its bbox centre.
REGION_POINT_JS = """
([panel, code]) => {
  const gd = document.querySelector(`#panel-${panel} .js-plotly-plot`);
  const paths = [...gd.querySelectorAll('.choroplethlayer path')].filter(p => p.__data__ && p.__data__.loc === code);
  if (!paths.length) return null;
  const path = paths[0];
  const box = path.getBBox(), ctm = path.getScreenCTM();
  const N = 20, step = Math.min(box.width, box.height) / N;
  const dirs = [[1,0],[-1,0],[0,1],[0,-1],[1,1],[1,-1],[-1,1],[-1,-1]];
  const inside = (x, y) => path.isPointInFill(new DOMPoint(x, y));
  let best = null, bestR = 0;
  for (let i = 1; i < N; i++) for (let j = 1; j < N; j++) {
    const x = box.x + box.width * i / N, y = box.y + box.height * j / N;
    if (!inside(x, y)) continue;
    const s = new DOMPoint(x, y).matrixTransform(ctm);
    const el = document.elementFromPoint(s.x, s.y);
    if (!el || !gd.contains(el) || el.closest('.colorbar, .infolayer, .modebar')) continue;
    let r = 1;
    while (r < N && dirs.every(([dx, dy]) => inside(x + dx * r * step, y + dy * r * step))) r++;
    if (r > bestR) { bestR = r; best = [s.x, s.y]; }
  }
  return best;
}
"""


# -- helpers ------------------------------------------------------------------------------------

def track(pg) -> None:
    """Count callback requests and record console errors (once per page)."""
    if not getattr(pg, "_cockpit_tracked", False):
        pg.add_init_script(TRACK_JS)
        pg.on("console", lambda m: pg.problems.append(f"console error: {m.text}") if m.type == "error" else None)
        pg._cockpit_tracked = True


def open_page(pg, url: str) -> None:
    track(pg)
    pg.goto(url)
    settle(pg)


def settle(pg, timeout: float = 60_000, quiet: int = 300) -> None:
    """Wait until every panel has rendered and no callback is in flight."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        pg.wait_for_function(SETTLED_JS, arg=quiet, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"page did not settle: {pg.url}\n{panel_states(pg)}\nproblems: {pg.problems}")


def panel_states(pg) -> list[dict]:
    return pg.evaluate(PANEL_STATE_JS)


def params(pg) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(pg.url).query).items()}


def wait_param(pg, key: str, value: str | None, timeout: float = 30_000) -> None:
    """Wait until the URL's `key` is `value` (None: absent)."""
    pg.wait_for_function("([k, v]) => new URLSearchParams(location.search).get(k) === v", arg=[key, value],
                         timeout=timeout)


def assert_healthy(pg, stamp: str = STAMP, content: bool = True) -> list[dict]:
    """Every panel rendered, no error card, every stamp as expected, no recorded problem; with
    `content`, every figure has a trace and every component a body (a small region may have
    nothing to show in some panels, e.g. no reform apps)."""
    states = panel_states(pg)
    assert states, "no panel on the page"
    errors = {s["id"]: s["error"] for s in states if s["error"]}
    assert not errors, f"panels failed: {errors}"
    stamps = {s["id"]: s["stamp"] for s in states if s["stamp"].strip() != stamp}
    assert not stamps, f"stamps differ from {stamp!r}: {stamps}"
    if content:
        empty = [s["id"] for s in states if not (s["traces"] or s["body"])]
        assert not empty, f"panels without content: {empty}"
    assert pg.problems == [], pg.problems
    return states


def choose(pg, control: str, label: str, search: str | None = None) -> None:
    """Pick the option labelled `label` in a Dash 4 dropdown (`control` is its class selector)."""
    pg.locator(control).click()
    content = pg.locator(".dash-dropdown-content")
    content.wait_for()
    if search is not None:
        content.locator("input.dash-dropdown-search").fill(search)
    content.locator(".dash-dropdown-option", has_text=re.compile(f"^\\s*{re.escape(label)}\\s*$")).click()


def wait_map(pg, codes: set[str], selected: str | None = None, panel: str = "map_requests") -> None:
    """Wait until the map's value trace shows exactly `codes` (and outlines `selected`)."""
    pg.wait_for_function(
        """([panel, codes, selected]) => {
          const gd = document.querySelector(`#panel-${panel} .js-plotly-plot`);
          if (!gd || !gd.data || gd.data.length < 2) return false;
          const locs = [...gd.data[1].locations].sort();
          if (JSON.stringify(locs) !== JSON.stringify(codes)) return false;
          if (selected === null) return gd.data.length === 2;
          return gd.data.length === 3 && gd.data[2].locations[0] === selected;
        }""", arg=[panel, sorted(codes), selected], timeout=30_000)


def click_region(pg, code: str, panel: str = "map_requests") -> None:
    # the map's geometry is a file plotly fetches after the figure arrives: wait until it is drawn
    try:
        point = pg.wait_for_function(REGION_POINT_JS, arg=[panel, code], timeout=30_000).json_value()
    except Exception:  # noqa: BLE001  (a timeout, or no map yet): said by the assert below
        point = None
    assert point, f"region {code} is not drawn on {panel} (or has no clickable interior)"
    x, y = point
    pg.mouse.move(x - 3, y)
    pg.mouse.move(x, y)
    pg.mouse.click(x, y)


def crumbs(pg) -> tuple[list[str], str]:
    return pg.locator(".breadcrumb .crumb").all_inner_texts(), pg.locator(".breadcrumb .crumb.current").inner_text()


def kpi_text(pg, panel: str = "kpi_requests") -> str:
    return pg.locator(f"#panel-{panel} .js-plotly-plot").text_content()


def save_screenshot(pg, name: str) -> Path:
    """A screenshot once plotly's transitions (the Sankey animates on update) have finished."""
    pg.wait_for_timeout(800)
    return _save_screenshot(pg, name)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def open_new_page(pg, url: str, panel: str, timeout_s: float = 15) -> None:
    """Open a page just declared in the dev server's layouts: the server rescans them at most every
    0.5 s, so a first visit may still say "page not found"; visit again until the panel is there."""
    deadline = time.monotonic() + timeout_s
    track(pg)
    while True:
        pg.goto(url)
        pg.wait_for_selector(f"section#panel-{panel}, .notice", timeout=30_000)
        if pg.locator(f"section#panel-{panel}").count():
            settle(pg)
            return
        assert time.monotonic() < deadline, f"{url} never appeared: {pg.locator('.notice').inner_text()}"


def panel_names(page_spec: dict) -> list[str]:
    """Panel ids of a page in grid order (as the page renders them)."""
    names: list[str] = []
    for row in page_spec["page"]["areas"]:
        for name in row.split():
            if name != "." and name not in names:
                names.append(name)
    return names


def children(regions: dict[str, dict], code: str) -> set[str]:
    return {c for c, r in regions.items() if r["parent_code"] == code}
