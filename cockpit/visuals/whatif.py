"""What-if weights: one slider per indicator; moving one re-scores and re-ranks the streets.

The panel SQL lists the indicators (columns indicator, name, weight). The recomputation is the
documented street-score method with the weights bound as parameters (cockpit.analytics.scores);
nothing is persisted. The sliders' callback is the kind's own (`register_callbacks`): its body,
`reranked`, is a plain function of the host and the callback's named inputs."""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, dcc, html
from pydantic import Field

from cockpit.analytics.scores import street_scores_sql
from cockpit.db import Database
from cockpit.filters import Resolved, parse_query
from cockpit.query import run_sql
from cockpit.visuals import ranking_table
from cockpit.visuals.base import Host, Options, RenderContext, Visual, no_data_text, safe_id

MAX_WEIGHT = 5.0
DEFAULT_ROWS = 15


class WhatIfOptions(Options):
    indicator: str = Field(default="indicator", description="column of indicator codes")
    name: str = Field(default="name", description="column of indicator names")
    weight: str = Field(default="weight", description="column of the published weights")
    rows: int = Field(default=DEFAULT_ROWS, ge=1, le=200, description="streets shown in the re-ranked table")


def _columns(o: WhatIfOptions) -> set[str]:
    return {o.indicator, o.name, o.weight}


def slider_id(panel_id: str, indicator: str) -> dict:
    return {"type": "whatif-w", "panel": panel_id, "ind": indicator}


def table_id(panel_id: str) -> dict:
    return {"type": "whatif-out", "panel": panel_id}


def render(df: pd.DataFrame, o: WhatIfOptions, ctx: RenderContext):
    if df.empty:
        return html.Div(no_data_text(ctx), className="whatif-empty")
    sliders = []
    for code, name, weight in zip(df[o.indicator], df[o.name], df[o.weight]):
        w = float(weight) if not pd.isna(weight) else 0.0
        sliders.append(html.Div(className="whatif-row", children=[
            html.Span(str(name), className="whatif-name", title=str(code)),
            dcc.Slider(id=slider_id(ctx.panel_id, str(code)), min=0, max=MAX_WEIGHT,
                       step=0.05, value=round(w, 2), marks=None, updatemode="mouseup",
                       tooltip={"placement": "right", "always_visible": True}, className="whatif-slider"),
        ]))
    hint = ("拖动权重，得分与排名即时重算（不保存）" if ctx.lang == "zh"
            else "Drag a weight: scores and ranks recompute (nothing is saved)")
    return html.Div(className="whatif", children=[
        html.Div(className="whatif-weights", children=[html.P(hint, className="whatif-hint"), *sliders]),
        html.Div(id=table_id(ctx.panel_id), className="whatif-out"),
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
    published = run_sql(street_scores_sql(), res.ctx, db=db)
    extra = {"w_ind": list(weights), "w_val": list(weights.values())} if weights else None
    scenario = run_sql(street_scores_sql(what_if=bool(weights)), res.ctx, db=db, extra=extra)
    published = published[published["period"] == pd.Timestamp(res.ctx.period_start)]
    scenario = scenario[scenario["period"] == pd.Timestamp(res.ctx.period_start)].copy()
    before = dict(zip(published["street_code"], published["rank_all"]))
    scenario["shift"] = [before.get(c, r) - r for c, r in zip(scenario["street_code"], scenario["rank_all"])]
    scenario = scenario.sort_values("rank_all").head(rows)
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


def register_callbacks(app, host: Host) -> None:
    """The sliders re-rank the streets of their own panel (pattern-matching on the panel id)."""
    app.callback(TABLE, *WEIGHTS)(lambda *args: reranked(host, Weights(*args)))


VISUAL = Visual(name="whatif", options=WhatIfOptions, render=render, columns=_columns, output="component",
                register_callbacks=register_callbacks,
                description="what-if weights: sliders per indicator re-rank the streets (not persisted)")
