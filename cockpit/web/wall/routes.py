"""HTTP routes of the display walls (plain Flask, no Dash renderer on the screen).

`/wall/<name>?token=…` answers the wall's page; its script then asks `plan`, `step` and `ping`
with the same token. Every route verifies the token on every request (a revoked token stops a
running wall at its next check) and binds the data to the token's region on the server."""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import json
import logging
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, request

from cockpit.access import tokens
from cockpit.web import bundles
from cockpit.web.geo_assets import allowed as geo_allowed, geojson_response
from cockpit.web.views import Views
from cockpit.web.wall.payload import cached_step_json
from cockpit.web.wall.plan import build_plan, grid_json

log = logging.getLogger("cockpit.wall")
STATIC = Path(__file__).with_name("static")
# plotly.min.js: the partial bundle unless COCKPIT_PLOTLY_BUNDLE=full (set in register_wall_routes).
_FILES = {"wall.js": STATIC / "wall.js", "wall.css": STATIC / "wall.css", "plotly.min.js": bundles.FULL}
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

STRINGS = {
    "zh": {"unauthorised": "显示屏未授权", "unauthorised_note": "请向管理员申请显示令牌（cockpit tokens create）",
           "as_of": "数据截至", "demo": "演示数据", "offline": "离线", "offline_note": "显示的是离线前的数据",
           "stale": "数据更新于", "loading": "正在加载…", "no_steps": "此显示屏暂无可显示的内容"},
    "en": {"unauthorised": "Display not authorised", "unauthorised_note": "Ask an administrator for a display "
           "token (cockpit tokens create)", "as_of": "As of", "demo": "Demo data", "offline": "Offline",
           "offline_note": "showing the data from before the connection was lost", "stale": "stale since",
           "loading": "Loading…", "no_steps": "Nothing to show on this display yet"},
}


@lru_cache(maxsize=8)
def _static(name: str) -> tuple[bytes, bytes, str]:
    """(plain, gzip, version) of a static file, compressed once per process."""
    data = _FILES[name].read_bytes()
    return data, gzip.compress(data, 6, mtime=0), hashlib.sha256(data).hexdigest()[:12]


def _no_store(resp: Response) -> Response:
    # The token is in the URL: keep these responses out of caches and out of Referer headers.
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _json(data, status: int = 200) -> Response:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _no_store(Response(body, status=status, mimetype="application/json"))


def _page(title: str, lang: str, boot: dict | None, notice: str | None = None) -> str:
    js, css, plotly_js = (f"/wall-static/{n}?v={_static(n)[2]}" for n in ("wall.js", "wall.css", "plotly.min.js"))
    s = STRINGS[lang]
    if notice is not None:
        body = (f'<div class="wall-notice" role="alert"><h1>{html.escape(s["unauthorised"])}</h1>'
                f'<p>{html.escape(s["unauthorised_note"])}</p></div>')
        scripts = ""
    else:
        boot_json = json.dumps(boot, ensure_ascii=False).replace("<", "\\u003c")
        body = '<div id="wall-root"></div>'
        scripts = (f'<script type="application/json" id="wall-boot">{boot_json}</script>'
                   '<script src="/assets/00_plotly_geo_offline.js"></script>'
                   f'<script src="{plotly_js}"></script><script src="{js}"></script>')
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="{css}"></head><body class="wall-body">{body}{scripts}</body></html>')


def _retry_page() -> str:
    """What a wall shows while its page cannot be built (e.g. the store is being repaired): a calm
    notice that tries again by itself."""
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">'
            '<title>治理驾驶舱</title><style>html,body{margin:0;height:100%;background:#06101f;color:#8ea3c0;'
            'font-family:"Noto Sans CJK SC",sans-serif;cursor:none}div{height:100%;display:flex;align-items:center;'
            'justify-content:center;font-size:4vmin}</style></head><body><div>正在连接数据服务… Connecting…</div>'
            '</body></html>')


def register_wall_routes(server: Flask, views: Views) -> None:
    """Attach the wall routes to the app's Flask server."""
    bp = Blueprint("walls", __name__)
    _FILES["plotly.min.js"] = bundles.plotly_file(views.settings.plotly_bundle)
    _static.cache_clear()

    def authorised(name: str):
        wall = views.holder.get().walls.get(name)
        token = tokens.verify(views.settings.accounts_db, request.args.get("token"), name) if wall else None
        return (wall, token) if token is not None else (None, None)

    def with_token(route):
        """The route gets the wall and the token, or the client gets a 403 (JSON) and no data."""
        @functools.wraps(route)
        def guarded(name: str):
            wall, token = authorised(name)
            if wall is None:
                return _json({"error": "not_authorised"}, 403)
            return route(wall, token)
        return guarded

    def plan_for(wall, token):
        catalog = views.holder.get()
        snapshot = views.db.live_id()
        key = ("wall-plan", snapshot, views.holder.version, wall.id, token.region)
        if key not in views.db.memo:
            views.db.memo[key] = build_plan(views, catalog, wall, token.region)
        return views.db.memo[key]

    @bp.get("/wall/<name>")
    def wall_page(name: str):
        try:
            wall, token = authorised(name)
            if wall is None:
                return _no_store(Response(_page("治理驾驶舱", "zh", None, notice="unauthorised"), status=403))
            lang = wall.lang
            live = views.db.live_id()
            boot = {"name": wall.id, "title": wall.title.get(lang), "lang": lang, "strings": STRINGS[lang],
                    "check_seconds": wall.check_seconds, "refresh_seconds": wall.refresh_seconds,
                    "reload_at": wall.reload_at, "demo": bool(live and views.is_demo(live))}
            return _no_store(Response(_page(wall.title.get(lang), lang, boot), mimetype="text/html"))
        except Exception:  # noqa: BLE001 - a screen must never show an error page
            log.exception("wall page %s failed", name)
            return _no_store(Response(_retry_page(), status=503, mimetype="text/html"))

    @bp.get("/wall/<name>/plan")
    @with_token
    def wall_plan(wall, token):
        try:
            plan = plan_for(wall, token)
        except LookupError as exc:  # no snapshot yet, or the token's region is not in it
            return _json({"error": "no_data", "message": str(exc)}, 503)
        live = views.db.live_id()
        return _json({"snapshot": live, "as_of": views.db.attach(live).as_of.isoformat(),
                      "demo": views.is_demo(live),
                      "steps": [{"screen": s.screen, "value": s.value, "seconds": s.seconds, "title": s.title}
                                for s in plan.steps],
                      "grids": [{shape: grid_json(g) for shape, g in grids.items()} for grids in plan.grids],
                      "titles": plan.titles})

    @bp.get("/wall/<name>/step")
    @with_token
    def wall_step(wall, token):
        try:
            plan = plan_for(wall, token)
            screen = int(request.args.get("screen", ""))
        except LookupError as exc:
            return _json({"error": "no_data", "message": str(exc)}, 503)
        except ValueError:
            return _json({"error": "bad_request", "message": "screen must be a number"}, 400)
        value = request.args.get("value") or None
        if plan.step(screen, value) is None:
            return _json({"error": "bad_request", "message": "no such step on this wall"}, 400)
        return _json(cached_step_json(views, wall, token.region, plan, screen, value))

    @bp.get("/wall/<name>/ping")
    @with_token
    def wall_ping(wall, token):
        return _json({"snapshot": views.db.live_id()})

    @bp.get("/wall/<name>/geo/<snapshot>/<parent>.geojson")
    def wall_geo(name: str, snapshot: str, parent: str):
        # The maps of a step name their geometry by URL (cockpit.geo.children_url); the wall's
        # script asks for it here with its token, once per level (plotly keeps what it fetched).
        wall, token = authorised(name)
        if wall is None:
            return _json({"error": "not_authorised"}, 403)
        if not geo_allowed(views.db, token.region, snapshot, parent):
            return _json({"error": "not_found"}, 404)
        resp = geojson_response(views.db, snapshot, parent, cache_control="no-store")
        resp.headers["Referrer-Policy"] = "no-referrer"
        return resp

    @bp.get("/wall-static/<name>")
    def wall_static(name: str):
        if name not in _FILES:
            abort(404)
        plain, packed, _ = _static(name)
        gz = "gzip" in request.headers.get("Accept-Encoding", "")
        resp = Response(packed if gz else plain, mimetype=_TYPES[Path(name).suffix].split(";")[0])
        resp.headers["Content-Type"] = _TYPES[Path(name).suffix]
        if gz:
            resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
        # The page asks for ?v=<content hash>: a changed file is a new URL, so caching forever is safe.
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return resp

    server.register_blueprint(bp)
