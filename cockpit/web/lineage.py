"""Lineage and data quality one click away: `/lineage/<panel>` (where a figure's numbers come
from), `/quality` (the data-quality flags of a region) and `/trace/flags` (per panel, how many
flagged rows its inputs carry, for the badges on the panel headers).

Lineage of a figure: the snapshot it reads (id, as of, the drop it came from, when it was
published, the snapshot before it), the tables it reads with their rows, the rows behind the
figure, the data-quality flags on those tables within the viewer's region, and for analysts
(`Views.sees_sql`) the SQL with the values it binds.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request

from cockpit.analytics.quality import FLAGS, FLAGS_BY_NAME, SOURCE_TABLES
from cockpit.cases import CASE_RELATIONS, count_statement, spec_statements
from cockpit.query import QueryError, referenced_params, results, run_sql
from cockpit.web.i18n import t
from cockpit.web.plainpage import (document, esc, message_page, period_label, region_label, resolve_request,
                                   state_query)
from cockpit.web.views import Views

#: The most panels one badge request may ask about.
MAX_BADGE_PANELS = 64

STRINGS = {
    "zh": {"lineage": "数据溯源", "snapshot": "数据快照", "as_of": "数据截至", "source": "来源数据包",
           "published": "发布时间", "parent": "上一快照", "inputs": "读取的数据表", "rows": "行",
           "rows_behind": "图表背后的记录", "result_rows": "查询结果行数", "open_cases": "查看明细",
           "quality": "数据质量", "no_flags": "所读数据表在本区域没有数据质量标记", "flag": "标记", "table": "数据表",
           "count": "记录数", "examples": "示例编号", "sql": "SQL 及绑定值", "back": "返回图表", "region": "区域",
           "period": "统计期", "not_found": "页面不存在", "no_panel": "没有这个面板", "none": "无",
           "quality_title": "数据质量", "by_region": "按下级区域", "all_flags": "全部标记",
           "no_rollup": "此快照发布时尚未统计数据质量标记", "kind_state": "现状", "kind_arrival": "本批",
           "kind": "类型"},
    "en": {"lineage": "Lineage", "snapshot": "Snapshot", "as_of": "As of", "source": "Source drop",
           "published": "Published", "parent": "Previous snapshot", "inputs": "Tables read", "rows": "rows",
           "rows_behind": "Rows behind the figure", "result_rows": "Result rows", "open_cases": "Open the cases",
           "quality": "Data quality", "no_flags": "No data-quality flags on these tables in this region",
           "flag": "Flag", "table": "Table", "count": "Rows", "examples": "Example ids", "sql": "SQL and bound values",
           "back": "Back to the figure", "region": "Region", "period": "Period", "not_found": "Page not found",
           "no_panel": "No such panel", "none": "none", "quality_title": "Data quality",
           "by_region": "By sub-region", "all_flags": "All flags",
           "no_rollup": "This snapshot was published before data-quality flags were counted",
           "kind_state": "state", "kind_arrival": "this drop", "kind": "Kind"},
}

_WORD = re.compile(r"[a-z_][a-z0-9_]*")


@lru_cache(maxsize=64)
def _manifest(path: str, created_at: str) -> dict:
    """A snapshot's manifest (immutable once published; `created_at` tells reused ids apart)."""
    return json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))


def snapshot_meta(views: Views, snapshot: str) -> dict:
    info = views.db.attach(snapshot)
    return _manifest(str(info.path), info.created_at)


def panel_statements(panel) -> list[str]:
    spec = panel.spec
    out = [spec.sql, *spec.queries.values()]
    if spec.cases is not None:
        out.append(CASE_RELATIONS[spec.cases.relation].sql)
    return out


def panel_inputs(panel, tables: dict) -> list[str]:
    """The snapshot tables (and named relations) a panel's statements mention, in first-use order."""
    seen: list[str] = []
    for sql in panel_statements(panel):
        for word in _WORD.findall(sql.lower()):
            name = word[:-len("_scoped")] if word.endswith("_scoped") else word
            if (name in tables or name in SOURCE_TABLES) and name not in seen:
                seen.append(name)
    return seen


def panel_sources(panel, tables: dict) -> set[str]:
    """The drop tables whose data-quality flags bear on a panel."""
    return {src for name in panel_inputs(panel, tables) for src in SOURCE_TABLES.get(name, ())}


def region_flags(views: Views, ctx) -> list[tuple[str, str, int, list]] | None:
    """(flag, table, rows, example ids) within the context's region; None: the snapshot has none."""
    if "quality_flags" not in views.db.attach(ctx.snapshot).tables:
        return None
    key = ("region-flags", ctx.snapshot, ctx.region)
    memo = views.db.memo
    if key not in memo:
        df = run_sql("select flag, source_table, sum(flagged) as flagged, "
                     "list(e order by e) filter (where e is not null) as examples "
                     "from quality_flags_scoped left join unnest(example_ids) as x(e) on true "
                     "group by flag, source_table", ctx, db=views.db)
        counts = run_sql("select flag, sum(flagged) as flagged from quality_flags_scoped group by flag", ctx, db=views.db)
        total = {r.flag: int(r.flagged) for r in counts.itertuples(index=False)}
        memo[key] = [(r.flag, r.source_table, total.get(r.flag, 0), (list(r.examples) if r.examples is not None else [])[:5])
                     for r in df.itertuples(index=False)]
    return memo[key]


def _flag_cells(flag, n: int, examples: list, lang: str) -> str:
    """A flag's name (linked to its case list where it has one), its count and example ids (a
    request id linked to that request's row)."""
    state = state_query(request.args)
    name = f'{esc(flag.zh if lang == "zh" else flag.en)} <span class="muted">{esc(flag.name)}</span>'
    if flag.condition is not None and n:
        name = f'<a class="flag-cases" href="/cases/quality-{esc(flag.name)}?{esc(state)}">{name}</a>'
    if flag.table == "requests":
        ids = " ".join(f'<a href="/cases/quality-requests?{esc(state_query(request.args, q=str(e)))}">{esc(e)}</a>'
                       for e in examples)
    else:
        ids = esc(" ".join(map(str, examples)))
    return f'<td>{name}</td><td>{esc(flag.table)}</td>', f'<td class="num">{n:,}</td><td>{ids}</td>'


def _flags_table(rows, lang: str, s: dict) -> str:
    body = "".join(
        f'<tr data-flag="{esc(f)}">{"".join(_flag_cells(FLAGS_BY_NAME[f], n, ex, lang))}</tr>'
        for f, table, n, ex in rows if f in FLAGS_BY_NAME)
    return (f'<div class="table-wrap"><table class="flags"><thead><tr><th>{esc(s["flag"])}</th><th>{esc(s["table"])}</th>'
            f'<th>{esc(s["count"])}</th><th>{esc(s["examples"])}</th></tr></thead><tbody>{body}</tbody></table></div>')


def _bound(sql: str, ctx, extra: dict | None) -> str:
    params = {**ctx.params(), **(extra or {})}
    return " · ".join(f"${k}={params[k]}" for k in sorted(referenced_params(sql)) if k in params)


def lineage_html(views: Views, res, panel, lang: str, rows_behind: int | None = None,
                 case_sql: str | None = None, extra: dict | None = None, result_rows: int | None = None) -> str:
    """The lineage card of a panel for a resolved state (used by the lineage and case pages)."""
    s = STRINGS[lang]
    ctx = res.ctx
    meta = snapshot_meta(views, ctx.snapshot)
    tables = meta.get("tables", {})
    inputs = panel_inputs(panel, tables)
    facts = [(s["snapshot"], ctx.snapshot), (s["as_of"], meta.get("as_of")), (s["source"], meta.get("source")),
             (s["published"], meta.get("created_at")), (s["parent"], meta.get("parent") or s["none"])]
    if rows_behind is not None:
        facts.append((s["rows_behind"], f"{rows_behind:,}"))
    if result_rows is not None:
        facts.append((s["result_rows"], f"{result_rows:,}"))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    ins = "".join(f'<li><code>{esc(name)}</code>'
                  + (f' — {tables[name]["rows"]:,} {esc(s["rows"])}' if name in tables and "rows" in tables[name] else "")
                  + "</li>" for name in inputs)
    sources = panel_sources(panel, tables)
    flags = region_flags(views, ctx)
    if flags is None:
        quality = f'<p class="muted">{esc(s["no_rollup"])}</p>'
    else:
        mine = [r for r in flags if r[1] in sources and r[2] > 0]
        quality = _flags_table(mine, lang, s) if mine else f'<p class="muted">{esc(s["no_flags"])}</p>'
    out = (f'<section class="card" id="lineage"><h2>{esc(s["lineage"])}</h2><dl>{dl}</dl>'
           f'<h2>{esc(s["inputs"])}</h2><ul>{ins}</ul></section>'
           f'<section class="card" id="quality"><h2>{esc(s["quality"])}</h2>{quality}'
           f'<p><a id="all-flags" href="/quality?{esc(state_query(request.args))}">{esc(s["all_flags"])}</a></p></section>')
    if views.sees_sql():
        blocks = [panel.spec.sql, *panel.spec.queries.values()] + ([case_sql] if case_sql else [])
        out += (f'<section class="card" id="sql"><h2>{esc(s["sql"])}</h2>'
                + "".join(f"<pre>{esc(sql.strip())}</pre><p class=\"muted\">{esc(_bound(sql, ctx, extra))}</p>"
                          for sql in blocks) + "</section>")
    return out


def register_lineage_routes(server: Flask, views: Views) -> None:
    """Attach `/lineage/<panel>`, `/quality` and `/trace/flags` to the app's Flask server."""
    bp = Blueprint("lineage", __name__)

    @bp.get("/lineage/<panel_id>")
    def lineage_page(panel_id: str):
        try:
            res, page = resolve_request(views)
        except LookupError as exc:
            return Response(str(exc), status=401)
        lang = res.ctx.lang
        s = STRINGS[lang]
        panel = views.panel(panel_id)
        if panel is None:
            return message_page(s["not_found"], s["no_panel"], lang, 404)
        ctx = views.panel_context(panel, res)
        rows_behind = result_rows = None
        try:
            result_rows = len(results.query(panel.spec.sql, ctx, views.db))  # the figure's own cached result
            c = panel.spec.cases
            if c is not None:
                stmt = spec_statements(c, set())["current"]
                df = run_sql(count_statement(CASE_RELATIONS[c.relation], stmt), res.ctx, db=views.db,
                             extra={"cases_q": None})
                rows_behind = int(df["cases"].iloc[0])
        except QueryError as exc:
            views.error_card(exc, lang)
        back = (page or "/") + "?" + state_query(request.args)
        cases = ""
        if panel.spec.cases is not None:
            cases = (f'<p><a class="button" id="open-cases" href="/cases/{esc(panel_id)}?'
                     f'{esc(state_query(request.args, page=page))}">{esc(s["open_cases"])}</a></p>')
        body = (f'<header class="topbar"><h1>{esc(panel.spec.title.get(lang))} · {esc(s["lineage"])}</h1>'
                f'<a href="{esc(back)}" id="back">{esc(s["back"])}</a></header><main>'
                f'<div class="meta"><span>{esc(s["region"])}: {esc(region_label(res, lang))}</span>'
                f'<span>{esc(s["period"])}: {esc(period_label(res))}</span></div>{cases}'
                + lineage_html(views, res, panel, lang, rows_behind=rows_behind, result_rows=result_rows)
                + "</main>")
        return document(f"{panel.spec.title.get(lang)} · {s['lineage']}", lang, body)

    @bp.get("/quality")
    def quality_page():
        try:
            res, page = resolve_request(views)
        except LookupError as exc:
            return Response(str(exc), status=401)
        lang = res.ctx.lang
        s = STRINGS[lang]
        try:
            body = _quality_body(views, res, page, lang)
        except QueryError as exc:
            views.error_card(exc, lang)
            body = f"<main><p>{esc(t('panel_error', lang))}</p></main>"
        return document(s["quality_title"], lang, body)

    @bp.get("/trace/flags")
    def trace_flags():
        """{panel id: flagged rows on its inputs within the viewer's region} for the badges."""
        try:
            res, _ = resolve_request(views)
        except LookupError:
            return Response('{"error": "login required"}', status=401, mimetype="application/json")
        ids = [p for p in (request.args.get("panels") or "").split(",")[:MAX_BADGE_PANELS] if p]
        flags = region_flags(views, res.ctx) or []
        tables = snapshot_meta(views, res.ctx.snapshot).get("tables", {})
        out: dict[str, int] = {}
        for pid in ids:
            panel = views.panel(pid)
            if panel is None:
                continue
            sources = panel_sources(panel, tables)
            out[pid] = sum(n for _, table, n, _ in flags if table in sources)
        resp = Response(json.dumps(out), mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    server.register_blueprint(bp)


def _quality_body(views: Views, res, page, lang: str) -> str:
    s = STRINGS[lang]
    ctx = res.ctx
    back = (page or "/") + "?" + state_query(request.args)
    head = (f'<header class="topbar"><h1>{esc(s["quality_title"])} · {esc(region_label(res, lang))}</h1>'
            f'<a href="{esc(back)}" id="back">{esc(s["back"])}</a></header><main>'
            f'<div class="meta"><span>{esc(s["snapshot"])}: {esc(ctx.snapshot)}</span>'
            f'<span>{esc(s["as_of"])} {esc(ctx.as_of.isoformat())}</span></div>')
    flags = region_flags(views, ctx)
    if flags is None:
        return head + f'<p class="muted">{esc(s["no_rollup"])}</p></main>'
    found = {f: (table, n, ex) for f, table, n, ex in flags}
    rows = []
    for f in FLAGS:
        named, counted = _flag_cells(f, found.get(f.name, ("", 0, []))[1], found.get(f.name, ("", 0, []))[2], lang)
        rows.append(f'<tr data-flag="{esc(f.name)}">{named}<td>{esc(s["kind_" + f.kind])}</td>{counted}</tr>')
    rows = "".join(rows)
    table = (f'<section class="card"><div class="table-wrap"><table id="quality-flags"><thead><tr><th>{esc(s["flag"])}</th>'
             f'<th>{esc(s["table"])}</th><th>{esc(s["kind"])}</th><th>{esc(s["count"])}</th><th>{esc(s["examples"])}</th>'
             f'</tr></thead><tbody>{rows}</tbody></table></div></section>')
    # Per sub-region: one row per child of the region, one column per flag that occurs.
    df = run_sql("select t.ancestor_code as child, q.flag, sum(q.flagged) as flagged "
                 "from quality_flags_scoped q join region_tree_scoped t on t.region_code = q.region_code "
                 "join region_names c on c.region_code = t.ancestor_code and c.parent_code = $region "
                 "group by all", ctx, db=views.db)
    present = [f for f in FLAGS if f.name in set(df["flag"])]
    grid: dict[str, dict[str, int]] = {}
    for r in df.itertuples(index=False):
        grid.setdefault(r.child, {})[r.flag] = int(r.flagged)
    children = sorted(grid, key=lambda c: -sum(grid[c].values()))
    sub = ""
    if children:
        th = "".join(f"<th>{esc(f.zh if lang == 'zh' else f.en)}</th>" for f in present)
        trs = "".join(
            f'<tr><td><a href="/quality?{esc(state_query(request.args, region=c, page=page))}">'
            f'{esc(region_label(res, lang, c))}</a></td>'
            + "".join(f'<td class="num">{grid[c].get(f.name, 0):,}</td>' for f in present) + "</tr>"
            for c in children)
        sub = (f'<section class="card"><h2>{esc(s["by_region"])}</h2><div class="table-wrap"><table id="quality-children">'
               f'<thead><tr><th>{esc(s["region"])}</th>{th}</tr></thead><tbody>{trs}</tbody></table></div></section>')
    return head + table + sub + "</main>"
