"""Nothing leaves the site: no chart control uploads to Plotly Cloud, no link to a foreign host on
any page; CSV downloads cannot run formulas in a spreadsheet."""

from __future__ import annotations

import pandas as pd
import pytest

from browser_support import PAGES, open_page, settle
from cockpit.web.callbacks import csv_text


def test_csv_cells_that_look_like_formulas_are_neutralised():
    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "普通", None],
                       "n": [1, -2, 3, 4, 5, 6, 7]})
    text = csv_text(df)
    lines = text.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") or lines[1].startswith("'=HYPERLINK")
    assert lines[2] == "'+1,-2" and lines[3] == "'-2,3" and lines[4] == "'@SUM(A1),4"
    assert lines[6] == "普通,6", "ordinary text and negative numbers are unchanged"
    assert df["name"][0].startswith("="), "the cached frame itself is not changed"


@pytest.mark.browser
@pytest.mark.parametrize("page_id", sorted(PAGES))
def test_no_control_sends_anything_off_site(page, server, page_id):
    open_page(page, server.url + PAGES[page_id]["path"])
    settle(page)
    graphs = page.locator(".js-plotly-plot")
    for i in range(min(graphs.count(), 3)):
        graphs.nth(i).hover()
    titles = page.eval_on_selector_all(".modebar-btn", "els => els.map(e => e.getAttribute('data-title') || '')")
    assert not [t for t in titles if "cloud" in t.lower() or "share" in t.lower() or "studio" in t.lower()]
    if graphs.count():
        assert any("png" in t.lower() for t in titles), f"PNG export is kept: {titles}"
    foreign = page.eval_on_selector_all(
        "a[href], form[action]", f"""els => els.map(e => e.href || e.action)
            .filter(u => u && !u.startsWith({server.url!r}) && !u.startsWith('blob:') && !u.startsWith('data:'))""")
    assert foreign == []
