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
