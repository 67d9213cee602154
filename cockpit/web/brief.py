"""The one-click briefing (汇报材料): a PDF of a page with its title, region, period, "as of", and
every panel with its key number and its figure as shown, made with Debian's Chromium (Playwright).

- `/brief/<page>` is the briefing as HTML (key numbers from the panels' own queries, for the
  viewer's jurisdiction); each panel has an empty image slot.
- `/brief/<page>.pdf` (the link in the top bar) has Chromium open the page with the viewer's own
  cookies, photograph each panel, fill the slots and print to PDF. One briefing at a time per
  process (another request gets 429), each step under a timeout.
- `cockpit brief --page P --region CODE --out FILE` does the same from the command line against
  the store, serving the app on a loopback port of its own for the time it takes.

The key number of a panel is its kind's `key_number` hook (`cockpit.visuals.keynumbers`: a KPI's
value with unit and change, a chart's total or leader, a table's top row and row count), in the
viewer's language; a kind without one gets the first value and the number of rows.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import threading
from typing import Any

import pandas as pd
from flask import Blueprint, Flask, Response, request

from cockpit.query import QueryError
from cockpit.visuals.base import PanelContext, localized
from cockpit.visuals.registry import get_visual
from cockpit.web.plainpage import document, esc, message_page, period_label, region_label, state_query
from cockpit.web.views import Views

log = logging.getLogger("cockpit.brief")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 60_000
_busy = threading.Lock()

STRINGS = {
    "zh": {"brief": "汇报材料", "region": "区域", "period": "统计期", "as_of": "数据截至", "snapshot": "数据快照",
           "panel": "面板", "key": "关键数字", "rows": "行", "busy": "正在生成另一份汇报材料，请稍后再试",
           "not_found": "页面不存在", "failed": "汇报材料生成失败", "no_data": "无数据", "top": "居首"},
    "en": {"brief": "Briefing", "region": "Region", "period": "Period", "as_of": "As of", "snapshot": "Snapshot",
           "panel": "Panel", "key": "Key number", "rows": "rows", "busy": "Another briefing is being made; try again shortly",
           "not_found": "Page not found", "failed": "The briefing could not be made", "no_data": "no data",
           "top": "top"},
}


_D3 = re.compile(r"^(,)?(?:\.(\d+))?([f%d])$")


def _number(value: Any, fmt: Any = None) -> str:
    """A value as the panel shows it: its d3 format (the common `,.Nf`, `.N%`, `d` forms) and suffix."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    spec = getattr(fmt, "d3", None)
    m = _D3.match(spec) if isinstance(spec, str) else None
    value = value * getattr(fmt, "scale", 1.0)
    if m is None:
        text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    else:
        comma, digits, kind = m.group(1) or "", int(m.group(2) or 0), m.group(3)
        if kind == "%":
            text = f"{value * 100:{comma}.{digits}f}%"
        elif kind == "d":
            text = f"{round(value):{comma}d}"
        else:
            text = f"{value:{comma}.{digits}f}"
    return text + (getattr(fmt, "suffix", "") or "")


def key_number(df, options, lang: str, name_of=None) -> str:
    """The key number of a panel's result (see module docs)."""
    s = STRINGS[lang]
    if df is None or df.empty:
        return s["no_data"]
    column = getattr(options, "value", None)
    if column is None:
        y = getattr(options, "y", None)
        column = y[0] if isinstance(y, list) and y else y
    if not isinstance(column, str) or column not in df.columns:
        numeric = [c for c in df.columns if str(df[c].dtype).startswith(("int", "float", "Int", "Float"))]
        column = numeric[0] if numeric else None
    rows = f"{len(df):,} {s['rows']}"
    if column is None:
        return rows
    fmt = getattr(options, "format", None)
    first = df.iloc[0]
    value = first[column].item() if hasattr(first[column], "item") else first[column]
    if len(df) == 1:
        return _number(value, fmt)
    labels = [c for c in df.columns if c != column and not pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_datetime64_any_dtype(df[c])]
    shown = first[labels[0]] if labels else None
    if name_of is not None and isinstance(shown, str):
        shown = name_of(shown)  # a region code reads as its name
    label = f"{shown}: " if labels else ""
    return f"{s['top']} {label}{_number(value, fmt)} · {rows}"


def panel_key_number(views: Views, panel, res) -> str:
    """A panel's key number for a resolved state, through its kind's `key_number` hook."""
    lang = res.ctx.lang
    df, frames = views.data(panel, res)
    options = localized(panel.options, lang)
    hook = get_visual(panel.spec.kind).key_number
    if hook is None:
        return key_number(df, options, lang,
                          lambda code: res.regions.get(code).label(lang) if res.regions.get(code) else code)
    rctx = views.render_context(panel, res)
    rctx.frames = frames
    rctx.panel = PanelContext(panel_id=panel.spec.id, res=res, query=views.panel_context(panel, res), db=views.db)
    return hook(df, options, rctx)


def brief_html(views: Views, res, page, lang: str) -> str:
    """The briefing of `page` for a resolved state, as escaped HTML with one image slot per panel."""
    s = STRINGS[lang]
    catalog = views.holder.get()
    rows = []
    for pid in page.page.names():
        panel = catalog.panels.get(pid)
        if panel is None:
            continue
        try:
            key = panel_key_number(views, panel, res)
        except (QueryError, LookupError) as exc:
            views.error_card(exc, lang)
            key = "—"
        rows.append((pid, panel.spec.title.get(lang), key))
    table = "".join(f"<tr><td>{esc(title)}</td><td class=\"num\" data-key=\"{esc(pid)}\">{esc(key)}</td></tr>"
                    for pid, title, key in rows)
    figures = "".join(f'<figure class="brief-fig"><figcaption>{esc(title)} — {esc(key)}</figcaption>'
                      f'<img alt="" data-panel="{esc(pid)}"></figure>' for pid, title, key in rows)
    title = f"{page.title.get(lang)} · {s['brief']}"
    return (f'<style>@page{{size:A4 landscape;margin:12mm}} .brief-fig{{break-inside:avoid;margin:0 0 10mm}}'
            f' .brief-fig img{{max-width:100%;max-height:150mm;border:1px solid #dde3ea}}'
            f' figcaption{{font-weight:600;margin:0 0 4px}} img:not([src]){{display:none}}</style>'
            f'<header class="topbar"><h1 id="brief-title">{esc(title)}</h1></header><main>'
            f'<section class="card"><dl><dt>{esc(s["region"])}</dt><dd id="brief-region">{esc(region_label(res, lang))}</dd>'
            f'<dt>{esc(s["period"])}</dt><dd>{esc(period_label(res))}</dd>'
            f'<dt>{esc(s["as_of"])}</dt><dd id="brief-as-of">{esc(res.ctx.as_of.isoformat())}</dd>'
            f'<dt>{esc(s["snapshot"])}</dt><dd>{esc(res.ctx.snapshot)}</dd></dl></section>'
            f'<section class="card"><table id="brief-keys"><thead><tr><th>{esc(s["panel"])}</th><th>{esc(s["key"])}</th>'
            f'</tr></thead><tbody>{table}</tbody></table></section>{figures}</main>')


def make_pdf(base_url: str, page_path: str, query: str, cookies: list[dict] | None = None,
             chromium: str | None = None) -> bytes:
    """Open the page in Chromium, photograph each panel, fill the briefing's slots, print it.

    Runs in a thread of its own: Playwright's sync API refuses a thread that already runs an
    event loop (a caller's own Playwright session, an async server)."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["pdf"] = _make_pdf(base_url, page_path, query, cookies, chromium)
        except BaseException as exc:  # handed to the caller's thread
            out["error"] = exc

    thread = threading.Thread(target=work, name="cockpit-brief", daemon=True)
    thread.start()
    thread.join(timeout=4 * TIMEOUT_MS / 1000)
    if thread.is_alive():
        raise TimeoutError("the briefing took too long")
    if "error" in out:
        raise out["error"]
    return out["pdf"]


def _make_pdf(base_url: str, page_path: str, query: str, cookies: list[dict] | None,
              chromium: str | None) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        from cockpit.settings import get_settings

        browser = p.chromium.launch(executable_path=chromium or get_settings().chromium, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
            if cookies:
                ctx.add_cookies(cookies)
            pg = ctx.new_page()
            pg.set_default_timeout(TIMEOUT_MS)
            pg.goto(f"{base_url}{page_path}?{query}")
            pg.wait_for_function(
                "() => { const s = [...document.querySelectorAll('section.panel')];"
                " return s.length > 0 && s.every(p => (p.querySelector('.panel-stamp') || {}).textContent"
                " || ((p.querySelector('.panel-error') || {}).textContent || '').trim()); }")
            pg.wait_for_timeout(800)  # let the last figures finish drawing
            shots = {}
            for section in pg.locator("section.panel").all():
                pid = (section.get_attribute("id") or "").removeprefix("panel-")
                shots[pid] = "data:image/png;base64," + base64.b64encode(section.screenshot()).decode()
            page_id = page_path.strip("/") or "index"
            pg.goto(f"{base_url}/brief/{page_id}?{query}&page={page_path}")
            pg.evaluate("(shots) => document.querySelectorAll('img[data-panel]').forEach(i => {"
                        " if (shots[i.dataset.panel]) i.src = shots[i.dataset.panel]; })", shots)
            pg.wait_for_function("() => [...document.images].every(i => !i.src || i.complete)")
            return pg.pdf(format="A4", landscape=True, print_background=True)
        finally:
            browser.close()


def _page_by_id(views: Views, page_id: str):
    catalog = views.holder.get()
    if page_id == "index":
        return next((p for p in catalog.pages if p.path == "/"), None)
    return next((p for p in catalog.pages if p.id == page_id or p.path == "/" + page_id), None)


def register_brief_routes(server: Flask, views: Views) -> None:
    """Attach `/brief/<page>` and `/brief/<page>.pdf` to the app's Flask server."""
    bp = Blueprint("brief", __name__)

    def prepared(page_id: str):
        """(page, resolved state), or the response that says why not (401, 404)."""
        page = _page_by_id(views, page_id)
        try:
            res = views.resolve("?" + state_query(request.args), pathname=page.path if page else None)
        except LookupError as exc:
            return None, Response(str(exc), status=401)
        if page is None:
            lang = res.ctx.lang
            return None, message_page(STRINGS[lang]["not_found"], STRINGS[lang]["not_found"], lang, 404)
        return (page, res), None

    @bp.get("/brief/<page_id>")
    def brief_page(page_id: str):
        got, failure = prepared(page_id)
        if failure is not None:
            return failure
        page, res = got
        lang = res.ctx.lang
        return document(f"{page.title.get(lang)} · {STRINGS[lang]['brief']}", lang, brief_html(views, res, page, lang))

    @bp.get("/brief/<page_id>.pdf")
    def brief_pdf(page_id: str):
        got, failure = prepared(page_id)
        if failure is not None:
            return failure
        page, res = got
        lang = res.ctx.lang
        s = STRINGS[lang]
        if not _busy.acquire(timeout=1):
            return message_page(s["busy"], s["busy"], lang, 429)
        try:
            host = request.host.split(":")[0]
            cookies = [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in request.cookies.items()]
            base = (views.settings.brief_base_url or request.host_url).rstrip("/")
            pdf = make_pdf(base, page.path, state_query(request.args), cookies, views.settings.chromium)
        except Exception:  # Chromium missing, a timeout ...: a clear page, the details in the log
            log.exception("briefing of %s failed", page.id)
            return message_page(s["failed"], s["failed"], lang, 503)
        finally:
            _busy.release()
        name = f"{page.id}_{res.ctx.region}_{res.ctx.period_start:%Y-%m}_brief.pdf"
        resp = Response(pdf, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Cache-Control"] = "no-store"
        return resp

    server.register_blueprint(bp)
