"""Choropleth map of the children of the selected region (offline: plotly geo).

The kind fetches its own geometry, region names and selected region (`prepare`, into
`ctx.extra`). In the app the figure names its geometry by URL (`cockpit.geo.children_url`: one
immutable file per snapshot and level, which the browser fetches once and keeps), so no answer
carries geometry; rendered outside the app it is given inline. While the client shows the same
level (`update_key`), updates only patch the value trace (`update`, see `values`). A click on a
region drills down to it (`click`)."""

from __future__ import annotations

import pandas as pd
from plotly.colors import get_colorscale, sample_colorscale
from pydantic import Field, field_validator

from cockpit.filters import FilterState
from cockpit.geo import children_geojson, children_url
from cockpit.visuals import keynumbers
from cockpit.visuals.base import Format, Options, PanelContext, RenderContext, Visual, base_layout, plain


#: Index of the trace holding the values (0 is the grey base of every region).
VALUE_TRACE = 1
#: Where on the named colour scale the map's scale starts: the first tenth of a sequential scale
#: is near white, and a small region with the lowest value (an island) vanished on the page.
SCALE_START = 0.12

#: What a value-only update replaces in the value trace.
VALUE_KEYS = ("z", "text", "customdata", "zmin", "zmax", "zauto")


class ChoroplethOptions(Options):
    location: str = Field(default="region_code", description="column holding region codes")
    value: str = Field(description="column coloured on the map")
    colorscale: str = "Blues"
    reverse: bool = Field(default=False, description="reverse the colour scale (e.g. when lower is better)")
    format: Format = Format()
    legend: bool = True
    note: str | None = Field(default=None, description="column of a text added to a region's hover label "
                                                       "(e.g. a veto mark); empty or missing: nothing")

    @field_validator("colorscale")
    @classmethod
    def _known_scale(cls, v: str) -> str:
        get_colorscale(v)  # raises naming the valid scales
        return v


def _columns(o: ChoroplethOptions) -> set[str]:
    return {o.location, o.value} | ({o.note} if o.note else set())


def values(df: pd.DataFrame, o: ChoroplethOptions, ctx: RenderContext) -> dict:
    """Per-feature values in the order of the GeoJSON features (what a Patch replaces in
    `data[VALUE_TRACE]`)."""
    features = ctx.extra.get("geojson", {}).get("features", [])
    names: dict[str, str] = ctx.extra.get("names", {})
    by_code = {str(k): (None if pd.isna(v) else float(v)) for k, v in zip(df[o.location], df[o.value])}
    codes = [f["id"] for f in features]
    z = [by_code.get(c) for c in codes]
    notes = ({str(k): n for k, n in zip(df[o.location], df[o.note]) if isinstance(n, str) and n}
             if o.note and o.note in df.columns else {})
    text = [f"{plain(names.get(c, c))}<br>{o.format.apply(v)}" + (f"<br>{plain(notes[c])}" if c in notes else "")
            for c, v in zip(codes, z)]
    known = [v for v in z if v is not None]
    if known and min(known) == max(known):
        # One value (e.g. a single street in scope): anchor the scale at 0 so it reads as an amount.
        zrange = {"zauto": False, "zmin": 0, "zmax": max(known[0], 1)}
    else:
        zrange = {"zauto": True, "zmin": None, "zmax": None}
    return {"locations": codes, "z": z, "text": text, "customdata": codes, **zrange}


def visible_scale(name: str, steps: int = 9) -> list[list]:
    """The named colour scale from SCALE_START on, as plotly [[position, colour], …] steps."""
    points = [SCALE_START + (1 - SCALE_START) * i / (steps - 1) for i in range(steps)]
    return [[i / (steps - 1), colour] for i, colour in enumerate(sample_colorscale(get_colorscale(name), points))]


def render(df: pd.DataFrame, o: ChoroplethOptions, ctx: RenderContext) -> dict:
    # The geometry's URL when served by the app (plotly.js fetches it), else the GeoJSON itself.
    geojson = ctx.extra.get("geojson_url") or ctx.extra.get("geojson") or {"type": "FeatureCollection", "features": []}
    v = values(df, o, ctx)
    selected = ctx.extra.get("selected")
    line_colour = "#0b1830" if ctx.theme == "dark" else "#ffffff"
    trace = {
        "type": "choropleth", "geojson": geojson, "featureidkey": "id", "locationmode": "geojson-id",
        "locations": v["locations"], "z": v["z"], "text": v["text"], "customdata": v["customdata"],
        "hovertemplate": "%{text}<extra></extra>", "colorscale": visible_scale(o.colorscale), "reversescale": o.reverse,
        "marker": {"line": {"color": line_colour, "width": 0.8}},
        "showscale": o.legend,
        "colorbar": {"thickness": 10, "len": 0.6, "tickformat": o.format.axis, "ticksuffix": o.format.suffix,
                     "x": 0.98, "outlinewidth": 0},
    }
    if not v["zauto"]:
        trace.update(zauto=False, zmin=v["zmin"], zmax=v["zmax"])
    # Regions without a value are still drawn, in grey, under the coloured ones.
    base = {"type": "choropleth", "geojson": geojson, "featureidkey": "id", "locationmode": "geojson-id",
            "locations": v["locations"], "z": [0] * len(v["locations"]), "showscale": False,
            "colorscale": [[0, "#dde3ec"], [1, "#dde3ec"]], "hoverinfo": "skip",
            "marker": {"line": {"color": line_colour, "width": 0.8}}}
    data = [base, trace]
    if selected and selected in v["locations"]:
        # Outline the selected region on top of the fill.
        data.append({"type": "choropleth", "geojson": geojson, "featureidkey": "id",
                     "locationmode": "geojson-id", "locations": [selected], "z": [0],
                     "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], "showscale": False,
                     "marker": {"line": {"color": "#f28e2b", "width": 3}}, "hoverinfo": "skip"})
    layout = base_layout(ctx, margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode=False, showlegend=False,
                         geo={"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                              "bgcolor": "rgba(0,0,0,0)", "showframe": False})
    if not v["locations"]:
        layout["annotations"] = [{"text": "暂无地图" if ctx.lang == "zh" else "No map", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
    return {"data": data, "layout": layout}


def prepare(p: PanelContext) -> dict:
    """The map's level: the children of the map parent (geometry, names in the viewer's language)
    and the selected region among them (None when the map shows the selected region's children)."""
    parent = p.res.ctx.map_parent
    return {"geojson": children_geojson(p.db, p.snapshot, parent),  # the feature order of the values
            "geojson_url": children_url(p.snapshot, parent),
            "names": {c: r.label(p.lang) for c, r in p.regions.by_code.items() if r.parent == parent},
            "selected": p.res.ctx.region if p.res.ctx.region != parent else None}


def update_key(ctx: RenderContext) -> str | None:
    """The geometry and outline the client has: snapshot, level, selected region, language."""
    if ctx.panel is None:
        return None
    return f"{ctx.panel.snapshot}|{ctx.panel.res.ctx.map_parent}|{ctx.extra.get('selected')}|{ctx.lang}"


def update(df: pd.DataFrame, o: ChoroplethOptions, ctx: RenderContext) -> list[tuple[tuple, object]]:
    """Same level on the client: only the values of the value trace change."""
    v = values(df, o, ctx)
    return [(("data", VALUE_TRACE, name), v[name]) for name in VALUE_KEYS]


def click(state: FilterState, point: dict, o: ChoroplethOptions) -> FilterState:
    """A click on a region selects it (the map then shows its children)."""
    code = point.get("location")
    return state.with_(region=code, street=None) if isinstance(code, str) else state


def reads(p: PanelContext) -> list:
    """The level the map shows and the region outlined on it (what `prepare` reads)."""
    return [p.res.ctx.map_parent, p.res.ctx.region]


VISUAL = Visual(key_number=keynumbers.choropleth, name="choropleth", reads=reads, options=ChoroplethOptions, render=render, columns=_columns,
                description="map of the selected region's children coloured by a value; click to drill down",
                prepare=prepare, update_key=update_key, update=update, click=click)
