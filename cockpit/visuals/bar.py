"""Bar and stacked bar charts, vertical or horizontal."""

from __future__ import annotations

import html

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cockpit.text import Text

from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, PALETTE, Format, Options, RenderContext, Visual, base_layout, clicked_value,
                                  empty_figure, plain)


class Reference(BaseModel):
    """A marked value on the value axis, with its meaning."""

    model_config = ConfigDict(extra="forbid")
    value: float
    label: Text = Field(description="what the value means, in both languages")


class BarOptions(Options):
    x: str = Field(description="category column")
    y: list[str] | str = Field(description="value column(s); several columns make grouped or stacked bars")
    series: str | None = Field(default=None, description="long format: column whose values become series")
    stacked: bool = False
    horizontal: bool = False
    format: Format = Format()
    colors: list[str] = Field(default_factory=list)
    value_range: tuple[float, float] | None = Field(
        default=None, description="fixed [low, high] of the value axis (e.g. a score's whole scale), instead of "
                                  "fitting the data")
    reference: Reference | None = Field(default=None, description="a dashed line across the bars at a value "
                                                                  "that means something (e.g. 100 = on target)")


def _ys(o: BarOptions) -> list[str]:
    return [o.y] if isinstance(o.y, str) else list(o.y)


def _columns(o: BarOptions) -> set[str]:
    return {o.x, *_ys(o)} | ({o.series} if o.series else set())


def _cats(values: pd.Series) -> list[str]:
    """Category labels as the chart shows them (escaped: data is never markup)."""
    return [plain(v) for v in values.astype(str)]


def _num(values, scale: float = 1.0) -> list:
    return [None if pd.isna(v) else float(v) * scale for v in values]


def render(df: pd.DataFrame, o: BarOptions, ctx: RenderContext) -> dict:
    missing = sorted(_columns(o) - set(df.columns))
    if missing:
        raise KeyError(f"bar: the result has no column {', '.join(missing)}")
    if df.empty:
        return empty_figure(ctx)
    colours = o.colors or PALETTE
    traces = []
    if o.series:
        y = _ys(o)[0]
        for i, (name, part) in enumerate(df.groupby(o.series, sort=False)):
            traces.append((plain(name), _cats(part[o.x]), _num(part[y], o.format.scale), colours[i % len(colours)]))
    else:
        for i, y in enumerate(_ys(o)):
            traces.append((ctx.label(y), _cats(df[o.x]), _num(df[y], o.format.scale), colours[i % len(colours)]))
    data = []
    for name, cats, vals, colour in traces:
        trace = {"type": "bar", "name": name, "marker": {"color": colour},
                 "hovertemplate": f"%{{{'y' if o.horizontal else 'x'}}}: %{{{'x' if o.horizontal else 'y'}:{o.format.d3}}}"
                                  f"{o.format.suffix}<extra>%{{fullData.name}}</extra>"}
        if o.horizontal:
            trace.update(orientation="h", y=cats, x=vals)
        else:
            trace.update(x=cats, y=vals)
        data.append(trace)
    selected = ctx.panel.selected.get(o.x) if ctx.panel is not None else None
    if selected is not None:
        # The bar the page filters on stands out; the others stay, faded, to switch to.
        shown = plain(selected)
        for trace, (_, cats, _, _) in zip(data, traces):
            trace.update(selectedpoints=[i for i, c in enumerate(cats) if c == shown],
                         selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0.3}})
    cat_axis = {"type": "category", "automargin": True}
    val_axis = {"tickformat": o.format.axis, "ticksuffix": o.format.suffix, "gridcolor": "rgba(128,128,128,0.2)",
                "automargin": True}
    if o.horizontal:
        cat_axis["autorange"] = "reversed"
    if df[o.x].nunique() <= 24:
        # Every category labelled (plotly skips some when it guesses they would collide).
        cat_axis.update(tickmode="linear", dtick=1)
    if o.value_range is not None:
        val_axis.update(range=list(o.value_range), autorange=False)
    layout = base_layout(ctx, barmode="stack" if o.stacked else "group", showlegend=len(data) > 1,
                         xaxis=val_axis if o.horizontal else cat_axis,
                         yaxis=cat_axis if o.horizontal else val_axis)
    if o.reference is not None:
        v, side = o.reference.value * o.format.scale, ("x" if o.horizontal else "y")
        line = {"type": "line", "line": {"color": ctx.font_color, "width": 1.5, "dash": "dash"},
                f"{side}0": v, f"{side}1": v, f"{side}ref": side,
                f"{'y' if o.horizontal else 'x'}0": 0, f"{'y' if o.horizontal else 'x'}1": 1,
                f"{'y' if o.horizontal else 'x'}ref": "paper"}
        note = {"text": plain(o.reference.label.get(ctx.lang)), "showarrow": False, f"{side}ref": side, side: v,
                f"{'y' if o.horizontal else 'x'}ref": "paper", ("y" if o.horizontal else "x"): 1,
                "xanchor": "left", "yanchor": "bottom", "font": {"size": 14 if ctx.wall else 11}}
        layout["shapes"] = [line]
        layout["annotations"] = [note]
    return {"data": data, "layout": layout}


def point_value(point: dict, o: BarOptions, column: str):
    """A clicked bar's value of `column`: the categories are on y when the chart is horizontal; the
    series (long format) is the clicked trace's name; a value column of several (wide format) has
    a value only when the clicked bar is of that column."""
    if o.series and column == o.series:
        name = point.get("name")
        return html.unescape(name) if isinstance(name, str) else None
    ys = _ys(o)
    if len(ys) > 1 and column in ys:
        # one trace per value column, in order: the clicked bar's value when it is this column's
        on = point.get("curveNumber") == ys.index(column)
        return clicked_value({"x": point.get("x"), "y": point.get("y")}, "x" if o.horizontal else "y") if on else None
    if column == o.x:
        axis = "y" if o.horizontal else "x"
    elif column == o.y:
        axis = "x" if o.horizontal else "y"
    else:
        axis = "x"
    return clicked_value(point, axis)


VISUAL = Visual(key_number=keynumbers.bar, name="bar", reads=reads_nothing,
                options=BarOptions, render=render, columns=_columns, point_value=point_value,
                description="bar / grouped / stacked bar chart")
