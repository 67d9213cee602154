"""What-if weights: one slider per indicator; moving one re-scores and re-ranks the streets.

The panel SQL lists the indicators (columns indicator, name, weight). The recomputation is the
documented street-score method with the weights bound as parameters (cockpit.analytics.scores);
nothing is persisted. The sliders run on the published weights' scale (a few times the largest),
the panel shows their total, a button puts the published weights back, and the scenario lives in
the URL (`w=ind1:0.2,ind2:0.1`, see cockpit.filters), so a link shows it again. The callbacks are
the kind's own (`register_callbacks`); their bodies (`reranked`, `scenario`, `reset`) are plain
functions of the host and the callback's named inputs."""

from __future__ import annotations

from typing import Any, NamedTuple

import math
from dataclasses import replace

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, dcc, html, no_update
from pydantic import Field

from cockpit.analytics.scores import street_scores_sql, weight_params
from cockpit.db import Database
from cockpit.filters import MAX_WHATIF_WEIGHT, Resolved, parse_query
from cockpit.query import run_sql
from cockpit.visuals import ranking_table
from cockpit.visuals.base import Host, PanelContext, Options, RenderContext, Visual, no_data_text, safe_id

MAX_WEIGHT = MAX_WHATIF_WEIGHT  # no weight a client sends counts above this
SCALE = 3  # the sliders reach this many times the largest published weight
DEFAULT_ROWS = 15


class WhatIfOptions(Options):
    indicator: str = Field(default="indicator", description="column of indicator codes")
    name: str = Field(default="name", description="column of indicator names")
    unit: str | None = Field(default=None, description="optional column of units, shown after the name")
    weight: str = Field(default="weight", description="column of the published weights")
    rows: int = Field(default=DEFAULT_ROWS, ge=1, le=200, description="streets shown in the re-ranked table")


def _columns(o: WhatIfOptions) -> set[str]:
    return {o.indicator, o.name, o.weight} | ({o.unit} if o.unit else set())


def _label(name, unit, lang: str) -> str:
    """An indicator's name with its unit: 办结率（%）, Closure rate (%)."""
    if unit is None or (not isinstance(unit, str) and pd.isna(unit)) or not str(unit):
        return str(name)
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def slider_id(panel_id: str, indicator: str) -> dict:
    return {"type": "whatif-w", "panel": panel_id, "ind": indicator}


def table_id(panel_id: str) -> dict:
    return {"type": "whatif-out", "panel": panel_id}


def total_id(panel_id: str) -> dict:
    return {"type": "whatif-total", "panel": panel_id}


def url_id(panel_id: str) -> dict:
    return {"type": "whatif-url", "panel": panel_id}


def reset_id(panel_id: str) -> dict:
    return {"type": "whatif-reset", "panel": panel_id}


def published_weights(df: pd.DataFrame, o: WhatIfOptions) -> dict[str, float]:
    """The published weight of each indicator (a missing one is 0)."""
    return {str(code): (0.0 if pd.isna(w) else float(w)) for code, w in zip(df[o.indicator], df[o.weight])}


def slider_scale(weights) -> tuple[float, float]:
    """The sliders' (max, step): SCALE times the largest published weight, rounded up to a step of
    about a hundredth of it (0.2 → max 0.6, step 0.01); never above MAX_WEIGHT."""
    top = max((w for w in weights if w > 0), default=0.0) * SCALE or 1.0
    step = 10 ** (math.floor(math.log10(top)) - 1)
    top = min(math.ceil(round(top / step, 6)) * step, MAX_WEIGHT)
    return round(top, 6), step


def _digits(step: float) -> int:
    return max(0, -math.floor(math.log10(step)))


def total_text(weights, published, lang: str) -> str:
    total, base = sum(weights), sum(published)
    return (f"权重合计 {total:.2f}（公布 {base:.2f}）" if lang == "zh"
            else f"Total weight {total:.2f} (published {base:.2f})")


def render(df: pd.DataFrame, o: WhatIfOptions, ctx: RenderContext):
    if df.empty:
        return html.Div(no_data_text(ctx), className="whatif-empty")
    published = published_weights(df, o)
    top, step = slider_scale(published.values())
    # A scenario in the URL (already syntactically clean) applies to the indicators this panel has.
    asked = dict(ctx.panel.res.state.w) if ctx.panel is not None else {}
    sliders, values = [], []
    units = df[o.unit] if o.unit else [None] * len(df)
    for code, name, unit in zip(df[o.indicator], df[o.name], units):
        code = str(code)
        name = _label(name, unit, ctx.lang)
        value = round(min(max(asked.get(code, published[code]), 0.0), top), _digits(step))
        values.append(value)
        sliders.append(html.Div(className="whatif-row", children=[
            html.Span(str(name), className="whatif-name", title=code),
            dcc.Slider(id=slider_id(ctx.panel_id, code), min=0, max=top,
                       step=step, value=value, marks=None, updatemode="mouseup",
                       tooltip={"placement": "right", "always_visible": True}, className="whatif-slider"),
        ]))
    hint = ("拖动权重，得分与排名即时重算（不保存）" if ctx.lang == "zh"
            else "Drag a weight: scores and ranks recompute (nothing is saved)")
    tools = html.Div(className="whatif-tools", children=[
        html.Span(total_text(values, published.values(), ctx.lang), id=total_id(ctx.panel_id),
                  className="whatif-total"),
        html.Button("恢复公布权重" if ctx.lang == "zh" else "Reset to published", id=reset_id(ctx.panel_id),
                    className="whatif-reset", n_clicks=0),
    ])
    return html.Div(className="whatif", children=[
        html.Div(className="whatif-weights", children=[html.P(hint, className="whatif-hint"), tools, *sliders]),
        html.Div(id=table_id(ctx.panel_id), className="whatif-out"),
        # The scenario goes into the URL through the panel's own Location: pushing it notifies
        # the page's, so the rest of the page follows as for any URL change.
        dcc.Location(id=url_id(ctx.panel_id), refresh="callback-nav"),
    ])


_TABLE = ranking_table.RankingTableOptions.model_validate({"columns": [
    {"field": "rank_all", "label": {"zh": "模拟名次", "en": "Rank"}, "width": 90},
    {"field": "name", "label": {"zh": "街道", "en": "Street"}},
    {"field": "parent_name", "label": {"zh": "区县", "en": "County"}},
    {"field": "score", "label": {"zh": "模拟得分", "en": "Score"}, "format": {"d3": ".1f"}, "bar": True},
    {"field": "shift", "label": {"zh": "较公布名次", "en": "vs published"}, "change": True, "width": 110},
]})


def whatif_table(res: Resolved, weights: dict[str, float], rows: int, lang: str, db: Database | None = None):
    """Scores and ranks under what-if weights, next to the published ranks (nothing is stored)."""
    known = set(run_sql("select indicator from indicators", res.ctx, db=db)["indicator"])
    weights = {k: v for k, v in weights.items() if k in known}
    # The latest assessed month up to the period (a month not yet assessed shows the one before).
    ctx = replace(res.ctx, period_start=res.ctx.score_period)
    published = run_sql(street_scores_sql(), ctx, db=db)
    scenario = run_sql(street_scores_sql(len(weights)), ctx, db=db, extra=weight_params(weights) or None)
    published = published[published["period"] == pd.Timestamp(ctx.period_start)]
    scenario = scenario[scenario["period"] == pd.Timestamp(ctx.period_start)].copy()
    before = dict(zip(published["street_code"], published["rank_all"]))
    scenario["shift"] = [before.get(c, r) - r for c, r in zip(scenario["street_code"], scenario["rank_all"])]
    scenario = scenario.sort_values("rank_all").head(rows)
    # Street and county names in the viewer's language, as every other panel shows them.
    labels = {code: res.regions.get(code).label(lang) for code in scenario["street_code"] if res.regions.get(code)}
    scenario["name"] = [labels.get(c, n) for c, n in zip(scenario["street_code"], scenario["name"])]
    if "parent_code" in scenario.columns and "parent_name" in scenario.columns:
        scenario["parent_name"] = [res.regions.get(p).label(lang) if isinstance(p, str) and res.regions.get(p) else n
                                   for p, n in zip(scenario["parent_code"], scenario["parent_name"])]
    options = _TABLE.model_copy(update={"rows": rows})
    return ranking_table.render(scenario, options, RenderContext(panel_id="whatif", lang=lang))


def client_weights(ids: Any, values: Any) -> dict[str, float]:
    """The weights a client sent, by indicator: only numbers within the sliders' range count."""
    weights = {}
    for wid, value in zip(ids or [], values or []):
        code = safe_id(wid, "ind")
        if code and isinstance(value, (int, float)) and 0 <= value <= MAX_WEIGHT:
            weights[code] = float(value)
    return weights


class Weights(NamedTuple):
    """The sliders' callback inputs, by name (each field's Dash dependency is in `WEIGHTS`)."""

    values: Any
    ids: Any
    search: Any
    pathname: Any
    pins: Any


TABLE = Output({"type": "whatif-out", "panel": MATCH}, "children")
WEIGHTS = Weights(
    values=Input({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "value"),
    ids=State({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "id"),
    search=State("url", "search"), pathname=State("url", "pathname"), pins=State({"type": "pin", "i": ALL}, "data"))


def reranked(host: Host, inp: Weights):
    """The re-ranked table for the sliders' weights (an error card when that fails)."""
    lang = parse_query(inp.search).lang
    try:
        res = host.resolve(inp.search, inp.pathname, inp.pins)
        panel = host.panel(safe_id((inp.ids or [{}])[0], "panel"))
        rows = panel.options.rows if panel is not None else DEFAULT_ROWS
        return whatif_table(res, client_weights(inp.ids, inp.values), rows, lang, db=host.db)
    except Exception as exc:  # noqa: BLE001 - a failing panel must not break the page
        return html.Div(host.error_card(exc, lang), className="panel-error")


class Scenario(NamedTuple):
    """The URL-and-total callback's inputs: one panel's sliders."""

    values: Any
    ids: Any
    search: Any
    pathname: Any
    pins: Any


class ScenarioOut(NamedTuple):
    search: Any  # of the panel's own dcc.Location (a push of it moves the page's URL too)
    total: Any


SCENARIO_OUT = ScenarioOut(search=Output({"type": "whatif-url", "panel": MATCH}, "search"),
                           total=Output({"type": "whatif-total", "panel": MATCH}, "children"))
SCENARIO = Scenario(
    values=Input({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "value"),
    ids=State({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "id"),
    search=State("url", "search"), pathname=State("url", "pathname"), pins=State({"type": "pin", "i": ALL}, "data"))


def _published(host: Host, panel_id: str | None, res: Resolved) -> dict[str, float] | None:
    """The published weights of a what-if panel, from the server (None: no such panel)."""
    panel = host.panel(panel_id)
    if panel is None or panel.spec.kind != VISUAL.name:
        return None
    df, _ = host.data(panel, res)
    return published_weights(df, panel.options)


def scenario(host: Host, inp: Scenario) -> ScenarioOut:
    """The sliders' weights into the URL (only those that differ from the published ones, of
    indicators the panel has: a URL's weight of any other indicator goes) and the panel's total."""
    try:
        res = host.resolve(inp.search, inp.pathname, inp.pins)
        published = _published(host, safe_id((inp.ids or [{}])[0], "panel"), res)
        if published is None:
            return ScenarioOut(no_update, no_update)
        top, step = slider_scale(published.values())
        sent = client_weights(inp.ids, inp.values)
        weights = {code: round(min(sent.get(code, w), top), _digits(step)) for code, w in published.items()}
        state = parse_query(inp.search)
        changed = {c: v for c, v in weights.items() if abs(v - published[c]) > 1e-9}
        query = state.with_(w=tuple(sorted(changed.items()))).to_query()
        total = total_text(weights.values(), published.values(), res.ctx.lang)
        return ScenarioOut(no_update if query == (inp.search or "") else query, total)
    except Exception:  # noqa: BLE001 - the table shows the panel's error; the URL stays as it is
        return ScenarioOut(no_update, no_update)


class Reset(NamedTuple):
    """The reset button's inputs."""

    n_clicks: Any
    ids: Any
    search: Any
    pathname: Any
    pins: Any


RESET_OUT = Output({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "value")
RESET = Reset(n_clicks=Input({"type": "whatif-reset", "panel": MATCH}, "n_clicks"),
              ids=State({"type": "whatif-w", "panel": MATCH, "ind": ALL}, "id"),
              search=State("url", "search"), pathname=State("url", "pathname"),
              pins=State({"type": "pin", "i": ALL}, "data"))


def reset(host: Host, inp: Reset):
    """The sliders back at the published weights (read on the server, not from the client)."""
    ids = inp.ids or []
    if not inp.n_clicks or not ids:
        return [no_update] * len(ids)
    res = host.resolve(inp.search, inp.pathname, inp.pins)
    published = _published(host, safe_id(ids[0], "panel"), res)
    if published is None:
        return [no_update] * len(ids)
    top, step = slider_scale(published.values())
    return [round(min(published.get(safe_id(i, "ind"), 0.0), top), _digits(step)) for i in ids]


def register_callbacks(app, host: Host) -> None:
    """The sliders re-rank the streets of their own panel (pattern-matching on the panel id), keep
    the scenario in the URL and the totals current; the reset button restores the published weights."""
    app.callback(TABLE, *WEIGHTS)(lambda *args: reranked(host, Weights(*args)))
    app.callback(*SCENARIO_OUT, *SCENARIO, prevent_initial_call=True)(
        lambda *args: tuple(scenario(host, Scenario(*args))))
    app.callback(RESET_OUT, *RESET, prevent_initial_call=True)(lambda *args: reset(host, Reset(*args)))


def reads(p: PanelContext) -> list:
    """The scenario in the URL sets the sliders."""
    return sorted(map(list, p.res.state.w))


VISUAL = Visual(name="whatif", reads=reads, options=WhatIfOptions, render=render, columns=_columns, output="component",
                register_callbacks=register_callbacks,
                description="what-if weights: sliders per indicator re-rank the streets (not persisted)")
