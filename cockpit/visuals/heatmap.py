"""Heatmap of a value over two categories (e.g. category × street), from long-format rows."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import plotly.colors
from pydantic import Field, field_validator

from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, Format, Options, RenderContext, Visual, base_layout, empty_figure, plain,
                                  require_columns, to_float)

Order = Literal["given", "total", "name"]


class HeatmapOptions(Options):
    x: str = Field(description="column of the categories across (columns of the matrix)")
    y: str = Field(description="column of the categories down (rows of the matrix)")
    value: str = Field(description="column of the cell value; repeated (x, y) pairs are summed")
    x_order: Order = Field(default="given", description="'given': as the rows come; 'total': largest sum "
                                                        "first; 'name': alphabetical")
    y_order: Order = Field(default="given", description="as x_order; with 'total' the largest row is on top")
    colorscale: str | list[tuple[float, str]] = Field(
        default="Blues", description="plotly.py colorscale name, low → high (e.g. 'Blues', 'YlOrRd', 'RdBu_r'), "
                                     "or [[0, colour], [1, colour]]")
    reverse: bool = Field(default=False, description="reverse the colorscale")
    text: bool = Field(default=True, description="write each cell's value in the cell")
    zmin: float | None = Field(default=None, description="value at the bottom of the colour scale")
    zmax: float | None = Field(default=None, description="value at the top of the colour scale")
    format: Format = Format()
    colorbar: bool = Field(default=True, description="show the colour bar")

    @field_validator("colorscale")
    @classmethod
    def _known_scale(cls, v: str | list) -> str | list:
        if isinstance(v, str):
            try:
                plotly.colors.get_colorscale(v)
            except Exception:
                raise ValueError(f"unknown colorscale {v!r}; use a plotly.py name such as 'Blues', 'YlOrRd', "
                                 "'Viridis' (add '_r' to reverse) or a list of [position, colour]") from None
        return v


def _columns(o: HeatmapOptions) -> set[str]:
    return {o.x, o.y, o.value}


def _label(v) -> str:
    return "—" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _order(keys: list[str], totals: dict[str, float], how: Order) -> list[str]:
    if how == "total":
        return sorted(keys, key=lambda k: -totals.get(k, 0.0))  # stable: ties keep their given order
    if how == "name":
        return sorted(keys)
    return keys


def matrix(df: pd.DataFrame, o: HeatmapOptions) -> tuple[list[str], list[str], list[list[float | None]]]:
    """(x labels, y labels, z) with z[i][j] the sum for y[i] and x[j]; None where no row had a value."""
    cells: dict[tuple[str, str], float] = {}
    xs: dict[str, None] = {}
    ys: dict[str, None] = {}
    x_tot: dict[str, float] = {}
    y_tot: dict[str, float] = {}
    for xv, yv, v in df[[o.x, o.y, o.value]].itertuples(index=False, name=None):
        x, y, f = _label(xv), _label(yv), to_float(v)
        xs.setdefault(x)
        ys.setdefault(y)
        if f is None:
            continue
        f *= o.format.scale
        cells[(x, y)] = cells.get((x, y), 0.0) + f
        x_tot[x] = x_tot.get(x, 0.0) + f
        y_tot[y] = y_tot.get(y, 0.0) + f
    x_keys = _order(list(xs), x_tot, o.x_order)
    y_keys = _order(list(ys), y_tot, o.y_order)
    z = [[cells.get((x, y)) for x in x_keys] for y in y_keys]
    return x_keys, y_keys, z


def colorscale(spec: str | list) -> list:
    """The scale as [position, colour] pairs. Names are resolved here, with plotly.py's meaning: plotly.js
    knows fewer names and runs some backwards (its 'Blues' and 'YlOrRd' put the dark end at zero)."""
    return plotly.colors.get_colorscale(spec) if isinstance(spec, str) else [list(p) for p in spec]


def wrapped(label: str, width: int = 12) -> str:
    """`label` broken at the space nearest its middle when it is longer than `width` characters."""
    if len(label) <= width or " " not in label:
        return label
    middle = len(label) / 2
    cut = min((i for i, c in enumerate(label) if c == " "), key=lambda i: abs(i - middle))
    return label[:cut] + "<br>" + label[cut + 1:]


def render(df: pd.DataFrame, o: HeatmapOptions, ctx: RenderContext) -> dict:
    require_columns(df, _columns(o), "heatmap")
    if df.empty:
        return empty_figure(ctx)
    x_keys, y_keys, z = matrix(df, o)
    fmt = f"%{{z:{o.format.d3}}}{o.format.suffix}"
    trace = {
        "type": "heatmap", "x": [plain(k) for k in x_keys], "y": [plain(k) for k in y_keys], "z": z,
        "colorscale": colorscale(o.colorscale),
        "reversescale": o.reverse, "xgap": 1, "ygap": 1, "hoverongaps": False, "showscale": o.colorbar,
        "colorbar": {"tickformat": o.format.axis, "ticksuffix": o.format.suffix, "thickness": 12,
                     "outlinewidth": 0},
        "hovertemplate": f"{ctx.label(o.y)}: %{{y}}<br>{ctx.label(o.x)}: %{{x}}<br>"
                         f"{ctx.label(o.value)}: {fmt}<extra></extra>",
    }
    if o.zmin is not None:
        trace["zmin"] = o.zmin
    if o.zmax is not None:
        trace["zmax"] = o.zmax
    if o.text:
        # texttemplate draws in one layer; per-cell annotations would cost a layout object per cell
        trace.update(texttemplate=fmt, textfont={"size": 16 if ctx.wall else 11})
    cat = {"type": "category", "automargin": True, "showgrid": False, "zeroline": False}
    x_shown = trace["x"]
    # long words-with-spaces labels (English) break over two lines instead of running into each other;
    # the categories stay the keys, so a click still names the value
    ticks = {"tickmode": "array", "tickvals": x_shown, "ticktext": [wrapped(k) for k in x_shown]}
    layout = base_layout(ctx, showlegend=False,
                         xaxis={**cat, **ticks, "tickangle": -30 if len(x_keys) > 8 else 0},
                         yaxis={**cat, "autorange": "reversed"})  # first y row on top, like a table
    return {"data": [trace], "layout": layout}


VISUAL = Visual(key_number=keynumbers.heatmap, name="heatmap", reads=reads_nothing,
                options=HeatmapOptions, render=render, columns=_columns,
                description="heatmap of long-format rows (x, y, value) with ordering, colour scale and cell text")
