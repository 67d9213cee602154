"""From a figure to its cases: `/cases/<panel>` lists the rows behind a figure, as many as it counts.

Real DuckDB on the store with planted problems (tests/quality_support.py), the real layouts and the
real Dash app's Flask server; the figures' values come from their own panel SQL."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.query import run_sql
from cockpit.specs.loader import load_catalog
from cockpit.settings import get_settings
from trace_support import case_count, client, make_app, planted, table_rows  # noqa: F401 (fixtures)

PERIOD = "2026-11"


def figure(store, panel_id: str, **state):
    """The panel's own result for a state (whole tree), through the query layer."""
    panel = load_catalog(get_settings().layouts).panels[panel_id]
    db = Database(store)
    ctx = resolve(FilterState(**{"period": PERIOD, **state}), db, None).ctx
    return run_sql(panel.spec.sql, ctx, db=db)


def point(**values) -> str:
    return quote(json.dumps(values, ensure_ascii=False))


@pytest.mark.parametrize("panel_id", ["kpi_requests", "kpi_overdue_open", "kpi_apps_total"])
def test_a_kpi_opens_as_many_cases_as_it_counts(client, planted, panel_id):
    value = int(figure(planted, panel_id)["value"].iloc[0])
    assert value > 0  # the planted drop gives each of these something to count
    resp = client.get(f"/cases/{panel_id}?period={PERIOD}")
    assert resp.status_code == 200
    assert case_count(resp.get_data(as_text=True)) == value


def test_a_clicked_bar_opens_its_category(client, planted):
    df = figure(planted, "category_bar")
    counts = dict(zip(df["category"], df["requests"]))
    assert counts["噪音扰民"] == 3  # the planted new category
    for category, n in counts.items():
        html = client.get(f"/cases/category_bar?period={PERIOD}&pt={point(y=category)}").get_data(as_text=True)
        assert case_count(html) == n, category
        assert {row[3] for row in table_rows(html)} == {category}


def test_a_clicked_runway_opens_its_apps_and_items(client, planted):
    apps = figure(planted, "ledger_runway_stage").groupby("runway")["apps"].sum().to_dict()
    items = figure(planted, "lists_by_runway").groupby("runway")["items"].sum().to_dict()
    assert len(apps) == 3
    for runway, n in apps.items():
        html = client.get(f"/cases/ledger_runway_stage?pt={point(y=runway)}").get_data(as_text=True)
        assert case_count(html) == n, runway
    for runway, n in items.items():
        html = client.get(f"/cases/lists_by_runway?pt={point(x=runway)}").get_data(as_text=True)
        assert case_count(html) == n, runway


def test_a_clicked_heat_map_cell_opens_its_area_and_category(client, planted):
    df = figure(planted, "category_street_heat", region="330100")
    assert len(df) >= 3
    for area, category, n in zip(df["area"], df["category"], df["requests"]):
        html = client.get(f"/cases/category_street_heat?period={PERIOD}&region=330100"
                          f"&pt={point(x=category, y=area)}").get_data(as_text=True)
        assert case_count(html) == n, (area, category)


def test_a_cross_filter_narrows_the_cases_like_the_figure(client, planted):
    value = int(figure(planted, "kpi_requests", filters={"category": "噪音扰民"})["value"].iloc[0])
    html = client.get(f"/cases/kpi_requests?period={PERIOD}&f_category={quote('噪音扰民')}").get_data(as_text=True)
    assert case_count(html) == value == 3


def test_a_clicked_map_region_opens_its_requests(client, planted):
    df = figure(planted, "map_requests", region="330100")
    assert len(df) == 2
    for code, n in zip(df["region_code"], df["requests"]):
        html = client.get(f"/cases/map_requests?period={PERIOD}&region=330100"
                          f"&pt={point(location=code, customdata=code)}").get_data(as_text=True)
        assert case_count(html) == n, code


def test_ranking_cases_are_each_streets_indicator_values(client, planted):
    ranked = figure(planted, "ranking_streets")
    html = client.get(f"/cases/ranking_streets?period={PERIOD}&n=100").get_data(as_text=True)
    rows = table_rows(html)
    assert case_count(html) == len(rows) == len(ranked) * 3  # three indicators each
    assert {r[0] for r in rows} == set(ranked["street"])


def test_paging_sorting_and_search_are_bounded_and_bound(client):
    base = f"/cases/kpi_requests?period={PERIOD}"
    html = client.get(base + "&n=5&p=2&sort=request_id&dir=asc").get_data(as_text=True)
    total = case_count(html)
    all_ids = sorted(r[0] for r in table_rows(client.get(base + "&n=100").get_data(as_text=True)))
    assert [r[0] for r in table_rows(html)] == all_ids[5:10]
    # An unknown sort column (or SQL in it) falls back to the default order; page size is capped.
    evil = client.get(base + "&sort=" + quote("received_at; drop table x") + "&n=100000")
    assert evil.status_code == 200 and len(table_rows(evil.get_data(as_text=True))) == min(total, 100)
    found = client.get(base + "&q=Q30").get_data(as_text=True)
    assert sorted(r[0] for r in table_rows(found)) == ["Q301", "Q302", "Q303", "Q304"]
    quote_in_search = client.get(base + "&q=" + quote("' or 1=1 --")).get_data(as_text=True)
    assert case_count(quote_in_search) == 0


def test_csv_export_has_every_case_in_the_viewers_language(client, planted):
    value = int(figure(planted, "kpi_requests")["value"].iloc[0])
    resp = client.get(f"/cases/kpi_requests.csv?period={PERIOD}&lang=en")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Request", "Received", "Street"]
    assert len(rows) - 1 == value
    assert "Closed" in {r[5] for r in rows[1:]}  # status shown through labels.toml


def test_english_page_labels_every_column(client):
    html = client.get(f"/cases/kpi_requests?period={PERIOD}&lang=en").get_data(as_text=True)
    assert "Received" in html and "Department" in html and "Overdue" in html and "Back to the figure" in html
    assert "受理时间" not in html


def test_cases_stay_in_the_viewers_jurisdiction(planted, tmp_path):
    app, mp = make_app(planted, tmp_path / "cache", COCKPIT_JURISDICTION="330102")
    try:
        c = app.server.test_client()
        value = int(figure(planted, "kpi_requests", region="330102")["value"].iloc[0])
        # Asking for the whole province (or another county) still shows only the jurisdiction.
        for region in ("330000", "330106", ""):
            html = c.get(f"/cases/kpi_requests?period={PERIOD}&region={region}&n=100").get_data(as_text=True)
            assert case_count(html) == value
            assert {r[2] for r in table_rows(html)} <= {"清波街道", "湖滨街道"}
    finally:
        mp.undo()
        get_settings.cache_clear()


def test_data_values_are_escaped(planted, tmp_path):
    import drops
    from cockpit.ingest import ingest

    store = tmp_path / "store"
    assert ingest(drops.write_drop(tmp_path / "d", requests=drops.requests_table([
        drops.request_row("X<b>1", drops.datetime(2026, 11, 3, 9), category="<script>alert(1)</script>")])),
        store, log=lambda *_: None).ok
    app, mp = make_app(store, tmp_path / "cache")
    try:
        html = app.server.test_client().get(f"/cases/kpi_requests?period={PERIOD}").get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "X&lt;b&gt;1" in html
    finally:
        mp.undo()
        get_settings.cache_clear()


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path):
    import drops
    from cockpit.ingest import ingest

    store = tmp_path / "store"
    assert ingest(drops.write_drop(tmp_path / "d", requests=drops.requests_table([
        drops.request_row("F1", drops.datetime(2026, 11, 3, 9), category="=HYPERLINK(\"x\")")])),
        store, log=lambda *_: None).ok
    app, mp = make_app(store, tmp_path / "cache")
    try:
        body = app.server.test_client().get(f"/cases/kpi_requests.csv?period={PERIOD}").get_data(as_text=True)
        row = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1]
        assert row[3] == "'=HYPERLINK(\"x\")"
    finally:
        mp.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize("cases, message", [
    ('relation = "tickets"', "is not a case relation"),
    ('relation = "requests"\nperiod = "opened_at"', "period column 'opened_at' is not a column of 'requests'"),
    ('relation = "requests"\nmatch = { category = "kind" }', "match 'category' → 'kind'"),
    ('relation = "requests"\nwhere = "c.overdue; drop table x"', "one condition"),
    ('relation = "requests"\nwhere = "c.overdue) union all select * from requests where (true"', "requests"),
])
def test_cockpit_check_names_the_file_and_what_is_wrong_in_cases(tmp_path, cases, message):
    import shutil

    layouts = tmp_path / "layouts"
    shutil.copytree(get_settings().layouts, layouts)
    path = layouts / "panels" / "kpi_requests.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("[cases]")] + "[cases]\n" + cases + "\n", encoding="utf-8")
    errors = [str(e) for e in load_catalog(layouts).errors]
    assert any("kpi_requests.toml" in e and "cases" in e and message in e for e in errors), errors


def test_a_panel_without_cases_is_a_clear_404(client):
    resp = client.get("/cases/rb_note")
    assert resp.status_code == 404 and "说明文字，没有数字" in resp.get_data(as_text=True)  # its no_cases
    assert client.get("/cases/no_such_panel").status_code == 404
