"""The few generic callbacks of the app. None is specific to a panel: panels are found by the
pattern-matching ids built in `shell.py`, and every input is re-validated on the server."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

import pandas as pd
from dash import ALL, MATCH, Dash, Input, Output, Patch, State, ctx, dcc, html, no_update

from cockpit.db import Database
from cockpit.filters import FilterState, Resolved, parse_query, resolve
from cockpit.geo import children_geojson
from cockpit.analytics.scores import street_scores_sql
from cockpit.query import QueryError, results, run_sql
from cockpit.settings import get_settings
from cockpit.specs.loader import Panel
from cockpit.visuals import choropleth, ranking_table, whatif
from cockpit.visuals.base import RenderContext
from cockpit.visuals.registry import get_visual
from cockpit.web import shell
from cockpit.web.catalog import CatalogHolder
from cockpit.web.i18n import t

log = logging.getLogger("cockpit.web")
EMPTY_FIGURE = {"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                       "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def _safe_id(value: Any, key: str) -> str | None:
    """The string `key` of a pattern-matching id dict, or None when a client sent something else."""
    if isinstance(value, dict) and isinstance(value.get(key), str) and len(value[key]) <= 80:
        return value[key]
    return None


class Views:
    """Everything callbacks need: the catalog, the database, the jurisdiction."""

    def __init__(self, holder: CatalogHolder, db: Database):
        self.holder = holder
        self.db = db
        self._demo: dict[str, bool] = {}

    def resolve(self, search: Any, pathname: Any = None) -> Resolved:
        page = self.page_for(pathname) if pathname is not None else None
        return resolve(parse_query(search), self.db, get_settings().jurisdiction,
                       street_page=bool(page and page.template == "street"))

    def page_for(self, pathname: Any):
        catalog = self.holder.get()
        path = pathname if isinstance(pathname, str) else "/"
        return next((p for p in catalog.pages if p.path == path), None)

    def is_demo(self, snapshot: str) -> bool:
        """Demo snapshots carry synthetic regions; the screen must say so."""
        if snapshot not in self._demo:
            cols = self.db.columns(snapshot, "regions")
            flag = False
            if "synthetic" in cols:
                cur = self.db.cursor()
                cur.execute(f'USE "{self.db.attach(snapshot).schema}"')
                flag = bool(cur.execute("SELECT coalesce(bool_or(synthetic), false) FROM regions").fetchone()[0])
            self._demo[snapshot] = flag
        return self._demo[snapshot]

    def controls(self, res: Resolved, page) -> shell.Controls:
        """What the bar's controls show for a resolved state."""
        lang = res.ctx.lang
        live = self.db.live_id()
        return shell.Controls(
            query=res.state.to_query(),
            period_options=shell.period_options(res), period=res.ctx.period_start.strftime("%Y-%m"),
            cmp=res.state.cmp,
            snap_options=[{"label": f"{s}{' (' + t('live', lang) + ')' if s == live else ''}", "value": s}
                          for s in reversed(self.db.snapshot_ids())],
            snap=res.ctx.snapshot, breadcrumb=shell.breadcrumb(res, lang), chips=shell.chips(res.state, lang),
            streets=shell.street_options(res, lang) if page is not None and page.template == "street" else [],
            street=res.ctx.street)

    def render_context(self, panel: Panel, res: Resolved, wall: bool = False) -> RenderContext:
        return RenderContext(panel_id=panel.spec.id, lang=res.ctx.lang, wall=wall, labels=panel.spec.labels,
                             theme="dark" if wall else "light")

    def data(self, panel: Panel, res: Resolved) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        qctx = res.ctx
        xf = panel.spec.cross_filter
        if xf is not None and xf.field in qctx.filters:
            # The panel that sets a filter is not narrowed by it: it keeps every value to switch to.
            qctx = replace(qctx, filters={k: v for k, v in qctx.filters.items() if k != xf.field})
        df = results.query(panel.spec.sql, qctx)
        frames = {name: results.query(sql, qctx) for name, sql in panel.spec.queries.items()}
        return df, frames

    def stamp(self, res: Resolved) -> str:
        return f"{t('as_of', res.ctx.lang)} {res.ctx.as_of.isoformat()}"

    def sql_meta(self, res: Resolved) -> str:
        c = res.ctx
        return (f"{t('snapshot_short', c.lang)} {c.snapshot} · $region={c.region} · $period_start={c.period_start} "
                f"· $period_end={c.period_end} · $cmp_start={c.cmp_start} · $cmp_end={c.cmp_end}"
                + "".join(f" · $f_{k}={v}" for k, v in sorted(c.filters.items())))


def _error_card(exc: Exception, lang: str) -> list:
    """What a failing panel shows: a short reason, never a stack trace. Leaders get a reference
    to quote; the details go to the server log (and, in dev mode, on screen for the analyst)."""
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError):
        reason = str(exc)  # our own words, e.g. no snapshot published yet
    else:
        ref = uuid.uuid4().hex[:8]
        if isinstance(exc, QueryError):
            log.error("panel query failed (ref %s): %s", ref, exc)
        else:
            log.exception("panel failed (ref %s)", ref)
        reason = f"{exc} (ref {ref})" if get_settings().dev else f"{t('ref', lang)} {ref}"
    return [t("panel_error", lang), ": ", reason]


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
            res = views.resolve(search, pathname)
        except LookupError:
            return shell.not_found(catalog, lang, False, t("no_data_store", lang))
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
        new = _apply_trigger(views, state, ctx.triggered_id, ctx.triggered[0].get("value") if ctx.triggered else None)
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
                each(c.breadcrumb), each(c.chips), [paths.get(_safe_id(i, "page"), "/") + c.query for i in nav_ids],
                [c.streets for _ in pick_ids], [c.street for _ in pick_ids])

    @app.callback(
        Output({"type": "graph", "panel": MATCH}, "figure"), Output({"type": "figkey", "panel": MATCH}, "data"),
        Output({"type": "stamp", "panel": MATCH, "out": "figure"}, "children"), Output({"type": "error", "panel": MATCH, "out": "figure"}, "children"),
        Output({"type": "sqlmeta", "panel": MATCH, "out": "figure"}, "children"),
        # The id as an Input: a MATCH callback needs a MATCH input, and it fires when the card mounts.
        Input("url", "search"), Input({"type": "graph", "panel": MATCH}, "id"),
        State({"type": "figkey", "panel": MATCH}, "data"), State("url", "pathname"),
    )
    def render_graph(search, gid, figkey, pathname):
        pid = _safe_id(gid, "panel")
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname)
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
                    values = choropleth.values(df, panel.options, rctx)
                    patch = Patch()
                    for name in ("z", "text", "customdata"):
                        patch["data"][choropleth.VALUE_TRACE][name] = values[name]
                    return patch, key, views.stamp(res), None, views.sql_meta(res)
            figure = visual.render(df, panel.options, rctx)
            return figure, key, views.stamp(res), None, views.sql_meta(res)
        except Exception as exc:  # a failing panel must not break the page
            return EMPTY_FIGURE, None, "", _error_card(exc, lang), ""

    @app.callback(
        Output({"type": "body", "panel": MATCH}, "children"), Output({"type": "stamp", "panel": MATCH, "out": "component"}, "children"),
        Output({"type": "error", "panel": MATCH, "out": "component"}, "children"), Output({"type": "sqlmeta", "panel": MATCH, "out": "component"}, "children"),
        Input("url", "search"), Input({"type": "body", "panel": MATCH}, "id"), State("url", "pathname"),
    )
    def render_component(search, bid, pathname):
        pid = _safe_id(bid, "panel")
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname)
            panel = views.holder.get().panels[pid]
            df, frames = views.data(panel, res)
            rctx = views.render_context(panel, res)
            rctx.frames = frames
            body = get_visual(panel.spec.kind).render(df, panel.options, rctx)
            return body, views.stamp(res), None, views.sql_meta(res)
        except Exception as exc:
            return None, "", _error_card(exc, lang), ""

    @app.callback(
        Output({"type": "whatif-out", "panel": MATCH}, "children"),
        Input({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "value"),
        State({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "id"),
        State("url", "search"), State("url", "pathname"),
    )
    def what_if(values, ids, search, pathname):
        lang = parse_query(search).lang
        try:
            res = views.resolve(search, pathname)
            weights = {}
            for wid, value in zip(ids or [], values or []):
                code = _safe_id(wid, "ind")
                if code and isinstance(value, (int, float)) and 0 <= value <= whatif.MAX_WEIGHT:
                    weights[code] = float(value)
            pid = _safe_id((ids or [{}])[0], "panel")
            panel = views.holder.get().panels.get(pid) if pid else None
            rows = panel.options.rows if panel is not None else 15
            return whatif_table(res, weights, rows, lang)
        except Exception as exc:
            return html.Div(_error_card(exc, lang), className="panel-error")

    @app.callback(
        Output({"type": "download", "panel": MATCH}, "data"),
        Input({"type": "csv", "panel": MATCH}, "n_clicks"), State("url", "search"), State("url", "pathname"),
        prevent_initial_call=True,
    )
    def download_csv(n_clicks, search, pathname):
        pid = _safe_id(ctx.triggered_id, "panel")
        if not n_clicks or pid is None:
            return no_update
        res = views.resolve(search, pathname)
        panel = views.holder.get().panels.get(pid)
        if panel is None:
            return no_update
        df, _ = views.data(panel, res)
        # A BOM makes spreadsheet programs read the Chinese text as UTF-8.
        return dcc.send_string("\ufeff" + df.to_csv(index=False), f"{pid}_{res.ctx.snapshot}.csv")


def _apply_trigger(views: Views, state: FilterState, trigger: Any, value: Any) -> FilterState:
    """The state after the control that fired; unknown or malformed triggers change nothing."""
    if not isinstance(trigger, dict):
        return state  # the URL itself changed (link, back button): it is the state
    kind = trigger.get("type")
    if kind == "period" and isinstance(value, str):
        return state.with_(period=value)
    if kind == "cmp" and isinstance(value, str):
        return state.with_(cmp=value)
    if kind == "snap" and isinstance(value, str):
        return state.with_(snap=value)
    if kind == "lang-btn" and value:
        return state.with_(lang="en" if state.lang == "zh" else "zh")
    if kind == "crumb" and value:
        return state.with_(region=_safe_id(trigger, "code"), street=None)
    if kind == "chip" and value:
        field = _safe_id(trigger, "field")
        return state.with_(filters={k: v for k, v in state.filters.items() if k != field})
    if kind == "street-pick":
        # Choosing a street selects it on the map too.
        return state.with_(street=value, region=value) if isinstance(value, str) else state
    if kind == "graph":
        return _apply_click(views, state, _safe_id(trigger, "panel"), value)
    return state


def _apply_click(views: Views, state: FilterState, pid: str | None, click: Any) -> FilterState:
    """A click on a graph: a map drills down, a panel with a cross-filter toggles that filter."""
    panel = views.holder.get().panels.get(pid) if pid else None
    if panel is None or not isinstance(click, dict):
        return state
    points = click.get("points")
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return state
    point = points[0]
    if panel.spec.kind == "choropleth":
        code = point.get("location")
        return state.with_(region=code, street=None) if isinstance(code, str) else state
    xf = panel.spec.cross_filter
    if xf is None:
        return state
    value = point.get("customdata")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        value = point.get("y") if getattr(panel.options, "horizontal", False) else point.get("x")
    if value is None:
        value = point.get("label")
    if not isinstance(value, (str, int, float)):
        return state
    value = str(value)
    filters = dict(state.filters)
    if filters.get(xf.field) == value:
        filters.pop(xf.field)  # clicking the active value again clears it
    else:
        filters[xf.field] = value
    return state.with_(filters=filters)


_WHATIF_COLUMNS = ranking_table.RankingTableOptions.model_validate({"columns": [
    {"field": "rank_all", "label": {"zh": "模拟名次", "en": "Rank"}, "width": 90},
    {"field": "name", "label": {"zh": "街道", "en": "Street"}},
    {"field": "parent_name", "label": {"zh": "区县", "en": "County"}},
    {"field": "score", "label": {"zh": "模拟得分", "en": "Score"}, "format": {"d3": ".1f"}, "bar": True},
    {"field": "shift", "label": {"zh": "较公布名次", "en": "vs published"}, "change": True, "width": 110},
]})


def whatif_table(res: Resolved, weights: dict[str, float], rows: int, lang: str):
    """Scores and ranks under what-if weights, next to the published ranks (nothing is stored)."""
    known = set(run_sql("select indicator from indicators", res.ctx)["indicator"])
    weights = {k: v for k, v in weights.items() if k in known}
    published = run_sql(street_scores_sql(), res.ctx)
    extra = {"w_ind": list(weights), "w_val": list(weights.values())} if weights else None
    scenario = run_sql(street_scores_sql(what_if=bool(weights)), res.ctx, extra=extra)
    published = published[published["period"] == pd.Timestamp(res.ctx.period_start)]
    scenario = scenario[scenario["period"] == pd.Timestamp(res.ctx.period_start)].copy()
    before = dict(zip(published["street_code"], published["rank_all"]))
    scenario["shift"] = [before.get(c, r) - r for c, r in zip(scenario["street_code"], scenario["rank_all"])]
    scenario = scenario.sort_values("rank_all").head(rows)
    options = _WHATIF_COLUMNS.model_copy(update={"rows": rows})
    return ranking_table.render(scenario, options, RenderContext(panel_id="whatif", lang=lang))
