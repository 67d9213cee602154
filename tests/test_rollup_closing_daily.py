"""The closing-day rollup (requests_closing_daily: received day × street × closing day) and the
like-for-like KPIs that read it through `requests_closing_days`: exactly the answers of the same
KPIs over the raw requests (requests_scoped), on the demo store (whose as_of month is not yet
finished) and on a city-rooted drop, with and without cross-filters, below the top too."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

import drops
from cockpit.analytics.flow import CLOSING_DAILY_DROPPED_FILTERS, REQUESTS_CLOSING_DAILY_COLUMNS
from cockpit.db import Database
from cockpit.query import run_sql
from cockpit.snapshot import connect_snapshot, live_snapshot_dir
from conftest import ROOT
from query_support import ctx_for

#: The KPIs as they read the raw requests before the rollup (the reference answers).
RAW = {
    "kpi_closure": """-- like for like: a comparison request counts as closed only if it was closed by $cmp_as_of,
-- as many days after its period's start as as_of is after this one's
select
  count(case when received_at >= $period_start and received_at < $period_end and closed_at is not null then 1 end) * 1.0
    / nullif(count(case when received_at >= $period_start and received_at < $period_end then 1 end), 0) as value,
  count(case when received_at >= $cmp_start and received_at < $cmp_end
                  and closed_at < cast($cmp_as_of as timestamp) + interval 1 day then 1 end) * 1.0
    / nullif(count(case when received_at >= $cmp_start and received_at < $cmp_end then 1 end), 0) as previous
from requests_scoped
where (received_at >= $period_start and received_at < $period_end)
   or (received_at >= $cmp_start and received_at < $cmp_end)
""",
    "kpi_ontime": """-- like for like: the comparison's closures are those made by $cmp_as_of (same age as this period's)
with r as (
  select received_at >= $period_start and received_at < $period_end as cur,
         closed_at is not null
           and (received_at >= $period_start or closed_at < cast($cmp_as_of as timestamp) + interval 1 day) as closed,
         due_at is null or closed_at <= due_at as in_time
  from requests_scoped
  where (received_at >= $period_start and received_at < $period_end)
     or (received_at >= $cmp_start and received_at < $cmp_end)
)
select
  count(case when cur and closed and in_time then 1 end) * 1.0 / nullif(count(case when cur and closed then 1 end), 0) as value,
  count(case when not cur and closed and in_time then 1 end) * 1.0
    / nullif(count(case when not cur and closed then 1 end), 0) as previous
from r
""",
    "kpi_satisfaction": """-- ratings are given at closing: the comparison counts those closed by $cmp_as_of (same age)
with r as (
  select received_at >= $period_start and received_at < $period_end as cur, satisfaction
  from requests_scoped
  where satisfaction is not null
    and ((received_at >= $period_start and received_at < $period_end)
         or (received_at >= $cmp_start and received_at < $cmp_end
             and closed_at < cast($cmp_as_of as timestamp) + interval 1 day))
)
select count(case when cur and satisfaction = 3 then 1 end) * 1.0 / nullif(count(case when cur then 1 end), 0) as value,
       count(case when not cur and satisfaction = 3 then 1 end) * 1.0
         / nullif(count(case when not cur then 1 end), 0) as previous
from r
""",
}


def _panel_sql(panel: str) -> str:
    return tomllib.loads((ROOT / "layouts" / "panels" / f"{panel}.toml").read_text(encoding="utf-8"))["sql"]


@pytest.fixture(scope="module")
def city_store(tmp_path_factory):
    """A city at the top of the tree (no province), the small hand-made requests."""
    base = tmp_path_factory.mktemp("city")
    return drops.city_store(base)


def _busiest(con, field: str) -> str:
    return con.execute(f"select {field} from requests group by 1 order by count(*) desc limit 1").fetchall()[0][0]


def _states(con) -> list[dict]:
    county = con.execute("select region_code from regions where level = 'county' order by 1 limit 1").fetchall()[0][0]
    street = con.execute("select street_code from requests group by 1 order by count(*) desc limit 1").fetchall()[0][0]
    months = [r[0] for r in con.execute("select distinct strftime(received_at, '%Y-%m') from requests order by 1").fetchall()]
    states = [{}, {"cmp": "yoy"}, {"region": county}, {"region": street}, {"period": months[-2]},
              {"period": months[0]}, {"region": county, "period": months[-2], "cmp": "yoy"}]
    states += [{"filters": {f: _busiest(con, f)}} for f in CLOSING_DAILY_DROPPED_FILTERS]
    return states


def _compare(store, use_store):
    use_store(store, COCKPIT_CACHE_TYPE="NullCache")
    db = Database(store)
    con = connect_snapshot(live_snapshot_dir(store))
    try:
        compared = 0
        for state in _states(con):
            ctx = ctx_for(db, **state)
            for panel, raw in RAW.items():
                got = run_sql(_panel_sql(panel), ctx, db=db)
                want = run_sql(raw, ctx, db=db)
                pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12, obj=f"{panel} {state}")
                compared += int(want["value"].notna().any())
        assert compared > 0  # some states have a figure to compare, not only empty ones
    finally:
        con.close()


def test_the_kpis_on_the_rollup_equal_the_raw_requests_on_the_demo(demo_store, use_store):
    _compare(demo_store, use_store)


def test_the_kpis_on_the_rollup_equal_the_raw_requests_on_a_city_rooted_drop(city_store, use_store):
    _compare(city_store, use_store)


def test_the_rollup_counts_every_request_once_and_is_smaller_than_the_requests(demo_store):
    con = connect_snapshot(live_snapshot_dir(demo_store))
    try:
        cols = [r[0] for r in con.execute("describe requests_closing_daily").fetchall()]
        assert tuple(cols) == REQUESTS_CLOSING_DAILY_COLUMNS
        rows, received, rated = con.execute(
            "select count(*), sum(received), sum(rated) from requests_closing_daily").fetchall()[0]
        raw, raw_rated = con.execute("select count(*), count(satisfaction) from requests").fetchall()[0]
        assert (received, rated) == (raw, raw_rated) and 0 < rows < raw
    finally:
        con.close()


def test_the_kpis_no_longer_read_raw_requests():
    for panel in RAW:
        sql = _panel_sql(panel)
        assert "requests_closing_days" in sql and "requests_scoped" not in sql, panel
