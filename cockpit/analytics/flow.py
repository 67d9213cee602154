"""民呼我为 Request flow: stage durations, on-time and overdue, outcomes, Sankey, daily rollup.

Definitions (docs/methods.md, "Request flow"):

* "now" is the end of the snapshot's ``as_of`` day — the data runs to that cut-off — so in SQL
  ``$as_of + 1 day`` (:data:`NOW_SQL`);
* stages, in hours, each only when both of its times are set (a stage still under way has no
  duration yet):

  ===========  ====  ===============================  ==========================================
  key          名称   from → to                        meaning
  ===========  ====  ===============================  ==========================================
  relay        传递   received_at → relayed_at         the receiving desk passes the request on
  convey       转达   relayed_at → dispatched_at       the handling level forwards it to a department
  dispatch     派单   received_at → dispatched_at      time until a department holds the order
                                                       (= 传递 + 转达; a milestone, not stacked)
  handle       处理   dispatched_at → handled_at       the department works on it
  feedback     反馈   handled_at → closed_at           reply to the citizen, rating, closing
  ===========  ====  ===============================  ==========================================

  plus ``total`` (全程, received_at → closed_at), the span the deadline ``due_at`` governs;
* closed = ``closed_at`` set; on time = closed and (``closed_at <= due_at`` or no deadline);
  closed late = closed after ``due_at``; overdue open = not closed and ``due_at`` < now;
* outcome (the Sankey's last column): 按期办结 (closed on time), 超期办结 (closed late),
  超期未办 (open and past its deadline), 办理中 (open, deadline not passed or none).

SQL parameters use the query layer's names: ``$as_of`` (date), ``$region`` (NULL = all),
``$period_start`` / ``$period_end`` (received_at in [start, end); NULL = unbounded).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
    import pandas as pd

from cockpit.analytics import run
from cockpit.snapshot import CLOSING_DAILY_SQL


def hours_between(start: str, end: str) -> str:
    """SQL for the hours from timestamp ``start`` to ``end`` (NULL when either is NULL).

    Epoch-second difference ÷ 3600: plain arithmetic that means the same on every engine,
    unlike ``date_diff`` whose boundary-counting rules differ. Arguments are column names
    (fixed SQL fragments), never values.
    """
    return f"((epoch({end}) - epoch({start})) / 3600.0)"


#: (key, Chinese name, start column, end column) of every stage, in process order.
STAGES: tuple[tuple[str, str, str, str], ...] = (
    ("relay", "传递", "received_at", "relayed_at"),
    ("convey", "转达", "relayed_at", "dispatched_at"),
    ("dispatch", "派单", "received_at", "dispatched_at"),
    ("handle", "处理", "dispatched_at", "handled_at"),
    ("feedback", "反馈", "handled_at", "closed_at"),
)
#: The four consecutive stages that add up to the whole span (派单 overlaps 传递 + 转达).
STACKED_STAGES = ("relay", "convey", "handle", "feedback")
TOTAL = ("total", "全程", "received_at", "closed_at")

#: Outcomes, in Sankey order.
OUTCOMES = ("按期办结", "超期办结", "办理中", "超期未办")
LEVEL_NAMES = {"street": "街道", "county": "区县", "city": "市级", "province": "省级"}

#: "Now" for overdue: the end of the as_of day (the data runs to that cut-off).
NOW_SQL = "(cast($as_of as timestamp) + interval '1 day')"

_DUR_COLUMNS = ",\n       ".join(
    f"{hours_between(a, b)} as dur_{key}_h" for key, _, a, b in (*STAGES, TOTAL))

_SCOPE = """(cast($region as varchar) is null
       or r.street_code = cast($region as varchar)
       or r.street_code in (select region_code from region_tree
                            where ancestor_code = cast($region as varchar)))"""

#: Per-request facts as a CTE body: scope, period, durations, flags and outcome.
_FACTS = f"""
facts as (
    select r.request_id, r.street_code, r.category, r.channel, r.handling_level, r.dept_code,
       r.received_at, cast(r.received_at as date) as day, r.due_at, r.closed_at, r.status,
       r.satisfaction, coalesce(r.reopened, false) as reopened,
       {_DUR_COLUMNS},
       {hours_between("r.received_at", "r.due_at")} as deadline_h,
       r.closed_at is not null as closed,
       r.closed_at is not null and (r.due_at is null or r.closed_at <= r.due_at) as closed_on_time,
       r.closed_at is not null and r.due_at is not null and r.closed_at > r.due_at as closed_late,
       r.closed_at is null and r.due_at < {NOW_SQL} as overdue_open,
       case
           when r.closed_at is not null and (r.due_at is null or r.closed_at <= r.due_at) then '按期办结'
           when r.closed_at is not null then '超期办结'
           when r.due_at < {NOW_SQL} then '超期未办'
           else '办理中'
       end as outcome
    from requests r
    where {_SCOPE}
      and (cast($period_start as timestamp) is null or r.received_at >= cast($period_start as timestamp))
      and (cast($period_end as timestamp) is null or r.received_at < cast($period_end as timestamp))
)"""

#: Panel SQL: one row per request of $region received in [$period_start, $period_end) with
#: stage durations (dur_<stage>_h), closed, closed_on_time, closed_late, overdue_open, outcome.
REQUEST_FACTS_SQL = "with" + _FACTS + "\nselect * from facts order by received_at, request_id\n"

# Dimension → (key expression over facts f, label expression, extra join). Fixed SQL fragments.
_DIMENSIONS = {
    "street": ("f.street_code", "g.name", "left join regions g on g.region_code = f.street_code"),
    "department": ("f.dept_code", "coalesce(d.name, '未派单')",
                   "left join departments d on d.dept_code = f.dept_code"),
    "category": ("f.category", "f.category", ""),
    "channel": ("f.channel", "f.channel", ""),
    "level": ("f.handling_level", "case f.handling_level "
              + " ".join(f"when '{k}' then '{v}'" for k, v in LEVEL_NAMES.items())
              + " else f.handling_level end", ""),
}
DIMENSIONS = tuple(_DIMENSIONS)

_STAGE_AVGS = ",\n       ".join(f"avg(f.dur_{key}_h) as avg_{key}_h" for key, *_ in (*STAGES, TOTAL))


def flow_summary_sql(by: str) -> str:
    """Panel SQL: request KPIs per ``by`` (street, department, category, channel or level).

    Columns: key, label, received, closed, closure_rate, closed_on_time, on_time_rate
    (closed_on_time ÷ closed), closed_late, overdue_open, reopened, reopen_rate (÷ received),
    rated, satisfied, satisfaction_rate (satisfied ÷ rated), avg_satisfaction, avg_<stage>_h
    for every stage and total, avg_deadline_h (mean hours allowed, received → due, over the
    requests with a deadline). Binds $as_of, $region, $period_start, $period_end.
    """
    if by not in _DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}, got {by!r}")
    key, label, join = _DIMENSIONS[by]
    return f"""with{_FACTS}
select {key} as key, {label} as label,
       count(*) as received,
       count(*) filter (where f.closed) as closed,
       1.0 * count(*) filter (where f.closed) / nullif(count(*), 0) as closure_rate,
       count(*) filter (where f.closed_on_time) as closed_on_time,
       1.0 * count(*) filter (where f.closed_on_time)
           / nullif(count(*) filter (where f.closed), 0) as on_time_rate,
       count(*) filter (where f.closed_late) as closed_late,
       count(*) filter (where f.overdue_open) as overdue_open,
       count(*) filter (where f.reopened) as reopened,
       1.0 * count(*) filter (where f.reopened) / nullif(count(*), 0) as reopen_rate,
       count(f.satisfaction) as rated,
       count(*) filter (where f.satisfaction = 3) as satisfied,
       1.0 * count(*) filter (where f.satisfaction = 3) / nullif(count(f.satisfaction), 0) as satisfaction_rate,
       avg(1.0 * f.satisfaction) as avg_satisfaction,
       {_STAGE_AVGS},
       avg(f.deadline_h) as avg_deadline_h
from facts f
{join}
group by {key}, {label}
order by received desc, key
"""


def _sankey_sql() -> str:
    level = _DIMENSIONS["level"][1]
    return f"""with{_FACTS},
labelled as (
    select f.channel, {level} as level, coalesce(d.name, '未派单') as dept, f.outcome
    from facts f
    left join departments d on d.dept_code = f.dept_code
)
select 'channel' as source_kind, channel as source, 'level' as target_kind, level as target,
       count(*) as value
from labelled group by channel, level
union all
select 'level', level, 'department', dept, count(*) from labelled group by level, dept
union all
select 'department', dept, 'outcome', outcome, count(*) from labelled group by dept, outcome
order by 1, 5 desc, 2, 4
"""


#: Panel SQL: Sankey links channel → handling level → department → outcome.
#: Columns source_kind, source, target_kind, target, value. Binds $as_of, $region,
#: $period_start, $period_end. Departments are by name (未派单 = none yet); levels in Chinese.
SANKEY_SQL = _sankey_sql()

_DAILY_STAGE_SUMS = ",\n       ".join(
    f"sum(dur_{key}_h) as dur_{key}_h_sum,\n       count(dur_{key}_h) as dur_{key}_n"
    for key, *_ in STAGES)

#: The rollup rows: one per received day × street × category × channel × level × department
#: (whole tree, all days). Binds $as_of (the snapshot's as_of, for overdue_open_asof).
REQUESTS_DAILY_SQL = ("with" + _FACTS.replace("cast($region as varchar)", "cast(null as varchar)")
                      .replace("cast($period_start as timestamp)", "cast(null as timestamp)")
                      .replace("cast($period_end as timestamp)", "cast(null as timestamp)") + f"""
select day, street_code, category, channel, handling_level, dept_code,
       count(*) as received,
       count(*) filter (where closed) as closed,
       count(*) filter (where closed_on_time) as closed_on_time,
       count(*) filter (where reopened) as reopened,
       count(*) filter (where satisfaction = 3) as satisfied,
       count(satisfaction) as rated,
       sum(satisfaction) as sat_sum,
       count(*) filter (where overdue_open) as overdue_open_asof,
       count(*) filter (where not closed) as open,
       {_DAILY_STAGE_SUMS}
from facts
group by day, street_code, category, channel, handling_level, dept_code
order by day, street_code, category, channel, handling_level, dept_code
""")

#: Columns of rollups/requests_daily.parquet, in order.
REQUESTS_DAILY_COLUMNS = (
    "day", "street_code", "category", "channel", "handling_level", "dept_code",
    "received", "closed", "closed_on_time", "reopened", "satisfied", "rated", "sat_sum",
    "overdue_open_asof", "open",
    *[c for key, *_ in STAGES for c in (f"dur_{key}_h_sum", f"dur_{key}_n")],
)

#: Columns of rollups/requests_street_daily.parquet: requests_daily without the cross-filter and
#: department dimensions, one row per received day × street (the KPIs, map and trend need no more).
REQUESTS_STREET_DAILY_COLUMNS = ("day", "street_code", *REQUESTS_DAILY_COLUMNS[6:])

#: The columns of requests_daily that page cross-filters may constrain and requests_street_daily
#: drops: while any of these filters is set, only the fine rollup can answer.
STREET_DAILY_DROPPED_FILTERS = ("category", "channel", "handling_level")

def _summed(column: str) -> str:
    """The sum of a requests_daily measure in the rollup's own type (counts bigint, hours double)."""
    kind = "double" if column == "sat_sum" or column.endswith("_h_sum") else "bigint"
    return f"cast(sum({column}) as {kind}) as {column}"


#: The coarse rollup, summed from the fine one (same measures and types, so sums agree exactly).
REQUESTS_STREET_DAILY_SQL = (
    "select day, street_code,\n       "
    + ",\n       ".join(_summed(c) for c in REQUESTS_STREET_DAILY_COLUMNS[2:])
    + "\nfrom requests_daily group by day, street_code order by day, street_code\n")


def _street_days_sql() -> str:
    cols = ", ".join(REQUESTS_STREET_DAILY_COLUMNS)
    unfiltered = " and ".join(f"$f_{f} is null" for f in STREET_DAILY_DROPPED_FILTERS)
    # Under a cross-filter the fine rows are passed on as they are (no second aggregation):
    # panels sum the measures, so several rows of one day × street add up the same.
    return f"""select {cols} from requests_street_daily_scoped where {unfiltered}
union all
select {cols} from requests_daily_scoped where not ({unfiltered})
"""


#: Panel relation ``requests_street_days``: rows of request measures by received day × street in
#: scope, to be summed. Without a category/channel/level cross-filter it reads the coarse rollup
#: (one row per street and day), with one the fine rollup's rows under that filter (several per
#: street and day): the same sums either way. DuckDB drops the branch whose bound condition is
#: false before scanning.
STREET_DAYS_SQL = _street_days_sql()

#: Columns of rollups/requests_closing_daily: per received day × street × closing day (NULL: still
#: open) the requests, those closed on time, rated and rated 满意. The like-for-like KPIs count a
#: comparison request as closed (or rated) only when it was closed by $cmp_as_of: the closing
#: day is all they need of each request, so they read this instead of the raw requests.
REQUESTS_CLOSING_DAILY_COLUMNS = ("day", "street_code", "closed_day", "received", "closed_on_time",
                                  "rated", "satisfied")

#: The closing-day rollup over the view `requests` (whole tree, all days); closed_on_time as in
#: the facts: closed and (no deadline or closed by it). Written in `cockpit.snapshot`, which also
#: serves it as a view over the requests of a snapshot published before this rollup existed.
REQUESTS_CLOSING_DAILY_SQL = CLOSING_DAILY_SQL

#: The cross-filter fields the closing-day rollup drops and requests_scoped honours (its columns).
CLOSING_DAILY_DROPPED_FILTERS = ("category", "channel", "handling_level", "status")


def _closing_days_sql() -> str:
    cols = ", ".join(REQUESTS_CLOSING_DAILY_COLUMNS)
    unfiltered = " and ".join(f"$f_{f} is null" for f in CLOSING_DAILY_DROPPED_FILTERS)
    raw = REQUESTS_CLOSING_DAILY_SQL.replace("from requests", "from requests_scoped") \
        .replace("order by day, street_code, closed_day", "")
    return f"""select {cols} from requests_closing_daily_scoped where {unfiltered}
union all
select {cols} from ({raw}) r where not ({unfiltered})
"""


#: Panel relation ``requests_closing_days``: in scope, per received day × street × closing day
#: (NULL: open) received, closed_on_time, rated, satisfied, to be summed. Without a category,
#: channel, level or status cross-filter it reads the closing-day rollup, with one the same
#: rows counted from requests_scoped under that filter: the same sums either way.
CLOSING_DAYS_SQL = _closing_days_sql()

_DAILY_STAGE_AVGS = ",\n       ".join(
    f"1.0 * sum(dur_{key}_h_sum) / nullif(sum(dur_{key}_n), 0) as avg_{key}_h" for key, *_ in STAGES)


def daily_summary_sql(by: str) -> str:
    """Panel SQL: the KPIs of :func:`flow_summary_sql` from the ``requests_daily`` rollup.

    Cheap (no raw rows). Differences: days, not instants, bound the period (``day`` in
    [$period_start, $period_end)); overdue is as of the snapshot (``overdue_open``);
    there is no total duration and no closed_late. Binds $region, $period_start, $period_end.
    """
    if by not in _DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}, got {by!r}")
    key, label, join = _DIMENSIONS[by]
    return f"""with f as (
    select * from requests_daily r
    where {_SCOPE}
      and (cast($period_start as date) is null or r.day >= cast($period_start as date))
      and (cast($period_end as date) is null or r.day < cast($period_end as date))
)
select {key} as key, {label} as label,
       sum(f.received) as received,
       sum(f.closed) as closed,
       1.0 * sum(f.closed) / nullif(sum(f.received), 0) as closure_rate,
       sum(f.closed_on_time) as closed_on_time,
       1.0 * sum(f.closed_on_time) / nullif(sum(f.closed), 0) as on_time_rate,
       sum(f.overdue_open_asof) as overdue_open,
       sum(f.reopened) as reopened,
       1.0 * sum(f.reopened) / nullif(sum(f.received), 0) as reopen_rate,
       sum(f.rated) as rated,
       sum(f.satisfied) as satisfied,
       1.0 * sum(f.satisfied) / nullif(sum(f.rated), 0) as satisfaction_rate,
       1.0 * sum(f.sat_sum) / nullif(sum(f.rated), 0) as avg_satisfaction,
       {_DAILY_STAGE_AVGS}
from f
{join}
group by {key}, {label}
order by received desc, key
"""


def _params(as_of, region, start, end) -> dict[str, Any]:
    return {"as_of": as_of, "region": region, "period_start": start, "period_end": end}


def request_facts(con: Any, as_of: dt.date, region: str | None = None,
                  start: dt.date | dt.datetime | None = None,
                  end: dt.date | dt.datetime | None = None) -> pd.DataFrame:
    """One row per request received in [start, end) under ``region``.

    Columns: request_id, street_code, category, channel, handling_level, dept_code, received_at,
    day, due_at, closed_at, status, satisfaction, reopened, dur_relay_h, dur_convey_h,
    dur_dispatch_h, dur_handle_h, dur_feedback_h, dur_total_h, deadline_h (hours allowed,
    received → due), closed, closed_on_time, closed_late, overdue_open, outcome.
    """
    return run(con, REQUEST_FACTS_SQL, _params(as_of, region, start, end))


def flow_summary(con: Any, as_of: dt.date, region: str | None = None, by: str = "street",
                 start: dt.date | dt.datetime | None = None,
                 end: dt.date | dt.datetime | None = None) -> pd.DataFrame:
    """Request KPIs grouped by ``by`` (street, department, category, channel, level).

    Columns: see :func:`flow_summary_sql`. Ordered by received, most first.
    """
    return run(con, flow_summary_sql(by), _params(as_of, region, start, end))


def daily_summary(con: Any, region: str | None = None, by: str = "street",
                  start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """The same KPIs read from the ``requests_daily`` rollup (see :func:`daily_summary_sql`)."""
    return run(con, daily_summary_sql(by), {"region": region, "period_start": start,
                                            "period_end": end})


def sankey_links(con: Any, as_of: dt.date, region: str | None = None,
                 start: dt.date | dt.datetime | None = None,
                 end: dt.date | dt.datetime | None = None) -> pd.DataFrame:
    """Sankey links channel → level → department → outcome with request counts.

    Columns: source_kind, source, target_kind, target, value. Every request contributes 1 to
    exactly one link of each of the three steps, so each step's values sum to the requests.
    """
    return run(con, SANKEY_SQL, _params(as_of, region, start, end))
