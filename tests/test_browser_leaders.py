"""Leaders' feedback in real Chromium: an unpublished snapshot in a link is said in the sub bar
(the live data shown), the drill-down hint only on pages that drill down, the report page's note
says plainly when the period has no data, and the what-if sliders."""

from __future__ import annotations

import pytest

from browser_support import PAGES, assert_healthy, open_page, params, settle

pytestmark = pytest.mark.browser

MISSING = "00099_2020-01-01"


def test_an_unpublished_snapshot_is_said_in_the_sub_bar(server, page):
    open_page(page, server.url + f"/?snap={MISSING}")
    notice = page.locator(".subbar .snap-missing")
    assert notice.inner_text() == f"快照 {MISSING} 不存在，显示的是最新数据"
    states = assert_healthy(page)  # the live data, every panel
    assert all(s["meta"].startswith("快照 00001_2026-11-25") for s in states)
    assert params(page).get("snap") == MISSING  # the link stays as sent, and so does the notice
    page.locator(".lang-btn").click()
    page.wait_for_function("() => (document.querySelector('.snap-missing') || {}).textContent"
                           f" === 'Snapshot {MISSING} does not exist; showing the live data'")
    open_page(page, server.url + "/")
    assert page.locator(".snap-missing").count() == 0


def test_the_drill_down_hint_only_where_a_map_drills_down(server, page):
    for page_id, spec in PAGES.items():
        open_page(page, server.url + spec["path"])
        has_hint = page.locator(".subbar .crumb-hint").count() == 1
        assert has_hint == (page.locator(".kind-choropleth").count() > 0), page_id


def test_the_report_note_says_the_period_has_no_data(server, page):
    open_page(page, server.url + "/reports?period=2025-01")
    note = page.locator("#panel-rb_note .panel-body")
    assert "本统计期暂无报表填报数据" in note.inner_text()
    assert "个部门本月共填报" not in note.inner_text()
    open_page(page, server.url + "/reports")
    assert "个部门本月共填报" in page.locator("#panel-rb_note .panel-body").inner_text()


SLIDER = "#panel-whatif_weights [role='slider']"
TOTAL = "#panel-whatif_weights .whatif-total"


def test_whatif_sliders_on_the_weights_scale_with_total_reset_and_url(server, page):
    open_page(page, server.url + "/rankings")
    assert_healthy(page)
    first = page.locator(SLIDER).first
    top, now = float(first.get_attribute("aria-valuemax")), float(first.get_attribute("aria-valuenow"))
    published = [float(s.get_attribute("aria-valuenow")) for s in page.locator(SLIDER).all()]
    assert 0 < max(published) < top <= 1, (top, published)  # weights of 0.05–0.2, not a 0–5 scale
    before = page.locator(TOTAL).inner_text()
    assert before.startswith(f"权重合计 {sum(published):.2f}"), before
    table = page.locator("#panel-whatif_weights .whatif-out").inner_text()
    # One step right: the URL keeps the scenario, the total follows, the table re-ranks.
    first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('w') !== null")
    settle(page)
    code, value = params(page)["w"].split(":")
    assert float(value) == round(now + 0.01, 2) and "," not in params(page)["w"]
    assert page.locator(TOTAL).inner_text().startswith(f"权重合计 {sum(published) + 0.01:.2f}")
    assert page.locator(SLIDER).first.get_attribute("aria-valuenow") == value
    # The link shows the scenario again.
    scenario_url = page.url
    open_page(page, scenario_url)
    assert page.locator(SLIDER).first.get_attribute("aria-valuenow") == value
    assert page.locator(TOTAL).inner_text().startswith(f"权重合计 {sum(published) + 0.01:.2f}")
    assert_healthy(page)
    # Reset: the published weights, and no scenario in the URL.
    page.locator("#panel-whatif_weights .whatif-reset").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('w') === null")
    settle(page)
    assert [float(s.get_attribute("aria-valuenow")) for s in page.locator(SLIDER).all()] == published
    assert page.locator(TOTAL).inner_text() == before
    assert page.locator("#panel-whatif_weights .whatif-out").inner_text() == table
