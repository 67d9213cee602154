"""Scrolling ticker of the latest items (e.g. newest requests): time, optional tag, text.

The markup is a plain list in an overflow container, readable without any animation; the scrolling is
CSS only (assets/), driven by the `cockpit-ticker--animated` class and the `--ticker-duration` variable.
For a seamless loop the list is rendered twice, the copy hidden from screen readers.
"""

from __future__ import annotations

import pandas as pd
from dash import html
from pydantic import Field

from cockpit.visuals import keynumbers
from cockpit.visuals.base import reads_nothing, Options, RenderContext, Visual, no_data_text, require_columns


class TickerOptions(Options):
    time: str = Field(description="column of the item's time")
    text: str | list[str] = Field(description="column of the item's text, or several columns shown joined "
                                             "with \" · \" (e.g. street, category, channel: each can be "
                                             "translated on its own)")
    tag: str | None = Field(default=None, description="optional column shown as a tag before the text")
    max_items: int = Field(default=20, ge=1, le=200, description="how many of the latest items to show")
    time_format: str = Field(default="%m-%d %H:%M", description="strftime format of the time")
    sort: bool = Field(default=True, description="newest first by `time`; off keeps the query's order")
    animate: bool = Field(default=True, description="scroll horizontally; off shows a static list")
    seconds_per_item: float = Field(default=6.0, gt=0, description="scroll speed: one full loop takes this "
                                                                   "times the number of items")
    tag_colors: dict[str, str] = Field(default_factory=dict, description="tag value → background colour")


def _texts(o: TickerOptions) -> list[str]:
    return [o.text] if isinstance(o.text, str) else list(o.text)


def _columns(o: TickerOptions) -> set[str]:
    return {o.time, *_texts(o)} | ({o.tag} if o.tag else set())


def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _time(v, fmt: str) -> tuple[str, str | None]:
    """(shown text, ISO datetime attribute)."""
    if _blank(v):
        return "", None
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        return str(v), None
    return ts.strftime(fmt), ts.isoformat()


def _items(df: pd.DataFrame, o: TickerOptions) -> list[html.Li]:
    items = []
    texts = _texts(o)
    cols = [o.time] + ([o.tag] if o.tag else []) + texts
    for row in df[cols].itertuples(index=False, name=None):
        text = " · ".join(str(v) for v in row[len(cols) - len(texts):] if not _blank(v))
        shown, iso = _time(row[0], o.time_format)
        parts = [html.Time(shown, dateTime=iso, className="cockpit-ticker__time") if iso
                 else html.Span(shown, className="cockpit-ticker__time")]
        if o.tag and not _blank(row[1]):
            tag = str(row[1])
            colour = o.tag_colors.get(tag)
            extra = {"style": {"backgroundColor": colour}} if colour else {}
            parts.append(html.Span(tag, className="cockpit-ticker__tag", **extra))
        parts.append(html.Span(text, className="cockpit-ticker__text"))
        items.append(html.Li(parts, className="cockpit-ticker__item"))
    return items


def render(df: pd.DataFrame, o: TickerOptions, ctx: RenderContext) -> html.Div:
    require_columns(df, _columns(o), "ticker")
    wall = " cockpit-ticker--wall" if ctx.wall else ""
    if df.empty:
        return html.Div(html.P(no_data_text(ctx), className="cockpit-ticker__empty"),
                        className="cockpit-ticker cockpit-ticker--empty" + wall)
    if o.sort:
        order = pd.to_datetime(df[o.time], errors="coerce")
        df = df.assign(_order=order).sort_values("_order", ascending=False, kind="stable", na_position="last")
    df = df.head(o.max_items)
    lists = [html.Ul(_items(df, o), className="cockpit-ticker__list")]
    animated = o.animate and len(df) > 1
    if animated:
        lists.append(html.Ul(_items(df, o), className="cockpit-ticker__list", **{"aria-hidden": "true"}))
    extra = {"style": {"--ticker-duration": f"{o.seconds_per_item * len(df):g}s"}} if animated else {}
    return html.Div(html.Div(lists, className="cockpit-ticker__track"),
                    className="cockpit-ticker" + (" cockpit-ticker--animated" if animated else "") + wall, **extra)


VISUAL = Visual(key_number=keynumbers.ticker, name="ticker", reads=reads_nothing,
                options=TickerOptions, render=render, columns=_columns, output="component",
                description="horizontally scrolling list of the latest items (time, tag, text)")
