"""Build the Dash app: pages from layout files, generic callbacks, result cache, offline assets."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from urllib.parse import urlsplit

from dash import Dash
from flask import has_request_context, request
from plotly.io.json import to_json_plotly
from werkzeug.middleware.proxy_fix import ProxyFix

from cockpit.db import Database
from cockpit.filters import parse_query
from cockpit.query import results
from cockpit.settings import PROJECT_ROOT, Settings
from cockpit.web.auth import init_auth
from cockpit.web import bundles, compression, security
from cockpit.web.catalog import CatalogHolder
from cockpit.web.geo_assets import register_geo_routes
from cockpit.web.callbacks import first_layout
from cockpit.web.views import Views
from cockpit.web.wiring import register_callbacks
from cockpit.web.wall.routes import register_wall_routes
from cockpit.web.cases import register_case_routes
from cockpit.web.lineage import register_lineage_routes
from cockpit.web.brief import register_brief_routes


class CockpitDash(Dash):
    """Dash, telling browsers nothing about the software it runs on: its index page's config
    names the Dash, plotly and Python versions only for the dev tools' version check (off)."""

    _VERSIONS = ("dash_version", "python_version", "dash_version_url", "ddk_version", "plotly_version")
    plotly_url: str | None = None  # the partial plotly.js bundle's URL (None: Dash's full bundle)

    def _config(self):
        config = super()._config()
        for key in self._VERSIONS:
            config.pop(key, None)
        return config

    def index(self, *args, **kwargs):
        """The index page with the layout for its URL and the callback list inlined as JSON data
        blocks: assets/01_first_response.js answers the renderer's two start-up requests
        (`_dash-layout`, `_dash-dependencies`) from them, so the panels are asked for at once."""
        page = super().index(*args, **kwargs)
        layout_json = to_json_plotly(self.get_layout())
        page, deferred = defer_libraries(page, layout_json)
        layout = _data_block("cockpit-layout", layout_json)
        deps = _data_block("cockpit-dependencies", to_json_plotly(self._callback_list))
        plotly_js = _data_block("cockpit-plotly", json.dumps(self.plotly_url)) if self.plotly_url else ""
        lazy = _data_block("cockpit-lazy", json.dumps(deferred)) if deferred else ""
        page = page.replace("<footer>", "<footer>" + layout + deps + plotly_js + lazy, 1)
        # The document's language is the URL's from the first byte (the browser picks glyphs,
        # screen readers the voice, the style sheet the layout for longer English words).
        if has_request_context() and parse_query(request_url()[1]).lang == "en":
            page = page.replace('<html lang="zh-CN">', '<html lang="en">', 1)
        return page


#: Component libraries whose script the index page leaves out when its layout has none of their
#: components: assets/01_first_response.js loads it before the first answer that carries one.
DEFERRED_LIBRARIES = ("dash_ag_grid",)


def defer_libraries(page: str, layout_json: str) -> tuple[str, dict[str, str]]:
    """(the index page without the scripts of deferred libraries its layout does not use,
    {namespace: script URL} of those left out)."""
    deferred = {}
    for namespace in DEFERRED_LIBRARIES:
        if re.search(rf'"namespace":\s*"{namespace}"', layout_json):
            continue
        tag = re.search(rf'<script src="([^"]*/_dash-component-suites/{namespace}/[^"]*\.js[^"]*)"></script>', page)
        if tag:
            deferred[namespace] = html.unescape(tag.group(1))
            page = page.replace(tag.group(0), "", 1)
    return page, deferred


def _data_block(element_id: str, text: str) -> str:
    """JSON as a `<script type="application/json">` data block (not run, so the CSP allows it);
    `<` escaped, so no string in the data can end the element."""
    safe = text.replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{safe}</script>'


def request_url() -> tuple[str, str]:
    """(path, search) of the page the layout is built for: the request's own URL for the index
    page; for a `_dash-layout` request (a renderer the inlined layout did not reach) the page
    that asked, from the same-origin Referer."""
    if not has_request_context():
        return "/", ""
    if request.path.endswith("/_dash-layout"):
        ref = urlsplit(request.referrer or "")
        if ref.netloc == request.host:
            return ref.path or "/", f"?{ref.query}" if ref.query else ""
        return "/", ""
    query = request.query_string.decode("utf-8", "replace")
    return request.path, f"?{query}" if query else ""


def create_app(settings: Settings, db: Database, layouts: Path | None = None, dev: bool | None = None) -> Dash:
    """The cockpit app for `settings` on `db` (layouts and dev mode default to the settings').
    Raises `BrokenSpecs` (a SystemExit) when a declaration is invalid."""
    holder = CatalogHolder(layouts or settings.layouts, dev=settings.dev if dev is None else dev)
    app = CockpitDash(
        __name__,
        title="治理驾驶舱",
        update_title=None,
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,  # no CDN: every script comes from this server
        suppress_callback_exceptions=True,  # pages are rendered by a callback
    )
    # Chinese first: the document language lets the browser pick CJK glyphs and screen readers the voice.
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    # Callback bodies are small JSON; anything bigger is not from our pages.
    app.server.config["MAX_CONTENT_LENGTH"] = 1 << 20
    results.init_app(app.server, settings)
    init_auth(app.server, settings)
    views = Views(holder, db, settings)
    app.server.extensions["cockpit_views"] = views  # for tools and tests that act as a fresh worker
    app.layout = lambda: first_layout(views, *request_url())
    app.plotly_url = bundles.register(app.server, settings.plotly_bundle)
    register_callbacks(app, views)
    register_wall_routes(app.server, views)
    register_geo_routes(app.server, views)
    register_case_routes(app.server, views)  # /cases/<panel>: the rows behind a figure
    register_lineage_routes(app.server, views)  # /lineage/<panel>, /quality, /trace/flags
    register_brief_routes(app.server, views)  # /brief/<page>(.pdf): the briefing 汇报材料

    _register_assets(app)
    compression.install(app.server)
    # Malformed callback bodies get a 400; every response gets the security headers (CSP etc.).
    security.install(app, settings)
    if settings.proxy_hops:
        # Behind that many reverse proxies: the client's address, scheme and host are the ones they
        # forward (trusted only when set: a client could send the headers itself).
        n = settings.proxy_hops
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def _register_assets(app: Dash) -> None:
    """Register the component scripts now, in every worker.

    Dash records which script paths it may serve while it renders the index page. Behind
    gunicorn, a worker that has not rendered the index itself would answer 500 to a script
    request the browser sends it; rendering the index once here (without a real request, so
    the server stays open for dev-mode routes) makes every worker able to serve every script."""
    with app.server.test_request_context("/"):
        app._setup_server()
        app.index()
