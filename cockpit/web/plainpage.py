"""Plain server-rendered pages (case lists, lineage, data quality): the shared frame and helpers.

These pages run no Dash renderer: one GET is one page, so they work from a link, print, and need
no script. Every data value is escaped where it enters the HTML (`esc`); the page state comes
from the same URL keys as the cockpit's pages and is resolved by `Views.resolve`, so the
viewer's jurisdiction applies on the server exactly as for the figures.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from cockpit.filters import Resolved
from cockpit.web.views import Views

#: URL keys of the page state (everything else in a plain page's URL is its own).
STATE_KEYS = ("region", "period", "cmp", "snap", "lang", "street", "w")

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:0;background:#f4f6fa;color:#1d2733}
header.topbar{background:#12355b;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header.topbar h1{font-size:20px;margin:0}
header.topbar a{color:#cfe0ff}
main{padding:16px 20px;max-width:1880px}
.meta{color:#4a5a6a;font-size:14px;margin:4px 0 12px}
.meta span{margin-right:14px;white-space:nowrap}
.chips span{display:inline-block;background:#e3ecfa;border-radius:12px;padding:2px 10px;margin:0 6px 6px 0;font-size:13px}
form.search{display:flex;gap:8px;margin:8px 0;flex-wrap:wrap}
form.search input[type=search]{padding:6px 8px;min-width:240px;font-size:14px}
button,.button{background:#2f6fde;color:#fff;border:0;border-radius:4px;padding:6px 12px;font-size:14px;text-decoration:none}
.table-wrap{overflow-x:auto;background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #e6eaf0;text-align:left;white-space:nowrap}
th a{color:#12355b;text-decoration:none}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.flag td{background:#fff4f2}
.yes{color:#c62828;font-weight:600}
.counted{color:#1f6f43;font-weight:600}
nav.pager{margin:10px 0;display:flex;gap:10px;align-items:center}
nav.sides{display:flex;gap:8px;margin:4px 0 8px}
.button.secondary{background:#e3ecfa;color:#12355b}
.meta strong{margin-right:14px}
section.card{background:#fff;border-radius:6px;padding:12px 16px;margin:0 0 14px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
section.card h2{font-size:16px;margin:0 0 8px}
pre{white-space:pre-wrap;background:#f0f2f5;padding:8px;font-size:12px;overflow-x:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dt{color:#4a5a6a}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.muted{color:#7a8794}
@media (max-width:600px){main{padding:10px}header.topbar{padding:10px}th,td{padding:5px 6px}
 form.search input[type=search]{min-width:0;flex:1}}
"""


def esc(value: Any) -> str:
    """Any value as escaped HTML text (None: empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def state_query(args, **overrides: Any) -> str:
    """The query string of the page state in `args` (cross-filters included), with overrides;
    a None override drops the key."""
    items: dict[str, str] = {}
    for key, value in args.items():
        if (key in STATE_KEYS or key.startswith("f_")) and isinstance(value, str) and len(value) <= 200:
            items[key] = value
    for key, value in overrides.items():
        if value is None:
            items.pop(key, None)
        else:
            items[key] = str(value)
    return urlencode(items)


def page_path(views: Views, args) -> str | None:
    """The cockpit page the viewer came from (`page=` in the URL), if it is one of the catalog's."""
    path = args.get("page")
    if not isinstance(path, str):
        return None
    return path if any(p.path == path for p in views.holder.get().pages) else None


def resolve_request(views: Views) -> tuple[Resolved, str | None]:
    """The trusted state of this request (viewer's jurisdiction applied) and the page it is for."""
    page = page_path(views, request.args)
    return views.resolve("?" + state_query(request.args), pathname=page), page


def period_label(res: Resolved) -> str:
    start, end = res.ctx.period_start, res.ctx.period_end - timedelta(days=1)
    return f"{start.isoformat()} – {end.isoformat()}"


def region_label(res: Resolved, lang: str, code: str | None = None) -> str:
    region = res.regions.get(code or res.ctx.region)
    return region.label(lang) if region else (code or res.ctx.region)


def document(title: str, lang: str, body: str, status: int = 200) -> Response:
    """A whole page: the frame, the inline style and `body` (already escaped HTML)."""
    text = (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")
    resp = Response(text, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def message_page(title: str, text: str, lang: str, status: int) -> Response:
    return document(title, lang, f'<header class="topbar"><h1>{esc(title)}</h1></header>'
                                 f'<main><p>{esc(text)}</p></main>', status)
