"""Ranking tables in real Chromium: the in-cell bars and highlights the options declare are applied
(dash-ag-grid parses the style expressions; an unparsable one fails silently, with a console line)."""

from __future__ import annotations

import pytest

from browser_support import open_page, settle

pytestmark = pytest.mark.browser


def test_in_cell_bars_are_drawn(page, server):
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text))
    open_page(page, server.url + "/")
    settle(page)
    # AG Grid draws its rows after the panel's answer: wait for them before reading their style
    page.wait_for_selector('#panel-ranking_streets .ag-cell[col-id="score"]', timeout=30_000)
    backgrounds = page.eval_on_selector_all('#panel-ranking_streets .ag-cell[col-id="score"]',
                                            "els => els.map(e => getComputedStyle(e).backgroundImage)")
    assert backgrounds and all("linear-gradient" in b for b in backgrounds), backgrounds[:3]
    assert not [line for line in logs if "Unexpected token" in line]
