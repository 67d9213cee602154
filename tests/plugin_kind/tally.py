"""`region_tally`: the selected region's children listed by a value, with a "top N" slider.

A plug-in kind that uses every hook a built-in kind uses:
- `prepare`: fetches the children's names (viewer's language), the map parent's name and the
  selected region from the panel's resolved state and region tree, and the snapshot's as-of
  date from the Database;
- `update_key` / `update`: while the client shows the same level, only the list items change;
- `register_callbacks`: its own slider re-computes "top N" through the host;
- `wall`: a display-wall variant of plain html components (no slider).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, dcc, html
from pydantic import Field

from cockpit.filters import parse_query
from cockpit.visuals.base import Format, Host, Options, PanelContext, RenderContext, Visual, safe_id

LIST_INDEX = 1  # position of the list among the body's children (what `update` patches)


class TallyOptions(Options):
    location: str = Field(default="region_code", description="column of region codes")
    value: str = Field(description="column of the values")
    top: int = Field(default=3, ge=1, le=20, description="initial N of the top-N slider")
    format: Format = Format()


def _columns(o: TallyOptions) -> set[str]:
    return {o.location, o.value}


def prepare(p: PanelContext) -> dict:
    parent = p.res.ctx.map_parent
    return {"names": {c: p.regions.get(c).label(p.lang) for c in p.regions.children.get(parent, [])},
            "parent": p.regions.get(parent).label(p.lang),
            "selected": p.res.ctx.region if p.res.ctx.region != parent else None,
            "as_of": p.db.attach(p.snapshot).as_of.isoformat()}


def ranked(df: pd.DataFrame, o: TallyOptions, names: dict[str, str]) -> list[tuple[str, str, float | None]]:
    """(code, name, value) of every child, largest value first; children without a row have None."""
    by_code = {str(k): (None if pd.isna(v) else float(v)) for k, v in zip(df[o.location], df[o.value])}
    rows = [(code, name, by_code.get(code)) for code, name in names.items()]
    return sorted(rows, key=lambda r: (r[2] is None, -(r[2] or 0), r[0]))


def items(df: pd.DataFrame, o: TallyOptions, ctx: RenderContext) -> list:
    selected = ctx.extra.get("selected")
    return [html.Li(f"{name}: {o.format.apply(v)}", title=code,
                    className="tally-item selected" if code == selected else "tally-item")
            for code, name, v in ranked(df, o, ctx.extra.get("names", {}))]


def render(df: pd.DataFrame, o: TallyOptions, ctx: RenderContext):
    return html.Div(className="tally", children=[
        html.H4(f"{ctx.extra.get('parent', '')} · {ctx.extra.get('as_of', '')}", className="tally-parent"),
        html.Ol(items(df, o, ctx), className="tally-list"),
        dcc.Slider(id={"type": "tally-n", "panel": ctx.panel_id}, min=1, max=20, step=1, value=o.top, marks=None),
        html.P(id={"type": "tally-sum", "panel": ctx.panel_id}, className="tally-sum"),
    ])


def update_key(ctx: RenderContext) -> str | None:
    if ctx.panel is None:
        return None
    return f"{ctx.panel.snapshot}|{ctx.panel.res.ctx.map_parent}|{ctx.extra.get('selected')}|{ctx.lang}"


def update(df: pd.DataFrame, o: TallyOptions, ctx: RenderContext) -> list[tuple[tuple, Any]]:
    return [(("props", "children", LIST_INDEX, "props", "children"), items(df, o, ctx))]


def wall(df: pd.DataFrame, o: TallyOptions, ctx: RenderContext):
    rows = ranked(df, o, ctx.extra.get("names", {}))[: o.top]
    return html.Div(className="tally tally--wall", children=[
        html.H2(ctx.extra.get("parent", "")),
        html.Ul([html.Li([html.Span(name), " ", html.B(o.format.apply(v))]) for _, name, v in rows]),
    ])


class TopN(NamedTuple):
    """The slider callback's inputs by name; `TOP_N` holds each one's Dash dependency."""

    n: Any
    slider: Any
    search: Any
    pathname: Any
    pins: Any


SUM = Output({"type": "tally-sum", "panel": MATCH}, "children")
TOP_N = TopN(n=Input({"type": "tally-n", "panel": MATCH}, "value"),
             slider=State({"type": "tally-n", "panel": MATCH}, "id"),
             search=State("url", "search"), pathname=State("url", "pathname"),
             pins=State({"type": "pin", "i": ALL}, "data"))


def top_sum(host: Host, inp: TopN):
    """'Top N: x of y' for the slider's panel, from the panel's own (cached) data."""
    lang = parse_query(inp.search).lang
    try:
        res = host.resolve(inp.search, inp.pathname, inp.pins)
        panel = host.panel(safe_id(inp.slider, "panel"))
        if panel is None:
            raise LookupError("no such panel")
        n = inp.n if isinstance(inp.n, int) and 1 <= inp.n <= 20 else panel.options.top
        df, _ = host.data(panel, res)
        values = sorted((float(v) for v in df[panel.options.value] if not pd.isna(v)), reverse=True)
        fmt = panel.options.format
        return f"Top {n}: {fmt.apply(sum(values[:n]))} / {fmt.apply(sum(values))}"
    except Exception as exc:  # noqa: BLE001
        return html.Div(host.error_card(exc, lang), className="panel-error")


def register_callbacks(app, host: Host) -> None:
    app.callback(SUM, *TOP_N)(lambda *args: top_sum(host, TopN(*args)))


VISUAL = Visual(name="region_tally", options=TallyOptions, render=render, columns=_columns, output="component",
                prepare=prepare, update_key=update_key, update=update, register_callbacks=register_callbacks,
                wall=wall, description="the selected region's children listed by a value, with a top-N slider")
