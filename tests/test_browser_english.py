"""English in real Chromium: every page with lang=en shows no Chinese text anywhere the viewer
reads (bars, panels, tables, pagers, tickers, maps' hover labels aside), data without English names
in pinyin; the Chinese UI shows AG Grid's pager and the dropdowns' search in Chinese."""

from __future__ import annotations

import re

import pytest

from browser_support import PAGES, assert_healthy, open_page, save_screenshot

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")

# Text the viewer reads: every element's own text nodes and the SVG text of figures, plus tooltips
# and placeholders; the demo badge's note and the figures' hidden parts aside.
VISIBLE_TEXT_JS = """
() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('.app'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    // the language button names the other language, in it
    if (el.closest('.panel-sql, script, style, [aria-hidden="true"], .hoverlayer, .lang-btn')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('.app [placeholder]')) out.push(el.getAttribute('placeholder'));
  return out;
}
"""


def test_every_page_in_english_has_no_chinese_text(server, page):
    found = {}
    for page_id, spec in PAGES.items():
        open_page(page, server.url + spec["path"] + "?lang=en")
        assert_healthy(page, stamp="As of 2026-11-25", content=False)
        chinese = sorted({t for t in page.evaluate(VISIBLE_TEXT_JS) if CJK.search(t)})
        if chinese:
            found[page_id] = chinese[:40]
    assert found == {}, found


def test_the_chinese_ui_has_chinese_pager_and_dropdown_search(server, page):
    open_page(page, server.url + "/street")
    page.wait_for_selector("#panel-street_apps .ag-paging-row-summary-panel", timeout=30_000)
    summary = page.locator("#panel-street_apps .ag-paging-row-summary-panel").inner_text()
    assert not re.search(r"\b(to|of)\b", summary), summary
    page.locator(".ctl-street").click()
    search = page.locator(".dash-dropdown-content input.dash-dropdown-search")
    assert search.get_attribute("placeholder") == "搜索"


CUT_JS = """
(panel) => [...document.querySelectorAll(`#panel-${panel} .ag-header-cell-text, #panel-${panel} [col-id=street] .ag-cell-value, #panel-${panel} [col-id=county] .ag-cell-value`)]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)
"""


def test_english_names_and_headers_are_not_cut(server, page):
    # street and county names and every header whole (long free text, e.g. a veto reason in
    # pinyin, is capped: an ellipsis and the whole text on hover)
    open_page(page, server.url + "/rankings?lang=en")
    # AG Grid (its script loaded with the page's first grid) draws its rows after the panel's answer
    for panel in ("ranking_full", "veto_list"):
        page.wait_for_selector(f"#panel-{panel} .ag-cell-value", timeout=30_000)
    for panel in ("ranking_full", "veto_list"):
        assert page.evaluate(CUT_JS, panel) == [], panel
    assert page.locator("#panel-ranking_full .ag-cell-value").first.is_visible()
    save_screenshot(page, "rankings_english")
