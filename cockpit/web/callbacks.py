"""The few generic callbacks of the app. None is specific to a panel: panels are found by the
pattern-matching ids built in `shell.py`, and every input is re-validated on the server."""

from __future__ import annotations

from dash import ALL, MATCH, Dash, Input, Output, Patch, State, ctx, dcc, html, no_update

from cockpit.filters import parse_query, resolve
from cockpit.geo import children_geojson
from cockpit.settings import get_settings
from cockpit.visuals import choropleth, whatif
from cockpit.visuals.base import localized
from cockpit.visuals.registry import get_visual
from cockpit.web import shell
from cockpit.web.i18n import t
from cockpit.web.navigation import apply_trigger
from cockpit.web.views import EMPTY_FIGURE, Views, error_card, log, safe_id, whatif_table

def register_callbacks(app: Dash, views: Views) -> None:
    """Attach the generic callbacks to `app`."""

    @app.callback(Output("lang", "data"), Input("url", "search"), State("lang", "data"))
    def lang_from_url(search, current):
        lang = parse_query(search).lang
        return no_update if lang == current else lang

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("lang", "data"),
                  State("url", "search"))
    def render_page(pathname, lang, search):
        lang = lang if lang in ("zh", "en") else "zh"
        catalog = views.holder.get()
        page = views.page_for(pathname)
        try:
            res = views.resolve(search, pathname)  # a page load pins the snapshot it resolves to
        except LookupError as exc:
            return shell.not_found(catalog, lang, False, f"{t('no_data_store', lang)}: {exc}")
        demo = views.is_demo(res.ctx.snapshot)
        # The controls are built filled in: a page re-rendered by a language switch must not
        # wait for another callback to set them.
        ctl = views.controls(res, page)
        if page is None:
            return shell.not_found(catalog, lang, demo, t("not_found", lang), ctl)
        outputs = {pid: get_visual(catalog.panels[pid].spec.kind).output for pid in page.page.names()}
        view = shell.page_view(catalog, page, lang, demo, outputs, ctl)
        if views.holder.errors:
            # Dev mode: an edit broke a declaration; the last good version keeps serving.
            view.children.insert(1, shell.spec_errors_banner(views.holder.errors))
        return view

    # Controls live in the page that a callback renders, so they are matched with ALL: before a
    # page exists the lists are empty instead of being a missing-component error.
    @app.callback(
        Output("url", "search"),
        Output({"type": "period", "i": ALL}, "options"), Output({"type": "period", "i": ALL}, "value"),
        Output({"type": "cmp", "i": ALL}, "value"),
        Output({"type": "snap", "i": ALL}, "options"), Output({"type": "snap", "i": ALL}, "value"),
        Output({"type": "breadcrumb", "i": ALL}, "children"), Output({"type": "chips", "i": ALL}, "children"),
        Output({"type": "nav", "page": ALL}, "href"),
        Output({"type": "street-pick", "i": ALL}, "options"), Output({"type": "street-pick", "i": ALL}, "value"),
        Input("url", "search"),
        Input({"type": "period", "i": ALL}, "value"), Input({"type": "cmp", "i": ALL}, "value"),
        Input({"type": "snap", "i": ALL}, "value"), Input({"type": "lang-btn", "i": ALL}, "n_clicks"),
        Input({"type": "crumb", "code": ALL}, "n_clicks"), Input({"type": "graph", "panel": ALL}, "clickData"),
        Input({"type": "chip", "field": ALL}, "n_clicks"), Input({"type": "street-pick", "i": ALL}, "value"),
        State({"type": "nav", "page": ALL}, "id"), State({"type": "street-pick", "i": ALL}, "id"),
        State({"type": "breadcrumb", "i": ALL}, "id"), State("url", "pathname"),
    )
    def sync_state(search, periods, cmps, snaps, _lang, _crumbs, _clicks, _chips, _picks, nav_ids, pick_ids,
                   bar_ids, pathname):
        """The one place where controls and the URL meet (one callback, so Dash sees no cycle):
        a control change rewrites the URL; a URL change (link, back button) resets the controls."""
        state = parse_query(search)
        new = apply_trigger(views, state, ctx.triggered_id, ctx.triggered[0].get("value") if ctx.triggered else None)
        n_bars = len(bar_ids)
        try:
            page = views.page_for(pathname)
            res = resolve(new, views.db, get_settings().jurisdiction,
                          street_page=bool(page and page.template == "street"))
        except LookupError:
            return (no_update, *([[no_update] * n_bars] * 7), [no_update] * len(nav_ids),
                    [no_update] * len(pick_ids), [no_update] * len(pick_ids))
        c = views.controls(res, page)
        each = lambda value: [value] * n_bars  # noqa: E731 - one value per (0 or 1) rendered bar
        paths = {p.id: p.path for p in views.holder.get().pages}
        return (no_update if c.query == (search or "") else c.query,
                each(c.period_options), each(c.period), each(c.cmp), each(c.snap_options), each(c.snap),
                each(c.breadcrumb), each(c.chips), [paths.get(safe_id(i, "page"), "/") + c.nav_query for i in nav_ids],
                [c.streets for _ in pick_ids], [c.street for _ in pick_ids])

    @app.callback(
        Output({"type": "graph", "panel": MATCH}, "figure"), Output({"type": "figkey", "panel": MATCH}, "data"),
        Output({"type": "stamp", "panel": MATCH, "out": "figure"}, "children"), Output({"type": "error", "panel": MATCH, "out": "figure"}, "children"),
        Output({"type": "sqlmeta", "panel": MATCH, "out": "figure"}, "children"),
        # The id as an Input: a MATCH callback needs a MATCH input, and it fires when the card mounts.
        Input("url", "search"), Input({"type": "graph", "panel": MATCH}, "id"),
        State({"type": "figkey", "panel": MATCH}, "data"), State("url", "pathname"),
        State({"type": "pin", "i": ALL}, "data"),
    )
    def render_graph(search, gid, figkey, pathname, pins):
        pid = safe_id(gid, "panel")
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname, pins)
            panel = views.holder.get().panels[pid]
            visual = get_visual(panel.spec.kind)
            df, frames = views.data(panel, res)
            rctx = views.render_context(panel, res)
            rctx.frames = frames
            key = None
            if panel.spec.kind == "choropleth":
                parent = res.ctx.map_parent
                rctx.extra["geojson"] = children_geojson(views.db, res.ctx.snapshot, parent)
                rctx.extra["names"] = {c: r.label(lang) for c, r in res.regions.by_code.items()
                                       if r.parent == parent}
                rctx.extra["selected"] = res.ctx.region if res.ctx.region != parent else None
                key = f"{res.ctx.snapshot}|{parent}|{rctx.extra['selected']}|{lang}"
                if figkey == key:
                    # Same geometry on the client: send only the values.
                    values = choropleth.values(df, localized(panel.options, lang), rctx)
                    patch = Patch()
                    for name in ("z", "text", "customdata", "zmin", "zmax", "zauto"):
                        patch["data"][choropleth.VALUE_TRACE][name] = values[name]
                    return patch, key, views.stamp(res), None, views.sql_meta(res, panel)
            figure = visual.render(df, localized(panel.options, lang), rctx)
            return figure, key, views.stamp(res), None, views.sql_meta(res, panel)
        except Exception as exc:  # a failing panel must not break the page
            return EMPTY_FIGURE, None, "", error_card(exc, lang), ""

    @app.callback(
        Output({"type": "body", "panel": MATCH}, "children"), Output({"type": "stamp", "panel": MATCH, "out": "component"}, "children"),
        Output({"type": "error", "panel": MATCH, "out": "component"}, "children"), Output({"type": "sqlmeta", "panel": MATCH, "out": "component"}, "children"),
        Input("url", "search"), Input({"type": "body", "panel": MATCH}, "id"), State("url", "pathname"),
        State({"type": "pin", "i": ALL}, "data"),
    )
    def render_component(search, bid, pathname, pins):
        pid = safe_id(bid, "panel")
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname, pins)
            panel = views.holder.get().panels[pid]
            df, frames = views.data(panel, res)
            rctx = views.render_context(panel, res)
            rctx.frames = frames
            body = get_visual(panel.spec.kind).render(df, localized(panel.options, lang), rctx)
            return body, views.stamp(res), None, views.sql_meta(res, panel)
        except Exception as exc:
            return None, "", error_card(exc, lang), ""

    @app.callback(
        Output({"type": "whatif-out", "panel": MATCH}, "children"),
        Input({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "value"),
        State({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "id"),
        State("url", "search"), State("url", "pathname"), State({"type": "pin", "i": ALL}, "data"),
    )
    def what_if(values, ids, search, pathname, pins):
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname, pins)
            weights = {}
            for wid, value in zip(ids or [], values or []):
                code = safe_id(wid, "ind")
                if code and isinstance(value, (int, float)) and 0 <= value <= whatif.MAX_WEIGHT:
                    weights[code] = float(value)
            pid = safe_id((ids or [{}])[0], "panel")
            panel = views.holder.get().panels.get(pid) if pid else None
            rows = panel.options.rows if panel is not None else 15
            return whatif_table(res, weights, rows, lang)
        except Exception as exc:
            return html.Div(error_card(exc, lang), className="panel-error")

    @app.callback(
        Output({"type": "download", "panel": MATCH}, "data"),
        Input({"type": "csv", "panel": MATCH}, "n_clicks"), State("url", "search"), State("url", "pathname"),
        State({"type": "pin", "i": ALL}, "data"),
        prevent_initial_call=True,
    )
    def download_csv(n_clicks, search, pathname, pins):
        pid = safe_id(ctx.triggered_id, "panel")
        if not n_clicks or pid is None:
            return no_update
        try:
            res = views.resolve(search, pathname, pins)
            panel = views.holder.get().panels.get(pid)
            if panel is None:
                return no_update
            df, _ = views.data(panel, res)
        except Exception:  # the panel shows its own error card; a download just does not start
            log.exception("CSV download of %s failed", pid)
            return no_update
        # A BOM makes spreadsheet programs read the Chinese text as UTF-8.
        return dcc.send_string("\ufeff" + df.to_csv(index=False), f"{pid}_{res.ctx.snapshot}.csv")
