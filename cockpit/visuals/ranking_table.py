"""Ranking table (e.g. street scores, overdue by street): a sortable AG Grid with in-cell bars and ▲/▼ changes.

Numbers stay numbers in the row data so sorting is numeric; formatting, bars and highlights are AG Grid
expression strings (`{"function": ...}`) that dash-ag-grid evaluates with its own d3 and Math, so the
table needs no custom JavaScript in assets/.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import pandas as pd
from dash import MATCH, Input, Output, Patch, dcc, html
from dash_ag_grid import AgGrid
from pydantic import BaseModel, ConfigDict, Field

from cockpit.text import Text
from cockpit.visuals import keynumbers
from cockpit.visuals.base import (reads_nothing, Format, Options, RenderContext, Visual, no_data_text,
                                  require_columns, rgba, to_float)

GOOD_CLASS = "cockpit-cell-good"  # a change in the good direction (green ▲ when up is good)
BAD_CLASS = "cockpit-cell-bad"  # a change in the bad direction (red ▼ when up is good)
WALL_ROWS = 10
MAX_ROWS = 500  # paginated tables still send at most this many rows to the browser
SEARCH_FROM = 12  # a table with more rows than this gets a search box
MAX_SEARCH = 64  # characters of a search the server passes on to the grid
MAX_TEXT_WIDTH = 240  # px a text column may claim for its longest value

#: AG Grid's own words (pager, no-rows overlay) in each language; the pager reads
#: "1 至 50 / 69" and "页 1 / 2" in Chinese, "1 to 50 of 69" and "Page 1 of 2" in English.
LOCALE_TEXT = {
    "zh": {"to": "至", "of": "/", "page": "页", "more": "更多", "firstPage": "首页", "previousPage": "上一页",
           "nextPage": "下一页", "lastPage": "末页", "pageSizeSelectorLabel": "每页：",
           "ariaPageSizeSelectorLabel": "每页行数", "loadingOoo": "加载中…", "pageLastRowUnknown": "?"},
    "en": {"to": "to", "of": "of", "page": "Page", "more": "more", "firstPage": "First page",
           "previousPage": "Previous page", "nextPage": "Next page", "lastPage": "Last page",
           "pageSizeSelectorLabel": "Page size:", "ariaPageSizeSelectorLabel": "Page size",
           "loadingOoo": "Loading…", "pageLastRowUnknown": "?"},
}
SEARCH_TEXT = {"zh": ("搜索表格…", "在本表中搜索"), "en": ("Search the table…", "Search this table")}
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"


class Highlight(BaseModel):
    """Colour a cell whose value compares true, e.g. {op = ">", value = 10, color = "#e15759"}."""

    model_config = ConfigDict(extra="forbid")
    op: Literal[">", ">=", "<", "<=", "==", "!="] = Field(description="comparison of the cell value with `value`")
    value: float | str = Field(description="number or text to compare with")
    color: str | None = Field(default=None, description="text colour")
    background: str | None = Field(default=None, description="cell background colour")
    bold: bool = Field(default=False, description="bold text")


class TableColumn(BaseModel):
    """One shown column of the table."""

    model_config = ConfigDict(extra="forbid")
    field: str = Field(description="result column")
    label: Text | None = Field(default=None, description="header; default the column's label")
    format: Format | None = Field(default=None, description="number format (numbers only)")
    width: int | None = Field(default=None, ge=30, description="fixed width in pixels; default shares the width")
    bar: bool = Field(default=False, description="draw an in-cell bar relative to the largest value shown")
    change: bool = Field(default=False, description="a change (e.g. rank change): ▲ for > 0, ▼ for < 0, coloured")
    up_is_good: bool = Field(default=True, description="with change: whether ▲ is good (green) or bad (red)")
    highlight: list[Highlight] = Field(default_factory=list, description="first matching rule colours the cell")


class RankingTableOptions(Options):
    columns: list[TableColumn] = Field(default_factory=list, description="shown columns; default every column")
    rows: int = Field(default=20, ge=1, description="rows shown (the rest is cut off, or paged with overflow)")
    wall_rows: int | None = Field(default=None, ge=1, description=f"rows on a display wall; default rows, "
                                                                  f"at most {WALL_ROWS}")
    overflow: Literal["truncate", "paginate"] = Field(
        default="truncate", description="more rows than `rows`: cut off, or page them (walls always cut off)")
    bar_color: str = Field(default="#2f6fde", description="colour of in-cell bars")


def _columns(o: RankingTableOptions) -> set[str]:
    return {c.field for c in o.columns}


def _js(value: Any) -> str:
    """A JS literal of an option value: JSON is valid JS, so analyst text cannot break out of the expression."""
    return json.dumps(value, ensure_ascii=False)


def _fmt_expr(fmt: Format, x: str) -> str:
    return f"d3.format({_js(fmt.d3)})({x} * {_js(fmt.scale)}) + {_js(fmt.suffix)}"


def _value_formatter(col: TableColumn) -> str | None:
    if col.change:
        fmt = col.format or Format(d3=",~f")
        return (f"params.value == null ? '—' : params.value > 0 ? '▲' + {_fmt_expr(fmt, 'params.value')} : "
                f"params.value < 0 ? '▼' + {_fmt_expr(fmt, '(-params.value)')} : '–'")
    fmt = col.format or Format(d3=",")  # d3 ',' keeps the decimals a value has, with thousands separators
    return f"params.value == null ? '—' : {_fmt_expr(fmt, 'params.value')}"


def _style_obj(color: str = "", background: str = "", bold: bool = False) -> str:
    # every branch sets every key: AG Grid keeps a style key set by an earlier render unless overwritten
    weight = "bold" if bold else ""
    # In parentheses: dash-ag-grid parses the function text as a statement, where a bare `{` opens a
    # block ("Unexpected token :") and the style would silently not apply.
    return "({" + f"color: {_js(color)}, background: {_js(background)}, fontWeight: {_js(weight)}" + "})"


def _cell_style(col: TableColumn, top: float | None, bar_color: str) -> str | None:
    """One expression: the first matching highlight, else the bar, else plain."""
    if not col.highlight and not (col.bar and top):
        return None
    if col.bar and top:
        share = f"Math.max(0, Math.min(100, 100 * params.value / {_js(top)}))"
        fill = rgba(bar_color, 0.28)
        default = ("({color: '', fontWeight: '', background: 'linear-gradient(90deg, " + fill + " ' + " + share
                   + " + '%, rgba(0,0,0,0) ' + " + share + " + '%)'})")
    else:
        default = _style_obj()
    expr = default
    for h in reversed(col.highlight):
        cond = f"(params.value != null && params.value {h.op} {_js(h.value)})"
        expr = f"{cond} ? {_style_obj(h.color or '', h.background or '', h.bold)} : ({expr})"
    return expr


def _text_width(text: str, size: int) -> float:
    """About how wide `text` is drawn at `size` px: a CJK character a full em, others about 0.56 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in text)


def _cell(v: Any, numeric: bool, lang: str) -> Any:
    if numeric:
        return to_float(v)
    if v is None or (not isinstance(v, (str, list, dict)) and pd.isna(v)):
        return None
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d" if v == v.normalize() else "%Y-%m-%d %H:%M")
    return str(v)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def render(df: pd.DataFrame, o: RankingTableOptions, ctx: RenderContext) -> AgGrid:
    require_columns(df, _columns(o), "ranking_table")
    if df.empty:
        # AG Grid's own no-rows overlay is clipped in an auto-height grid: say it plainly instead.
        return html.Div(no_data_text(ctx), className="cockpit-grid-empty")
    cols = o.columns or [TableColumn(field=str(c)) for c in df.columns]
    limit = (o.wall_rows or min(o.rows, WALL_ROWS)) if ctx.wall else o.rows
    paginate = o.overflow == "paginate" and not ctx.wall and len(df) > limit
    shown = df.head(MAX_ROWS if paginate else limit)
    numeric = {c.field: c.field in shown.columns and _is_numeric(shown[c.field]) for c in cols}
    fields = [c.field for c in cols if c.field in shown.columns]
    rows = [{f: _cell(v, numeric[f], ctx.lang) for f, v in zip(fields, rec)}
            for rec in shown[fields].itertuples(index=False, name=None)]

    size = 18 if ctx.wall else 13
    defs = []
    for c in cols:
        d: dict[str, Any] = {"field": c.field, "headerName": c.label.get(ctx.lang) if c.label else ctx.label(c.field),
                             "cellDataType": "number" if numeric[c.field] else "text"}
        if numeric[c.field]:
            d["valueFormatter"] = {"function": _value_formatter(c)}
            d["type"] = "rightAligned"
            values = [abs(r[c.field]) for r in rows if r.get(c.field) is not None]
            top = max(values) if values else None
            style = _cell_style(c, top if top and math.isfinite(top) else None, o.bar_color)
            if style:
                d["cellStyle"] = {"function": style}
            if c.change:
                up, down = "params.value > 0", "params.value < 0"
                d["cellClassRules"] = ({GOOD_CLASS: up, BAD_CLASS: down} if c.up_is_good
                                       else {GOOD_CLASS: down, BAD_CLASS: up})
        else:
            d["tooltipField"] = c.field  # long names are cut with an ellipsis; hover shows them whole
            if c.highlight:
                d["cellStyle"] = {"function": _cell_style(c, None, o.bar_color)}
        # Text gets room for its longest value (English names are long: "Xinyu Subdistrict"), up
        # to a cap; beyond it, the ellipsis and the tooltip.
        need = 0 if numeric[c.field] else int(min(MAX_TEXT_WIDTH, 32 + max(
            (_text_width(str(r[c.field]), size) for r in rows if r.get(c.field) is not None), default=0)))
        if c.width:
            # Fixed columns keep their width (a text column widens for its longest value); the
            # others share what is left (flex).
            width = max(c.width, need)
            d.update(width=width, minWidth=width, maxWidth=width)
        else:
            d.update(flex=1, minWidth=max(72, need))
        defs.append(d)

    params = _js({"fontFamily": FONT, "fontSize": size, "headerFontSize": size, "wrapperBorder": False,
                  "headerFontWeight": 600})
    base = "themeQuartz.withPart(agGrid.colorSchemeDark)" if ctx.theme == "dark" else "themeQuartz"
    options: dict[str, Any] = {
        "theme": {"function": f"{base}.withParams({params})"},
        "domLayout": "autoHeight",  # the row count is capped, so the grid is as tall as its rows
        "rowHeight": 46 if ctx.wall else 34, "headerHeight": 46 if ctx.wall else 36,
        "suppressFieldDotNotation": True,  # a column named 'a.b' is a column, not a path
        "suppressCellFocus": True, "animateRows": False, "enableCellTextSelection": True,
        "enableBrowserTooltips": True,
        "localeText": {**LOCALE_TEXT["en" if ctx.lang == "en" else "zh"], "noRowsToShow": no_data_text(ctx)},
        "pagination": paginate,
    }
    if paginate:
        options.update(paginationPageSize=limit, paginationPageSizeSelector=False)
    searchable = not ctx.wall and len(shown) > SEARCH_FROM
    if not ctx.wall:
        # The grid fills its panel and scrolls its own rows, so the header (and the pager) stay in
        # view however long the table is.
        options["domLayout"] = "normal"
    grid = AgGrid(
        id={"type": "grid", "panel": ctx.panel_id},
        className=f"cockpit-grid cockpit-grid--{ctx.theme}" + (" cockpit-grid--wall" if ctx.wall else ""),
        columnDefs=defs, rowData=rows,
        # Headers wrap instead of being cut ("vs comparison" in a narrow column).
        defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True, "filter": False,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions=options, style={"width": "100%"} if ctx.wall else {"width": "100%", "height": "100%"},
    )
    if ctx.wall:
        return grid
    placeholder, label = SEARCH_TEXT["en" if ctx.lang == "en" else "zh"]
    search = html.Label(className="cockpit-table__find", children=[
        html.Span(label, className="cockpit-sr-only"),  # the box's name for screen readers
        dcc.Input(id={"type": "grid-search", "panel": ctx.panel_id}, type="search", debounce=0.3,
                  placeholder=placeholder, className="cockpit-table__search", maxLength=MAX_SEARCH),
    ]) if searchable else None
    return html.Div([search, html.Div(grid, className="cockpit-table__grid")], className="cockpit-table")


def search_options(text: Any) -> Patch:
    """The grid's quick filter for what the viewer typed (anything else than text: no filter)."""
    patch = Patch()
    patch["quickFilterText"] = text[:MAX_SEARCH] if isinstance(text, str) else ""
    return patch


def register_callbacks(app, host) -> None:
    """The search box of a long table filters its rows in the browser (AG Grid's quick filter)."""
    app.callback(Output({"type": "grid", "panel": MATCH}, "dashGridOptions"),
                 Input({"type": "grid-search", "panel": MATCH}, "value"), prevent_initial_call=True)(search_options)


def _wall_text(col: TableColumn, v: Any, numeric: bool, lang: str) -> str:
    value = _cell(v, numeric, lang)
    if value is None:
        return "—"
    if not numeric:
        return str(value)
    if col.change:
        fmt = col.format or Format(d3=",~f")
        return "–" if value == 0 else ("▲" if value > 0 else "▼") + fmt.apply(abs(value))
    if col.format is None:
        # like d3's ',' on the page: thousands separators, and a whole number shows no decimals
        return format(int(value), ",") if float(value).is_integer() else format(value, ",")
    return col.format.apply(value)


def cell_look(c: TableColumn, x: float | None, numeric: bool, rule: Any, top: float | None, fill: str,
              good_bad: tuple[str, str]) -> tuple[dict, list[str]]:
    """(inline style, classes) of a server-rendered cell (the wall's table, the light table): the
    highlight `rule` that holds for it, else its in-cell bar against `top`, and its change's class."""
    style, classes = {}, ["num"] if numeric else []
    if rule is not None:
        style.update({k: val for k, val in (("color", rule.color), ("background", rule.background),
                                            ("fontWeight", "bold" if rule.bold else None)) if val})
    elif c.bar and x is not None and top:
        share = max(0.0, min(100.0, 100 * abs(x) / top))
        style["background"] = f"linear-gradient(90deg, {fill} {share:.1f}%, rgba(0,0,0,0) {share:.1f}%)"
    if c.change and x:
        classes.append(good_bad[0] if (x > 0) == c.up_is_good else good_bad[1])
    return style, classes


def wall(df: pd.DataFrame, o: RankingTableOptions, ctx: RenderContext) -> html.Div:
    """The wall table: plain rows (no sorting, no paging, no tooltips), at most `wall_rows`, with
    the same formats, bars, ▲/▼ colours and highlights as the interactive grid."""
    if df.empty:
        return html.Div(no_data_text(ctx), className="wall-empty")
    cols = [c for c in (o.columns or [TableColumn(field=str(c)) for c in df.columns]) if c.field in df.columns]
    shown = df.head(o.wall_rows or min(o.rows, WALL_ROWS))
    numeric = {c.field: _is_numeric(shown[c.field]) for c in cols}
    tops = {c.field: max((abs(x) for x in (to_float(v) for v in shown[c.field]) if x is not None), default=None)
            for c in cols if c.bar and numeric[c.field]}
    # Column widths as shares of the panel: the page's pixel widths, relative to each other.
    fixed = [c.width for c in cols if c.width]
    default = sum(fixed) / len(fixed) if fixed else 1.0
    total = sum(c.width or default for c in cols)
    head = html.Thead(html.Tr([html.Th(c.label.get(ctx.lang) if c.label else ctx.label(c.field),
                                       style={"width": f"{100 * (c.width or default) / total:.1f}%"},
                                       className="num" if numeric[c.field] else None) for c in cols]))
    body = []
    for rec in shown[[c.field for c in cols]].itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, rec):
            x = to_float(v) if numeric[c.field] else None
            rule = next((h for h in c.highlight if x is not None and _compare(x, h.op, h.value)), None)
            style, classes = cell_look(c, x, numeric[c.field], rule, tops.get(c.field), rgba(o.bar_color, 0.35),
                                       ("wall-good", "wall-bad"))
            cells.append(html.Td(_wall_text(c, v, numeric[c.field], ctx.lang), style=style or None,
                                 className=" ".join(classes) or None))
        body.append(html.Tr(cells))
    return html.Div(html.Table([head, html.Tbody(body)], className="wall-table"), className="wall-table-wrap")


def _compare(x: float, op: str, value: float | str) -> bool:
    if isinstance(value, str):
        return False
    return {">": x > value, ">=": x >= value, "<": x < value, "<=": x <= value,
            "==": x == value, "!=": x != value}[op]


def point_value(point: dict, o: RankingTableOptions, column: str) -> Any:
    """A clicked row's value of `column` (the row's shown fields, as the browser sends them)."""
    row = point.get("row")
    return row.get(column) if isinstance(row, dict) else None


VISUAL = Visual(key_number=keynumbers.ranking_table, name="ranking_table", reads=reads_nothing,
                options=RankingTableOptions, render=render, columns=_columns,
                output="component", wall=wall, register_callbacks=register_callbacks,
                point_value=point_value,
                description="sortable ranking table with number formats, in-cell bars, ▲/▼ changes and highlights")
