"""Ranking tables in real Chromium: the in-cell bars and highlights the options declare are applied
(dash-ag-grid parses the style expressions; an unparsable one fails silently, with a console line),
and the light tables (kind `table`) draw the same bars without loading AG Grid at all."""

from __future__ import annotations

import pytest

from browser_support import open_page, settle

pytestmark = pytest.mark.browser


def test_in_cell_bars_are_drawn(page, server):
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text))
    open_page(page, server.url + "/rankings")
    settle(page)
    # AG Grid draws its rows after the panel's answer: wait for them before reading their style
    page.wait_for_selector('#panel-ranking_full .ag-cell[col-id="score"]', timeout=30_000)
    backgrounds = page.eval_on_selector_all('#panel-ranking_full .ag-cell[col-id="score"]',
                                            "els => els.map(e => getComputedStyle(e).backgroundImage)")
    assert backgrounds and all("linear-gradient" in b for b in backgrounds), backgrounds[:3]
    assert not [line for line in logs if "Unexpected token" in line]


def test_a_light_table_sorts_searches_and_keeps_its_header_without_ag_grid(page, server):
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if "dash_ag_grid" in r.url else None)
    open_page(page, server.url + "/")
    panel = page.locator("#panel-ranking_streets")
    cells = '#panel-ranking_streets td[data-col="score"]'
    backgrounds = page.eval_on_selector_all(cells, "els => els.map(e => getComputedStyle(e).backgroundImage)")
    assert backgrounds and all("linear-gradient" in b for b in backgrounds), backgrounds[:3]
    assert not scripts, scripts  # the overview has no grid: AG Grid's script is not loaded
    # A click on a header sorts by it (numbers: largest first), a second click the other way.
    header = panel.locator("""th button[id*='"col":"score",']""")
    header.click()
    page.wait_for_function("() => document.querySelector('#panel-ranking_streets th[aria-sort=descending]')")
    scores = [float(s) for s in panel.locator('td[data-col="score"]').all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    header.click()
    page.wait_for_function("() => document.querySelector('#panel-ranking_streets th[aria-sort=ascending]')")
    scores = [float(s) for s in panel.locator('td[data-col="score"]').all_inner_texts()]
    assert scores == sorted(scores)
    # The header stays in view when the rows scroll.
    top = panel.locator("thead").bounding_box()["y"]
    panel.locator(".cockpit-ltable__scroll").evaluate("(e) => { e.scrollTop = 120; }")
    assert abs(panel.locator("thead").bounding_box()["y"] - top) < 1
    # The search narrows the rows to those that contain it.
    street = panel.locator('td[data-col="street"]').first.inner_text()
    panel.locator("input[type=search]").fill(street)
    page.wait_for_function("(s) => { const c = [...document.querySelectorAll('#panel-ranking_streets "
                           "td[data-col=street]')]; return c.length > 0 && c.every(e => e.textContent.includes(s)); }",
                           arg=street)
    # A page with grids loads AG Grid when its first grid arrives, also after a link.
    page.locator(".nav-link", has_text="街道考核").click()
    page.wait_for_selector("#panel-ranking_full .ag-row", timeout=30_000)
    assert scripts, "AG Grid's script was not loaded for the page with grids"
    assert page.problems == [], page.problems
