"""Build the Dash app: pages from layout files, generic callbacks, result cache, offline assets."""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from werkzeug.middleware.proxy_fix import ProxyFix

from cockpit.db import Database
from cockpit.query import results
from cockpit.settings import PROJECT_ROOT, Settings
from cockpit.web.auth import init_auth
from cockpit.web import security
from cockpit.web.catalog import CatalogHolder
from cockpit.web.shell import app_layout
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

    def _config(self):
        config = super()._config()
        for key in self._VERSIONS:
            config.pop(key, None)
        return config


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
    app.layout = app_layout
    # Chinese first: the document language lets the browser pick CJK glyphs and screen readers the voice.
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    # Callback bodies are small JSON; anything bigger is not from our pages.
    app.server.config["MAX_CONTENT_LENGTH"] = 1 << 20
    results.init_app(app.server, settings)
    init_auth(app.server, settings)
    views = Views(holder, db, settings)
    register_callbacks(app, views)
    register_wall_routes(app.server, views)
    register_case_routes(app.server, views)  # /cases/<panel>: the rows behind a figure
    register_lineage_routes(app.server, views)  # /lineage/<panel>, /quality, /trace/flags
    register_brief_routes(app.server, views)  # /brief/<page>(.pdf): the briefing 汇报材料

    _register_assets(app)
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
