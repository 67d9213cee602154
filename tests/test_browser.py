"""The leaders' cockpit in real Chromium: every page renders, the map drills down, a bar click
filters the page, the language and the URL state round-trip, time travel, the analyst path (a new
panel file shows up without a Python change), CSV downloads, a failing panel and the street page.

Fixtures (tests/conftest.py): `server` is gunicorn on the published demo store, in dev mode on a
private copy of layouts/ (`layouts_copy`), `page` is a 1920×1080 Chromium page recording problems.
Waiting is done on conditions: every panel has its stamp (or its error) and its figure or body,
and no Dash callback request has been in flight for a short quiet time."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from browser_support import (AS_OF, PAGES, PANELS, STAMP, assert_healthy, children, choose, click_region, crumbs,
                             kpi_text, open_new_page, open_page, panel_names, params, save_screenshot, settle,
                             wait_map, wait_param, write_atomic)
from conftest import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def regions(demo_store) -> dict[str, dict]:
    """The live snapshot's regions by code: name, level, parent."""
    live = (demo_store / "CURRENT").read_text().strip()
    table = pq.read_table(demo_store / "snapshots" / live / "tables" / "regions.parquet",
                          columns=["region_code", "name", "level", "parent_code"]).to_pylist()
    return {r["region_code"]: r for r in table}



# -- 1. every page ------------------------------------------------------------------------------

@pytest.mark.parametrize("page_id", list(PAGES))
def test_every_page_renders(server, page, page_id):
    spec = PAGES[page_id]
    open_page(page, server.url + spec["path"])
    expected = panel_names(spec)
    states = assert_healthy(page)
    assert [s["id"] for s in states] == [f"panel-{n}" for n in expected]
    assert [s["kind"] for s in states] == [f"kind-{PANELS[n]['kind']}" for n in expected]
    assert [s["title"] for s in states] == [PANELS[n]["title"]["zh"] for n in expected]
    # Every panel carries its SQL and the snapshot it ran on.
    assert all(s["meta"].startswith("快照 00001_2026-11-25") for s in states), [s["meta"] for s in states]
    assert page.locator("details.panel-sql").count() == len(expected)
    assert page.locator("button.panel-csv").count() == len(expected)
    # The navigation lists every page, the current one active.
    nav = page.locator("a.nav-link")
    titles = nav.all_inner_texts()
    assert all(p["title"]["zh"] in titles for p in PAGES.values()), titles
    assert page.locator("a.nav-link.active").inner_text() == spec["title"]["zh"]
    assert "00001_2026-11-25" in page.locator(".ctl-snap").inner_text()
    assert "Traceback" not in page.locator("body").inner_text()
    save_screenshot(page, page_id)


# -- 2. map drill-down --------------------------------------------------------------------------

def test_map_drills_down_and_back(server, page, regions):
    open_page(page, server.url + "/")
    province = next(c for c, r in regions.items() if r["level"] == "province")
    assert crumbs(page) == ([regions[province]["name"]], regions[province]["name"])
    cities = children(regions, province)
    assert len(cities) == 11
    wait_map(page, cities)

    chain = [province]
    for level, digits in (("city", 6), ("county", 6), ("street", 9)):
        parent = chain[-1]
        options = sorted(children(regions, parent))
        target = options[len(options) // 2]  # not the first, so a default cannot pass for a click
        assert regions[target]["level"] == level
        click_region(page, target)
        wait_param(page, "region", target)
        assert len(target) == digits
        chain.append(target)
        # A leaf shows its siblings with itself outlined; other levels show their children.
        if level == "street":
            wait_map(page, children(regions, parent), selected=target)
        else:
            wait_map(page, children(regions, target))
        settle(page)
        names, current = crumbs(page)
        assert names == [regions[c]["name"] for c in chain]
        assert current == regions[target]["name"]
        assert_healthy(page, content=False)
        # The map query is scoped too: its SQL meta names the selected region.
        assert f"$region={target}" in page.locator("#panel-map_requests .panel-sql-meta").text_content()

    save_screenshot(page, "drill_street")
    page.locator(".breadcrumb .crumb").first.click()
    wait_param(page, "region", None)
    wait_map(page, cities)
    settle(page)
    assert crumbs(page) == ([regions[province]["name"]], regions[province]["name"])

    page.go_back()
    wait_param(page, "region", chain[-1])
    wait_map(page, children(regions, chain[-2]), selected=chain[-1])
    settle(page)
    assert crumbs(page)[1] == regions[chain[-1]]["name"]
    assert_healthy(page, content=False)


# -- 3. cross-filter ----------------------------------------------------------------------------

def click_bar(pg, panel: str, category: str) -> None:
    """Click the first trace's bar of `category` (plotly hit-tests; force past the drag layer)."""
    index = pg.evaluate(
        f"(c) => document.querySelector('#panel-{panel} .js-plotly-plot').data[0].y.indexOf(c)", category)
    assert index >= 0, f"no bar {category!r}"
    pg.locator(f"#panel-{panel} .barlayer .trace").first.locator(".point path").nth(index).click(force=True)


def test_cross_filter_from_category_bar(server, page):
    open_page(page, server.url + "/requests")
    before = kpi_text(page)
    cats = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    assert len(cats) > 3
    category = cats[1]
    click_bar(page, "category_bar", category)
    wait_param(page, "f_category", category)
    page.wait_for_function("(b) => document.querySelector('#panel-kpi_requests .js-plotly-plot').textContent !== b",
                           arg=before, timeout=30_000)
    settle(page)
    chip = page.locator(".chips .chip")
    assert chip.count() == 1 and category in chip.inner_text()
    states = assert_healthy(page)
    # Every panel re-queried with the filter bound, except the one that set it: it keeps every
    # category so the leader can switch.
    metas = {s["id"]: s["meta"] for s in states}
    sources = {f"panel-{pid}" for pid, spec in PANELS.items()
               if spec.get("cross_filter", {}).get("field") == "category"}
    assert "panel-category_bar" in sources
    assert all(f"$f_category={category}" in m for pid, m in metas.items() if pid not in sources), \
        [pid for pid, m in metas.items() if f"$f_category={category}" not in m]
    assert all("$f_category" not in metas[pid] for pid in sources if pid in metas)
    bars = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    assert bars == cats
    assert kpi_text(page) != before
    save_screenshot(page, "cross_filter")

    chip.click()
    wait_param(page, "f_category", None)
    page.wait_for_function("(b) => document.querySelector('#panel-kpi_requests .js-plotly-plot').textContent === b",
                           arg=before, timeout=30_000)
    settle(page)
    assert page.locator(".chips .chip").count() == 0
    assert all("$f_category" not in s["meta"] for s in assert_healthy(page))

    # Clicking the active bar again clears the filter too.
    click_bar(page, "category_bar", category)
    wait_param(page, "f_category", category)
    settle(page)
    click_bar(page, "category_bar", category)
    wait_param(page, "f_category", None)
    settle(page)
    assert page.locator(".chips .chip").count() == 0
    assert kpi_text(page) == before
    assert_healthy(page)


# -- 4. language --------------------------------------------------------------------------------

def test_language_toggle(server, page):
    spec = PAGES["overview"]
    names = panel_names(spec)
    open_page(page, server.url + "/")
    assert page.locator(".lang-btn").inner_text() == "English"
    page.locator(".lang-btn").click()
    wait_param(page, "lang", "en")
    page.wait_for_function("() => document.querySelector('.lang-btn').textContent === '中文'")
    settle(page)
    nav = page.locator("a.nav-link").all_inner_texts()
    assert "Overview" in nav and "Requests" in nav, nav
    titles = page.locator("section.panel .panel-title").all_inner_texts()
    assert titles == [PANELS[n]["title"]["en"] for n in names]
    assert_healthy(page, stamp=f"As of {AS_OF}")
    assert "Period" in page.locator(".controls").inner_text()
    save_screenshot(page, "overview_en")

    page.locator(".lang-btn").click()
    wait_param(page, "lang", None)
    page.wait_for_function("() => document.querySelector('.lang-btn').textContent === 'English'")
    settle(page)
    assert "总览" in page.locator("a.nav-link").all_inner_texts()
    assert page.locator("section.panel .panel-title").all_inner_texts() == [PANELS[n]["title"]["zh"] for n in names]
    assert_healthy(page)


def controls_state(pg) -> dict:
    return {"crumb": pg.locator(".breadcrumb .crumb.current").all_inner_texts(),
            "period": pg.locator(".ctl-period").inner_text().strip(),
            "cmp": pg.locator(".ctl-cmp").inner_text().strip(),
            "snap": pg.locator(".ctl-snap").inner_text().strip(),
            "href": pg.locator("a.nav-link").nth(1).get_attribute("href")}


def test_language_toggle_keeps_controls(server, page, regions):
    open_page(page, server.url + "/?region=330100&period=2026-09")
    zh = controls_state(page)
    assert zh == {"crumb": [regions["330100"]["name"]], "period": "2026-09", "cmp": "环比上期",
                  "snap": "00001_2026-11-25 (最新)", "href": "/requests?region=330100&period=2026-09"}
    page.locator(".lang-btn").click()
    wait_param(page, "lang", "en")
    page.wait_for_function("() => document.querySelector('.lang-btn').textContent === '中文'")
    settle(page)
    en = controls_state(page)
    assert en["crumb"] and en["period"] == "2026-09" and en["cmp"] == "Previous period", en
    assert en["snap"].startswith("00001_2026-11-25"), en
    assert en["href"] == "/requests?region=330100&period=2026-09&lang=en", en


# -- 5. URL state -------------------------------------------------------------------------------

def test_url_state_round_trip(server, page):
    open_page(page, server.url + "/requests?period=2026-09&cmp=yoy")

    def check(period: str, cmp_start: str) -> None:
        assert period in page.locator(".ctl-period").inner_text()
        assert "同比去年" in page.locator(".ctl-cmp").inner_text()
        meta = page.locator("#panel-kpi_requests .panel-sql-meta").text_content()
        assert f"$period_start={period}-01" in meta and f"$cmp_start={cmp_start}" in meta, meta
        assert params(page).get("period") == period and params(page).get("cmp") == "yoy", page.url

    check("2026-09", "2025-09-01")
    assert_healthy(page)
    page.reload()
    settle(page)
    check("2026-09", "2025-09-01")

    choose(page, ".ctl-period", "2026-08")
    wait_param(page, "period", "2026-08")
    page.wait_for_function(
        "() => document.querySelector('#panel-kpi_requests .panel-sql-meta').textContent.includes('$period_start=2026-08-01')")
    settle(page)
    check("2026-08", "2025-08-01")
    assert_healthy(page)

    page.go_back()
    wait_param(page, "period", "2026-09")
    page.wait_for_function(
        "() => document.querySelector('#panel-kpi_requests .panel-sql-meta').textContent.includes('$period_start=2026-09-01')")
    settle(page)
    check("2026-09", "2025-09-01")
    assert_healthy(page)


# -- 6. time travel -----------------------------------------------------------------------------

@pytest.fixture()
def two_snapshot_server(demo_store, layouts_copy, tmp_path):
    """A second server on a copy of the demo store to which a newer partial drop was published."""
    from cockpit.ingest import cli_ingest

    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "manifest.json").write_text('{"as_of": "2026-11-26"}', encoding="utf-8")
    pq.write_table(pa.table({"note": ["second drop"]}), drop / "test_marker.parquet")
    assert cli_ingest(drop, store) == 0
    assert (store / "CURRENT").read_text().strip() == "00002_2026-11-26"
    srv = Server(store, layouts_copy, tmp_path / "cache", tmp_path / "gunicorn.log")
    yield srv
    srv.stop()


def test_snapshot_time_travel(two_snapshot_server, page):
    srv = two_snapshot_server
    open_page(page, srv.url + "/")
    assert "00002_2026-11-26" in page.locator(".ctl-snap").inner_text()
    assert_healthy(page, stamp="数据截至 2026-11-26")
    page.locator(".ctl-snap").click()
    options = page.locator(".dash-dropdown-content .dash-dropdown-option")
    options.first.wait_for()
    labels = options.all_inner_texts()
    assert len(labels) == 2 and labels[0].startswith("00002_2026-11-26") and "最新" in labels[0], labels
    assert labels[1] == "00001_2026-11-25", labels
    options.nth(1).click()
    wait_param(page, "snap", "00001_2026-11-25")
    page.wait_for_function(f"() => document.querySelector('#panel-kpi_requests .panel-stamp').textContent === '{STAMP}'")
    settle(page)
    states = assert_healthy(page)
    assert all(s["meta"].startswith("快照 00001_2026-11-25") for s in states), [s["meta"] for s in states]
    assert "00001_2026-11-25" in page.locator(".ctl-snap").inner_text()
    # The pinned snapshot travels with the links.
    assert "snap=00001_2026-11-25" in page.locator("a.nav-link", has_text="民呼我为").get_attribute("href")


# -- 7. analyst path ----------------------------------------------------------------------------

CHANNEL_PANEL = '''
title = { zh = "各渠道诉求量", en = "Requests by channel" }
kind = "bar"
sql = """
select channel, sum(received) as requests
from requests_daily_scoped
where day >= $period_start and day < $period_end
group by channel
order by requests desc
"""
[options]
x = "channel"
y = "requests"
'''


def test_analyst_adds_a_panel_and_page(server, page, layouts_copy, demo_store):
    write_atomic(layouts_copy / "panels" / "test_channel_bar.toml", CHANNEL_PANEL)
    write_atomic(layouts_copy / "test_added.toml", '''
title = { zh = "新增页", en = "Added page" }
path = "/test-added"
order = 90
[page]
areas = ["test_channel_bar kpi_requests"]
rows = ["420px"]
''')
    open_new_page(page, server.url + "/test-added", "test_channel_bar")
    assert_healthy(page)
    panel = page.locator("#panel-test_channel_bar")
    assert panel.locator(".panel-title").inner_text() == "各渠道诉求量"
    assert "kind-bar" in panel.get_attribute("class")
    assert page.locator("a.nav-link.active").inner_text() == "新增页"
    shown = page.evaluate("() => { const d = document.querySelector('#panel-test_channel_bar .js-plotly-plot').data[0];"
                          " return Object.fromEntries(d.x.map((c, i) => [c, d.y[i]])); }")
    live = (demo_store / "CURRENT").read_text().strip()
    daily = demo_store / "snapshots" / live / "rollups" / "requests_daily" / "*.parquet"
    expected = dict(duckdb.sql(f"select channel, sum(received)::double from read_parquet('{daily}') "
                               "where day >= date '2026-11-01' and day < date '2026-11-26' group by channel").fetchall())
    assert shown == expected
    save_screenshot(page, "test_added")


# -- 8. CSV -------------------------------------------------------------------------------------

def test_csv_download(server, page):
    open_page(page, server.url + "/requests")
    cats = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    with page.expect_download(timeout=30_000) as info:
        page.locator("#panel-category_bar .panel-csv").click()
    download = info.value
    assert download.suggested_filename == "category_bar_00001_2026-11-25.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "category,requests,previous"
    assert [line.split(",")[0] for line in lines[1:]] == cats
    assert page.problems == []


# -- 9. a failing panel -------------------------------------------------------------------------

BROKEN_PANEL = '''
title = { zh = "坏面板", en = "Broken panel" }
kind = "kpi"
sql = """
select sum(no_such_column) as value
from requests_daily_scoped
where day >= $period_start and day < $period_end
"""
[options]
value = "value"
'''


def test_failing_panel_shows_error_card(server, page, layouts_copy):
    write_atomic(layouts_copy / "panels" / "test_broken.toml", BROKEN_PANEL)
    write_atomic(layouts_copy / "test_broken_page.toml", '''
title = { zh = "坏页", en = "Broken page" }
path = "/test-broken"
order = 91
[page]
areas = ["test_broken category_bar"]
rows = ["360px"]
''')
    open_new_page(page, server.url + "/test-broken", "test_broken")
    error = page.locator("#panel-test_broken .panel-error").inner_text()
    assert error.startswith("面板暂时无法显示"), error
    assert "no_such_column" in error  # the reason is shown to the analyst ...
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and 'File "' not in body  # ... but never a stack trace
    assert page.locator("#panel-test_broken .panel-stamp").inner_text() == ""
    good = page.locator("#panel-category_bar")
    assert good.locator(".panel-error").inner_text() == ""
    assert good.locator(".panel-stamp").inner_text() == STAMP
    assert page.problems == []
    save_screenshot(page, "test_broken")

    # The page keeps working: a control still re-renders the healthy panel.
    choose(page, ".ctl-period", "2026-10")
    wait_param(page, "period", "2026-10")
    page.wait_for_function("() => document.querySelector('#panel-category_bar .panel-sql-meta')"
                           ".textContent.includes('$period_start=2026-10-01')")
    settle(page)
    assert page.locator("#panel-test_broken .panel-error").inner_text().startswith("面板暂时无法显示")
    assert good.locator(".panel-error").inner_text() == ""
    assert page.problems == []


# -- 10. street profile -------------------------------------------------------------------------

def test_street_profile_picker(server, page, regions):
    open_page(page, server.url + "/street")
    assert_healthy(page)
    first = page.locator(".ctl-street").inner_text()
    # A street of another city than the default one.
    default_county = next(c for c, r in regions.items() if r["level"] == "county"
                          and first.startswith(r["name"] + " · "))
    street = sorted(c for c, r in regions.items() if r["level"] == "street"
                    and regions[r["parent_code"]]["parent_code"] != regions[default_county]["parent_code"])[40]
    county = regions[street]["parent_code"]
    label = f"{regions[county]['name']} · {regions[street]['name']}"
    choose(page, ".ctl-street", label, search=regions[street]["name"])
    wait_param(page, "street", street)
    assert params(page).get("region") == street
    page.wait_for_function("(s) => document.querySelector('#panel-kpi_requests .panel-sql-meta')"
                           ".textContent.includes('$region=' + s)", arg=street, timeout=30_000)
    settle(page)
    city = regions[county]["parent_code"]
    province = regions[city]["parent_code"]
    assert crumbs(page) == ([regions[c]["name"] for c in (province, city, county, street)], regions[street]["name"])
    assert page.locator(".ctl-street").inner_text() == label
    states = assert_healthy(page)
    # Every panel of the street page is limited to the chosen street.
    assert all(f"$region={street} " in s["meta"] for s in states), [s["meta"] for s in states]
    # The map shows the street among its siblings, outlined.
    wait_map(page, {c for c, r in regions.items() if r["parent_code"] == county}, selected=street)
    save_screenshot(page, "street_picked")
