"""What a visual kind is: an options model, the result columns it needs, a render function and
optional hooks (the `Visual` interface); plus the helpers every kind shares."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cockpit.text import Text

if TYPE_CHECKING:  # the query layer's types (visuals sit above it)
    from cockpit.db import Database
    from cockpit.filters import FilterState, Resolved
    from cockpit.query import QueryContext
    from cockpit.regions import RegionIndex


class Options(BaseModel):
    """Base of every kind's options: unknown keys are errors, so typos are caught by `cockpit check`."""

    model_config = ConfigDict(extra="forbid")


class Format(BaseModel):
    """How numbers are shown: d3-format for plotly, plus a unit suffix."""

    model_config = ConfigDict(extra="forbid")
    d3: str = ",.0f"
    suffix: str = ""
    suffix_en: str | None = Field(default=None, description="the suffix in English (default: the same)")
    scale: float = 1.0

    @property
    def axis(self) -> str:
        """The format for axis ticks and colour bars: without forced decimals, so automatic
        half-step ticks read 0.5, 1, 1.5 instead of repeating rounded labels (0, 1, 1, 2)."""
        return re.sub(r"\.0([f%])", r"~\1", self.d3)

    def apply(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "—"
        v = float(value) * self.scale
        spec = self.d3.replace("~", "")
        try:
            text = format(v, spec) if spec else str(v)
        except ValueError:
            text = f"{v:,.2f}"
        if "~" in self.d3 and "." in text and text[-1:].isdigit():
            text = text.rstrip("0").rstrip(".")  # d3's '~': trim insignificant trailing zeros
        return text + self.suffix


class Threshold(BaseModel):
    """Colour a value: the last threshold whose `from` the value reaches wins."""

    model_config = ConfigDict(extra="forbid")
    from_: float = Field(alias="from")
    color: str


def threshold_color(value: float | None, thresholds: list[Threshold], default: str) -> str:
    colour = default
    if value is None:
        return colour
    for t in sorted(thresholds, key=lambda t: t.from_):
        if value >= t.from_:
            colour = t.color
    return colour


@dataclass(frozen=True)
class PanelContext:
    """The trusted state of the panel being served, for a kind's `prepare` hook. Built by the web
    layer for every render; visuals may use the query layer with it (cockpit.query, cockpit.geo,
    cockpit.regions, cockpit.analytics are below them)."""

    panel_id: str  # the panel's id (its file name), e.g. for the ids of the kind's own controls
    res: Resolved  # the page's resolved state: res.ctx (QueryContext), res.regions, res.state
    query: QueryContext  # what this panel's SQL binds (the page's, less its own cross-filter)
    db: Database  # the process's Database (views of every published snapshot)
    # The value the page filters on through this panel's own cross-filter, as the panel shows it
    # ({result column: shown value}; empty when not filtering): a kind highlights it.
    selected: Mapping[str, str] = field(default_factory=dict)

    @property
    def snapshot(self) -> str:
        """The snapshot this page load reads (pinned)."""
        return self.res.ctx.snapshot

    @property
    def lang(self) -> str:
        """The viewer's language, 'zh' or 'en'."""
        return self.res.ctx.lang

    @property
    def regions(self) -> RegionIndex:
        """The snapshot's region tree (names in both languages, parents, children)."""
        return self.res.regions


@dataclass
class RenderContext:
    """What a render function may use besides its data and options."""

    panel_id: str
    lang: str = "zh"
    theme: Literal["light", "dark"] = "light"
    wall: bool = False
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # results of the panel's extra queries
    labels: dict[str, Text] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # what the kind's `prepare` returned, e.g. geometry
    panel: PanelContext | None = None  # the served panel's state (None when rendered outside the app)
    empty: Text | None = None  # the panel's own words for "no rows" (what is missing)

    def label(self, column: str) -> str:
        text = self.labels.get(column)
        return text.get(self.lang) if text else column

    @property
    def font_color(self) -> str:
        return "#e6edf7" if self.theme == "dark" else "#1f2a3d"


class TrustedHTML(str):
    """HTML text that a kind produced and sanitised itself (e.g. Markdown cleaned by nh3); a wall
    variant may return it where plain html components cannot say what it means."""


class Host(Protocol):
    """What the web layer offers a kind's own callbacks (`register_callbacks`). Every argument a
    callback receives comes from the client: resolve it through the host, never use it raw."""

    db: Database

    def resolve(self, search: Any, pathname: Any = None, pins: Any = None) -> Resolved:
        """The trusted state for the page's URL (`url.search`, `url.pathname`) and pin store."""

    def panel(self, panel_id: str | None) -> Any:
        """The loaded panel (`.spec`, `.options`) with this id, or None."""

    def data(self, panel: Any, res: Resolved) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """The panel's result and its extra queries' results for a resolved state (cached)."""

    def error_card(self, exc: Exception, lang: str) -> list:
        """What a failing panel shows instead (a reference, never a stack trace)."""


def safe_id(value: Any, key: str) -> str | None:
    """The string `key` of a pattern-matching id dict, or None when a client sent something else."""
    if isinstance(value, dict) and isinstance(value.get(key), str) and len(value[key]) <= 80:
        return value[key]
    return None


def plain(value: Any) -> str:
    """Data as text a figure shows literally. Plotly reads a subset of HTML in every string it draws
    (category and tick labels, trace and legend names, hover text, Sankey node labels, annotations):
    `<a href=…>` becomes a link, `<b style=…>` styled text. With `&`, `<` and `>` escaped nothing in
    the data is a tag, and plotly shows the entities as the characters they stand for.

    Every figure kind passes each data-derived string through this once, where it enters the figure
    (our own markup, such as the `<br>` between a name and its value, goes around it); clicks come
    back escaped and `clicked_value` unescapes them. Component kinds need nothing: Dash renders
    their text as text, and walls escape component trees themselves."""
    return html.escape(str(value), quote=False)


def clicked_value(point: dict, axis: str) -> Any:
    """The value a clicked plotly point carries: its customdata, else coordinate `axis`, else its
    label. Coordinates and labels are what the figure showed, escaped by `plain`: they come back as
    the data values behind them (customdata is never shown, so it is never escaped)."""
    value = point.get("customdata")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is not None:
        return value
    value = point.get(axis)
    if value is None:
        value = point.get("label")
    return html.unescape(value) if isinstance(value, str) else value


def point_value(point: dict, options: Any, column: str) -> Any:
    """Default `point_value` hook: a column named by the options' `y` is on the y axis, any other on x."""
    y = getattr(options, "y", None)
    return clicked_value(point, "y" if column == y and column != getattr(options, "x", None) else "x")


PatchPath = tuple  # a path into what render returned, e.g. ("data", 1, "z")


def reads_nothing(panel: PanelContext) -> None:
    """The `reads` hook of a kind drawn only from its data, options and language."""
    return None


def _doc(text: str, default: Any = None) -> Any:
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class Visual:
    """A visual kind, as registered under the `cockpit.visuals` entry points. `name`, `options`,
    `render` and `columns` are required; every hook is optional, and the web layer calls each
    without knowing which kind it serves (docs/panels.md, *Visual interface*, lists them)."""

    name: str = field(metadata={"doc": "the kind's name (`kind = \"…\"` in a panel file); equals the entry point's name"})
    options: type[Options] = field(metadata={"doc": "pydantic model of the `[options]` table; unknown keys are errors"})
    render: Callable[[pd.DataFrame, Any, RenderContext], Any] = field(metadata={
        "doc": "`render(df, options, ctx)`: a plotly figure dict (output figure) or a Dash component"})
    columns: Callable[[Any], set[str]] = field(metadata={
        "doc": "`columns(options)`: the result columns render needs (`cockpit check` compares them with the SQL)"})
    output: Literal["figure", "component"] = _doc(
        "`figure` (shown in a dcc.Graph, clicks reach `click`/cross-filters) or `component` (a panel body)", "figure")
    queries: Mapping[str, tuple[str, ...]] = field(default_factory=dict, metadata={
        "doc": "extra queries a panel may declare (`[queries] name = …`), each with the columns it must return; "
               "their results are `ctx.frames[name]`"})
    renamed_queries: Mapping[str, str] = field(default_factory=dict, metadata={
        "doc": "old query name → new one: a panel still using the old name gets a `cockpit check` error naming the new"})
    description: str = _doc("one line for the panel reference", "")
    prepare: Callable[[PanelContext], dict[str, Any]] | None = _doc(
        "`prepare(panel_ctx) -> dict`: extra render inputs fetched by the kind itself (e.g. geometry, region "
        "names), put in `ctx.extra` before update_key, update, render and wall")
    update_key: Callable[[RenderContext], str | None] | None = _doc(
        "`update_key(ctx)`, a string or None: what the client must already show for a value-only update; the web "
        "layer keeps it beside the panel and calls `update` instead of `render` when the client's key equals it")
    update: Callable[[pd.DataFrame, Any, RenderContext], list[tuple[PatchPath, Any]]] | None = _doc(
        "`update(df, options, ctx) -> [(path, value)]`: the value-only update, as paths into what render "
        "returned (e.g. `(\"data\", 1, \"z\")`); the web layer sends them as a Dash Patch")
    register_callbacks: Callable[[Any, Host], None] | None = _doc(
        "`register_callbacks(app, host)`: the kind's own Dash callbacks (its own controls), attached once at "
        "start-up; `host` resolves URLs, looks up panels and their data, and makes error cards")
    wall: Callable[[pd.DataFrame, Any, RenderContext], Any] | None = _doc(
        "`wall(df, options, ctx)`: the display-wall variant, a plotly figure dict, a tree of plain `dash.html` "
        "components (no AG Grid, no interactive widgets) or `TrustedHTML` the kind sanitised itself; None: "
        "`render` with `ctx.wall` set")
    click: Callable[[FilterState, dict, Any], FilterState | None] | None = _doc(
        "`click(state, point, options)`, a FilterState or None: the kind's own reaction to a click on a point "
        "(e.g. drill down); None leaves the click to the panel's cross-filter")
    reads: Callable[[PanelContext], Any] | None = _doc(
        "`reads(panel_ctx)`: JSON-able data naming what the kind's output is drawn from besides the values its SQL "
        "binds, the snapshot, the language and its own cross-filter's selected value (e.g. the map's parent "
        "region); the web layer redraws and resends the panel only when one of these changed. None (not given): "
        "the whole page state, so the panel is redrawn on every change")
    point_value: Callable[[dict, Any, str], Any] = _doc(
        "`point_value(point, options, column)`: the value of result column `column` in a clicked point, for "
        "cross-filters (default: customdata, else the x or y coordinate the options put it on, else the label)",
        point_value)

    key_number: Callable[[pd.DataFrame, Any, RenderContext], str] | None = _doc(
        "`key_number(df, options, ctx)`: the panel's key number in one line of the viewer's language, for the "
        "briefing (a KPI's value, unit and change; a chart's total or leader; a table's top row and count); "
        "None: the first value and the row count")

    def __post_init__(self) -> None:
        if not isinstance(self.queries, Mapping):  # a plain list of names: no columns required
            object.__setattr__(self, "queries", {name: () for name in self.queries})
        if (self.update is None) != (self.update_key is None):
            raise TypeError(f"visual {self.name!r}: update and update_key go together")

    def render_wall(self, df: pd.DataFrame, options: Any, ctx: RenderContext) -> Any:
        """What a display wall shows: the wall variant, else the page render, with `ctx.wall` set."""
        ctx = replace(ctx, wall=True)
        return (self.wall or self.render)(df, options, ctx)


def wall_problems(out: Any) -> list[str]:
    """Why `out` is not a valid wall variant: a figure dict, or plain `dash.html` components only."""
    if isinstance(out, dict):
        return [] if {"data", "layout"} <= set(out) else ["a figure dict needs data and layout"]
    problems: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif hasattr(node, "to_plotly_json"):
            if getattr(node, "_namespace", None) != "dash_html_components":
                problems.append(f"{type(node).__name__} is not a plain dash.html component")
            walk(getattr(node, "children", None))
        elif node is not None and not isinstance(node, (str, int, float)):
            problems.append(f"{type(node).__name__} is not a component, text or number")

    walk(out)
    return problems


def base_layout(ctx: RenderContext, **extra: Any) -> dict:
    """Plotly layout shared by every figure: local CJK fonts, transparent paper, tight margins."""
    layout = {
        "font": {"family": "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif", "color": ctx.font_color,
                 "size": 18 if ctx.wall else 13},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 48, "r": 16, "t": 30, "b": 40},
        "autosize": True,
        "colorway": PALETTE,
        # Legend entries in the order the data gives them (plotly reverses stacked bars otherwise).
        # Legend above the plot: below it, it collides with long or rotated category labels.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
                   "traceorder": "normal"},
        "hoverlabel": {"font": {"family": "Noto Sans CJK SC, sans-serif"}},
    }
    layout.update(extra)
    return layout


PALETTE = ["#2f6fde", "#f28e2b", "#26a69a", "#e15759", "#9c6ade", "#edc948", "#59a14f", "#ff9da7", "#76b7b2"]


def no_data_text(ctx: RenderContext) -> str:
    """What an empty result says: the panel's own words (what is missing), else 暂无数据 / No data."""
    if ctx.empty is not None:
        return ctx.empty.get(ctx.lang)
    return "暂无数据" if ctx.lang == "zh" else "No data"


def empty_figure(ctx: RenderContext, **layout: Any) -> dict:
    """A figure with no traces and a centred "暂无数据": an empty result is a state to show, not an error."""
    lay = base_layout(ctx, xaxis={"visible": False}, yaxis={"visible": False}, showlegend=False, **layout)
    lay["annotations"] = [{"text": no_data_text(ctx), "showarrow": False, "xref": "paper", "yref": "paper",
                           "x": 0.5, "y": 0.5, "font": {"size": 22 if ctx.wall else 15,
                                                        "color": "rgba(128,128,128,0.9)"}}]
    return {"data": [], "layout": lay}


def to_float(value: Any) -> float | None:
    """A JSON-safe number: NaN, None, pd.NA and non-numbers become None (json has no NaN)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v == v and v not in (float("inf"), float("-inf")) else None


def require_columns(df: pd.DataFrame, needed: set[str], kind: str) -> None:
    """KeyError naming the missing result columns, so a panel whose SQL and options disagree says which.

    A frame with no columns at all (nothing was queried) passes: there is nothing to check it against.
    """
    if len(df.columns) == 0:
        return
    missing = sorted(c for c in needed if c not in df.columns)
    if missing:
        raise KeyError(f"{kind}: the result has no column {', '.join(repr(c) for c in missing)} "
                       f"(it has {', '.join(map(str, df.columns))})")


def rgba(hex_colour: str, alpha: float) -> str:
    """'#2f6fde' with an opacity, for fills and links drawn over other marks; other colour forms pass through."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        return hex_colour
    try:
        r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return hex_colour
    return f"rgba({r},{g},{b},{alpha})"


def localized(options: BaseModel, lang: str) -> BaseModel:
    """The options with every Format's suffix in `lang` (e.g. " 件" → "" in English)."""
    if lang != "en":
        return options
    changes = {}
    for name, value in options:
        if isinstance(value, Format) and value.suffix_en is not None:
            changes[name] = value.model_copy(update={"suffix": value.suffix_en})
        elif isinstance(value, BaseModel):
            new = localized(value, lang)
            if new is not value:
                changes[name] = new
        elif isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
            items = [localized(v, lang) if isinstance(v, BaseModel) else v for v in value]
            if any(a is not b for a, b in zip(items, value)):
                changes[name] = items
        elif isinstance(value, dict) and any(isinstance(v, BaseModel) for v in value.values()):
            items = {k: localized(v, lang) if isinstance(v, BaseModel) else v for k, v in value.items()}
            if any(items[k] is not value[k] for k in value):
                changes[name] = items
    return options.model_copy(update=changes) if changes else options
