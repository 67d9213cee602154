"""What-if weights: one slider per indicator; moving one re-scores and re-ranks the streets.

The panel SQL lists the indicators (columns indicator, name, weight). The recomputation is the
documented street-score method with the weights bound as parameters (cockpit.analytics.scores);
nothing is persisted. The sliders' callback lives with the other generic callbacks."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html
from pydantic import Field

from cockpit.visuals.base import Options, RenderContext, Visual, no_data_text

MAX_WEIGHT = 5.0


class WhatIfOptions(Options):
    indicator: str = Field(default="indicator", description="column of indicator codes")
    name: str = Field(default="name", description="column of indicator names")
    weight: str = Field(default="weight", description="column of the published weights")
    rows: int = Field(default=15, ge=1, le=200, description="streets shown in the re-ranked table")


def _columns(o: WhatIfOptions) -> set[str]:
    return {o.indicator, o.name, o.weight}


def render(df: pd.DataFrame, o: WhatIfOptions, ctx: RenderContext):
    if df.empty:
        return html.Div(no_data_text(ctx), className="whatif-empty")
    sliders = []
    for code, name, weight in zip(df[o.indicator], df[o.name], df[o.weight]):
        w = float(weight) if not pd.isna(weight) else 0.0
        sliders.append(html.Div(className="whatif-row", children=[
            html.Span(str(name), className="whatif-name", title=str(code)),
            dcc.Slider(id={"type": "whatif-w", "panel": ctx.panel_id, "ind": str(code)}, min=0, max=MAX_WEIGHT,
                       step=0.05, value=round(w, 2), marks=None, updatemode="mouseup",
                       tooltip={"placement": "right", "always_visible": True}, className="whatif-slider"),
        ]))
    hint = ("拖动权重，得分与排名即时重算（不保存）" if ctx.lang == "zh"
            else "Drag a weight: scores and ranks recompute (nothing is saved)")
    return html.Div(className="whatif", children=[
        html.Div(className="whatif-weights", children=[html.P(hint, className="whatif-hint"), *sliders]),
        html.Div(id={"type": "whatif-out", "panel": ctx.panel_id}, className="whatif-out"),
    ])


VISUAL = Visual(name="whatif", options=WhatIfOptions, render=render, columns=_columns, output="component",
                description="what-if weights: sliders per indicator re-rank the streets (not persisted)")
