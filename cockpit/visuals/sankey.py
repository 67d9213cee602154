"""Sankey of flows, e.g. channel → handling level → department → outcome, one result row per link."""

from __future__ import annotations

import html

import pandas as pd
from pydantic import Field, field_validator

from cockpit.fields import CROSS_FILTER_FIELDS
from cockpit.filters import FilterState, valid_filter_value
from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, PALETTE, Format, Options, RenderContext, Visual, base_layout, empty_figure,
                                  plain, require_columns, rgba, to_float)


class SankeyOptions(Options):
    source: str = Field(default="source", description="column of the link's source node")
    target: str = Field(default="target", description="column of the link's target node")
    value: str = Field(default="value", description="column of the link's size")
    stage: str | None = Field(
        default=None, description="optional column naming the link's stage (e.g. 'channel→level'); stages "
        "ordered by first appearance put a link's source in its stage and its target in the next, so a name "
        "used at two stages (e.g. '其他') becomes two nodes instead of a loop")
    format: Format = Format()
    colors: dict[str, str] = Field(default_factory=dict, description="node label → colour; others take the palette")
    link_alpha: float = Field(default=0.35, ge=0, le=1, description="opacity of a link, coloured like its source")
    node_filters: list[str | None] = Field(
        default_factory=list, description="the cross-filter field of the nodes at each position of the flow, "
        "first the sources (e.g. [\"channel\", \"handling_level\"]; \"\" for a position that does not filter): a "
        "click on such a node filters the page by its name, a second click clears it")

    node_columns: list[str | None] = Field(
        default_factory=list, description="the case column (`[cases] match`) the nodes at each position name, "
        "first the sources (e.g. [\"channel\", \"handling_level\", \"outcome\"]; \"\" for none): a clicked node "
        "or link opens the cases of its node(s)")

    @field_validator("node_columns")
    @classmethod
    def _blank_is_none(cls, v: list[str | None]) -> list[str | None]:
        return [c or None for c in v]

    @field_validator("node_filters")
    @classmethod
    def _known_fields(cls, v: list[str | None]) -> list[str | None]:
        unknown = [f for f in v if f and f not in CROSS_FILTER_FIELDS]
        if unknown:
            raise ValueError(f"node_filters: {', '.join(map(repr, unknown))} is not a cross-filter field "
                             f"(expected one of {', '.join(CROSS_FILTER_FIELDS)}, or \"\")")
        return [f or None for f in v]


def _columns(o: SankeyOptions) -> set[str]:
    return {o.source, o.target, o.value} | ({o.stage} if o.stage else set())


def _name(v) -> str:
    return "—" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def positions(count: int, src: list[int], tgt: list[int]) -> list[int]:
    """Each node's position in the flow: 0 for a node no link enters, else one past the furthest
    of its sources (links form a DAG; a loop stops growing after `count` rounds)."""
    pos = [0] * count
    for _ in range(count):
        moved = False
        for s, t in zip(src, tgt):
            if pos[t] < pos[s] + 1 and pos[s] + 1 < count:
                pos[t] = pos[s] + 1
                moved = True
        if not moved:
            break
    return pos


def build(df: pd.DataFrame, o: SankeyOptions) -> tuple[list[str], list[int], list[int], list[float]]:
    """Node labels in order of first appearance and the links between them (index lists, values).

    Links without a positive value are left out (plotly cannot draw them and they carry no flow), and so
    are the nodes that only they touched.
    """
    stages: dict[str, int] = {}
    keys: dict[tuple, int] = {}
    labels: list[str] = []
    src: list[int] = []
    tgt: list[int] = []
    vals: list[float] = []

    def node(key: tuple, label: str) -> int:
        if key not in keys:
            keys[key] = len(labels)
            labels.append(label)
        return keys[key]

    cols = [o.source, o.target, o.value] + ([o.stage] if o.stage else [])
    for row in df[cols].itertuples(index=False, name=None):
        s, t, v = _name(row[0]), _name(row[1]), to_float(row[2])
        if v is None or v <= 0:
            continue
        level = stages.setdefault(_name(row[3]), len(stages)) if o.stage else 0
        # without stages a node is its name; with them, its name at its position in the flow
        src.append(node((level, s) if o.stage else (s,), s))
        tgt.append(node((level + 1, t) if o.stage else (t,), t))
        vals.append(v * o.format.scale)
    return labels, src, tgt, vals


def render(df: pd.DataFrame, o: SankeyOptions, ctx: RenderContext) -> dict:
    require_columns(df, _columns(o), "sankey")
    labels, src, tgt, vals = ([], [], [], []) if df.empty else build(df, o)
    if not vals:
        return empty_figure(ctx)
    colours = [o.colors.get(label, PALETTE[i % len(PALETTE)]) for i, label in enumerate(labels)]
    fmt = f"%{{value:{o.format.d3}}}{o.format.suffix}"
    trace = {
        # Nodes that filter are fixed: plotly starts dragging a movable node on mouse-down and then
        # drops the click.
        "type": "sankey", "arrangement": "fixed" if any(o.node_filters) else "snap", "valueformat": o.format.d3, "valuesuffix": o.format.suffix,
        # customdata: each node's position in the flow, which `click` maps to a cross-filter field.
        "node": {"label": [plain(label) for label in labels], "color": colours, "pad": 18 if ctx.wall else 12,
                 "customdata": positions(len(labels), src, tgt),
                 "thickness": 22 if ctx.wall else 16, "line": {"width": 0},
                 "hovertemplate": f"%{{label}}: {fmt}<extra></extra>"},
        "link": {"source": src, "target": tgt, "value": vals,
                 "color": [rgba(colours[s], o.link_alpha) for s in src],
                 "hovertemplate": f"%{{source.label}} → %{{target.label}}: {fmt}<extra></extra>"},
        "textfont": {"color": ctx.font_color, "size": 18 if ctx.wall else 12},
    }
    layout = base_layout(ctx, margin={"l": 8, "r": 8, "t": 8, "b": 8}, showlegend=False)
    return {"data": [trace], "layout": layout}


def click(state: FilterState, point: dict, o: SankeyOptions) -> FilterState | None:
    """A click on a node whose position has a `node_filters` field toggles that filter to the node's
    name (as shown: the web layer maps a translated name back to its data value); links and other
    nodes leave the click to the panel's cross-filter."""
    position, label = point.get("customdata"), point.get("label")
    if "source" in point or not isinstance(position, int) or not isinstance(label, str):
        return None
    field = o.node_filters[position] if 0 <= position < len(o.node_filters) else None
    value = html.unescape(label)
    if field is None or not valid_filter_value(value):
        return None
    filters = dict(state.filters)
    if filters.get(field) == value:
        filters.pop(field)
    else:
        filters[field] = value
    return state.with_(filters=filters)


def point_value(point: dict, o: SankeyOptions, column: str):
    """The name a clicked node (or either end of a clicked link) gives the `node_columns` entry
    `column`: the node at that column's position, as shown (the web layer maps a translated name back)."""
    if column not in o.node_columns:
        return None
    at = o.node_columns.index(column)
    if "source" in point:  # a link: its two ends
        ends = [(point.get("source_at"), point.get("source")), (point.get("target_at"), point.get("target"))]
    else:
        ends = [(point.get("customdata"), point.get("label"))]
    for position, label in ends:
        if position == at and isinstance(label, str):
            return html.unescape(label)
    return None



def key_number(df: pd.DataFrame, o: SankeyOptions, ctx: RenderContext) -> str:
    """The flow's total: what enters it at the first position."""
    w = keynumbers.words(ctx)
    if df.empty:
        return w["no_data"]
    labels, src, tgt, vals = build(df, o)
    at = positions(len(labels), src, tgt)
    total = sum(v for s, v in zip(src, vals) if at[s] == 0)  # everything enters at the first position
    return f"{w['total']} {o.format.apply(total)}"



VISUAL = Visual(key_number=key_number, name="sankey", reads=reads_nothing,
                options=SankeyOptions, render=render, columns=_columns, click=click,
                point_value=point_value,
                description="Sankey of flows: one row per link (source, target, value), any number of stages; "
                            "nodes can filter the page (`node_filters`)")
