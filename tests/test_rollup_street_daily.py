"""The coarse request rollup (requests_street_daily: received day × street) against the fine one
(requests_daily) and the raw requests, and the panels that read it through the
`requests_street_days` relation: the same results as reading the fine rollup, with and without
cross-filters, on the whole tree and below it."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from cockpit.analytics.flow import REQUESTS_STREET_DAILY_COLUMNS, STREET_DAILY_DROPPED_FILTERS
from cockpit.query import run_sql
from cockpit.snapshot import connect_snapshot, live_snapshot_dir
from conftest import ROOT
from query_support import ctx_for, db  # noqa: F401  (fixture)

MEASURES = REQUESTS_STREET_DAILY_COLUMNS[2:]
SWITCHED = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "layouts" / "panels").glob("*.toml"))
            if "requests_street_days" in p.read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def views(demo_store):
    con = connect_snapshot(live_snapshot_dir(demo_store))
    yield con
    con.close()


def test_the_coarse_rollup_is_much_smaller_and_keeps_only_day_and_street(views):
    cols = [r[0] for r in views.execute("describe requests_street_daily").fetchall()]
    assert tuple(cols) == REQUESTS_STREET_DAILY_COLUMNS
    fine, coarse = (views.execute(f"select count(*) from {t}").fetchall()[0][0] for t in ("requests_daily", "requests_street_daily"))
    assert 0 < coarse < fine
    keys = views.execute("select count(*) from (select distinct day, street_code from requests_daily)").fetchall()[0][0]
    assert coarse == keys


def test_every_measure_per_day_and_street_equals_the_fine_rollup(views):
    sums = ", ".join(f"sum({m}) as {m}" for m in MEASURES)
    fine = views.execute(f"select day, street_code, {sums} from requests_daily group by all order by 1, 2").df()
    coarse = views.execute(f"select * from requests_street_daily order by day, street_code").df()
    assert len(fine) == len(coarse)
    pd.testing.assert_frame_equal(fine.reset_index(drop=True), coarse.reset_index(drop=True), check_dtype=False)


def test_totals_equal_the_raw_requests(views):
    raw = views.execute("""select count(*), count(closed_at), count(*) filter (where reopened),
                                  count(satisfaction), count(*) filter (where satisfaction = 3)
                           from requests""").fetchall()[0]
    for table in ("requests_daily", "requests_street_daily"):
        got = views.execute(f"select sum(received), sum(closed), sum(reopened), sum(rated), sum(satisfied) "
                            f"from {table}").fetchall()[0]
        assert tuple(int(v) for v in got) == tuple(raw), table
    per_day = views.execute("""
        select count(*) from (
          select cast(received_at as date) as day, street_code, count(*) as n from requests group by all) r
        full join requests_street_daily c using (day, street_code)
        where r.n is distinct from c.received""").fetchall()[0][0]
    assert per_day == 0


def _queries(spec: dict) -> dict[str, str]:
    out = {"sql": spec["sql"]}
    out.update(spec.get("queries", {}))
    return out


def _busiest(views, field: str) -> str:
    return views.execute(f"select {field} from requests group by 1 order by count(*) desc limit 1").fetchall()[0][0]


def test_the_switched_panels_are_the_request_kpis_map_and_trend():
    # the closure, on-time and satisfaction KPIs compare closures at the same age, which needs
    # each request's closing time: they read requests_scoped, not a day rollup
    assert {"kpi_requests", "map_requests", "volume_trend"} <= set(SWITCHED)


@pytest.mark.parametrize("panel", sorted(SWITCHED))
def test_a_panel_on_the_coarse_rollup_answers_as_on_the_fine_one(db, views, panel):  # noqa: F811
    county = views.execute("select region_code from regions where level = 'county' order by 1 limit 1").fetchall()[0][0]
    states = [{}, {"period": "2026-09"}, {"region": county},
              *({"filters": {f: _busiest(views, f)}} for f in STREET_DAILY_DROPPED_FILTERS),
              {"region": county, "filters": {"category": _busiest(views, "category"), "channel": _busiest(views, "channel")}}]
    for name, sql in _queries(SWITCHED[panel]).items():
        fine_sql = sql.replace("requests_street_days", "requests_daily_scoped")
        for state in states:
            ctx = ctx_for(db, **state)
            got = run_sql(sql, ctx, db=db)
            want = run_sql(fine_sql, ctx, db=db)
            assert len(want) > 0
            if "order by" not in sql.lower():  # rows in no defined order: compare them as sets
                got, want = (f.sort_values(list(f.columns)).reset_index(drop=True) for f in (got, want))
            pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9), (panel, name, state)


def test_a_cross_filter_changes_what_the_relation_returns(db, views):  # noqa: F811
    sql = "select sum(received) as n from requests_street_days"
    all_n = run_sql(sql, ctx_for(db), db=db)["n"][0]
    cat = _busiest(views, "category")
    cat_n = run_sql(sql, ctx_for(db, filters={"category": cat}), db=db)["n"][0]
    raw = views.execute("select count(*) from requests where category = $c", {"c": cat}).fetchall()[0][0]
    assert cat_n == raw < all_n
