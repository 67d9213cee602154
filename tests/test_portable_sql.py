"""Portable SQL: `cockpit check` names each construct outside the subset that means the same on
DuckDB and Spark (which construct, where, what to write instead); the shipped panels and methods
are inside it; the translation to Spark applies our overrides where sqlglot is wrong."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from cockpit.portable import problems, to_spark

REFUSED = {
    "select date_diff('day', a, b) as d from t": ("date_diff", "epoch(b) - epoch(a)"),
    "select dayofweek(d) as w from t": ("day-of-week", "ranges"),
    "select extract(isodow from d) as w from t": ("day-of-week", "ranges"),
    "select quantile_cont(x, 0.5) as q from t": ("quantile", "median(x)"),
    "select percentile_cont(0.5) within group (order by x) as q from t": ("quantile", "median(x)"),
    "select epoch(b - a) as s from t": ("epoch of an interval", "epoch(b) - epoch(a)"),
    "select now() as n": ("the current time", "$as_of"),
    "select current_date as n": ("the current time", "$as_of"),
    "select 1 as x from t where c in $codes": ("a list parameter", "IN ($a, $b)"),
    "select unnest(cast($w_ind as varchar[])) as i from t": ("a list parameter", "(VALUES ($k_0, $v_0)"),
    "select 1 as x from t where c = any($codes)": ("a list parameter", "one value per parameter"),
    "select 1 as x from t where list_contains($codes, c)": ("a list parameter", "IN (SELECT k FROM t)"),
    "select $codes::varchar[] as l": ("a list parameter", "one value per parameter"),
    "select [1, 2] as l": ("a list", "one value per row"),
    "select strftime(d, '%A') as day_name from t": ("strftime format", "%Y %m %d"),
    "select strptime(s, '%Y') as d from t": ("strptime", "cast("),
    "select cast(x as timestamptz) as z from t": ("a zoned timestamp type", "without zone"),
    "select regexp_matches(s, 'a+') as m from t": ("a regular expression", "LIKE"),
    "select string_agg(s, ',') as all_s from t": ("string_agg without ORDER BY", "ORDER BY"),
    "select string_agg(distinct s, ',' order by s) as all_s from t": ("string_agg(DISTINCT …)", "subquery"),
    "select * from unnest([1, 2])": ("a table function in FROM", "SELECT list"),
    "select * from range(3)": ("a table function in FROM", "relation"),
    "select * exclude (a) from t": ("* EXCLUDE", "name the columns"),
    "select a from t qualify row_number() over (order by a) = 1": ("QUALIFY", "outer query"),
    "select epoch_ms(ts) as ms from t": ("epoch in other units", "epoch(x)"),
}

ALLOWED = [
    "select count(*) filter (where a > 1) as n from t where d >= $period_start - interval 60 day",
    "select strftime(d, '%Y-%m') as m, median(x) as med, (epoch(b) - epoch(a)) / 3600.0 as h from t",
    "select c from t where c in ($a, $b) and x = $x order by c",
    "select string_agg(s, ', ' order by s) as all_s from t",
    "select unnest(co_depts) as dept from reform_apps",
    "select o.k, o.v from (values (cast($k_0 as varchar), cast($v_0 as double))) as o(k, v)",
]


@pytest.mark.parametrize("sql", sorted(REFUSED))
def test_each_non_portable_construct_is_named_with_what_to_write_instead(sql):
    construct, instead = REFUSED[sql]
    found = problems(sql)
    assert found, sql
    text = str(found[0])
    assert construct in text and instead in text and "not portable SQL" in text
    assert "(in `" in text  # where: the offending expression itself


@pytest.mark.parametrize("sql", ALLOWED)
def test_portable_constructs_pass(sql):
    assert problems(sql) == []


def test_every_shipped_panel_and_method_is_portable():
    from cockpit.relations import RELATIONS
    from cockpit.specs.loader import load_catalog
    from cockpit.specs.portable import portable_errors

    catalog = load_catalog(ROOT / "layouts")
    errors, _ = portable_errors(catalog)
    assert errors == []
    assert all(problems(sql) == [] for sql, _ in RELATIONS.values())


def test_the_what_if_scores_bind_one_value_per_parameter():
    """The what-if statements run on Spark too: n weights are n bound rows, never a list."""
    from cockpit.analytics.scores import indicator_scores_sql, is_what_if_statement, street_scores_sql, weight_params

    for n in (1, 3):
        for sql in (street_scores_sql(n), indicator_scores_sql(n)):
            assert problems(sql) == [] and is_what_if_statement(sql)
            assert "[]" not in sql and sql.count("$w_ind_") == n
    assert weight_params({"I01": 0, "I02": 2.5}) == {"w_ind_0": "I01", "w_val_0": 0.0, "w_ind_1": "I02", "w_val_1": 2.5}
    assert not is_what_if_statement(street_scores_sql(2).replace("$w_val_1", "$w_val_0"))


def test_the_overrides_of_sqlglots_translation():
    spark = to_spark("WITH s AS NOT MATERIALIZED (SELECT 1 AS x) SELECT epoch(ts) AS e, date_trunc('month', d) AS m, "
                     "d - INTERVAL 60 DAY AS back, 1.0 * x AS y FROM s WHERE r = $region")
    assert "NOT MATERIALIZED" not in spark and "MATERIALIZED" not in spark
    assert "UNIX_TIMESTAMP" not in spark and "UNIX_MICROS(CAST(ts AS TIMESTAMP_LTZ))" in spark
    assert "CAST(DATE_TRUNC('MONTH', d) AS TIMESTAMP_NTZ)" in spark and "TRUNC(d" not in spark
    assert "CAST(d AS TIMESTAMP_NTZ) - INTERVAL '60' DAY" in spark
    assert "CAST(1.0 AS DOUBLE)" in spark
    assert ":region" in spark and "$region" not in spark
    nested = to_spark("SELECT * FROM (WITH a AS (SELECT 1 AS x) SELECT x FROM a) AS p, "
                      "(WITH a AS (SELECT 2 AS y) SELECT y FROM a) AS q")
    assert nested.count("WITH a AS") == 2  # each stays inside its subquery (sqlglot would hoist and clash)
    pruned = to_spark("WITH s AS (SELECT 1 AS x), t AS (SELECT x FROM s), u AS (SELECT 2 AS y) "
                      "SELECT * FROM (WITH v AS (SELECT x FROM t), w AS (SELECT 3 AS z) SELECT x FROM v) AS p")
    assert "s AS" in pruned and "t AS" in pruned and "v AS" in pruned  # read, if only through another CTE
    assert "u AS" not in pruned and "w AS" not in pruned  # read by nothing: left out for Spark's analyser


def test_cockpit_check_reports_a_non_portable_panel_by_file_and_key(demo_store, tmp_path):
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    (layouts / "panels" / "zz_days.toml").write_text(
        'title = { zh = "天数", en = "Days" }\nkind = "kpi"\n'
        'sql = "select max(date_diff(\'day\', received_at, closed_at)) as value from requests_scoped"\n'
        '[options]\nvalue = "value"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "cockpit.cli", "check", "--store", str(demo_store),
                          "--layouts", str(layouts)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1
    assert "layouts/panels/zz_days.toml: sql: date_diff (in `DATE_DIFF('DAY', received_at, closed_at)`)" in out.stderr
    assert "epoch(b) - epoch(a)" in out.stderr
