"""Line and (stacked) area charts over time or any ordered x, with an optional dashed comparison period."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, PALETTE, Format, Options, RenderContext, Visual, base_layout, empty_figure,
                                  plain, require_columns, rgba, to_float)


class LineOptions(Options):
    x: str = Field(description="x column, usually a date or period")
    y: list[str] | str = Field(description="value column(s); several columns make several lines")
    series: str | None = Field(default=None, description="long format: column whose values become lines "
                                                         "(then only the first y is used)")
    area: bool = Field(default=False, description="stacked area instead of lines")
    markers: bool = Field(default=False, description="draw a marker on every point")
    format: Format = Format()
    compare: str | None = Field(default=None, description="column of the comparison period's values, drawn "
                                                          "dashed beside the first y (or beside each series)")
    y_from_zero: bool = Field(default=True, description="start the value axis at zero")
    y_reversed: bool = Field(default=False, description="smaller values on top (e.g. ranks, 1 = best)")
    colors: list[str] = Field(default_factory=list, description="line colours; default the cockpit palette")


def _ys(o: LineOptions) -> list[str]:
    return [o.y] if isinstance(o.y, str) else list(o.y)


def _columns(o: LineOptions) -> set[str]:
    cols = {o.x, *(_ys(o)[:1] if o.series else _ys(o))}
    return cols | ({o.series} if o.series else set()) | ({o.compare} if o.compare else set())


def _x_values(values: pd.Series) -> list:
    """x as JSON: dates as ISO strings (plotly reads them as a date axis), numbers as floats, else text
    (escaped: data is never markup)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        midnight = (values.dropna().dt.normalize() == values.dropna()).all()
        return [None if pd.isna(v) else v.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
                for v in values]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return [to_float(v) for v in values]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else plain(v) for v in values]


def _x_axis(values: pd.Series) -> dict:
    """Axis type and tick format for the x values.

    Dates get numeric tick formats (plotly's default ticks are English month names, and a monthly series
    would get ticks in mid-month); text such as '2026-11' stays categorical instead of being read as a date.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        v = values.dropna()
        if len(v) and (v.dt.normalize() != v).any():
            return {"type": "date", "tickformat": "%m-%d %H:%M", "hoverformat": "%Y-%m-%d %H:%M"}
        if len(v) and (v.dt.day == 1).all():
            months = (v.max().year - v.min().year) * 12 + v.max().month - v.min().month + 1
            dtick = "M1" if months <= 13 else "M3" if months <= 40 else "M12"
            return {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m", "dtick": dtick}
        return {"type": "date", "tickformat": "%m-%d", "hoverformat": "%Y-%m-%d"}
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return {"type": "linear"}
    return {"type": "category"}


def _scaled(values: pd.Series, scale: float) -> list:
    return [None if (f := to_float(v)) is None else f * scale for v in values]


def render(df: pd.DataFrame, o: LineOptions, ctx: RenderContext) -> dict:
    require_columns(df, _columns(o), "line")
    if df.empty:
        return empty_figure(ctx)
    colours = o.colors or PALETTE
    cmp_name = ctx.label(o.compare) if o.compare else ""
    # (name, frame, value column, colour): one per line, whatever the input shape
    lines: list[tuple[str, pd.DataFrame, str, str]] = []
    if o.series:
        for i, (name, part) in enumerate(df.groupby(o.series, sort=False, dropna=False)):
            label = "—" if pd.isna(name) else plain(name)
            lines.append((label, part, _ys(o)[0], colours[i % len(colours)]))
    else:
        for i, y in enumerate(_ys(o)):
            lines.append((ctx.label(y), df, y, colours[i % len(colours)]))
    fmt = f"%{{y:{o.format.d3}}}{o.format.suffix}"
    width = 3 if ctx.wall else 2
    data = []
    for i, (name, part, y, colour) in enumerate(lines):
        xs = _x_values(part[o.x])
        trace = {"type": "scatter", "name": name, "x": xs, "y": _scaled(part[y], o.format.scale),
                 "mode": "lines+markers" if o.markers else "lines",
                 "line": {"color": colour, "width": width}, "marker": {"size": 8 if ctx.wall else 6},
                 "connectgaps": False, "hovertemplate": f"%{{x}}: {fmt}<extra>%{{fullData.name}}</extra>"}
        if o.area:
            trace.update(stackgroup="area", fillcolor=rgba(colour, 0.35))
        data.append(trace)
        # compare goes with the first y only (several y columns share one comparison column)
        if o.compare and (o.series or i == 0):
            cmp_label = f"{name} · {cmp_name}" if len(lines) > 1 else cmp_name
            data.append({"type": "scatter", "name": cmp_label, "x": xs,
                         "y": _scaled(part[o.compare], o.format.scale), "mode": "lines",
                         "line": {"color": colour, "width": max(1, width - 1), "dash": "dash"},
                         "opacity": 0.7, "connectgaps": False,
                         "hovertemplate": f"%{{x}}: {fmt}<extra>%{{fullData.name}}</extra>"})
    val_axis = {"tickformat": o.format.axis, "ticksuffix": o.format.suffix, "gridcolor": "rgba(128,128,128,0.2)",
                "automargin": True, "zeroline": False}
    if o.y_from_zero:
        val_axis["rangemode"] = "tozero"
    if o.y_reversed:
        val_axis["autorange"] = "reversed"
    layout = base_layout(ctx, showlegend=len(data) > 1, hovermode="x unified",
                         xaxis={"automargin": True, "showgrid": False, **_x_axis(df[o.x])}, yaxis=val_axis)
    return {"data": data, "layout": layout}


VISUAL = Visual(key_number=keynumbers.line, name="line", reads=reads_nothing,
                options=LineOptions, render=render, columns=_columns,
                description="line / stacked area chart, wide or long format, optional dashed comparison period")
