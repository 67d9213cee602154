"""What a visual kind is: an options model, the result columns it needs, and a render function."""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cockpit.text import Text


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


@dataclass
class RenderContext:
    """What a render function may use besides its data and options."""

    panel_id: str
    lang: str = "zh"
    theme: Literal["light", "dark"] = "light"
    wall: bool = False
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # results of the panel's extra queries
    labels: dict[str, Text] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. geometry for maps

    def label(self, column: str) -> str:
        text = self.labels.get(column)
        return text.get(self.lang) if text else column

    @property
    def font_color(self) -> str:
        return "#e6edf7" if self.theme == "dark" else "#1f2a3d"


@dataclass(frozen=True)
class Visual:
    """A registered visual kind."""

    name: str
    options: type[Options]
    render: Callable[[pd.DataFrame, Any, RenderContext], Any]
    columns: Callable[[Any], set[str]]
    output: Literal["figure", "component"] = "figure"
    queries: tuple[str, ...] = ()  # names of extra queries the kind can use
    description: str = ""


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
