"""Gauges: one value against its maximum (dial or bullet), or progress bars for several rows."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, Format, Options, RenderContext, Threshold, Visual, base_layout, empty_figure,
                                  plain, require_columns, rgba, threshold_color, to_float)


class GaugeOptions(Options):
    value: str = Field(description="column holding the value (first row; every row in progress mode)")
    max: float | str = Field(default=100, description="the full scale: a number, or a column holding it")
    target: float | str | None = Field(default=None, description="optional target marker: a number or a column")
    mode: Literal["gauge", "bullet", "progress"] = Field(
        default="gauge", description="'gauge': dial; 'bullet': horizontal bullet; 'progress': one bar per row")
    label: str | None = Field(default=None, description="progress mode: column naming each row's bar")
    unit: str | None = Field(default=None, description="progress mode: optional column of units, shown after "
                                                       "the label (办结率（%）, Closure rate (%))")
    format: Format = Format()
    thresholds: list[Threshold] = Field(
        default_factory=list, description="colour steps on the value (gauge, bullet) or on the share of max, "
                                          "0–1 (progress)")
    color: str = Field(default="#2f6fde", description="bar colour where no threshold applies")


def _col(v: float | str | None) -> set[str]:
    return {v} if isinstance(v, str) else set()


def _columns(o: GaugeOptions) -> set[str]:
    progress = o.mode == "progress"
    return ({o.value} | _col(o.max) | _col(o.target) | ({o.label} if o.label and progress else set())
            | ({o.unit} if o.unit and progress else set()))


def _with_unit(label: str, unit, lang: str) -> str:
    if unit is None or (not isinstance(unit, str) and pd.isna(unit)) or not str(unit):
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _pick(df: pd.DataFrame, spec: float | str | None, row: int) -> float | None:
    if spec is None:
        return None
    return to_float(df[spec].iloc[row]) if isinstance(spec, str) else float(spec)


def _steps(o: GaugeOptions, top: float) -> list[dict]:
    """Threshold bands behind the dial: each from its `from` to the next one (or the top)."""
    ts = sorted(o.thresholds, key=lambda t: t.from_)
    bounds = [t.from_ for t in ts] + [top]
    return [{"range": [bounds[i], max(bounds[i], bounds[i + 1])], "color": rgba(t.color, 0.25)}
            for i, t in enumerate(ts)]


def _dial(df: pd.DataFrame, o: GaugeOptions, ctx: RenderContext) -> dict:
    s = o.format.scale
    value = to_float(df[o.value].iloc[0])
    if value is None:
        return empty_figure(ctx)
    value *= s  # like kpi: thresholds, axis and number all speak the shown (scaled) unit
    top = _pick(df, o.max, 0)
    top = top * s if top else max(value, 1.0)
    target = _pick(df, o.target, 0)
    bar_colour = threshold_color(value, o.thresholds, o.color)
    gauge = {"shape": "bullet" if o.mode == "bullet" else "angular",
             "axis": {"range": [0, top], "tickformat": o.format.axis, "ticksuffix": o.format.suffix},
             "bar": {"color": bar_colour, "thickness": 0.6 if o.mode == "bullet" else 0.75},
             "bgcolor": "rgba(128,128,128,0.12)", "borderwidth": 0,
             "steps": _steps(o, top)}
    if target is not None:
        gauge["threshold"] = {"value": target * s, "thickness": 0.85,
                              "line": {"color": ctx.font_color, "width": 3}}
    indicator = {"type": "indicator", "mode": "gauge+number", "value": value, "gauge": gauge,
                 "number": {"valueformat": o.format.d3, "suffix": o.format.suffix,
                            "font": {"color": bar_colour, "size": 40 if ctx.wall else 28}},
                 "domain": {"x": [0, 1], "y": [0, 1]}}
    margin = {"l": 24, "r": 24, "t": 24, "b": 8} if o.mode == "gauge" else {"l": 16, "r": 24, "t": 8, "b": 24}
    return {"data": [indicator], "layout": base_layout(ctx, margin=margin, showlegend=False)}


def _progress(df: pd.DataFrame, o: GaugeOptions, ctx: RenderContext) -> dict:
    labels, shares, colours, texts, custom = [], [], [], [], []
    for i in range(len(df)):
        value, top = _pick(df, o.value, i), _pick(df, o.max, i)
        share = None if value is None or not top else value / top
        label = str(df[o.label].iloc[i]) if o.label else ctx.label(o.value)
        labels.append(plain(_with_unit(label, df[o.unit].iloc[i] if o.unit else None, ctx.lang)))
        shares.append(share)
        colours.append(threshold_color(share, o.thresholds, o.color))
        done = o.format.apply(value) if value is not None else "—"
        whole = o.format.apply(top) if top is not None else "—"
        pct = f"{share:.0%}" if share is not None else "—"
        texts.append(f"{done} / {whole}  {pct}")
        custom.append([done, whole, pct])
    size = 18 if ctx.wall else 12
    # the grey track is always full length, so its outside text lines up at the right of every row;
    # the axis runs past 1 to leave that text room
    track = {"type": "bar", "orientation": "h", "y": labels, "x": [1.0] * len(labels), "hoverinfo": "skip",
             "marker": {"color": "rgba(128,128,128,0.15)"}, "showlegend": False, "text": texts,
             "textposition": "outside", "cliponaxis": False, "textfont": {"size": size, "color": ctx.font_color}}
    bars = {"type": "bar", "orientation": "h", "y": labels,
            "x": [None if v is None else max(0.0, min(v, 1.0)) for v in shares],
            "marker": {"color": colours}, "customdata": custom, "showlegend": False,
            "hovertemplate": "%{y}: %{customdata[0]} / %{customdata[1]} (%{customdata[2]})<extra></extra>"}
    layout = base_layout(ctx, barmode="overlay", bargap=0.45, showlegend=False,
                         margin={"l": 8, "r": 8, "t": 8, "b": 8},
                         xaxis={"visible": False, "range": [0, 1.6]},
                         yaxis={"type": "category", "autorange": "reversed", "automargin": True,
                                "showgrid": False, "ticks": ""})
    return {"data": [track, bars], "layout": layout}


def render(df: pd.DataFrame, o: GaugeOptions, ctx: RenderContext) -> dict:
    require_columns(df, _columns(o), "gauge")
    if df.empty:
        return empty_figure(ctx)
    return _progress(df, o, ctx) if o.mode == "progress" else _dial(df, o, ctx)


VISUAL = Visual(key_number=keynumbers.gauge, name="gauge", reads=reads_nothing,
                options=GaugeOptions, render=render, columns=_columns,
                description="dial or bullet gauge of one value against a maximum, or progress bars per row")
