"""The light table kind (`light_table`): a server-rendered HTML table with the ranking table's options;
its own callback sorts, searches and pages on the server through the host, for real panels on the
demo store."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from callback_support import views  # noqa: F401 - fixture
from cockpit.visuals import light_table as lt
from cockpit.visuals.base import RenderContext, wall_problems
from cockpit.visuals.ranking_table import RankingTableOptions


def _tree(node) -> dict:
    return json.loads(json.dumps(node, default=lambda o: o.to_plotly_json()))


def _find(node, pred, found=None):
    found = [] if found is None else found
    if isinstance(node, dict):
        if pred(node):
            found.append(node)
        for v in node.values():
            _find(v, pred, found)
    elif isinstance(node, list):
        for v in node:
            _find(v, pred, found)
    return found


def _cells(tree, col: str) -> list:
    return [c["props"]["children"] for c in _find(tree, lambda n: n.get("type") == "Td"
                                                     and n.get("props", {}).get("data-col") == col)]


OPTIONS = RankingTableOptions.model_validate({
    "rows": 3, "overflow": "paginate",
    "columns": [{"field": "name", "label": {"zh": "名称", "en": "Name"}},
                {"field": "score", "format": {"d3": ".1f"}, "bar": True},
                {"field": "change", "change": True},
                {"field": "note", "highlight": [{"op": "!=", "value": "", "color": "#e15759", "bold": True}]}]})
FRAME = pd.DataFrame({"name": ["<b>甲</b>", "乙", "丙", "丁", "戊"], "score": [90.0, 45.0, None, 60.0, 30.0],
                      "change": [2, -1, 0, None, 3], "note": ["", "否决：x", "", "", ""]})


def test_a_page_of_rows_with_bars_changes_highlights_and_a_pager():
    tree = _tree(lt.render(FRAME, OPTIONS, RenderContext(panel_id="p")))
    assert _cells(tree, "name") == ["<b>甲</b>", "乙", "丙"]  # text stays text: Dash renders no markup
    assert not _find(tree, lambda n: "dangerouslySetInnerHTML" in n.get("props", {}))
    assert _cells(tree, "score") == ["90.0", "45.0", "—"]
    bars = [c["props"]["style"]["background"] for c in _find(tree, lambda n: n.get("props", {}).get("data-col")
                                                           == "score" and n["props"].get("style"))]
    assert bars[0].startswith("linear-gradient(90deg") and "100.0%" in bars[0] and "50.0%" in bars[1]
    changes = _find(tree, lambda n: n.get("props", {}).get("data-col") == "change")
    assert [c["props"]["children"] for c in changes] == ["▲2", "▼1", "–"]
    assert [c["props"].get("className") for c in changes][:2] == ["num cockpit-cell-good", "num cockpit-cell-bad"]
    vetoed = _find(tree, lambda n: n.get("props", {}).get("data-col") == "note" and n["props"].get("style"))
    assert [c["props"]["children"] for c in vetoed] == ["否决：x"]
    assert "第 1–3 条，共 5 条" in json.dumps(tree, ensure_ascii=False)
    english = json.dumps(_tree(lt.render(FRAME, OPTIONS, RenderContext(panel_id="p", lang="en"))), ensure_ascii=False)
    assert '"Name"' in english and "1–3 of 5" in english and "Next" in english


def test_sorting_searching_and_paging_as_views():
    ctx = RenderContext(panel_id="p")
    by_score = _tree(lt.table(FRAME, OPTIONS, ctx, lt.View(sort="score", desc=True)))
    assert _cells(by_score, "name") == ["<b>甲</b>", "丁", "乙"]
    second = _tree(lt.table(FRAME, OPTIONS, ctx, lt.View(sort="score", desc=True, page=1)))
    assert _cells(second, "name") == ["戊", "丙"]  # no score sorts last
    found = _tree(lt.table(FRAME, OPTIONS, ctx, lt.View(search="否决")))
    assert _cells(found, "name") == ["乙"]
    assert lt.View.parse({"sort": 1, "page": "x", "search": None}) == lt.View()  # the client's store re-parsed


class _Host:
    """The host the web layer gives a kind, for one real panel of the demo store."""

    def __init__(self, views):
        self.views, self.db = views, views.db

    def __getattr__(self, name):
        return getattr(self.views, name)


def test_the_callback_sorts_pages_and_searches_a_real_panel(views):
    host = _Host(views)
    asked = lt.Asked(view=None, search="", pathname="/", pins=[])
    sort = {"type": "ltable-sort", "panel": "ranking_streets", "col": "score"}
    out, view = lt.asked(host, asked, sort, 1)
    assert view["sort"] == "score" and view["desc"] is True  # numbers: largest first
    scores = [float(s) for s in _cells(_tree(out), "score")]
    assert scores == sorted(scores, reverse=True)
    out, view = lt.asked(host, asked._replace(view=view), sort, 2)
    assert view["desc"] is False
    scores = [float(s) for s in _cells(_tree(out), "score")]
    assert scores == sorted(scores)
    street = _cells(_tree(out), "street")[0]
    out, view = lt.asked(host, asked._replace(view=view), {"type": "ltable-search", "panel": "ranking_streets",
                                                            "i": 0}, street)
    assert street in _cells(_tree(out), "street") and view["search"] == street
    for forged in ({"type": "ltable-sort", "panel": "kpi_requests", "col": "value"},  # not a light table
                   {"type": "ltable-sort", "panel": "../x", "col": "score"}, "junk"):
        with pytest.raises(PreventUpdate):
            lt.asked(host, asked, forged, 1)
    with pytest.raises(PreventUpdate):  # a button mounted, never clicked
        lt.asked(host, asked, sort, 0)


def test_the_wall_variant_is_plain_html(views):
    panel = views.panel("ranking_streets")
    out = views.render(panel, views.resolve("", "/"), wall=True).value
    assert wall_problems(out) == []
