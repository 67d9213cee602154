"""Named relations: the documented analytics methods, offered to panel SQL by name.

A panel writes `FROM early_warnings` or `JOIN app_visibility USING (app_id)`; the query layer
then adds that relation's SQL (from cockpit.analytics, the one place each method is written) as
a CTE. So a method has one implementation, checked by its own tests and docs/methods.md, and
panels only select, filter and shape its rows. Every relation is scoped to `$region` by the
method itself and binds only the query layer's parameters."""

from __future__ import annotations

from cockpit.analytics import flow, ledger, scores, warning

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
    "flow_sankey": (flow.SANKEY_SQL, "channel → level → department → outcome links"),
}
