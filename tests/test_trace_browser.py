"""Traceability in real Chromium on the store with planted data-quality problems: from a headline
figure to its cases and back, a clicked bar's cases, the lineage link with its flag badge, and the
data-quality page (screenshots at 1920×1080 and on a phone)."""

from __future__ import annotations

import re

import pytest

from browser_support import open_page, settle
from conftest import ROOT, Server, save_screenshot
from quality_support import PLANTED
from test_cases import PERIOD, figure
from trace_support import planted  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def trace_server(planted, tmp_path_factory):
    work = tmp_path_factory.mktemp("trace-server")
    srv = Server(planted, ROOT / "layouts", work / "cache", work / "gunicorn.log", threads=4)
    yield srv
    srv.stop()


def _count(pg) -> int:
    pg.wait_for_selector("#case-count")
    return int(pg.locator("#case-count").get_attribute("data-count"))


def test_kpi_to_cases_and_back(trace_server, planted, page):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    value = int(figure(planted, "kpi_requests")["value"].iloc[0])
    page.locator("#panel-kpi_requests .panel-content").click()
    page.wait_for_url(re.compile(r"/cases/kpi_requests\?"))
    assert _count(page) == value
    assert "page=%2F" in page.url  # the page state rides along (the default period is not in URLs)
    save_screenshot(page, "trace_cases_kpi")
    page.locator("#back").click()
    page.wait_for_url(re.compile(rf"{re.escape(trace_server.url)}/\?"))
    settle(page)
    assert page.problems == [], page.problems


def test_clicked_bar_then_cases(trace_server, planted, page):
    open_page(page, f"{trace_server.url}/requests?period={PERIOD}")
    cats = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    df = figure(planted, "category_bar")
    counts = dict(zip(df["category"], df["requests"]))
    category = "噪音扰民"
    index = cats.index(category)
    page.locator("#panel-category_bar .barlayer .trace").first.locator(".point path").nth(index).click(force=True)
    page.wait_for_function("() => !!document.querySelector('#panel-category_bar').dataset.tracePoint")
    settle(page)
    page.locator("#panel-category_bar a.panel-cases").click()
    page.wait_for_url(re.compile(r"/cases/category_bar\?"))
    assert _count(page) == counts[category] == 3
    cells = page.locator("#cases tbody tr td:nth-child(4)").all_inner_texts()
    assert set(cells) == {category}
    # Search, then export keeps the filters of the list.
    page.fill("input[name=q]", "Q703")
    page.locator("form.search button").click()
    page.wait_for_url(re.compile(r"q=Q703"))
    assert _count(page) == 1
    with page.expect_download() as dl:
        page.locator("#export").click()
    text = open(dl.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert len(text) == 2 and text[1].startswith("Q703")
    # A download is an aborted navigation to Chromium, which the page fixture does not count.
    assert page.problems == [], page.problems


def test_lineage_badge_and_quality_page(trace_server, page):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    requests_flags = sum(len(ids) for flag, regions in PLANTED.items()
                         for ids in regions.values() if flag not in ("street_without_metrics", "street_metrics_incomplete",
                                                                     "item_without_owner", "app_without_items"))
    page.wait_for_function("() => !!document.querySelector('#panel-kpi_requests a.panel-lineage[data-flags]')")
    badge = page.locator("#panel-kpi_requests a.panel-lineage").get_attribute("data-flags")
    assert int(badge) == requests_flags
    save_screenshot(page, "trace_overview_badges")
    page.locator("#panel-map_requests a.panel-lineage").click()
    page.wait_for_url(re.compile(r"/lineage/map_requests\?"))
    text = page.locator("#lineage").inner_text()
    assert "00002_2026-11-25" in text and "planted" in text  # snapshot id and its source drop
    flagged = page.locator("#quality tr[data-flag]")
    assert flagged.count() == 9  # every requests flag planted
    assert page.locator("#sql").count() == 1  # logins off: the demo viewer is an admin, sees SQL
    save_screenshot(page, "trace_lineage")
    page.locator("#all-flags").click()
    page.wait_for_url(re.compile(r"/quality\?"))
    rows = page.locator("#quality-flags tbody tr")
    counts = {r.get_attribute("data-flag"): int(r.locator("td").nth(3).inner_text().replace(",", ""))
              for r in rows.all()}
    assert counts == {flag: sum(len(v) for v in regions.values()) for flag, regions in PLANTED.items()}
    save_screenshot(page, "trace_quality")
    assert page.problems == [], page.problems


def test_phone_cases_and_english(trace_server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    pg = ctx.new_page()
    try:
        pg.goto(f"{trace_server.url}/cases/kpi_overdue_open?period={PERIOD}&lang=en&page=/")
        assert pg.locator("h1").inner_text().startswith("Overdue, still open · Cases")
        assert pg.locator("#cases th").first.inner_text().startswith("Request")
        # The page fits the phone: only the table scrolls sideways, inside its own box.
        width = pg.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390
        save_screenshot(pg, "trace_cases_phone")
        pg.goto(f"{trace_server.url}/quality?lang=en&region=330100")
        assert "Data quality" in pg.locator("h1").inner_text()
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
        save_screenshot(pg, "trace_quality_phone")
    finally:
        ctx.close()


def test_a_ranking_row_opens_that_streets_indicator_points(trace_server, planted, page):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    ranked = figure(planted, "ranking_streets")
    street, score = ranked["street"].iloc[1], float(ranked["score"].iloc[1])
    page.locator("#panel-ranking_streets .cockpit-ltable tbody tr", has_text=street).locator('[data-col="street"]').first.click()
    page.wait_for_url(re.compile(r"/cases/ranking_streets\?"))
    rows = page.locator("#cases tbody tr")
    assert _count(page) == rows.count() >= 1
    assert set(page.locator("#cases tbody tr td:nth-child(1)").all_inner_texts()) == {street}
    total = float(page.locator("#case-total").get_attribute("data-total"))
    assert abs(total - score) <= 0.051  # the points add up to the score shown
    save_screenshot(page, "trace_ranking_row_cases")
    page.locator("#back").click()
    page.wait_for_url(re.compile(rf"{re.escape(trace_server.url)}/\?"))
    settle(page)
    assert page.problems == [], page.problems


def test_a_stacked_segment_opens_that_runway_and_stage(trace_server, planted, page):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    df = figure(planted, "ledger_runway_stage")
    # The first trace is the first stage; its first bar is the first runway having it.
    traces = page.evaluate("() => document.querySelector('#panel-ledger_runway_stage .js-plotly-plot').data"
                           ".map(t => ({name: t.name, y: t.y, x: t.x}))")
    first = traces[0]
    page.locator("#panel-ledger_runway_stage .barlayer .trace").first.locator(".point path").first.click(force=True)
    page.wait_for_function("() => !!document.querySelector('#panel-ledger_runway_stage').dataset.tracePoint")
    settle(page)
    page.locator("#panel-ledger_runway_stage a.panel-cases").click()
    page.wait_for_url(re.compile(r"/cases/ledger_runway_stage\?"))
    stage_rows = df[df["runway"] == first["y"][0]]
    assert len(first["y"]) >= 1 and _count(page) == int(first["x"][0]) <= int(stage_rows["apps"].sum())
    assert page.locator(".chips span").count() >= 2  # the runway and the stage clicked


def test_quality_from_the_navigation_in_both_languages(trace_server, page):
    open_page(page, f"{trace_server.url}/requests?period={PERIOD}")
    link = page.locator("header.topbar nav a.quality-link")
    assert link.inner_text() == "数据质量"
    page.locator("button.lang-btn").first.click()
    page.wait_for_function("() => document.querySelector('header.topbar nav a.quality-link').innerText === 'Data quality'")
    settle(page)  # the page's own update in English first
    assert page.problems == [], page.problems
    link.click()
    page.wait_for_url(re.compile(r"/quality\?.*lang=en"))
    name = "missing_coordinates"
    page.locator(f'#quality-flags tr[data-flag="{name}"] a.flag-cases').click()
    page.wait_for_url(re.compile(rf"/cases/quality-{name}\?"))
    assert _count(page) == sum(len(v) for v in PLANTED[name].values())
    assert page.locator("#cases th").first.inner_text().startswith("Request")
    save_screenshot(page, "trace_quality_flag_cases")
    page.locator("#back").click()
    page.wait_for_url(re.compile(r"/quality\?"))
    page.locator("#quality-children a").first.click()  # drill to a sub-region
    page.wait_for_url(re.compile(r"/quality\?.*region=33"))
    assert page.locator("#quality-flags tbody tr").count() >= 10
    # Leaving the cockpit page aborts what was in flight; the page fixture does not count that.
    assert page.problems == [], page.problems


def test_street_profile_officials_and_their_cases(trace_server, planted, page):
    from quality_support import S1

    open_page(page, f"{trace_server.url}/street?period={PERIOD}&street={S1}")
    grid = page.locator("#panel-street_officials")
    grid.locator(".ag-row").first.wait_for()
    roles = grid.locator('.ag-row [col-id="department"]').all_inner_texts()
    rates = grid.locator('.ag-row [col-id="on_time_rate"]').all_inner_texts()
    assert any(r.strip() for r in roles) and any(r.strip() for r in rates)  # departments with on-time rates
    df = figure(planted, "street_officials", street=S1)
    dept = next(d for d in df["department"] if d)
    n = int(df[df["department"] == dept]["requests"].iloc[0])
    grid.locator(".ag-row", has_text=dept).locator('[col-id="department"]').first.click()
    page.wait_for_url(re.compile(r"/cases/street_officials\?"))
    assert _count(page) == n
    assert set(page.locator("#cases tbody tr td:nth-child(12)").all_inner_texts()) == {dept}
    save_screenshot(page, "trace_officials_cases")


def test_briefing_link_downloads_the_pdf(trace_server, page):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    with page.expect_download(timeout=180_000) as dl:
        page.locator("a.brief-link").click()
    data = open(dl.value.path(), "rb").read()
    assert data.startswith(b"%PDF")


def test_a_rate_opens_its_denominator_with_the_numerator_marked(trace_server, planted, page, browser):
    open_page(page, f"{trace_server.url}/?period={PERIOD}")
    df = figure(planted, "kpi_closure")
    page.locator("#panel-kpi_closure .panel-content").click()
    page.wait_for_url(re.compile(r"/cases/kpi_closure\?"))
    total = _count(page)
    counted = int(page.locator("#case-counted").get_attribute("data-count"))
    assert abs(counted / total - float(df["value"].iloc[0])) < 1e-9
    assert page.locator("#cases th").last.inner_text().startswith("已办结")
    save_screenshot(page, "trace_rate_cases")
    page.locator("#side-compare").click()
    page.wait_for_url(re.compile(r"side=compare"))
    before = _count(page)
    counted = int(page.locator("#case-counted").get_attribute("data-count"))
    assert before > 0 and abs(counted / before - float(df["previous"].iloc[0])) < 1e-9  # like for like
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = ctx.new_page()
        phone.goto(page.url)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        save_screenshot(phone, "trace_rate_cases_phone")
    finally:
        ctx.close()
