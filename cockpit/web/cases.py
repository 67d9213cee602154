"""From a figure to its cases: `/cases/<panel>` (a paged, sortable, searchable list) and
`/cases/<panel>.csv` (the same list as CSV).

The panel's `[cases]` declaration names the case relation and how the figure's filters map
(`cockpit.cases`). The list runs with the page's own context (jurisdiction, period, snapshot,
cross-filters: the same `QueryContext` the figure binds) plus, when the viewer clicked a point,
the point's values through the kind's `point_value` hook, so its count equals the figure's value
there. Everything the client sends is re-validated: the sort column must be one of the
relation's, the page size is bounded, search text and values are bound parameters.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from flask import Blueprint, Flask, Response, request

from cockpit.cases import REGION_MATCH
from cockpit.query import QueryError, run_sql
from cockpit.web.case_query import SERIES, CaseQuery
from cockpit.web.i18n import t
from cockpit.web.lineage import lineage_html
from cockpit.web.plainpage import (document, esc, message_page, period_label, region_label, resolve_request,
                                   state_query)
from cockpit.web.quality_lists import QUALITY_PREFIX, QualityList, quality_list
from cockpit.web.views import Views

#: Data values shown through layouts/labels.toml in the viewer's language.
TRANSLATED = ("category", "channel", "status", "list", "runway")

STRINGS = {
    "zh": {"cases": "明细", "count": "共 {n} 条", "search": "搜索", "export": "导出CSV", "back": "返回图表",
           "prev": "上一页", "next": "下一页", "page": "第 {p} / {pages} 页", "region": "区域", "period": "统计期",
           "as_of": "数据截至", "clicked": "所点", "none": "没有符合条件的记录", "yes": "是", "no": "",
           "no_cases": "此面板没有可查看的明细", "not_found": "页面不存在", "error": "明细暂时无法显示",
           "capped": "仅导出前 {n} 条", "counted": "其中计入分子 {n} 条（{rate}）", "total": "合计 {name}：{v}",
           "current": "本期明细", "compare": "对比期明细", "side_compare": "对比期", "assessed": "考核月份"},
    "en": {"cases": "Cases", "count": "{n} rows", "search": "Search", "export": "Export CSV", "back": "Back to the figure",
           "prev": "Previous", "next": "Next", "page": "page {p} of {pages}", "region": "Region", "period": "Period",
           "as_of": "As of", "clicked": "Clicked", "none": "No rows match", "yes": "yes", "no": "",
           "no_cases": "This panel has no case list", "not_found": "Page not found", "error": "The case list cannot be shown",
           "capped": "only the first {n} rows are exported", "counted": "{n} of them counted ({rate})",
           "total": "Total {name}: {v}", "current": "This period's cases", "compare": "Comparison's cases",
           "side_compare": "Comparison", "assessed": "Assessed month"},
}


def _cell(value: Any, shown: str, lang: str, labels) -> tuple[str, str]:
    """(css class, text) of one cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", ""
    try:
        import pandas as pd
        if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
            return "", ""
    except (TypeError, ValueError):
        pass
    if shown == "flag":
        return ("yes", STRINGS[lang]["yes"]) if bool(value) else ("", STRINGS[lang]["no"])
    if shown == "time":
        return "", str(value)[:16]
    if shown == "date":
        return "", str(value)[:10]
    if shown == "number":
        return "num", f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    if isinstance(value, str) and value in labels:
        return "", labels[value].get(lang)
    return "", str(value)


def _spreadsheet_safe(text: str, shown: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote; the
    data is untrusted. Numbers, times and dates are ours and left as they are."""
    if shown == "text" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _labels(views: Views):
    return views.holder.get().value_labels


def register_case_routes(server: Flask, views: Views) -> None:
    """Attach `/cases/<panel>` and `/cases/<panel>.csv` to the app's Flask server."""
    bp = Blueprint("cases", __name__)

    def prepared(panel_id: str):
        """(resolved state, page, panel, case query), or the response that says why not (401, 404)."""
        try:
            res, page = resolve_request(views)
        except LookupError as exc:
            return None, Response(str(exc), status=401)
        lang = res.ctx.lang
        panel = quality_list(panel_id) or views.panel(panel_id)
        if panel is None or panel.spec.cases is None:
            why = panel.spec.no_cases.get(lang) if panel is not None and panel.spec.no_cases else STRINGS[lang]["no_cases"]
            return None, message_page(STRINGS[lang]["not_found"], why, lang, 404)
        return (res, page, panel, CaseQuery(views, panel, request.args, res)), None

    @bp.get("/cases/<panel_id>.csv")
    def cases_csv(panel_id: str):
        got, failure = prepared(panel_id)
        if failure is not None:
            return failure
        res, _, panel, cq = got
        lang = res.ctx.lang
        cap = views.settings.max_result_rows
        try:
            df = cq.export(res.ctx, cap)
        except QueryError:
            return message_page(STRINGS[lang]["error"], STRINGS[lang]["error"], lang, 503)
        labels = _labels(views)
        out = io.StringIO()
        writer = csv.writer(out)
        cols = cq.columns
        writer.writerow([c.label.get(lang) for c in cols])
        for row in df.itertuples(index=False):
            values = row._asdict()
            writer.writerow([_spreadsheet_safe(_cell(values.get(c.name), c.shown, lang, labels)[1], c.shown)
                             for c in cols])
        body = "\ufeff" + out.getvalue()  # a BOM: spreadsheet programs then read the Chinese as UTF-8
        side = "_compare" if cq.side == "compare" else ""
        name = f"{_route(panel)}_{res.ctx.region}_{res.ctx.period_start:%Y-%m}{side}_cases.csv"
        resp = Response(body, mimetype="text/csv")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @bp.get("/cases/<panel_id>")
    def cases_page(panel_id: str):
        got, failure = prepared(panel_id)
        if failure is not None:
            return failure
        res, page, panel, cq = got
        lang = res.ctx.lang
        s = STRINGS[lang]
        try:
            total = cq.count(res.ctx)
            df, pages = cq.rows(res.ctx, total)
        except QueryError as exc:
            views.error_card(exc, lang)  # logs it with a reference
            return message_page(s["error"], s["error"], lang, 503)
        return document(f"{panel.spec.title.get(lang)} · {s['cases']}", lang,
                        _render(views, res, page, panel, cq, df, total, pages))

    server.register_blueprint(bp)


def _own_query(cq: CaseQuery, page: str | None, **over: Any) -> str:
    """This list's URL query with some of its own keys changed."""
    own = {"page": page, "pt": cq.args.get("pt") if cq.matches else None, "q": cq.q,
           "side": "compare" if cq.side == "compare" else None,
           "sort": cq.sort, "dir": "desc" if cq.descending else "asc", "n": cq.size, "p": cq.page}
    own.update(over)
    return state_query(cq.args, **own)


def _render(views: Views, res, page, panel, cq: CaseQuery, df, total: int, pages: int) -> str:
    lang = res.ctx.lang
    s = STRINGS[lang]
    labels = _labels(views)
    title = panel.spec.title.get(lang)
    route = _route(panel)
    back = ("/quality" if route.startswith(QUALITY_PREFIX) else page or "/") + "?" + state_query(cq.args)
    chips = [f"<span>{esc(t('f_' + k, lang))} = "
             f"{esc(labels[v].get(lang) if v in labels else v)}</span>"
             for k, v in sorted(res.ctx.filters.items())]
    for figure, case, value in cq.matches:
        if case == REGION_MATCH:
            shown = region_label(res, lang, value)
        elif case == SERIES:
            shown = panel.spec.labels[value].get(lang) if value in panel.spec.labels else value
        else:
            shown = labels[value].get(lang) if value in labels else value
        chips.append(f"<span>{esc(s['clicked'])}: {esc(shown)}</span>")
    head = "".join(
        f'<th><a href="?{esc(_own_query(cq, page, sort=c.name, dir="asc" if cq.sort == c.name and cq.descending else "desc", p=1))}">'
        f'{esc(c.label.get(lang))}{" ▼" if cq.sort == c.name and cq.descending else " ▲" if cq.sort == c.name else ""}</a></th>'
        for c in cq.columns)
    body_rows = []
    for row in df.itertuples(index=False):
        values = row._asdict()
        cells = [_cell(values.get(c.name), c.shown, lang, labels) for c in cq.columns]
        if cq.counts:  # a rate's numerator mark is no alarm (red is for overdue, vetoed)
            cells[-1] = ("counted" if cells[-1][0] else "", cells[-1][1])
        # a row flagged by the data (overdue, vetoed) stands out; a rate's "counted" is no alarm
        flagged = any(c.shown == "flag" and bool(values.get(c.name)) for c in cq.relation.columns)
        tds = "".join(f'<td class="{cls}">{esc(text)}</td>' if cls else f"<td>{esc(text)}</td>" for cls, text in cells)
        body_rows.append(f'<tr class="flag">{tds}</tr>' if flagged else f"<tr>{tds}</tr>")
    if not body_rows:
        body_rows.append(f'<tr><td colspan="{len(cq.columns)}" class="muted">{esc(s["none"])}</td></tr>')
    pager = [f'<span>{esc(s["page"].format(p=cq.page, pages=pages))}</span>']
    if cq.page > 1:
        pager.insert(0, f'<a class="button" rel="prev" href="?{esc(_own_query(cq, page, p=cq.page - 1))}">{esc(s["prev"])}</a>')
    if cq.page < pages:
        pager.append(f'<a class="button" rel="next" href="?{esc(_own_query(cq, page, p=cq.page + 1))}">{esc(s["next"])}</a>')
    hidden = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
                     for k, v in _hidden_items(cq, page))
    csv_href = f"/cases/{esc(route)}.csv?{esc(_own_query(cq, page, p=None, n=None))}"
    return (
        f'<header class="topbar"><h1>{esc(title)} · {esc(s["cases"])}</h1>'
        f'<a href="{esc(back)}" id="back">{esc(s["back"])}</a></header><main>'
        f'<div class="meta"><span>{esc(s["region"])}: {esc(region_label(res, lang))}</span>'
        f'{_window(cq, res, lang)}{_assessed(cq, res, lang)}'
        f'<span>{esc(s["as_of"])} {esc(res.ctx.as_of.isoformat())}</span>'
        f'<strong id="case-count" data-count="{total}">{esc(s["count"].format(n=f"{total:,}"))}</strong>'
        f'{_summary(cq, total, lang)}</div>'
        f'<div class="chips">{"".join(chips)}</div>{_sides(cq, page, lang)}'
        f'<form class="search" method="get">{hidden}<input type="search" name="q" value="{esc(cq.q or "")}" '
        f'maxlength="80" aria-label="{esc(s["search"])}"><button type="submit">{esc(s["search"])}</button>'
        f'<a class="button" id="export" download href="{csv_href}">{esc(s["export"])}</a></form>'
        f'<div class="table-wrap"><table id="cases"><thead><tr>{head}</tr></thead><tbody>{"".join(body_rows)}</tbody></table></div>'
        f'<nav class="pager">{"".join(pager)}</nav>'
        + lineage_html(views, res, panel, lang, rows_behind=total, case_sql=cq.statement, extra=cq.extra)
        + "</main>")


def _window(cq: CaseQuery, res, lang: str) -> str:
    """The days the list covers: the page's period, or on the comparison side its own window."""
    s = STRINGS[lang]
    if cq.side != "compare" or cq.panel.spec.cases.period is None:
        return f'<span>{esc(s["period"])}: {esc(period_label(res))}</span>'
    c = cq.panel.spec.cases.compare
    try:  # the window is SQL over the bound values (e.g. the same days last year): let it say
        df = run_sql(f"select cast({c.start} as date) as first_day, cast({c.end} as date) - interval 1 day as last_day",
                     res.ctx, db=cq.views.db)
        span = f"{df['first_day'].iloc[0]:%Y-%m-%d} – {df['last_day'].iloc[0]:%Y-%m-%d}"
    except (QueryError, ValueError, TypeError):
        span = "—"
    return f'<span id="window">{esc(s["side_compare"])}: {esc(span)}</span>'


def _assessed(cq: CaseQuery, res, lang: str) -> str:
    """The assessed month a street's indicator values are of (it may differ from the period)."""
    month = getattr(res.ctx, "score_period", None)
    if cq.relation.name != "street_indicators" or month is None:
        return ""
    return f'<span id="assessed">{esc(STRINGS[lang]["assessed"])}: {esc(f"{month:%Y-%m}")}</span>'


def _route(panel) -> str:
    """The id of a list in its URL: the panel's, or a data-quality list's."""
    return panel.route if isinstance(panel, QualityList) else panel.spec.id


def _summary(cq: CaseQuery, total: int, lang: str) -> str:
    """The numerator of a rate's list and the declared column's sum, each with its exact value."""
    s = STRINGS[lang]
    out = ""
    if cq.counted is not None:
        rate = f"{cq.counted / total:.1%}" if total else "—"
        out += (f'<strong id="case-counted" data-count="{cq.counted}">'
                f'{esc(s["counted"].format(n=f"{cq.counted:,}", rate=rate))}</strong>')
    if cq.total_column:
        column = cq.relation.column(cq.total_column)
        value = "—" if cq.total is None else f"{cq.total:,.1f}"
        out += (f'<strong id="case-total" data-total="{"" if cq.total is None else repr(cq.total)}">'
                f'{esc(s["total"].format(name=column.label.get(lang), v=value))}</strong>')
    return out


def _sides(cq: CaseQuery, page: str | None, lang: str) -> str:
    """Links between the period's list and the comparison's (a KPI's `previous`), when declared."""
    if not cq.has_compare:
        return ""
    s = STRINGS[lang]
    links = []
    for side in ("current", "compare"):
        href = "?" + _own_query(cq, page, side="compare" if side == "compare" else None, p=1)
        cls = "button active" if cq.side == side else "button secondary"
        links.append(f'<a class="{cls}" id="side-{side}" href="{esc(href)}">{esc(s[side])}</a>')
    return f'<nav class="sides">{"".join(links)}</nav>'


def _hidden_items(cq: CaseQuery, page: str | None) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(_own_query(cq, page, q=None, p=None)) if k != "q"]
