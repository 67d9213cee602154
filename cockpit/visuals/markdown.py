"""Text panel: a Markdown template whose {column} placeholders are filled from the query's first row.

The template is the analyst's; the values are data and may hold anything, so each value is HTML-escaped
and Markdown-escaped before it goes in (it shows literally, it cannot add markup or links). The rendered
HTML is then sanitised with nh3 to a short list of tags, so even the template cannot run script.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import markdown as md
import numpy as np
import nh3
import pandas as pd
from dash import dcc
from pydantic import Field

from cockpit.text import Text
from cockpit.visuals.base import reads_nothing, TrustedHTML, Format, Options, RenderContext, Visual, require_columns, to_float

PLACEHOLDER = re.compile(r"\{([^\W\d]\w*)\}")
ALLOWED_TAGS = {"p", "strong", "em", "ul", "ol", "li", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
                "code", "pre", "br", "a"}
# characters python-markdown honours a backslash escape for (the tables extension adds '|')
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def _http_only(tag: str, attr: str, value: str) -> str | None:
    """Links may only point to http(s) pages: no javascript:, data:, mailto: or relative tricks."""
    if tag == "a" and attr == "href":
        return value if re.match(r"^https?://", value.strip(), re.IGNORECASE) else None
    return value


CLEANER = nh3.Cleaner(tags=ALLOWED_TAGS, clean_content_tags={"script", "style"},
                      attributes={"a": {"href", "title"}}, url_schemes={"http", "https"},
                      attribute_filter=_http_only, link_rel="noopener noreferrer")


class MarkdownOptions(Options):
    text: Text = Field(description="Markdown template per language; {column} is replaced by that column's "
                                   "value in the first row. Headings: ### and ####")
    formats: dict[str, Format] = Field(default_factory=dict, description="number format per placeholder column")
    empty: Text | None = Field(default=None, description="text shown instead when there is nothing to fill in: the "
                                                         "query returns no row, or every placeholder column is "
                                                         "null in its first row (e.g. no data for the period)")


def _columns(o: MarkdownOptions) -> set[str]:
    return set(PLACEHOLDER.findall(o.text.zh)) | set(PLACEHOLDER.findall(o.text.en or ""))


def _value_text(v, fmt: Format | None) -> str:
    if v is None or (not isinstance(v, (str, list, dict)) and pd.isna(v)):
        return "—"
    if fmt is not None and (f := to_float(v)) is not None:
        return fmt.apply(f)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float)) or (to_float(v) is not None and not isinstance(v, str)):
        f = float(v)
        return f"{int(f):,}" if f.is_integer() else f"{f:,.2f}"
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute, v.second) != (0, 0, 0) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _escape(text: str) -> str:
    """Data shown literally: no HTML (escaped), no Markdown (backslash-escaped), no line structure."""
    text = " ".join(text.split())  # a newline in data must not start a list or a heading
    return MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


def fill(template: str, row: dict | None, formats: dict[str, Format]) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        return _escape(_value_text(row.get(name) if row else None, formats.get(name)))

    return PLACEHOLDER.sub(value, template)


def to_html(source: str) -> str:
    """Markdown → sanitised HTML in one wrapper element.

    dcc.Markdown parses its input as Markdown again; one <div> with no blank line inside is one raw HTML
    block to it, so nothing in the already-rendered HTML is interpreted a second time.
    """
    raw = md.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    raw = re.sub(r"<(/?)h[12]>", r"<\1h3>", raw)  # panel text sits under a panel title: top level is h3
    raw = re.sub(r"<(/?)h[56]>", r"<\1h4>", raw)
    clean = CLEANER.clean(raw)
    return "<div>\n" + re.sub(r"\n\s*\n", "\n", clean).strip() + "\n</div>"


def _is_null(v) -> bool:
    return v is None or (not isinstance(v, (str, list, dict)) and bool(pd.isna(v)))


def source_text(df: pd.DataFrame, o: MarkdownOptions, lang: str) -> str:
    """The Markdown to show: the template filled from the first row, or the `empty` text when
    there is nothing to fill in (no row, or every placeholder column null)."""
    require_columns(df, _columns(o), "markdown")
    row = None if df.empty else df.iloc[0].to_dict()
    if o.empty is not None and (row is None or all(_is_null(row.get(c)) for c in _columns(o))):
        return o.empty.get(lang)  # the analyst's own text, like the template
    return fill(o.text.get(lang), row, o.formats)


def render(df: pd.DataFrame, o: MarkdownOptions, ctx: RenderContext) -> dcc.Markdown:
    source = source_text(df, o, ctx.lang)
    # safe only because to_html sanitised it: nh3 leaves no script, handler or non-http(s) link
    return dcc.Markdown(to_html(source), dangerously_allow_html=True,
                        className="cockpit-markdown" + (" cockpit-markdown--wall" if ctx.wall else ""))


def wall(df: pd.DataFrame, o: MarkdownOptions, ctx: RenderContext) -> TrustedHTML:
    """The same sanitised text for a wall (which has no Markdown renderer of its own)."""
    return TrustedHTML('<div class="cockpit-markdown cockpit-markdown--wall">'
                       + to_html(source_text(df, o, ctx.lang)) + "</div>")


VISUAL = Visual(name="markdown", reads=reads_nothing,
                options=MarkdownOptions, render=render, columns=_columns, output="component",
                description="Markdown text with {column} values from the first row, sanitised", wall=wall)
