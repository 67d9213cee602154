"""Named relations: the documented analytics methods, offered to panel SQL by name.

A panel writes `FROM early_warnings` or `JOIN app_visibility USING (app_id)`; the query layer
then adds that relation's SQL (from cockpit.analytics, the one place each method is written) as
a CTE. So a method has one implementation, checked by its own tests and docs/methods.md, and
panels only select, filter and shape its rows. Every relation is scoped to `$region` by the
method itself (or, for the reference relations below, says what it holds) and binds only the
query layer's parameters.

Panel SQL may not read the snapshot's regional tables itself (`cockpit.sqlguard`); the relations
here are trusted code and read them freely. Besides the methods there are reference relations a
panel cannot build from the scoped ones: department names (a request in a county is often handled
by a city department, outside the county's scope), the snapshot's calendar of months, and the apps
serving a street (built by the street's own governments above it, within the viewer's jurisdiction)."""

from __future__ import annotations

from cockpit.analytics import flow, ledger, scores, warning

#: Every department's code and name, and the government (region) it belongs to: names only.
DEPARTMENT_NAMES_SQL = "select dept_code, name, region_code from departments"

#: The ledger apps built by $street or the regions above it, within the viewer's jurisdiction.
APPS_SERVING_STREET_SQL = """
select a.* from reform_apps a
where a.region_code in (select ancestor_code from region_tree where region_code = cast($street as varchar))
  and a.region_code in (select region_code from region_tree where ancestor_code = cast($jurisdiction as varchar))
"""

#: Who answers for $street (contract v1.1 `digital_officials`): its 数字镇长 (posts town_a, town_b),
#: then every department that handled the street's requests received in the period, with the
#: requests, the on-time rate (closed on time ÷ closed, docs/methods.md §2) and its 数字局长.
#: Only for a street within the viewer's jurisdiction; no street, no rows.
STREET_RESPONSIBILITY_SQL = """
with street as (
    select cast($street as varchar) as street_code
    where cast($street as varchar) in (select region_code from region_tree
                                       where ancestor_code = cast($jurisdiction as varchar))
),
handled as (
    select r.dept_code, count(*) as requests,
           count(*) filter (where r.closed_at is not null) as closed,
           count(*) filter (where r.closed_at is not null and (r.due_at is null or r.closed_at <= r.due_at)) as on_time
    from requests r
    where r.street_code in (select street_code from street) and r.dept_code is not null
      and r.received_at >= $period_start and r.received_at < $period_end
    group by r.dept_code
)
select o.post, o.name as official, o.title, cast(null as varchar) as dept_code, cast(null as varchar) as dept_name,
       cast(null as bigint) as requests, cast(null as double) as on_time_rate,
       case o.post when 'town_a' then 1 else 2 end as sort_key
from digital_officials o
where o.post in ('town_a', 'town_b') and o.street_code in (select street_code from street)
union all
select 'bureau', o.name, o.title, h.dept_code, d.name, h.requests,
       100.0 * h.on_time / nullif(h.closed, 0), 3
from handled h
left join departments d on d.dept_code = h.dept_code
left join digital_officials o on o.post = 'bureau' and o.dept_code = h.dept_code
"""

#: The calendar of the snapshot: every month with requests anywhere, and its first day with data
#: (from the day × street rollup: the same days as requests_daily, a tenth of its rows).
SNAPSHOT_MONTHS_SQL = ("select date_trunc('month', day) as month, min(day) as first_day "
                       "from requests_street_daily group by 1")

#: name -> (SQL, what it holds). Parameters: see each constant's docstring in cockpit.analytics.
RELATIONS: dict[str, tuple[str, str]] = {
    "street_score_ranking": (scores.STREET_SCORES_SQL.replace("$period_start", "$score_period"),
                             "street scores and ranks for the assessed month $score_period"),
    "indicator_scores": (scores.INDICATOR_SCORES_SQL.replace("$period_start", "$score_period"),
                         "per street × indicator: value, target, ratio, capped ratio, weight, contribution"),
    "early_warnings": (warning.EARLY_WARNINGS_SQL, "street × category jumps above their own baseline"),
    "monthly_growth": (warning.MONTHLY_GROWTH_SQL, "monthly volume and growth vs the same months last year"),
    "app_visibility": (ledger.APP_VISIBILITY_SQL, "per app visibility index 0–100 and its components"),
    "app_collaboration": (ledger.COLLABORATION_SQL, "department × app pairs with role lead or co"),
    "department_collaboration": (ledger.DEPARTMENT_COLLABORATION_SQL,
                                 "per department: apps led, co-built, partner departments"),
    "requests_street_days": (flow.STREET_DAYS_SQL,
                             "rows of request measures by received day × street in scope, to sum (the "
                             "requests_daily_scoped columns without category, channel, handling_level, "
                             "dept_code), honouring every cross-filter; much fewer rows than requests_daily"),
    "requests_closing_days": (flow.CLOSING_DAYS_SQL,
                              "rows of requests by received day × street × closed_day (NULL: open) in scope, "
                              "to sum: received, closed_on_time, rated, satisfied; for like-for-like rates "
                              "(closed by $cmp_as_of is closed_day <= $cmp_as_of), honouring every cross-filter; "
                              "a third of the raw requests' rows"),
    "ledger_apps": (ledger.LEDGER_APPS_SQL,
                    "the ledger of $region: every app it leads, co-builds or uses from above, with role "
                    "(lead | co | above) and visibility; runway and stage cross-filters applied"),
    "ledger_region_items": (ledger.LEDGER_ITEMS_SQL,
                            "the three-list items that are $region's work (of apps it leads or co-builds, or "
                            "owned by its departments), with app_name, runway, stage, role"),
    "flow_sankey": (flow.SANKEY_SQL, "channel → level → department → outcome links"),
    "department_names": (DEPARTMENT_NAMES_SQL,
                         "every department's dept_code, name and region_code (names for any department "
                         "a scoped row refers to)"),
    "snapshot_months": (SNAPSHOT_MONTHS_SQL,
                        "every month with requests in the snapshot (any region) and its first_day with data: "
                        "a calendar, so a quiet month of a small area shows as 0"),
    "street_responsibility": (STREET_RESPONSIBILITY_SQL,
                              "who answers for $street: its 数字镇长 (post town_a, town_b), then each department "
                              "handling its requests in the period with requests, on_time_rate (%) and its 数字局长 "
                              "(post bureau); columns post, official, title, dept_code, dept_name, requests, "
                              "on_time_rate, sort_key"),
    "apps_serving_street": (APPS_SERVING_STREET_SQL,
                            "the reform_apps columns of the apps built by $street or the regions above it, "
                            "within the viewer's jurisdiction"),
}

#: Statements of the methods that code (not declarations) runs whole through `run_sql`, e.g. the
#: what-if table. They are trusted as the relations are: `run_sql` lets exactly these texts past
#: the panel SQL guard (`trusted`); any other text, however similar, is checked.
TRUSTED_STATEMENTS: frozenset[str] = frozenset({
    *(sql for sql, _ in RELATIONS.values()),
    scores.street_scores_sql(),
})


def trusted(sql: str) -> bool:
    """Whether `sql` is exactly a method's own statement: a relation, the published scores, or the
    what-if scores for some number of weights (one text per count, each value bound)."""
    return sql in TRUSTED_STATEMENTS or scores.is_what_if_statement(sql)
