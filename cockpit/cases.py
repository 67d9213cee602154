"""Case relations: the rows behind a figure (requests, ledger items, a street's indicator values).

A panel declares its drill-through in a `[cases]` section (`cockpit.specs.models.CasesSpec`):
which case relation, which of its columns the page's period limits, an extra condition, and
how a clicked point's columns map onto case columns. This module turns that into panel SQL over
the scoped relations, so the query layer applies the viewer's jurisdiction and the page's
cross-filters exactly as for the figure, and the guard checks it like any panel SQL.

Paging, sorting and searching are part of the statement: the sort column comes from the
relation's own column list (never from the client), the search text and the page bounds are
bound parameters, the page size is bounded (`MAX_PAGE_SIZE`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.text import Text

#: The most rows one page of a case list shows.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
#: The most characters of a search text.
MAX_SEARCH = 80
#: A match target meaning "the row lies in this region or under it" (e.g. a clicked map region).
REGION_MATCH = "region"
#: The same by the region's name among the children of $map_parent (a heat-map row of areas).
AREA_NAME_MATCH = "area_name"


@dataclass(frozen=True)
class CaseColumn:
    """One column of a case list: its name, label and how it is shown (text|time|date|number|flag)."""

    name: str
    label: Text
    shown: str = "text"
    searchable: bool = False


@dataclass(frozen=True)
class CaseRelation:
    """Rows a figure may open: a SELECT over scoped relations, its columns, key and region column."""

    name: str
    sql: str
    columns: tuple[CaseColumn, ...]
    key: str
    default_sort: str
    region_column: str  # a region code column of the rows (what REGION_MATCH compares)
    description: str

    def column(self, name: str) -> CaseColumn | None:
        return next((c for c in self.columns if c.name == name), None)


def _c(name: str, zh: str, en: str, shown: str = "text", searchable: bool = False) -> CaseColumn:
    return CaseColumn(name, Text(zh=zh, en=en), shown, searchable)


_REQUESTS_SQL = """
select r.request_id, r.received_at, r.street_code, s.name as street_name, r.category, r.channel,
       r.status, r.relayed_at, r.dispatched_at, r.handled_at, r.closed_at, r.due_at,
       r.dept_code, d.name as dept_name,
       coalesce(case when r.closed_at is null then r.due_at < cast($as_of as timestamp) + interval 1 day
                     else r.closed_at > r.due_at end, false) as overdue
from requests_scoped r
left join region_names s on s.region_code = r.street_code
left join department_names d on d.dept_code = r.dept_code
"""

_LEDGER_ITEMS_SQL = """
select i.item_id, i.list, i.title, i.status, i.app_id, a.name as app_name, a.runway, a.region_code,
       g.name as region_name, i.owner_dept, d.name as owner_name, i.due_on, i.done_on,
       coalesce(i.status <> 'done' and i.due_on < $as_of, false) as overdue
from ledger_items i
join reform_apps_scoped a on a.app_id = i.app_id
left join region_names g on g.region_code = a.region_code
left join department_names d on d.dept_code = i.owner_dept
"""

_LEDGER_APPS_SQL = """
select a.app_id, a.name, a.runway, a.stage, a.region_code, g.name as region_name, a.lead_dept,
       d.name as lead_name, a.iterations, a.in_ledger, a.launched_on, a.monthly_active_users
from reform_apps_scoped a
left join region_names g on g.region_code = a.region_code
left join department_names d on d.dept_code = a.lead_dept
"""

_INDICATORS_SQL = """
select s.street_code, s.name as street_name, s.indicator, s.indicator_name, s.unit, s.value, s.target,
       s.higher_is_better, round(s.capped_ratio, 3) as capped_ratio, s.weight,
       round(s.contribution, 2) as contribution
from indicator_scores s
"""

CASE_RELATIONS: dict[str, CaseRelation] = {r.name: r for r in (
    CaseRelation(
        "requests", _REQUESTS_SQL,
        (_c("request_id", "诉求编号", "Request", searchable=True),
         _c("received_at", "受理时间", "Received", "time"),
         _c("street_name", "街道", "Street", searchable=True),
         _c("category", "类别", "Category", searchable=True),
         _c("channel", "渠道", "Channel", searchable=True),
         _c("status", "状态", "Status", searchable=True),
         _c("relayed_at", "转达", "Relayed", "time"),
         _c("dispatched_at", "派单", "Dispatched", "time"),
         _c("handled_at", "处理", "Handled", "time"),
         _c("closed_at", "办结", "Closed", "time"),
         _c("due_at", "期限", "Due", "time"),
         _c("dept_name", "承办部门", "Department", searchable=True),
         _c("overdue", "超期", "Overdue", "flag")),
        key="request_id", default_sort="received_at", region_column="street_code",
        description="the requests (12345 cases) in scope, one row each, with stage times, due time, "
                    "owning department and an overdue flag (open past due, or closed late)"),
    CaseRelation(
        "ledger_items", _LEDGER_ITEMS_SQL,
        (_c("item_id", "事项编号", "Item", searchable=True),
         _c("list", "清单", "List", searchable=True),
         _c("title", "事项", "Title", searchable=True),
         _c("status", "状态", "Status", searchable=True),
         _c("app_name", "应用", "App", searchable=True),
         _c("runway", "跑道", "Runway", searchable=True),
         _c("region_name", "区域", "Region", searchable=True),
         _c("owner_name", "责任部门", "Owner", searchable=True),
         _c("due_on", "期限", "Due", "date"),
         _c("done_on", "完成", "Done", "date"),
         _c("overdue", "逾期", "Overdue", "flag")),
        key="item_id", default_sort="due_on", region_column="region_code",
        description="the three lists' items of the ledger apps in scope, with owner, due date and an "
                    "overdue flag (not done and past due)"),
    CaseRelation(
        "ledger_apps", _LEDGER_APPS_SQL,
        (_c("app_id", "应用编号", "App", searchable=True),
         _c("name", "应用", "Name", searchable=True),
         _c("runway", "跑道", "Runway", searchable=True),
         _c("stage", "阶段", "Stage", searchable=True),
         _c("region_name", "建设主体", "Owner", searchable=True),
         _c("lead_name", "牵头部门", "Lead department", searchable=True),
         _c("iterations", "迭代次数", "Iterations", "number"),
         _c("in_ledger", "正式入账", "In the ledger", "flag"),
         _c("launched_on", "上线日期", "Launched", "date"),
         _c("monthly_active_users", "月活用户", "Monthly users", "number")),
        key="app_id", default_sort="name", region_column="region_code",
        description="the ledger's reform apps in scope with runway, stage, owner, lead department, "
                    "iterations, launch date and monthly users"),
    CaseRelation(
        "street_indicators", _INDICATORS_SQL,
        (_c("street_name", "街道", "Street", searchable=True),
         _c("indicator_name", "指标", "Indicator", searchable=True),
         _c("value", "实际值", "Value", "number"),
         _c("unit", "单位", "Unit"),
         _c("target", "目标", "Target", "number"),
         _c("capped_ratio", "得分比（封顶）", "Capped ratio", "number"),
         _c("weight", "权重", "Weight", "number"),
         _c("contribution", "得分贡献", "Points", "number")),
        key="street_code", default_sort="street_name", region_column="street_code",
        description="per street in scope × indicator, for the page's month: value, target, capped ratio, "
                    "weight and points contributed to the composite score"),
)}


def case_statement(relation: CaseRelation, period: str | None, where: str | None,
                   matches: list[tuple[str, str]]) -> str:
    """The SELECT of every case behind a figure: the relation limited to the page's period (its
    column `period` in [$period_start, $period_end)), the panel's condition `where`, and each
    (case column, parameter name) of `matches` equal to that bound value (REGION_MATCH: the
    row's region lies in the bound region's subtree; AREA_NAME_MATCH: in the subtree of the
    child of $map_parent with that name)."""
    conds = []
    if period:
        conds.append(f'c."{period}" >= $period_start and c."{period}" < $period_end')
    if where:
        conds.append(f"({where})")
    for column, param in matches:
        if column == REGION_MATCH:
            conds.append(f'c."{relation.region_column}" in (select region_code from region_tree_scoped '
                         f"where ancestor_code = ${param})")
        elif column == AREA_NAME_MATCH:
            conds.append(f'c."{relation.region_column}" in (select t.region_code from region_tree_scoped t '
                         "join region_names a on a.region_code = t.ancestor_code "
                         f"where a.parent_code = $map_parent and a.name = ${param})")
        else:
            conds.append(f'c."{column}" = ${param}')
    return (f"select * from ({relation.sql.strip()}) as c"
            + (" where " + " and ".join(conds) if conds else ""))


def _search(relation: CaseRelation) -> str:
    cols = ", ".join(f'cast(c."{c.name}" as varchar)' for c in relation.columns if c.searchable)
    return f"($cases_q is null or contains(lower(concat_ws(' ', {cols})), lower($cases_q)))"


def count_statement(relation: CaseRelation, statement: str) -> str:
    """How many cases match the search (binds $cases_q)."""
    return f"select count(*) as cases from ({statement}) as c where {_search(relation)}"


def page_statement(relation: CaseRelation, statement: str, sort: str, descending: bool) -> str:
    """One page of cases (binds $cases_q, $cases_limit, $cases_offset); `sort` must be a column of
    the relation (the key breaks ties, so pages never overlap)."""
    if relation.column(sort) is None:
        raise ValueError(f"unknown sort column {sort!r}")
    direction = "desc" if descending else "asc"
    return (f"select * from ({statement}) as c where {_search(relation)} "
            f'order by c."{sort}" {direction} nulls last, c."{relation.key}" '
            "limit $cases_limit offset $cases_offset")


def export_statement(relation: CaseRelation, statement: str, sort: str, descending: bool) -> str:
    """Every matching case in list order (binds $cases_q); the caller bounds the rows."""
    if relation.column(sort) is None:
        raise ValueError(f"unknown sort column {sort!r}")
    direction = "desc" if descending else "asc"
    return (f"select * from ({statement}) as c where {_search(relation)} "
            f'order by c."{sort}" {direction} nulls last, c."{relation.key}"')


def match_params(match: dict[str, str]) -> list[tuple[str, str, str]]:
    """(figure column, case column, parameter name) of each entry of a panel's `match`."""
    return [(figure, case, f"cases_m{i}") for i, (figure, case) in enumerate(match.items())]


def declared_statement(relation: str, period: str | None, where: str | None, match: dict[str, str],
                       active: set[str] | None = None) -> str:
    """`case_statement` of a panel's `[cases]` declaration; `active`: the figure columns a click
    gave values for (None: all of them, as `cockpit check` runs it)."""
    rel = CASE_RELATIONS[relation]
    used = [(case, param) for figure, case, param in match_params(match) if active is None or figure in active]
    return case_statement(rel, period, where, used)
