"""Interactions in real Chromium: the selected bar stands out, panels that do not follow a filter
say so, Sankey nodes filter the page, tables keep their header and can be searched, the map's
hover label goes away when it drills down."""

from __future__ import annotations

import pytest

from browser_support import assert_healthy, open_page, panel_states, params, settle, wait_param, save_screenshot

pytestmark = pytest.mark.browser


def test_selected_bar_and_panels_that_do_not_follow(server, page):
    open_page(page, server.url + "/requests")
    cats = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    category = cats[1]
    page.locator("#panel-category_bar .barlayer .trace").first.locator(".point path").nth(1).click(force=True)
    wait_param(page, "f_category", category)
    settle(page)
    states = assert_healthy(page)
    opacities = page.evaluate("""() => [...document.querySelectorAll('#panel-category_bar .barlayer .trace')][0]
        .querySelectorAll('.point path').length && [...[...document.querySelectorAll(
        '#panel-category_bar .barlayer .trace')][0].querySelectorAll('.point path')].map(p => +getComputedStyle(p).opacity)""")
    assert opacities[1] == 1 and all(o < 0.5 for i, o in enumerate(opacities) if i != 1), opacities
    notes = {s["id"]: s["unfiltered"] for s in states if s["unfiltered"]}
    assert "panel-early_warning" not in notes  # it follows the category filter now
    assert all(n == "· 不随类别筛选" for n in notes.values()), notes
    save_screenshot(page, "cross_filter_selected")


def test_a_sankey_node_filters_the_page(server, page):
    open_page(page, server.url + "/requests")
    labels = page.evaluate("() => document.querySelector('#panel-sankey_requests .js-plotly-plot').data[0].node.label")
    positions = page.evaluate(
        "() => document.querySelector('#panel-sankey_requests .js-plotly-plot').data[0].node.customdata")
    channel = labels[positions.index(0)]
    node = page.locator("#panel-sankey_requests .sankey-node", has_text=channel).first
    node.locator("rect").click(force=True)
    wait_param(page, "f_channel", channel)
    settle(page)
    assert page.locator(".chips .chip").inner_text().startswith("渠道")
    assert_healthy(page, content=False)
    # English: the node shows an English name; its click still filters by the data value.
    open_page(page, server.url + "/requests?lang=en")
    labels = page.evaluate("() => document.querySelector('#panel-sankey_requests .js-plotly-plot').data[0].node.label")
    positions = page.evaluate(
        "() => document.querySelector('#panel-sankey_requests .js-plotly-plot').data[0].node.customdata")
    level = labels[positions.index(1)]
    page.locator("#panel-sankey_requests .sankey-node", has_text=level).first.locator("rect").click(force=True)
    page.wait_for_function("() => new URLSearchParams(location.search).get('f_handling_level') !== null")
    settle(page)
    assert params(page)["f_handling_level"] in {"street", "county", "city", "province"}


HOVER_JS = "() => document.querySelectorAll('#panel-map_requests .hoverlayer .hovertext').length"


def test_the_hover_label_goes_when_the_map_drills_down(server, page):
    from browser_support import REGION_POINT_JS, wait_map

    open_page(page, server.url + "/")
    # the geometry is a file plotly fetches after the figure arrives: wait until the region is drawn
    x, y = page.wait_for_function(REGION_POINT_JS, arg=["map_requests", "330100"], timeout=30_000).json_value()
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)
    page.wait_for_function(HOVER_JS.replace("length", "length > 0"))
    page.mouse.click(x, y)
    wait_param(page, "region", "330100")
    page.wait_for_function("""() => { const gd = document.querySelector('#panel-map_requests .js-plotly-plot');
        return gd.data[1].locations.every(c => c.startsWith('3301')); }""")
    settle(page)
    assert page.evaluate(HOVER_JS) == 0


def test_long_tables_keep_header_and_pager_in_view_and_can_be_searched(server, page):
    open_page(page, server.url + "/street")
    panel = page.locator("#panel-street_apps")
    rows = panel.locator(".ag-center-cols-container .ag-row")
    rows.nth(3).wait_for()  # AG Grid draws its rows just after the panel's body arrives
    pager = panel.locator(".ag-paging-panel")
    box, card = pager.bounding_box(), panel.bounding_box()
    assert pager.is_visible() and box["y"] + box["height"] <= card["y"] + card["height"] + 0.5, (box, card)
    summary = panel.locator(".ag-paging-row-summary-panel").inner_text()
    assert " 至 " in summary and " / " in summary and "to" not in summary, summary
    # Scrolling the rows keeps the header where it is.
    header = panel.locator(".ag-header").bounding_box()
    panel.locator(".ag-body-viewport").evaluate("(e) => { e.scrollTop = 200; }")
    page.wait_for_timeout(200)
    assert panel.locator(".ag-header").bounding_box() == header
    assert panel.locator(".ag-header").is_visible()
    # Searching narrows the rows to the matching ones.
    first = panel.locator(".ag-center-cols-container .ag-row[row-index='0'] [col-id='app']").inner_text()
    total = int(summary.split("/")[-1].strip().replace(",", ""))
    panel.locator(".cockpit-table__search input").fill(first)
    page.wait_for_function("([p, t]) => { const s = document.querySelector(`#panel-${p} .ag-paging-row-summary-panel`);"
                           " return s && +s.textContent.split('/').pop().trim().replace(/,/g, '') < t; }",
                           arg=["street_apps", total])
    shown = panel.locator(".ag-center-cols-container .ag-row [col-id='app']").all_inner_texts()
    assert shown and all(first in s for s in shown), shown
    # English: the pager in English.
    open_page(page, server.url + "/street?lang=en")
    summary = page.locator("#panel-street_apps .ag-paging-row-summary-panel").inner_text()
    assert " to " in summary and " of " in summary, summary
    assert page.locator("#panel-street_apps .cockpit-table__search input").get_attribute("placeholder") == \
        "Search the table…"
