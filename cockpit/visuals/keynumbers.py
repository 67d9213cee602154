"""Key numbers of the built-in kinds: one line per panel saying what its figure shows, in the
viewer's language, for the briefing (汇报材料). Each kind registers its function as its
`key_number` hook (a KPI's and a Sankey's live in their own modules, beside what they reuse): a KPI's value with unit and change, a chart's total or leader, a table's top
row and row count. `df` is the panel's result as shown (translated), `o` its localized options."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cockpit.text import romanized
from cockpit.visuals.base import Format, RenderContext

WORDS = {
    "zh": {"total": "合计", "top": "居首", "rows": "共 {n} 行", "row": "共 1 行", "max": "最高", "latest": "最新", "vs": "较对比期",
           "last_year": "去年同期", "no_data": "无数据", "sep": "，"},
    "en": {"total": "total", "top": "top", "rows": "{n} rows", "row": "1 row", "max": "highest", "latest": "latest",
           "vs": "vs comparison", "last_year": "last year", "no_data": "no data", "sep": ", "},
}


def words(ctx: RenderContext) -> dict:
    """The words of key numbers in the viewer's language."""
    return WORDS["en" if ctx.lang == "en" else "zh"]


def _rows(w: dict, n: int) -> str:
    return w["row"] if n == 1 else w["rows"].format(n=f"{n:,}")


def _num(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _counts(fmt: Format) -> bool:
    """Whether values in this format add up (counts: ",.0f"), unlike scores, hours or indices."""
    return fmt.d3.replace("~", "") in (",.0f", ",d", "d")


def bar(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    ys = [o.y] if isinstance(o.y, str) else list(o.y)
    if df.empty or not set(ys) <= set(df.columns):
        return w["no_data"]
    # a stack adds up its segments; grouped bars of several columns lead with the first (this period)
    cols = ys if o.stacked and not o.series else ys[:1]
    per_x = sum(pd.to_numeric(df[c], errors="coerce") for c in cols).groupby(df[o.x].astype(str), sort=False).sum()
    if per_x.dropna().empty:
        return w["no_data"]
    leader = per_x.idxmax()
    parts = [f"{w['top']} {leader} {o.format.apply(per_x[leader])}"]
    if _counts(o.format):
        parts.insert(0, f"{w['total']} {o.format.apply(per_x.sum())}")
    return w["sep"].join(parts)


def line(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    y = o.y if isinstance(o.y, str) else o.y[0]
    if df.empty or y not in df:
        return w["no_data"]
    last = df.iloc[-1]
    text = f"{w['latest']} {last[o.x]}: {o.format.apply(_num(last[y]))}"
    ref = _num(last[o.compare]) if o.compare and o.compare in df else None
    if ref is not None:
        text += f"（{w['last_year']} {o.format.apply(ref)}）" if ctx.lang != "en" else f" ({w['last_year']} {o.format.apply(ref)})"
    return text


def heatmap(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    if df.empty:
        return w["no_data"]
    cells = df.groupby([df[o.x].astype(str), df[o.y].astype(str)])[o.value].sum()
    (x, y), top = cells.idxmax(), cells.max()
    parts = [f"{w['max']} {y} × {x} {o.format.apply(top)}"]
    if _counts(o.format):
        parts.insert(0, f"{w['total']} {o.format.apply(cells.sum())}")
    return w["sep"].join(parts)


def choropleth(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    values = pd.to_numeric(df[o.value], errors="coerce") if o.value in df else pd.Series(dtype=float)
    if values.dropna().empty:
        return w["no_data"]
    code = str(df[o.location].iloc[int(values.fillna(float("-inf")).to_numpy().argmax())])
    regions = ctx.panel.res.regions if ctx.panel is not None else None
    region = regions.get(code) if regions is not None else None
    name = region.label(ctx.lang) if region is not None else code
    if ctx.lang == "en" and region is not None and not region.name_en:
        name = romanized(name)  # as an English screen names a place without an English name
    parts = [f"{w['top']} {name} {o.format.apply(values.max())}"]
    if _counts(o.format):
        parts.insert(0, f"{w['total']} {o.format.apply(values.sum())}")
    return w["sep"].join(parts)


def gauge(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    if df.empty:
        return w["no_data"]
    parts = []
    for _, row in df.iterrows():
        most = _num(row[o.max]) if isinstance(o.max, str) else float(o.max)
        label = f"{row[o.label]} " if o.label else ""
        parts.append(f"{label}{o.format.apply(_num(row[o.value]))}" + (f"/{o.format.apply(most)}" if most else ""))
        if o.mode != "progress":
            break
    return w["sep"].join(parts)


def ranking_table(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    if df.empty:
        return w["no_data"]
    columns = o.columns or []
    first = df.iloc[0]
    texts = [c for c in columns if c.field in df and not pd.api.types.is_numeric_dtype(df[c.field])][:2]
    numbers = [c for c in columns if c.field in df and pd.api.types.is_numeric_dtype(df[c.field])
               and c.field not in ("rank",)][:1]
    top = " ".join(str(first[c.field]) for c in texts if str(first[c.field]))
    for c in numbers:
        label = c.label.get(ctx.lang) if c.label else c.field
        top += f" {label} {(c.format or Format(d3=',~f')).apply(_num(first[c.field]))}"
    rows = _rows(w, len(df))
    return f"{w['top']} {top.strip()}{w['sep']}{rows}" if top.strip() else rows


def ticker(df: pd.DataFrame, o, ctx: RenderContext) -> str:
    w = words(ctx)
    if df.empty:
        return w["no_data"]
    texts = [o.text] if isinstance(o.text, str) else list(o.text)
    newest = df.sort_values(o.time, ascending=False).iloc[0] if o.sort else df.iloc[0]
    when = pd.Timestamp(newest[o.time]).strftime(o.time_format) if pd.notna(newest[o.time]) else ""
    return f"{w['latest']} {when} {' · '.join(str(newest[t]) for t in texts if t in df)}{w['sep']}" \
           f"{_rows(w, len(df))}"
