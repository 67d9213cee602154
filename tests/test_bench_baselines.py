"""The two baseline Dash apps of `make bench` start and answer each of their six callbacks the
same as DuckDB over the same published snapshot (real parquet, real Dash request handling)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT))  # the bench folder is not an installed package

from bench import baseline_common, baseline_duckdb, baseline_pandas  # noqa: E402
from cockpit.snapshot import connect_snapshot, live_snapshot_dir  # noqa: E402

SCOPE = """
    from requests r join regions s on s.region_code = r.street_code
    where strftime(r.received_at, '%Y-%m') = $period and ($county is null or s.parent_code = $county)
"""


def expected(con, output: str, county: str | None, period: str, cutoff: dt.datetime):
    """Each output computed straight from the snapshot's views, written independently of the apps."""
    p = {"county": county, "period": period}
    q = lambda sql, extra=None: con.execute(sql, {**p, **(extra or {})}).fetchall()  # noqa: E731
    if output == "count":
        return q(f"select count(*) {SCOPE}")[0][0]
    if output == "closure":
        n, closed = q(f"select count(*), count(*) filter (where r.closed_at is not null) {SCOPE}")[0]
        return closed / n if n else None
    if output == "by_area":
        key = "s.region_code" if county else "s.parent_code"
        rows = q(f"select a.region_code, a.name, count(*) as n {SCOPE.replace('where', f'join regions a on a.region_code = {key} where')} "
                 "group by all order by n desc, a.region_code")
        return [tuple(r) for r in rows]
    if output == "daily":
        return [tuple(r) for r in q(f"select cast(r.received_at as date) as d, count(*) {SCOPE} group by d order by d")]
    if output == "by_channel":
        return [tuple(r) for r in q(f"select r.channel, count(*) as n {SCOPE} group by 1 order by n desc, 1")]
    if output == "overdue":
        rows = q(f"select s.region_code, s.name, count(*) as n {SCOPE} and r.closed_at is null and r.due_at < $cutoff "
                 "group by all order by n desc, s.region_code limit 20", {"cutoff": cutoff})
        return [tuple(r) for r in rows]
    raise AssertionError(output)


@pytest.fixture(scope="module")
def snapshot(demo_store):
    return live_snapshot_dir(demo_store)


@pytest.fixture(scope="module")
def views(snapshot):
    con = connect_snapshot(snapshot)
    yield con
    con.close()


@pytest.fixture(scope="module", params=["pandas", "duckdb"])
def source(request, snapshot):
    module = {"pandas": baseline_pandas.PandasSource, "duckdb": baseline_duckdb.DuckSource}[request.param]
    return module(snapshot)


def cases(source, views):
    periods = source.periods()
    busiest = views.execute("""select s.parent_code from requests r join regions s on s.region_code = r.street_code
                               group by 1 order by count(*) desc limit 1""").fetchall()[0][0]
    return [(county, period) for county in (None, busiest) for period in (periods[-1], periods[-3])]


def test_periods_and_counties_come_from_the_snapshot(source, views):
    months = [r[0] for r in views.execute(
        "select distinct strftime(received_at, '%Y-%m') as m from requests order by m").fetchall()]
    assert source.periods() == months
    counties = views.execute("select region_code, name from regions where level = 'county' order by 1").fetchall()
    assert [tuple(c) for c in source.counties()] == [tuple(c) for c in counties]


@pytest.mark.parametrize("output", baseline_common.OUTPUTS)
def test_every_output_matches_duckdb_on_the_same_snapshot(source, views, snapshot, output):
    cutoff = baseline_common.overdue_cutoff(snapshot)
    for county, period in cases(source, views):
        got = getattr(source, output)(county, period)
        want = expected(views, output, county, period, cutoff)
        if output == "closure":
            assert got == pytest.approx(want), (county, period)
        else:
            assert [tuple(g) for g in got] == want if isinstance(got, list) else got == want, (county, period)
        if output in ("count", "daily", "by_area"):
            assert want, f"{output} is empty for {county} {period}: the case proves nothing"


def _callback(client, output: str, prop: str, county, period):
    body = {"output": f"{output}.{prop}", "outputs": {"id": output, "property": prop},
            "inputs": [{"id": "county", "property": "value", "value": county},
                       {"id": "period", "property": "value", "value": period}],
            "changedPropIds": ["period.value"], "state": []}
    resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"][output][prop]


@pytest.mark.parametrize("kind", ["pandas", "duckdb"])
def test_the_apps_answer_each_callback_over_http(kind, snapshot, views):
    module = {"pandas": baseline_pandas, "duckdb": baseline_duckdb}[kind]
    app = module.create_app(snapshot)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    period = app.layout.children[1].children[1].value
    source = baseline_duckdb.DuckSource(snapshot)
    assert period == source.periods()[-1]
    n = expected(views, "count", None, period, baseline_common.overdue_cutoff(snapshot))
    assert _callback(client, "count", "children", None, period) == f"诉求量 {n:,}"
    rate = expected(views, "closure", None, period, None)
    assert _callback(client, "closure", "children", None, period) == f"办结率 {rate:.1%}"
    areas = expected(views, "by_area", None, period, None)
    fig = _callback(client, "by_area", "figure", None, period)
    assert fig["data"][0]["x"] == [a[1] for a in areas] and fig["data"][0]["y"] == [a[2] for a in areas]
    days = expected(views, "daily", None, period, None)
    fig = _callback(client, "daily", "figure", None, period)
    assert fig["data"][0]["x"] == [d.isoformat() for d, _ in days]
    channels = expected(views, "by_channel", None, period, None)
    fig = _callback(client, "by_channel", "figure", None, period)
    assert fig["data"][0]["y"] == [c for c, _ in channels] and fig["data"][0]["x"] == [n for _, n in channels]
    late = expected(views, "overdue", None, period, baseline_common.overdue_cutoff(snapshot))
    rows = _callback(client, "overdue", "data", None, period)
    assert [(r["code"], r["name"], r["overdue"]) for r in rows] == late
