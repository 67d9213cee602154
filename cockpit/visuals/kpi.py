"""KPI tile: a value, its change against the comparison period, a sparkline and a threshold colour."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pandas as pd
from dash import html
from pydantic import Field

from cockpit.filters import NO_COMPARISON
from cockpit.text import Text
from cockpit.visuals import keynumbers
from cockpit.visuals.base import (PanelContext, Format, Options, RenderContext, Threshold, Visual, base_layout, plain,
                                  threshold_color)


#: The extra query drawing the sparkline under the value (columns x, y).
SPARKLINE = "sparkline"


class KpiOptions(Options):
    value: str = Field(description="column holding the value (first row)")
    compare: str | None = Field(default=None, description="column holding the comparison-period value")
    of: str | None = Field(default=None, description="column holding a total, shown as 'value / total'")
    format: Format = Format()
    higher_is_better: bool = True
    relative: bool = Field(default=True, description="show the change in percent rather than absolute; an "
                           "absolute change of a percentage (format d3 '%') is shown in percentage points")
    compared: Literal["days", "months", "assessed", "none"] = Field(
        default="days", description="what the tile says it compares: the two spans of days "
        "('11-01–11-25 vs 10-01–10-25'), the two months ('2026-11 vs 2026-10'), the two street-assessment "
        "months ($score_period vs $score_cmp_period), or nothing")
    thresholds: list[Threshold] = Field(default_factory=list)
    color: str = "#2f6fde"
    note: str | None = Field(default=None, description="column of a warning shown under the value in red (first "
                                                       "row; e.g. a veto mark); empty: nothing")
    caption: str | None = Field(default=None, description="column of a plain line under the value (first row; e.g. "
                                                          "what the count is made of); empty: nothing")
    empty: Text | None = Field(default=None, description="what is missing when there is no value (or the total of "
                                                         "`of` is 0), said under the '—'")


def _columns(o: KpiOptions) -> set[str]:
    return ({o.value} | ({o.compare} if o.compare else set()) | ({o.of} if o.of else set())
            | ({o.note} if o.note else set()) | ({o.caption} if o.caption else set()))


def _text(df: pd.DataFrame, column: str | None) -> str:
    """A text column's first value ('' when absent or not text)."""
    if not column or df.empty or column not in df.columns:
        return ""
    value = df[column].iloc[0]
    return value if isinstance(value, str) else ""


GOOD, BAD = "#26a69a", "#e15759"

#: The unit of a difference of two percentages.
POINTS = {"zh": " 个百分点", "en": " pp"}


def in_points(o: KpiOptions) -> bool:
    """Whether the change is a difference of two rates, said in percentage points (not "%")."""
    return not o.relative and o.format.d3.replace("~", "").endswith("%")


def compared_text(o: KpiOptions, ctx: RenderContext) -> str:
    """What the change compares, e.g. "11-01–11-25 vs 10-01–10-25" ('' outside the app or without
    a comparison): a leader sees that like is compared with like."""
    q = ctx.panel.query if ctx.panel is not None else None
    if q is None or not o.compare or o.compared == "none" or q.cmp_end <= q.cmp_start:
        return ""
    if o.compared == "months":
        return f"{q.period_start:%Y-%m} vs {q.cmp_start:%Y-%m}"
    if o.compared == "assessed":
        if NO_COMPARISON in (q.score_period, q.score_cmp_period):
            return ""
        return f"{q.score_period:%Y-%m} vs {q.score_cmp_period:%Y-%m}"

    def span(start, end) -> str:
        last = end - timedelta(days=1)
        fmt = "%m-%d" if start.year == last.year == q.period_start.year else "%Y-%m-%d"
        return f"{start.strftime(fmt)}–{last.strftime(fmt)}"

    return f"{span(q.period_start, q.period_end)} vs {span(q.cmp_start, q.cmp_end)}"


def _figures(df: pd.DataFrame, o: KpiOptions) -> tuple[float | None, float | None, str]:
    """(value, comparison value, suffix), scaled: what both the tile and its wall variant show."""
    value = None if df.empty else df[o.value].iloc[0]
    value = None if pd.isna(value) else float(value) * o.format.scale
    if o.of and not df.empty and not pd.isna(df[o.of].iloc[0]) and float(df[o.of].iloc[0]) == 0:
        # "0 / 0" is no figure at all (and must never show in a threshold's green): nothing to count.
        value = None
    ref = None
    # No value, no change: a missing figure must not read as a fall to zero.
    if value is not None and o.compare and not df.empty and not pd.isna(df[o.compare].iloc[0]):
        ref = float(df[o.compare].iloc[0]) * o.format.scale
    suffix = o.format.suffix
    if o.of and not df.empty and not pd.isna(df[o.of].iloc[0]):
        suffix = f" / {o.format.apply(df[o.of].iloc[0])}{suffix}"
    return value, ref, suffix


figures = _figures


def _change(o: KpiOptions, value: float, ref: float, lang: str) -> tuple[float, str, str]:
    """(change, its size as shown, arrow) of a value against its comparison (ref not 0)."""
    change = (value - ref) / abs(ref) if o.relative else value - ref
    if in_points(o):
        text = format(abs(change) * 100, f".{_decimals(o.format.d3)}f") + POINTS[lang].rstrip()
    else:
        text = format(abs(change), ".1%") if o.relative else o.format.apply(abs(change) / o.format.scale)
    return change, text, "▲" if change > 0 else "▼" if change < 0 else "–"


def change_text(o: KpiOptions, value: float | None, ref: float | None, ctx: RenderContext) -> str:
    """The change in words, e.g. "▲ 5.2% 较对比期（11-01–11-25 vs 10-01–10-25）" ('' without one)."""
    if value is None or ref in (None, 0):
        return ""
    _, text, arrow = _change(o, value, ref, ctx.lang)
    span = compared_text(o, ctx)
    if ctx.lang == "zh":
        return f"较对比期 {arrow} {text}" + (f"（{span}）" if span else "")
    return f"{arrow} {text} vs comparison" + (f" ({span})" if span else "")


def note_text(df: pd.DataFrame, o: KpiOptions) -> str:
    """The tile's warning (e.g. a veto) or caption line, if any."""
    return _text(df, o.note) or _text(df, o.caption)


def _decimals(d3: str) -> int:
    """Decimals of a d3 format ('.1%' → 1)."""
    digits = d3.replace("~", "").rstrip("%f").rpartition(".")[2]
    return int(digits) if digits.isdigit() else 1


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
        if in_points(o):
            # Plotly formats the delta like the value: show both in percent units, so the delta is
            # the difference in points (93.4% − 95.1% = −1.7 个百分点, not "−1.7%").
            decimals = _decimals(o.format.d3)
            indicator["value"] = value * 100
            indicator["number"].update(valueformat=f".{decimals}f", suffix="%" + suffix)
            indicator["delta"].update(reference=ref * 100, valueformat=f".{decimals}f", suffix=POINTS[ctx.lang])
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
    compared = compared_text(o, ctx) if ref not in (None, 0) else ""
    if compared:
        layout["annotations"] = [{"text": compared, "showarrow": False, "xref": "paper", "yref": "paper",
                                  "x": 1, "xanchor": "right", "y": 0, "yanchor": "bottom",
                                  "bgcolor": "rgba(255,255,255,0.75)" if ctx.theme == "light" else "rgba(0,0,0,0.4)",
                                  "font": {"size": 14 if ctx.wall else 10, "color": "rgba(128,128,128,0.95)"}}]
    note, caption = _text(df, o.note), _text(df, o.caption)
    if note or caption:
        # A warning (red) wins over a plain caption: one line fits under the value.
        layout.setdefault("annotations", []).append(
            {"text": f"<b>{plain(note)}</b>" if note else plain(caption), "showarrow": False, "xref": "paper",
             "yref": "paper", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom",
             "font": {"size": 16 if ctx.wall else 11, "color": BAD if note else "rgba(128,128,128,0.95)"}})
    if value is None:
        layout["annotations"] = [{"text": "—", "showarrow": False, "font": {"size": 34},
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.7}]
        if o.empty is not None:
            layout["annotations"].append({"text": plain(o.empty.get(ctx.lang)), "showarrow": False, "xref": "paper",
                                          "yref": "paper", "x": 0.5, "y": 0, "yanchor": "bottom",
                                          "font": {"size": 16 if ctx.wall else 11, "color": "rgba(128,128,128,0.95)"}})
        data[0]["number"]["font"]["color"] = "rgba(0,0,0,0)"
        data[0].pop("delta", None)
        data[0]["mode"] = "number"
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
        change, text, arrow = _change(o, value, ref, ctx.lang)
        good = (change > 0) == o.higher_is_better
        vs = compared_text(o, ctx) or ("较对比期" if ctx.lang == "zh" else "vs comparison")
        parts.append(html.Div(className="wall-kpi__delta " + ("wall-good" if good or change == 0 else "wall-bad"),
                              children=[html.Span(f"{arrow} {text}"), html.Span(vs, className="wall-kpi__vs")]))
    note = _text(df, o.note)
    if note:
        parts.append(html.Div(note, className="wall-kpi__delta wall-bad"))
    elif value is None and o.empty is not None:
        parts.append(html.Div(o.empty.get(ctx.lang), className="wall-kpi__vs"))
    return html.Div(parts, className="wall-kpi")


def reads(p: PanelContext) -> list[str]:
    """The periods the comparison line names (`compared_text`), whether its SQL binds them or not."""
    q = p.query
    return [str(d) for d in (q.period_start, q.period_end, q.cmp_start, q.cmp_end, q.score_period,
                             q.score_cmp_period)]

def key_number(df: pd.DataFrame, o: KpiOptions, ctx: RenderContext) -> str:
    """The tile in one line: value with unit, change against the comparison, its warning or caption."""
    value, ref, suffix = figures(df, o)
    if value is None:
        return o.empty.get(ctx.lang) if getattr(o, "empty", None) else keynumbers.words(ctx)["no_data"]
    shown = o.format.apply(value / o.format.scale)
    if o.format.suffix and shown.endswith(o.format.suffix):
        shown = shown[: -len(o.format.suffix)]
    text = f"{shown}{suffix}"
    change = change_text(o, value, ref, ctx)
    if change:
        text += f"{keynumbers.words(ctx)['sep']}{change}"
    note = note_text(df, o)
    return f"{text}{keynumbers.words(ctx)['sep']}{note}" if note else text



VISUAL = Visual(key_number=key_number, name="kpi", reads=reads, options=KpiOptions, render=render, columns=_columns,
                queries={SPARKLINE: ("x", "y")}, renamed_queries={"spark": SPARKLINE},
                description=f"KPI tile with comparison delta, sparkline (extra query '{SPARKLINE}' with x, y) "
                            "and thresholds", wall=wall)
