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

#: The calendar of the snapshot: every month with requests anywhere, and its first day with data
#: (from the day × street rollup: the same days as requests_daily, a tenth of its rows).
SNAPSHOT_MONTHS_SQL = ("select date_trunc('month', day) as month, min(day) as first_day "
                       "from requests_street_daily group by 1")

#: name -> (SQL, what it holds). Parameters: see each constant's docstring in cockpit.analytics.
RELATIONS: dict[str, tuple[str, str]] = {
    "street_score_ranking": (scores.STREET_SCORES_SQL,
                             "street scores and ranks for $period_start (and the period before)"),
    "indicator_scores": (scores.INDICATOR_SCORES_SQL,
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
    "flow_sankey": (flow.SANKEY_SQL, "channel → level → department → outcome links"),
    "department_names": (DEPARTMENT_NAMES_SQL,
                         "every department's dept_code, name and region_code (names for any department "
                         "a scoped row refers to)"),
    "snapshot_months": (SNAPSHOT_MONTHS_SQL,
                        "every month with requests in the snapshot (any region) and its first_day with data: "
                        "a calendar, so a quiet month of a small area shows as 0"),
    "apps_serving_street": (APPS_SERVING_STREET_SQL,
                            "the reform_apps columns of the apps built by $street or the regions above it, "
                            "within the viewer's jurisdiction"),
}

#: Statements of the methods that code (not declarations) runs whole through `run_sql`, e.g. the
#: what-if table. They are trusted as the relations are: `run_sql` lets exactly these texts past
#: the panel SQL guard; any other text, however similar, is checked.
TRUSTED_STATEMENTS: frozenset[str] = frozenset({
    *(sql for sql, _ in RELATIONS.values()),
    scores.street_scores_sql(), scores.street_scores_sql(what_if=True),
})
