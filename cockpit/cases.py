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
#: Prefix of a match target "month_of:<column>": that column in the month a clicked value starts
#: with ("2026-11", "2026-11（1–25日）").
MONTH_MATCH = "month_of:"


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
       r.handling_level, r.status, r.relayed_at, r.dispatched_at, r.handled_at, r.closed_at, r.due_at,
       r.dept_code, d.name as dept_name, r.satisfaction, r.reopened, r.lon, r.lat,
       coalesce(case when r.closed_at is null then r.due_at < cast($as_of as timestamp) + interval 1 day
                     else r.closed_at > r.due_at end, false) as overdue,
       case when r.closed_at is not null and (r.due_at is null or r.closed_at <= r.due_at) then 'on_time'
            when r.closed_at is not null then 'late'
            when r.due_at < cast($as_of as timestamp) + interval 1 day then 'overdue_open'
            else 'open' end as outcome
from requests_scoped r
left join region_names s on s.region_code = r.street_code
left join department_names d on d.dept_code = r.dept_code
"""

# The ledger as its figures count it: the named relations of the region's own ledger (apps it
# leads, co-builds or uses from above; the items that are its work), not every app owned in scope.
_LEDGER_ITEMS_SQL = """
select i.item_id, i.list, i.title, i.status, i.app_id, i.app_name, i.runway, i.stage, i.role, a.region_code,
       g.name as region_name, i.owner_dept, d.name as owner_name, i.due_on, i.done_on,
       coalesce(i.status <> 'done' and i.due_on < $as_of, false) as overdue
from ledger_region_items i
join ledger_apps a on a.app_id = i.app_id
left join region_names g on g.region_code = a.region_code
left join department_names d on d.dept_code = i.owner_dept
"""

_LEDGER_APPS_SQL = """
select a.app_id, a.name, a.runway, a.stage, a.role, a.region_code, g.name as region_name, a.lead_dept,
       d.name as lead_name, a.iterations, a.in_ledger, a.leader_endorsed, a.launched_on, a.monthly_active_users,
       a.visibility
from ledger_apps a
left join region_names g on g.region_code = a.region_code
left join department_names d on d.dept_code = a.lead_dept
"""

# The street's name and county in the viewer's language; `ranked_street` as the indicator heat
# map's data labels its rows ("3. name", the name as stored: the heat map translates it for show),
# so a click on a row there finds the street in either language.
_INDICATORS_SQL = """
select s.street_code, n.name as street_name, p.name as county_name,
       cast(k.rank_all as varchar) || '. ' || s.name as ranked_street,
       s.indicator, s.indicator_name, s.unit, s.value, s.target, s.higher_is_better, s.capped_ratio, s.weight,
       s.contribution, coalesce(k.veto, false) as veto, k.veto_reason, s.street_code || '/' || s.indicator as row_key
from indicator_scores s
left join street_score_ranking k on k.street_code = s.street_code
left join region_names n on n.region_code = s.street_code
left join region_names p on p.region_code = s.parent_code
"""

_VETOES_SQL = """
select v.street_code, n.name as street_name, p.name as county_name, v.period,
       string_agg(v.reason, '; ' order by v.reason) as reasons,
       v.street_code || '/' || strftime(v.period, '%Y-%m') as row_key
from street_vetoes_scoped v
left join region_names n on n.region_code = v.street_code
left join region_names p on p.region_code = n.parent_code
group by v.street_code, n.name, p.name, v.period
"""

# Columns several relations share, labelled once.
_STATUS = _c("status", "状态", "Status", searchable=True)
_RUNWAY = _c("runway", "跑道", "Runway", searchable=True)
_STREET = _c("street_name", "街道", "Street", searchable=True)
_COUNTY = _c("county_name", "所属区县", "County", searchable=True)
_ROLE = _c("role", "本区域角色", "Role here", searchable=True)

CASE_RELATIONS: dict[str, CaseRelation] = {r.name: r for r in (
    CaseRelation(
        "requests", _REQUESTS_SQL,
        (_c("request_id", "诉求编号", "Request", searchable=True),
         _c("received_at", "受理时间", "Received", "time"),
         _STREET,
         _c("category", "类别", "Category", searchable=True),
         _c("channel", "渠道", "Channel", searchable=True),
         _STATUS,
         _c("relayed_at", "转达", "Relayed", "time"),
         _c("dispatched_at", "派单", "Dispatched", "time"),
         _c("handled_at", "处理", "Handled", "time"),
         _c("closed_at", "办结", "Closed", "time"),
         _c("due_at", "期限", "Due", "time"),
         _c("dept_name", "承办部门", "Department", searchable=True),
         _c("overdue", "超期", "Overdue", "flag")),
        key="request_id", default_sort="received_at", region_column="street_code",
        description="the requests (12345 cases) in scope, one row each, with stage times, due time, "
                    "owning department and an overdue flag (open past due, or closed late); also "
                    "`handling_level`, `satisfaction`, `reopened`, `outcome` (on_time, late, overdue_open, "
                    "open, as the flow charts count it) for conditions"),
    CaseRelation(
        "ledger_items", _LEDGER_ITEMS_SQL,
        (_c("item_id", "事项编号", "Item", searchable=True),
         _c("list", "清单", "List", searchable=True),
         _c("title", "事项", "Title", searchable=True),
         _STATUS,
         _c("app_name", "应用", "App", searchable=True),
         _RUNWAY,
         _c("region_name", "区域", "Region", searchable=True),
         _c("owner_name", "责任部门", "Owner", searchable=True),
         _c("due_on", "期限", "Due", "date"),
         _c("done_on", "完成", "Done", "date"),
         _c("overdue", "逾期", "Overdue", "flag")),
        key="item_id", default_sort="due_on", region_column="region_code",
        description="the three-list items that are the region's work (`ledger_region_items`), with app, "
                    "owner, due date and an overdue flag (not done and past due)"),
    CaseRelation(
        "ledger_apps", _LEDGER_APPS_SQL,
        (_c("app_id", "应用编号", "App", searchable=True),
         _c("name", "应用", "Name", searchable=True),
         _RUNWAY,
         _c("stage", "阶段", "Stage", searchable=True),
         _ROLE,
         _c("region_name", "建设主体", "Owner", searchable=True),
         _c("lead_name", "牵头部门", "Lead department", searchable=True),
         _c("iterations", "迭代次数", "Iterations", "number"),
         _c("in_ledger", "正式入账", "In the ledger", "flag"),
         _c("launched_on", "上线日期", "Launched", "date"),
         _c("monthly_active_users", "月活用户", "Monthly users", "number")),
        key="app_id", default_sort="name", region_column="region_code",
        description="the region's ledger (`ledger_apps`: apps it leads, co-builds or uses from above) with "
                    "runway, stage, role, owner, lead department, iterations, launch date and monthly users; "
                    "also `leader_endorsed`, `visibility` for conditions"),
    CaseRelation(
        "street_indicators", _INDICATORS_SQL,
        (_STREET,
         _COUNTY,
         _c("indicator_name", "指标", "Indicator", searchable=True),
         _c("value", "实际值", "Value", "number"),
         _c("unit", "单位", "Unit"),
         _c("target", "目标", "Target", "number"),
         _c("capped_ratio", "达成度（封顶）", "Attainment (capped)", "number"),
         _c("weight", "权重", "Weight", "number"),
         _c("contribution", "得分", "Points", "number"),
         _c("veto", "一票否决", "Vetoed", "flag"),
         _c("veto_reason", "否决原因", "Veto reason", searchable=True)),
        key="row_key", default_sort="street_name", region_column="street_code",
        description="per street in scope × indicator, for the assessed month ($score_period): value, target, "
                    "attainment (capped ratio), weight, points (a street's points add up to its composite "
                    "score) and its veto; also `ranked_street` (\"rank. name\", as the heat map labels rows)"),
    CaseRelation(
        "street_vetoes", _VETOES_SQL,
        (_STREET,
         _COUNTY,
         _c("period", "考核月份", "Month", "date"),
         _c("reasons", "否决原因", "Reasons", searchable=True)),
        key="row_key", default_sort="period", region_column="street_code",
        description="one row per vetoed street in scope and month (`period`), with its reasons"),
)}


@dataclass(frozen=True)
class Window:
    """Which rows a list holds: the period window (start and end as SQL over $parameters), the
    panel's condition and the numerator's condition (`counts`, a rate's counted rows)."""

    start: str = "$period_start"
    end: str = "$period_end"
    where: str | None = None
    counts: str | None = None


def case_statement(relation: CaseRelation, period: str | None, where: str | None,
                   matches: list[tuple[str, str]], counts: str | None = None,
                   window: tuple[str, str] = ("$period_start", "$period_end")) -> str:
    """The SELECT of every case behind a figure: the relation limited to the page's period (its
    column `period` in [start, end) of `window`), the panel's condition `where`, and each
    (case column, parameter name) of `matches` equal to that bound value (REGION_MATCH: the
    row's region lies in the bound region's subtree; AREA_NAME_MATCH: in the subtree of the
    child of $map_parent with that name; MONTH_MATCH + column: that column in the month the
    value starts with). With `counts`, a column `counted` says whether each row counts in a rate's numerator."""
    conds = []
    if period:
        conds.append(f'c."{period}" >= {window[0]} and c."{period}" < {window[1]}')
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
        elif column.startswith(MONTH_MATCH):
            conds.append(f"strftime(c.\"{column.removeprefix(MONTH_MATCH)}\", '%Y-%m') = substr(${param}, 1, 7)")
        else:
            conds.append(f'c."{column}" = ${param}')
    counted = f", coalesce({counts}, false) as counted" if counts else ""
    return (f"select c.*{counted} from ({relation.sql.strip()}) as c"
            + (" where " + " and ".join(conds) if conds else ""))


def _search(relation: CaseRelation) -> str:
    cols = ", ".join(f'cast(c."{c.name}" as varchar)' for c in relation.columns if c.searchable)
    return f"($cases_q is null or contains(lower(concat_ws(' ', {cols})), lower($cases_q)))"


def count_statement(relation: CaseRelation, statement: str, counted: bool = False, total: str | None = None) -> str:
    """How many cases match the search (binds $cases_q): `cases`; with `counted`, also how many
    count in the numerator (`counted`); with `total`, the sum of that column (`total`)."""
    more = (", count(case when c.counted then 1 end) as counted" if counted else "") + \
        (f', sum(c."{total}") as total' if total else "")
    return f"select count(*) as cases{more} from ({statement}) as c where {_search(relation)}"


def _ordered(relation: CaseRelation, statement: str, sort: str, descending: bool) -> str:
    if sort != "counted" and relation.column(sort) is None:
        raise ValueError(f"unknown sort column {sort!r}")
    direction = "desc" if descending else "asc"
    return (f"select * from ({statement}) as c where {_search(relation)} "
            f'order by c."{sort}" {direction} nulls last, c."{relation.key}"')


def page_statement(relation: CaseRelation, statement: str, sort: str, descending: bool) -> str:
    """One page of cases (binds $cases_q, $cases_limit, $cases_offset); `sort` must be a column of
    the relation (the key breaks ties, so pages never overlap)."""
    return _ordered(relation, statement, sort, descending) + " limit $cases_limit offset $cases_offset"


def export_statement(relation: CaseRelation, statement: str, sort: str, descending: bool) -> str:
    """Every matching case in list order (binds $cases_q); the caller bounds the rows."""
    return _ordered(relation, statement, sort, descending)


def match_params(match: dict[str, str]) -> list[tuple[str, str, str]]:
    """(figure column, case column, parameter name) of each entry of a panel's `match`."""
    return [(figure, case, f"cases_m{i}") for i, (figure, case) in enumerate(match.items())]


def declared_statement(relation: str, period: str | None, where: str | None, match: dict[str, str],
                       active: set[str] | None = None, window: Window | None = None,
                       series: str | None = None) -> str:
    """`case_statement` of a panel's `[cases]` declaration; `active`: the figure columns a click
    gave values for (None: all of them, as `cockpit check` runs it); `window`: the period bounds,
    condition and numerator to use instead of the page's period and `where` (a comparison side)."""
    rel = CASE_RELATIONS[relation]
    used = [(case, param) for figure, case, param in match_params(match) if active is None or figure in active]
    w = window or Window(where=where)
    conditions = [f"({c})" for c in (w.where, series) if c]
    return case_statement(rel, period, " and ".join(conditions) or None, used, w.counts, (w.start, w.end))


def spec_statements(spec, active: set[str] | None = None, series: str | None = None) -> dict[str, str]:
    """{side: statement} of a `[cases]` spec (`cockpit.specs.models.CasesSpec`): "current" and,
    when it declares a comparison, "compare"; `series`: a clicked bar's condition (None: every
    declared one in turn is checked by `cockpit check`, so pass them there one by one)."""
    out = {"current": declared_statement(spec.relation, spec.period, spec.where, spec.match, active,
                                         spec_window(spec, "current"), series)}
    if spec.compare is not None:
        out["compare"] = declared_statement(spec.relation, spec.period, spec.where, spec.match, active,
                                            spec_window(spec, "compare"), series)
    return out


def all_statements(spec) -> list[str]:
    """Every statement a `[cases]` spec can run (each side, with each series condition), for the checks."""
    conditions = [None] + [c for c in spec.series.values() if c != "compare"]
    return [sql for cond in conditions for sql in spec_statements(spec, None, cond).values()]


def spec_window(spec, side: str) -> Window:
    """The `Window` of one side of a `[cases]` spec (the comparison's parts default to the current's)."""
    if side == "compare" and spec.compare is not None:
        c = spec.compare
        return Window(c.start, c.end, c.where if c.where is not None else spec.where,
                      c.counts if c.counts is not None else spec.counts)
    return Window(where=spec.where, counts=spec.counts)
