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
