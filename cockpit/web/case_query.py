"""One request for a panel's case list, validated (`CaseQuery`): what the client says it clicked
(plotly's own point keys, or a table row's fields; primitives only), mapped through the kind's
`point_value` hook onto the declared `match`, the side (the period or the comparison), the
search, sort and page, and the statements with every value bound (`cockpit.cases`)."""

from __future__ import annotations

import json
import math
from typing import Any

from cockpit.cases import (CASE_RELATIONS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SEARCH, CaseColumn,
                           count_statement, export_statement, match_params, page_statement, spec_statements)
from cockpit.filters import valid_filter_value
from cockpit.query import QueryError, results, run_sql
from cockpit.text import Text
from cockpit.visuals.registry import get_visual
from cockpit.web.views import Views

#: What a client may say about the point it clicked (plotly's own keys, `name`: the clicked trace's
#: name, i.e. a stacked bar's series, `curveNumber`: its index; `row`: a clicked table row's
#: fields; a Sankey link's `source` / `target` labels and their positions `source_at` / `target_at`;
#: primitives only).
POINT_KEYS = ("x", "y", "location", "label", "customdata", "name", "curveNumber",
              "source", "target", "source_at", "target_at")
#: The most fields of a clicked table row a client may send.
MAX_ROW_FIELDS = 40
#: The case column of a `matches` entry that is a clicked bar's value column (`series`).
SERIES = "@series"
#: The column a rate's list adds: whether the row counts in the numerator.
COUNTED = CaseColumn("counted", Text(zh="计入分子", en="Counted"), "flag")

def clicked_point(raw: Any) -> dict | None:
    """The clicked point a client sent (`pt=` JSON), keeping only plotly's primitive keys."""
    if not isinstance(raw, str) or not raw or len(raw) > 2000:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    point: dict[str, Any] = {k: data[k] for k in POINT_KEYS if _primitive(data.get(k))}
    row = data.get("row")
    if isinstance(row, dict):
        kept = {str(k)[:64]: v for k, v in list(row.items())[:MAX_ROW_FIELDS] if _primitive(v)}
        if kept:
            point["row"] = kept
    return point or None


def _primitive(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


class CaseQuery:
    """One request for a panel's case list, validated: statement, bound values, sort, page."""

    def __init__(self, views: Views, panel, args, res=None):
        self.views, self.panel, self.args = views, panel, args
        spec = panel.spec.cases
        self.relation = CASE_RELATIONS[spec.relation]
        self.matches: list[tuple[str, str, Any]] = []  # (figure column, case column, value)
        self.counted: int | None = None
        self.total: float | None = None
        point = clicked_point(args.get("pt")) if panel.spec.kind else None
        extra: dict[str, Any] = {}
        if point is not None:
            visual = get_visual(panel.spec.kind)
            for figure, case, param in match_params(spec.match):
                value = visual.point_value(point, panel.options, figure)
                if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                    continue
                value = str(value)
                if figure in panel.spec.translate or figure in getattr(panel.options, "node_columns", ()):
                    value = _data_value(views, panel, res, figure, value)  # the chart shows display names
                if not valid_filter_value(value):
                    continue
                extra[param] = value
                self.matches.append((figure, case, value))
        active = {figure for figure, _, _ in self.matches}
        series, wants_compare = None, args.get("side") == "compare"
        if point is not None:
            visual = get_visual(panel.spec.kind)
            for column, condition in spec.series.items():
                if visual.point_value(point, panel.options, column) is not None:
                    self.matches.append((column, SERIES, column))
                    if condition == "compare":
                        wants_compare = True
                    else:
                        series = condition
                    break
        statements = spec_statements(spec, active, series)
        self.side = "compare" if wants_compare and "compare" in statements else "current"
        self.has_compare = "compare" in statements
        self.statement = statements[self.side]
        self.counts = (spec.compare.counts if self.side == "compare" and spec.compare and spec.compare.counts
                       else spec.counts) is not None
        self.total_column = spec.total
        label = spec.counts_label
        self.columns = self.relation.columns + ((CaseColumn("counted", label, "flag") if label else COUNTED,)
                                                if self.counts else ())
        q = args.get("q")
        self.q = q.strip()[:MAX_SEARCH] if isinstance(q, str) and q.strip() else None
        extra["cases_q"] = self.q
        self.extra = extra
        sort = args.get("sort")
        known = isinstance(sort, str) and any(c.name == sort for c in self.columns)
        self.sort = sort if known else self.relation.default_sort
        self.descending = args.get("dir", "desc" if sort is None else "asc") == "desc"
        self.size = _int(args.get("n"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        self.page = _int(args.get("p"), 1, 1, 10**9)

    def count(self, ctx) -> int:
        """How many cases match; also sets `counted` (a rate's numerator) and `total` (the declared sum)."""
        sql = count_statement(self.relation, self.statement, self.counts, self.total_column)
        df = run_sql(sql, ctx, db=self.views.db, extra=self.extra)
        row = df.iloc[0] if len(df) else None
        self.counted = int(row["counted"]) if self.counts and row is not None else None
        total = row["total"] if self.total_column and row is not None else None
        self.total = None if total is None or (isinstance(total, float) and math.isnan(total)) else float(total)
        return int(row["cases"]) if row is not None else 0

    def rows(self, ctx, total: int):
        pages = max(1, math.ceil(total / self.size))
        self.page = min(self.page, pages)
        extra = {**self.extra, "cases_limit": self.size, "cases_offset": (self.page - 1) * self.size}
        sql = page_statement(self.relation, self.statement, self.sort, self.descending)
        return run_sql(sql, ctx, db=self.views.db, extra=extra), pages

    def export(self, ctx, cap: int):
        sql = export_statement(self.relation, self.statement, self.sort, self.descending)
        return run_sql(sql, ctx, db=self.views.db, limit=cap, extra=self.extra)


def _data_value(views: Views, panel, res, column: str, shown: str) -> str:
    """The data value behind a value the figure showed translated: the figure's own (cached) value of
    `column` shown so, else the value layouts/labels.toml names so (e.g. a Sankey's node names)."""
    if res is not None and res.ctx.lang == "en" and column in panel.spec.translate:
        try:
            raw = results.query(panel.spec.sql, views.panel_context(panel, res), views.db)
        except QueryError:
            raw = None
        if raw is not None and column in raw.columns:
            labels = views.holder.get().value_labels
            places = views.place_names(res.ctx.snapshot)
            for value in raw[column].dropna().unique():
                if views.shown(value, labels, "en", places) == shown:
                    return str(value)
    return views.untranslate(shown)


def _int(raw: Any, default: int, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, value))
