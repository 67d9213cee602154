"""Query layer on the real demo snapshot: jurisdiction scoping, bound values, lock-down, timeout,
and the filter state that turns untrusted URLs into a trusted context."""

from __future__ import annotations

from datetime import date

import pytest

from query_support import ctx_for, db  # noqa: F401 - db is a fixture
from cockpit.filters import FilterState, parse_query, resolve
from cockpit.query import QueryError, referenced_params, run_sql

COUNT = "select count(*) as n, count(distinct street_code) as streets from requests_scoped"


def test_scoped_relations_follow_the_region(db):
    province = run_sql(COUNT, ctx_for(db))
    # The unscoped total, read directly: panel SQL may not read `requests` (test_sqlguard.py).
    everything = db.snapshot_cursor(db.live_id()).execute("select count(*) as n from requests").df()
    assert province.n[0] == everything.n[0] > 0
    city = run_sql(COUNT, ctx_for(db, region="330100"))
    county = run_sql(COUNT, ctx_for(db, region="330106"))
    assert 0 < county.n[0] < city.n[0] < province.n[0]
    # Every street counted for the county really lies under it.
    codes = run_sql("select distinct street_code from requests_scoped", ctx_for(db, region="330106"))
    assert all(code.startswith("330106") for code in codes.street_code)


def test_jurisdiction_caps_what_a_client_may_ask_for(db):
    # A viewer bound to Hangzhou asking for Ningbo gets Hangzhou.
    res = resolve(FilterState(region="330200"), db, "330100")
    assert res.ctx.region == "330100"
    assert res.state.region is None  # the URL is rewritten to the jurisdiction itself
    inside = resolve(FilterState(region="330106"), db, "330100")
    assert inside.ctx.region == "330106"
    n_city = run_sql(COUNT, res.ctx).n[0]
    n_all = run_sql(COUNT, ctx_for(db)).n[0]
    assert n_city < n_all


def test_cross_filter_values_are_bound_not_spliced(db):
    base = ctx_for(db)
    cats = run_sql("select distinct category from requests_scoped order by 1", base).category.tolist()
    one = resolve(FilterState(filters={"category": cats[0]}), db, None).ctx
    filtered = run_sql("select distinct category from requests_scoped", one).category.tolist()
    assert filtered == [cats[0]]
    evil = resolve(FilterState(filters={"category": "x' or '1'='1"}), db, None).ctx
    assert run_sql(COUNT, evil).n[0] == 0  # treated as a value that matches nothing


def test_external_access_is_limited_to_the_store(db, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(QueryError):
        run_sql(f"select * from read_csv('{secret}')", ctx_for(db))
    with pytest.raises(QueryError):
        run_sql("select * from read_text('/etc/hostname')", ctx_for(db))


def test_configuration_is_locked(db):
    import duckdb

    db.attach(db.live_id())
    with pytest.raises(duckdb.Error, match="locked"):
        db.cursor().execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="locked"):
        db.cursor().execute("SET allowed_directories = ['/']")


def test_unknown_parameters_are_named(db):
    with pytest.raises(QueryError, match=r"unknown parameter\(s\): \$nope"):
        run_sql("select $nope as x", ctx_for(db))


def test_timeout_stops_a_runaway_query(db):
    heavy = "select count(*) from range(100000000000) a"
    with pytest.raises(QueryError, match="exceeded"):
        run_sql(heavy, ctx_for(db), timeout_s=0.3)


def test_referenced_params_ignores_strings_and_comments():
    sql = "select '$not' as a, $yes -- $comment\n /* $block */ from t where x = $also"
    assert referenced_params(sql) == {"yes", "also"}


def test_parse_query_drops_malformed_values():
    state = parse_query("?region=330106'--&period=2026-13&cmp=drop&lang=fr&snap=../../etc&f_category=城市管理"
                        "&f_password=x&street=330106001")
    assert state.region is None
    assert state.period is None
    assert state.cmp == "prev"
    assert state.lang == "zh"
    assert state.snap is None
    assert state.filters == {"category": "城市管理"}
    assert state.street == "330106001"
    assert parse_query("?f_category=" + "x" * 65).filters == {}
    assert parse_query(["not", "a", "string"]) == FilterState()


def test_url_round_trip():
    state = FilterState(region="330106", period="2026-09", cmp="yoy", lang="en", filters={"channel": "浙里办"})
    assert parse_query(state.to_query()) == state


def test_periods_and_comparisons(db):
    # as_of 2026-11-25: the current month runs 1–25 November; the comparison covers the same days.
    c = ctx_for(db)
    assert (c.period_start, c.period_end) == (date(2026, 11, 1), date(2026, 11, 26))
    assert (c.cmp_start, c.cmp_end) == (date(2026, 10, 1), date(2026, 10, 26))
    y = ctx_for(db, period="2026-03", cmp="yoy")
    assert (y.period_start, y.period_end, y.cmp_start, y.cmp_end) == (
        date(2026, 3, 1), date(2026, 4, 1), date(2025, 3, 1), date(2025, 4, 1))
    p = ctx_for(db, period="2026-03", cmp="prev")
    # February has 28 days: the comparison stops at its end.
    assert (p.cmp_start, p.cmp_end) == (date(2026, 2, 1), date(2026, 3, 1))
    # A period outside the offered months falls back to the latest.
    assert ctx_for(db, period="1999-01").period_start == date(2026, 11, 1)


def test_street_pages_scope_to_the_street(db):
    res = resolve(FilterState(street="330106001"), db, None, street_page=True)
    assert res.ctx.street == "330106001" and res.ctx.region == "330106001"
    assert res.ctx.map_parent == "330106"
    codes = run_sql("select distinct street_code from requests_scoped", res.ctx).street_code.tolist()
    assert codes == ["330106001"]
    # Without a valid street, the first street under the region is shown.
    fallback = resolve(FilterState(region="330106", street="999999999"), db, None, street_page=True)
    assert fallback.ctx.street.startswith("330106") and len(fallback.ctx.street) == 9


def test_named_relations_run_scoped(db):
    everything = run_sql("select count(*) as n from app_visibility", ctx_for(db)).n[0]
    assert everything == 127
    county = run_sql("select count(*) as n from app_visibility", ctx_for(db, region="330106")).n[0]
    assert county < everything


def test_periods_offered_stop_at_the_first_month_with_data(db):
    res = resolve(FilterState(), db, None)
    assert res.periods[0] == "2026-11"
    # The demo's requests start in late 2024: nothing older than that is offered.
    assert res.periods[-1] >= "2024-11" and len(res.periods) <= 36
    assert resolve(FilterState(period=res.periods[-1]), db, None).state.period == res.periods[-1]


def test_no_comparison_matches_no_data(db):
    c = ctx_for(db, cmp="none")
    assert c.cmp_start == c.cmp_end < date(2000, 1, 1)
    from cockpit.specs.loader import load_catalog
    from cockpit.settings import PROJECT_ROOT

    kpi = load_catalog(PROJECT_ROOT / "layouts").panels["kpi_requests"].spec.sql
    row = run_sql(kpi, c).iloc[0]
    assert row["value"] > 0 and row["previous"] == 0


def test_a_missing_jurisdiction_fails_closed(db):
    with pytest.raises(LookupError, match="330199"):
        resolve(FilterState(region="330106"), db, "330199")


def test_result_cache_keys_keep_types_and_snapshots_apart(db, tmp_path):
    from flask import Flask

    from cockpit.query import ResultCache

    cache = ResultCache()
    app = Flask("t")
    app.config["TESTING"] = True
    from flask_caching import Cache

    cache.cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    sql = "select count(*) as n from requests_scoped"
    base = ctx_for(db)
    poisoned = resolve(FilterState(filters={"category": "None"}), db, None).ctx
    assert base.cache_key() != poisoned.cache_key()
    assert cache.query(sql, poisoned, db).n[0] == 0
    assert cache.query(sql, base, db).n[0] > 0  # the text "None" did not fill the unfiltered entry


def test_region_names_follow_the_language(db):
    sql = "select name from region_names where region_code = '330100'"
    zh = run_sql(sql, ctx_for(db)).name[0]
    en = run_sql(sql, ctx_for(db, lang="en")).name[0]
    assert zh == "杭州市"
    assert en.isascii() and en and en != zh
