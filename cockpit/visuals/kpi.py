"""KPI tile: a value, its change against the comparison period, a sparkline and a threshold colour."""

from __future__ import annotations

import pandas as pd
from dash import html
from pydantic import Field

from cockpit.visuals.base import (Format, Options, RenderContext, Threshold, Visual, base_layout, plain,
                                  threshold_color)


#: The extra query drawing the sparkline under the value (columns x, y).
SPARKLINE = "sparkline"


class KpiOptions(Options):
    value: str = Field(description="column holding the value (first row)")
    compare: str | None = Field(default=None, description="column holding the comparison-period value")
    of: str | None = Field(default=None, description="column holding a total, shown as 'value / total'")
    format: Format = Format()
    higher_is_better: bool = True
    relative: bool = Field(default=True, description="show the change in percent rather than absolute")
    thresholds: list[Threshold] = Field(default_factory=list)
    color: str = "#2f6fde"


def _columns(o: KpiOptions) -> set[str]:
    return {o.value} | ({o.compare} if o.compare else set()) | ({o.of} if o.of else set())


GOOD, BAD = "#26a69a", "#e15759"


def _figures(df: pd.DataFrame, o: KpiOptions) -> tuple[float | None, float | None, str]:
    """(value, comparison value, suffix), scaled: what both the tile and its wall variant show."""
    value = None if df.empty else df[o.value].iloc[0]
    value = None if pd.isna(value) else float(value) * o.format.scale
    ref = None
    # No value, no change: a missing figure must not read as a fall to zero.
    if value is not None and o.compare and not df.empty and not pd.isna(df[o.compare].iloc[0]):
        ref = float(df[o.compare].iloc[0]) * o.format.scale
    suffix = o.format.suffix
    if o.of and not df.empty and not pd.isna(df[o.of].iloc[0]):
        suffix = f" / {o.format.apply(df[o.of].iloc[0])}{suffix}"
    return value, ref, suffix


def render(df: pd.DataFrame, o: KpiOptions, ctx: RenderContext) -> dict:
    value, ref, suffix = _figures(df, o)
    good, bad = GOOD, BAD
    colour = threshold_color(value, o.thresholds, ctx.font_color if ctx.theme == "dark" else o.color)
    indicator = {
        "type": "indicator",
        "mode": "number+delta" if ref not in (None, 0) else "number",
        "value": value if value is not None else 0,
        # No font sizes on the page: plotly then scales number and change to fit the tile, so a
        # long value ("1,234 / 5,678") on a narrow tile (a phone) is never cut.
        "number": {"valueformat": o.format.d3, "suffix": suffix, "font": {"color": colour}},
        "domain": {"x": [0, 1], "y": [0.38, 1]},
    }
    if ref not in (None, 0):
        indicator["delta"] = {
            "reference": ref, "relative": o.relative, "valueformat": ".1%" if o.relative else o.format.d3,
            "increasing": {"color": good if o.higher_is_better else bad},
            "decreasing": {"color": bad if o.higher_is_better else good},
        }
    if ctx.wall:
        indicator["number"]["font"]["size"] = 44
        if "delta" in indicator:
            indicator["delta"]["font"] = {"size": 22}
    data = [indicator]
    spark = ctx.frames.get(SPARKLINE)
    if spark is not None and not spark.empty and {"x", "y"} <= set(spark.columns):
        data.append({"type": "scatter", "mode": "lines", "x": [plain(x) for x in spark["x"].astype(str)],
                     "y": [None if pd.isna(v) else float(v) for v in spark["y"]],
                     "line": {"color": o.color, "width": 2}, "fill": "tozeroy",
                     "fillcolor": "rgba(47,111,222,0.12)", "hoverinfo": "x+y", "xaxis": "x", "yaxis": "y"})
    layout = base_layout(ctx, margin={"l": 8, "r": 8, "t": 8, "b": 4}, showlegend=False,
                         xaxis={"visible": False, "domain": [0, 1]},
                         yaxis={"visible": False, "domain": [0, 0.32]})
    if value is None:
        layout["annotations"] = [{"text": "—", "showarrow": False, "font": {"size": 34},
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.7}]
        data[0]["number"]["font"]["color"] = "rgba(0,0,0,0)"
    return {"data": data, "layout": layout}


def wall(df: pd.DataFrame, o: KpiOptions, ctx: RenderContext) -> html.Div:
    """The wall tile: a large flip number (the wall animates digits that change) and the change
    against the comparison period as an arrow, coloured by whether it is good."""
    value, ref, suffix = _figures(df, o)
    shown = "—" if value is None else o.format.apply(value / o.format.scale)
    if o.format.suffix and shown.endswith(o.format.suffix):
        shown = shown[: -len(o.format.suffix)]
    colour = threshold_color(value, o.thresholds, ctx.font_color)
    parts = [html.Div(className="wall-kpi__value wall-fit", style={"color": colour}, children=[
        html.Span(shown, className="wall-flip", **{"data-value": shown}),
        html.Span(suffix, className="wall-kpi__suffix") if value is not None and suffix else None])]
    if ref not in (None, 0) and value is not None:
        change = (value - ref) / abs(ref) if o.relative else value - ref
        text = format(abs(change), ".1%") if o.relative else o.format.apply(abs(change) / o.format.scale)
        good = (change > 0) == o.higher_is_better
        arrow = "▲" if change > 0 else "▼" if change < 0 else "–"
        vs = "较对比期" if ctx.lang == "zh" else "vs comparison"
        parts.append(html.Div(className="wall-kpi__delta " + ("wall-good" if good or change == 0 else "wall-bad"),
                              children=[html.Span(f"{arrow} {text}"), html.Span(vs, className="wall-kpi__vs")]))
    return html.Div(parts, className="wall-kpi")


VISUAL = Visual(name="kpi", options=KpiOptions, render=render, columns=_columns,
                queries={SPARKLINE: ("x", "y")}, renamed_queries={"spark": SPARKLINE},
                description=f"KPI tile with comparison delta, sparkline (extra query '{SPARKLINE}' with x, y) "
                            "and thresholds", wall=wall)
