"""Light table (`kind = "light_table"`): a ranking table rendered on the server as a plain HTML table, for
tables small enough not to need AG Grid (a page of them loads no grid script at all).

The same options as `ranking_table` (columns, formats, in-cell bars, ▲/▼ changes, highlights,
rows, paging) and the same look; sorting (a click on a header), searching and paging are the
kind's own callbacks: they read the panel's (cached) result through the host and send the table
again. Values are Dash text, so nothing in the data is markup.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, ctx as dash_ctx, dcc, html
from dash.exceptions import PreventUpdate

from cockpit.visuals import keynumbers
from cockpit.visuals.base import (Host, RenderContext, Visual, localized, no_data_text, reads_nothing,
                                  require_columns, rgba, safe_id, to_float)
from cockpit.visuals.ranking_table import (MAX_ROWS, MAX_SEARCH, SEARCH_FROM, SEARCH_TEXT, RankingTableOptions,
                                           TableColumn, _columns, _compare, _is_numeric, _wall_text, cell_look,
                                           point_value, wall)

#: The pager's words: "第 1–20 条，共 69 条" / "1–20 of 69".
PAGER = {"zh": ("上一页", "下一页", "第 {a}–{b} 条，共 {n} 条"), "en": ("Previous", "Next", "{a}–{b} of {n}")}
SORT_TIP = {"zh": "点击排序", "en": "Click to sort"}


class View(NamedTuple):
    """What the viewer asked of the table: sort column and direction, search text, page."""

    sort: str | None = None
    desc: bool = False
    search: str = ""
    page: int = 0

    @classmethod
    def parse(cls, value: Any) -> "View":
        """A View from the client's store (anything malformed: the default)."""
        if not isinstance(value, dict):
            return cls()
        sort = value.get("sort") if isinstance(value.get("sort"), str) and len(value["sort"]) <= 80 else None
        search = value.get("search") if isinstance(value.get("search"), str) else ""
        page = value.get("page") if isinstance(value.get("page"), int) and not isinstance(value.get("page"), bool) else 0
        return cls(sort, value.get("desc") is True, search[:MAX_SEARCH], max(0, min(page, 10_000)))


def _ids(panel: str) -> dict[str, dict]:
    return {"out": {"type": "ltable-out", "panel": panel}, "view": {"type": "ltable-view", "panel": panel},
            "search": {"type": "ltable-search", "panel": panel, "i": 0},
            "prev": {"type": "ltable-page", "panel": panel, "step": "prev"},
            "next": {"type": "ltable-page", "panel": panel, "step": "next"}}


def _cols(df: pd.DataFrame, o: RankingTableOptions) -> list[TableColumn]:
    return [c for c in (o.columns or [TableColumn(field=str(c)) for c in df.columns]) if c.field in df.columns]


def _text_of(col: TableColumn, v: Any, numeric: bool, lang: str) -> str:
    return _wall_text(col, v, numeric, lang)


def rows_for(df: pd.DataFrame, o: RankingTableOptions, view: View, lang: str) -> pd.DataFrame:
    """The rows the table holds for a view: the first `rows` (or up to MAX_ROWS when paged),
    narrowed by the search, sorted."""
    paged = o.overflow == "paginate" and len(df) > o.rows
    df = df.head(MAX_ROWS if paged else o.rows)
    cols = _cols(df, o)
    if view.search:
        needle = view.search.casefold()
        numeric = {c.field: _is_numeric(df[c.field]) for c in cols}
        keep = [any(needle in _text_of(c, v, numeric[c.field], lang).casefold() for c, v in zip(cols, rec))
                for rec in df[[c.field for c in cols]].itertuples(index=False, name=None)]
        df = df[keep]
    if view.sort in {c.field for c in cols}:
        df = df.sort_values(view.sort, ascending=not view.desc, na_position="last", kind="stable")
    return df


def _matches(rule: Any, v: Any, x: float | None) -> bool:
    """Whether a highlight rule holds for a cell: numbers compared as numbers, text (== and !=
    only) as text, as the grid's expressions compare them."""
    if isinstance(rule.value, str):
        if x is not None or rule.op not in ("==", "!="):
            return False
        text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        return (text == rule.value) == (rule.op == "==")
    return x is not None and _compare(x, rule.op, rule.value)


def table(df: pd.DataFrame, o: RankingTableOptions, ctx: RenderContext, view: View) -> html.Div:
    """The table for a view: a sticky header of sort buttons, the page's rows (bars relative to
    the largest value the table holds), and the pager when it has more rows than `rows`."""
    lang = "en" if ctx.lang == "en" else "zh"
    paged = o.overflow == "paginate" and len(df) > o.rows
    held = df.head(MAX_ROWS if paged else o.rows)
    cols = _cols(held, o)
    numeric = {c.field: _is_numeric(held[c.field]) for c in cols}
    tops = {c.field: max((abs(x) for x in (to_float(v) for v in held[c.field]) if x is not None), default=None)
            for c in cols if c.bar and numeric[c.field]}
    found = rows_for(df, o, view, ctx.lang)
    pages = max(1, -(-len(found) // o.rows)) if paged else 1
    page = min(view.page, pages - 1)
    shown = found.iloc[page * o.rows:(page + 1) * o.rows] if paged else found
    head = []
    for c in cols:
        label = c.label.get(ctx.lang) if c.label else ctx.label(c.field)
        order = "none" if view.sort != c.field else ("descending" if view.desc else "ascending")
        mark = {"none": "", "ascending": " ▲", "descending": " ▼"}[order]
        head.append(html.Th(html.Button(label + mark, id={"type": "ltable-sort", "panel": ctx.panel_id,
                                                          "col": c.field},
                                        className="cockpit-ltable__sort", title=SORT_TIP[lang], n_clicks=0),
                            className="num" if numeric[c.field] else None, **{"aria-sort": order},
                            style={"width": f"{c.width}px"} if c.width else None))
    body = []
    for rec in shown[[c.field for c in cols]].itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, rec):
            x = to_float(v) if numeric[c.field] else None
            rule = next((h for h in c.highlight if _matches(h, v, x)), None)
            style, classes = cell_look(c, x, numeric[c.field], rule, tops.get(c.field), rgba(o.bar_color, 0.28),
                                       ("cockpit-cell-good", "cockpit-cell-bad"))
            text = _text_of(c, v, numeric[c.field], ctx.lang)
            cells.append(html.Td(text, style=style or None, className=" ".join(classes) or None,
                                 title=None if numeric[c.field] else text, **{"data-col": c.field}))
        body.append(html.Tr(cells))
    if not body:
        body = [html.Tr(html.Td(no_data_text(ctx), colSpan=len(cols), className="cockpit-ltable__none"))]
    parts: list[Any] = [html.Div(html.Table([html.Thead(html.Tr(head)), html.Tbody(body)], className="cockpit-ltable"),
                                 className="cockpit-ltable__scroll")]
    if paged:
        prev, nxt, summary = PAGER[lang]
        a, b = (page * o.rows + 1, page * o.rows + len(shown)) if len(shown) else (0, 0)
        ids = _ids(ctx.panel_id)
        parts.append(html.Div(className="cockpit-ltable__pager", children=[
            html.Span(summary.format(a=a, b=b, n=len(found)), className="cockpit-ltable__summary"),
            html.Button(prev, id=ids["prev"], n_clicks=0, disabled=page == 0, className="cockpit-ltable__page"),
            html.Span(f"{page + 1} / {pages}", className="cockpit-ltable__pages"),
            html.Button(nxt, id=ids["next"], n_clicks=0, disabled=page >= pages - 1, className="cockpit-ltable__page"),
        ]))
    return html.Div(parts, className="cockpit-ltable__view")


def render(df: pd.DataFrame, o: RankingTableOptions, ctx: RenderContext) -> html.Div:
    require_columns(df, _columns(o), "light_table")
    if df.empty:
        return html.Div(no_data_text(ctx), className="cockpit-grid-empty")
    ids = _ids(ctx.panel_id)
    placeholder, label = SEARCH_TEXT["en" if ctx.lang == "en" else "zh"]
    held = min(len(df), MAX_ROWS if o.overflow == "paginate" else o.rows)
    search = html.Label(className="cockpit-table__find", children=[
        html.Span(label, className="cockpit-sr-only"),
        dcc.Input(id=ids["search"], type="search", debounce=0.3, placeholder=placeholder,
                  className="cockpit-table__search", maxLength=MAX_SEARCH),
    ]) if held > SEARCH_FROM else None
    return html.Div([search, html.Div(table(df, o, ctx, View()), id=ids["out"], className="cockpit-table__grid"),
                     dcc.Store(id=ids["view"], data=View()._asdict())], className="cockpit-table cockpit-table--light")


class Asked(NamedTuple):
    """What the table's own callback reads besides what fired: the view it shows, and the page's
    URL and pin (to fetch the panel's result again, from the cache)."""

    view: Any
    search: Any
    pathname: Any
    pins: Any


def asked(host: Host, inp: Asked, trigger: Any, value: Any) -> tuple[Any, dict]:
    """(the table, the view) after a sort click, a search or a page step (`trigger`: the id of
    what fired, `value` its value). Every input comes from the client: the panel must be a light
    table, the view is re-parsed, the data fetched for the resolved (jurisdiction-bound) URL."""
    kind = trigger.get("type") if isinstance(trigger, dict) else None
    panel = host.panel(safe_id(trigger, "panel"))
    if panel is None or panel.spec.kind != "light_table" or kind not in ("ltable-sort", "ltable-page", "ltable-search"):
        _prevent()
    if kind != "ltable-search" and not value:  # a button mounted, not clicked
        _prevent()
    view = View.parse(inp.view)
    lang = "zh"
    try:
        res = host.resolve(inp.search, inp.pathname, inp.pins)
        lang = res.ctx.lang
        df, _ = host.data(panel, res)
        if kind == "ltable-sort":
            col = trigger.get("col")
            if col in df.columns:
                # A header click sorts by it: numbers largest first, text A→Z; again: the other way.
                first = _is_numeric(df[col])
                view = view._replace(sort=col, desc=(not view.desc) if view.sort == col else first, page=0)
        elif kind == "ltable-page":
            view = view._replace(page=max(0, view.page + (1 if trigger.get("step") == "next" else -1)))
        else:
            view = view._replace(search=value[:MAX_SEARCH] if isinstance(value, str) else "", page=0)
        rctx = RenderContext(panel_id=panel.spec.id, lang=lang, labels=panel.spec.labels, empty=panel.spec.empty)
        return table(df, localized(panel.options, lang), rctx, view), view._asdict()
    except Exception as exc:  # noqa: BLE001 - the table says so; the page keeps working
        return html.Div(host.error_card(exc, lang), className="panel-error"), view._asdict()


def _prevent() -> None:
    raise PreventUpdate


def register_callbacks(app, host: Host) -> None:
    """Sort, search and page through the table on the server (its result comes from the cache)."""
    def body(sorts, steps, searches, view, search, pathname, pins):
        value = dash_ctx.triggered[0].get("value") if dash_ctx.triggered else None
        return asked(host, Asked(view, search, pathname, pins), dash_ctx.triggered_id, value)

    app.callback(
        Output({"type": "ltable-out", "panel": MATCH}, "children"),
        Output({"type": "ltable-view", "panel": MATCH}, "data"),
        Input({"type": "ltable-sort", "panel": MATCH, "col": ALL}, "n_clicks"),
        Input({"type": "ltable-page", "panel": MATCH, "step": ALL}, "n_clicks"),
        Input({"type": "ltable-search", "panel": MATCH, "i": ALL}, "value"),
        State({"type": "ltable-view", "panel": MATCH}, "data"),
        State("url", "search"), State("url", "pathname"), State({"type": "pin", "i": ALL}, "data"),
        prevent_initial_call=True,
    )(body)


VISUAL = Visual(key_number=keynumbers.ranking_table, name="light_table", reads=reads_nothing, options=RankingTableOptions, render=render, columns=_columns,
                output="component", wall=wall, register_callbacks=register_callbacks, point_value=point_value,
                description="light ranking table rendered on the server (no AG Grid): sort, search, pager, "
                            "sticky header, number formats, in-cell bars, ▲/▼ changes and highlights")
