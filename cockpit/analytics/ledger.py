"""一本账 Reform ledger: apps by runway × stage, iteration, visibility index, lead/co-build
collaboration, and progress of the three lists (三张清单) with overdue items.

Definitions (docs/methods.md, "Reform ledger"):

* the ledger is the ``reform_apps`` table as delivered; every count is over all its apps
  unless it says otherwise. ``in_ledger`` (纳入一本账, formally included) is reported alongside
  as its own count, not used as a filter — so "83 of 127 iterated" in the demo;
* iterated = ``iterations >= 1``; iterated share = iterated ÷ apps;
* live = ``launched_on`` set and not after as_of;
* visibility index 0–100 = 30 × min(central publications, 3)/3 + 20 × min(provincial, 5)/5
  + 20 × min(meeting demos, 4)/4 + 20 × expert score/100 (none yet = 0) + 10 × endorsed.
  Counts saturate (a fourth central publication adds nothing) so that one heavily reported app
  cannot dwarf the rest, and the index of an app never depends on the other apps;
* collaboration: a department is *lead* of its apps' ``lead_dept`` and *co* of the apps listing
  it in ``co_depts`` (lead wins when both);
* an item is overdue when ``due_on < as_of`` and its status is not done.

Scope: apps whose ``region_code`` is $region or under it (items follow their app). SQL
parameters: ``$region`` (NULL = all) and, where dates matter, ``$as_of``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
    import pandas as pd

from cockpit.analytics import run
from cockpit.contract import RUNWAYS, STAGES

#: (component, weight, saturation) of the visibility index; mirrored as literals in the SQL.
VISIBILITY_WEIGHTS = (
    ("central_publications", 30, 3),
    ("provincial_publications", 20, 5),
    ("meeting_demos", 20, 4),
    ("expert_score", 20, 100),
    ("leader_endorsed", 10, 1),
)

_APPS = """
apps as (
    select a.*,
           30.0 * least(a.central_publications, 3) / 3
         + 20.0 * least(a.provincial_publications, 5) / 5
         + 20.0 * least(a.meeting_demos, 4) / 4
         + 20.0 * coalesce(a.expert_score, 0) / 100
         + 10.0 * (case when a.leader_endorsed then 1 else 0 end) as visibility
    from reform_apps a
    where cast($region as varchar) is null
       or a.region_code = cast($region as varchar)
       or a.region_code in (select region_code from region_tree
                            where ancestor_code = cast($region as varchar))
)"""

#: Panel SQL: one row per app with its visibility index and components. Binds $region.
APP_VISIBILITY_SQL = "with" + _APPS + """
select app_id, name, runway, stage, region_code, central_publications, provincial_publications,
       meeting_demos, expert_score, leader_endorsed, visibility
from apps
order by visibility desc, app_id
"""


def _order_case(column: str, values: tuple[str, ...]) -> str:
    # The contract's fixed vocabularies (not user values) → 1, 2, 3 … in contract order.
    whens = " ".join(f"when '{v}' then {k}" for k, v in enumerate(values, start=1))
    return f"case {column} {whens} end"


#: Panel SQL: apps per runway × stage with iterated and included counts, in the contract's
#: runway and stage order (runway_order, stage_order). Binds $region.
RUNWAY_STAGE_SQL = "with" + _APPS + f"""
select runway, stage,
       {_order_case("runway", RUNWAYS)} as runway_order,
       {_order_case("stage", STAGES)} as stage_order,
       count(*) as apps,
       count(*) filter (where in_ledger) as in_ledger,
       count(*) filter (where iterations >= 1) as iterated
from apps
group by runway, stage
order by runway_order, stage_order
"""

#: Panel SQL: the ledger's headline figures. Binds $region, $as_of.
LEDGER_KPIS_SQL = "with" + _APPS + """,
items as (
    select i.* from ledger_items i where i.app_id in (select app_id from apps)
)
select (select count(*) from apps) as apps,
       (select count(*) from apps where in_ledger) as in_ledger,
       (select count(*) from apps where iterations >= 1) as iterated,
       1.0 * (select count(*) from apps where iterations >= 1)
           / nullif((select count(*) from apps), 0) as iterated_share,
       (select count(*) from apps where in_ledger and iterations >= 1) as in_ledger_iterated,
       (select count(*) from apps where launched_on <= cast($as_of as date)) as live,
       (select count(*) from apps where leader_endorsed) as endorsed,
       (select avg(visibility) from apps) as avg_visibility,
       (select count(*) from items) as items,
       (select count(*) from items where status = 'done') as items_done,
       (select count(*) from items
         where due_on < cast($as_of as date) and status <> 'done') as items_overdue
"""

_ROLES = """,
pairs as (
    select app_id, lead_dept as dept_code, 'lead' as role from apps
    union all
    select app_id, unnest(co_depts) as dept_code, 'co' as role from apps
),
roles as (
    -- a department listed as both lead and co-builder of one app counts as its lead
    select p.dept_code, p.app_id,
           case when max(case when p.role = 'lead' then 1 else 0 end) = 1
                then 'lead' else 'co' end as role
    from pairs p
    where p.dept_code is not null
    group by p.dept_code, p.app_id
)"""

#: Panel SQL: department × app pairs with role 'lead' or 'co'. Binds $region.
COLLABORATION_SQL = "with" + _APPS + _ROLES + """
select r.dept_code, d.name as dept_name, r.app_id, a.name as app_name, a.runway, r.role
from roles r
join apps a on a.app_id = r.app_id
left join departments d on d.dept_code = r.dept_code
order by r.dept_code, r.app_id
"""

#: Panel SQL: per department: apps led, apps co-built, partner departments. Binds $region.
DEPARTMENT_COLLABORATION_SQL = "with" + _APPS + _ROLES + """,
partners as (
    select a.dept_code, count(distinct b.dept_code) as partners
    from roles a
    join roles b on b.app_id = a.app_id and b.dept_code <> a.dept_code
    group by a.dept_code
)
select r.dept_code, d.name as dept_name,
       count(*) filter (where r.role = 'lead') as lead_apps,
       count(*) filter (where r.role = 'co') as co_apps,
       count(*) as apps,
       coalesce(max(p.partners), 0) as partners
from roles r
left join departments d on d.dept_code = r.dept_code
left join partners p on p.dept_code = r.dept_code
group by r.dept_code, d.name
order by apps desc, r.dept_code
"""

_LIST_ORDER = "case i.list when '需求' then 1 when '场景' then 2 when '改革' then 3 end"

_PROGRESS_TEMPLATE = "with" + _APPS + """
select {KEYS}, i.list, """ + _LIST_ORDER + """ as list_order,
       count(*) as items,
       count(*) filter (where i.status = 'planned') as planned,
       count(*) filter (where i.status = 'in_progress') as in_progress,
       count(*) filter (where i.status = 'done') as done,
       count(*) filter (where i.status = 'blocked') as blocked,
       1.0 * count(*) filter (where i.status = 'done') / nullif(count(*), 0) as done_share,
       count(*) filter (where i.due_on < cast($as_of as date) and i.status <> 'done') as overdue
from ledger_items i
join apps a on a.app_id = i.app_id
group by {KEYS}, i.list
order by {KEYS}, list_order
"""

_PROGRESS_KEYS = {"app": "a.app_id, a.name, a.runway", "runway": "a.runway"}


def lists_progress_sql(by: str = "app") -> str:
    """Panel SQL: three-list progress per app (``by="app"``) or per runway. Binds $region, $as_of.

    Columns: app_id, name, runway (or runway only), list, list_order (1 需求, 2 场景, 3 改革),
    items, planned, in_progress, done, blocked, done_share, overdue.
    """
    if by not in _PROGRESS_KEYS:
        raise ValueError(f"by must be one of {tuple(_PROGRESS_KEYS)}, got {by!r}")
    return _PROGRESS_TEMPLATE.replace("{KEYS}", _PROGRESS_KEYS[by])


#: Panel SQL: overdue items (due_on < as_of, not done), longest overdue first. Binds $region, $as_of.
OVERDUE_ITEMS_SQL = "with" + _APPS + """
select i.item_id, i.app_id, a.name as app_name, a.runway, i.list, i.title, i.status,
       i.owner_dept, d.name as owner_name, i.due_on,
       cast((epoch(cast($as_of as timestamp)) - epoch(cast(i.due_on as timestamp))) / 86400
            as bigint) as days_overdue
from ledger_items i
join apps a on a.app_id = i.app_id
left join departments d on d.dept_code = i.owner_dept
where i.due_on < cast($as_of as date) and i.status <> 'done'
order by i.due_on, i.item_id
"""


def runway_stage(con: Any, region: str | None = None) -> pd.DataFrame:
    """Apps per runway × stage (cells with apps only). Columns: runway, stage, runway_order,
    stage_order (contract order, from 1), apps, in_ledger, iterated."""
    return run(con, RUNWAY_STAGE_SQL, {"region": region})


def ledger_kpis(con: Any, as_of: dt.date, region: str | None = None) -> pd.DataFrame:
    """One row: apps, in_ledger, iterated, iterated_share (iterated ÷ apps), in_ledger_iterated,
    live, endorsed, avg_visibility, items, items_done, items_overdue."""
    return run(con, LEDGER_KPIS_SQL, {"region": region, "as_of": as_of})


def app_visibility(con: Any, region: str | None = None) -> pd.DataFrame:
    """Per app: app_id, name, runway, stage, region_code, the five components, visibility (0–100)."""
    return run(con, APP_VISIBILITY_SQL, {"region": region})


def collaboration_matrix(con: Any, region: str | None = None) -> pd.DataFrame:
    """Department × app pairs: dept_code, dept_name, app_id, app_name, runway, role (lead|co)."""
    return run(con, COLLABORATION_SQL, {"region": region})


def department_collaboration(con: Any, region: str | None = None) -> pd.DataFrame:
    """Per department: dept_code, dept_name, lead_apps, co_apps, apps, partners (other
    departments sharing at least one app)."""
    return run(con, DEPARTMENT_COLLABORATION_SQL, {"region": region})


def lists_progress(con: Any, as_of: dt.date, region: str | None = None, by: str = "app") -> pd.DataFrame:
    """Three-list progress per app or runway (see :func:`lists_progress_sql`)."""
    return run(con, lists_progress_sql(by), {"region": region, "as_of": as_of})


def overdue_items(con: Any, as_of: dt.date, region: str | None = None) -> pd.DataFrame:
    """Items past due and not done: item_id, app_id, app_name, runway, list, title, status,
    owner_dept, owner_name, due_on, days_overdue (as_of − due_on in days)."""
    return run(con, OVERDUE_ITEMS_SQL, {"region": region, "as_of": as_of})


# The apps of region $region and each one's role: shared by LEDGER_APPS_SQL and LEDGER_ITEMS_SQL.
_REGION_APPS = """
region_depts as (
    -- the departments of $region's governments: its own and those of the regions under it
    select d.dept_code from departments d
    where d.region_code = cast($region as varchar)
       or d.region_code in (select region_code from region_tree where ancestor_code = cast($region as varchar))
),
co_built as (
    select distinct a.app_id
    from reform_apps a
    left join (select app_id, unnest(co_depts) as dept_code from reform_apps) c on c.app_id = a.app_id
    where a.lead_dept in (select dept_code from region_depts) or c.dept_code in (select dept_code from region_depts)
),
roles as (
    select a.*,
           case when a.region_code = cast($region as varchar)
                  or a.region_code in (select region_code from region_tree where ancestor_code = cast($region as varchar))
                then 'lead'
                when a.app_id in (select app_id from co_built) then 'co'
                when a.region_code in (select ancestor_code from region_tree where region_code = cast($region as varchar))
                then 'above'
           end as role
    from reform_apps a
),
region_apps as (
    select r.*,
           30.0 * least(r.central_publications, 3) / 3
         + 20.0 * least(r.provincial_publications, 5) / 5
         + 20.0 * least(r.meeting_demos, 4) / 4
         + 20.0 * coalesce(r.expert_score, 0) / 100
         + 10.0 * (case when r.leader_endorsed then 1 else 0 end) as visibility
    from roles r
    where r.role is not null
      and (cast($f_runway as varchar) is null or r.runway = cast($f_runway as varchar))
      and (cast($f_stage as varchar) is null or r.stage = cast($f_stage as varchar))
)"""

#: Panel SQL: the ledger of region $region as its leaders see it (docs/methods.md, "The ledger of
#: a city, county or street"): every app the region leads (owned by it or a region under it),
#: co-builds (a department of it or under it is the lead or a co-builder of an app owned
#: elsewhere) or uses from above (owned by a region above it: provincial and city apps serve
#: the regions under them). Columns: reform_apps' columns, ``visibility`` (the index 0–100) and
#: ``role`` ('lead' | 'co' | 'above'; the first that applies). Narrowed by the page's runway and
#: stage cross-filters. Binds $region, $f_runway, $f_stage.
LEDGER_APPS_SQL = "with" + _REGION_APPS + """
select * from region_apps
"""

#: Panel SQL: the three-list items (三张清单) that are region $region's work: the items of the apps
#: it leads or co-builds, and the items a department of it owns in an app from above. Columns:
#: ledger_items' columns, the app's ``app_name``, ``runway``, ``stage`` and ``role``. Narrowed by
#: the page's runway and stage cross-filters (through the apps). Binds as LEDGER_APPS_SQL.
LEDGER_ITEMS_SQL = "with" + _REGION_APPS + """
select i.*, a.name as app_name, a.runway, a.stage, a.role
from ledger_items i
join region_apps a on a.app_id = i.app_id
where a.role in ('lead', 'co') or i.owner_dept in (select dept_code from region_depts)
"""
