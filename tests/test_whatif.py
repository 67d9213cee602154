"""What-if weights: the web layer binds the weights into the documented scoring method correctly
(the method itself is checked against hand-worked figures in test_analytics_scores.py) and
persists nothing."""

from __future__ import annotations

from datetime import date

import pytest

from cockpit.analytics import connect_snapshot, live_snapshot_dir
from cockpit.analytics.scores import street_scores
from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.visuals.whatif import whatif_table


@pytest.fixture()
def res(demo_store, use_store):
    use_store(demo_store)
    return resolve(FilterState(region="330100"), Database(demo_store), None)


def _rows(table):
    from test_visuals_components import grid

    return grid(table).rowData


def _grid_json(node):
    """The AG Grid in a component's JSON (the table wraps it with its search box)."""
    if isinstance(node, dict):
        if node.get("type") == "AgGrid":
            return node
        node = node.get("props", {}).get("children")
    for child in node if isinstance(node, list) else [node] if isinstance(node, dict) else []:
        found = _grid_json(child)
        if found is not None:
            return found
    return None


def test_published_weights_change_nothing(res):
    rows = _rows(whatif_table(res, {}, 20, "zh"))
    assert len(rows) == 20
    assert all(r["shift"] == 0 for r in rows)
    assert [r["rank_all"] for r in rows] == list(range(1, 21))


def test_changed_weights_reach_the_scoring_method(res, demo_store):
    con = connect_snapshot(live_snapshot_dir(demo_store))
    indicators = con.execute("select indicator from indicators order by indicator").fetchall()
    first = indicators[0][0]
    weights = {first: 5.0}
    expected = street_scores(con, date(2026, 11, 1), "330100", weights).sort_values("rank_all").head(15)
    published = street_scores(con, date(2026, 11, 1), "330100", None)
    rows = _rows(whatif_table(res, {**weights, "no_such_indicator": 1.0}, 15, "zh"))
    assert [r["name"] for r in rows] == expected.name.tolist()  # street names are unique in the demo
    assert [round(r["score"], 6) for r in rows] == [round(s, 6) for s in expected.score]
    before = dict(zip(published.street_code, published.rank_all))
    assert [r["shift"] for r in rows] == [before[c] - r for c, r in zip(expected.street_code, expected.rank_all)]
    assert any(r["shift"] != 0 for r in rows), "a fivefold weight should move some street"
    # Nothing persisted: the published ranking is unchanged afterwards.
    again = street_scores(con, date(2026, 11, 1), "330100", None)
    assert again.score.tolist() == published.score.tolist()


@pytest.fixture()
def views(demo_store, use_store):
    from cockpit.settings import get_settings
    from cockpit.web.catalog import CatalogHolder
    from cockpit.web.views import Views

    use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())


def _slider(ind: str) -> dict:
    return {"type": "whatif-w", "panel": "whatif_weights", "ind": ind}


def test_the_sliders_callback_is_a_plain_function_of_the_host(views, demo_store):
    from cockpit.visuals.whatif import Weights, reranked

    con = connect_snapshot(live_snapshot_dir(demo_store))
    first = con.execute("select indicator from indicators order by indicator").fetchone()[0]
    inp = Weights(values=[5.0, 99.0, "x"], ids=[_slider(first), _slider("other"), _slider("third")],
                  search="?region=330100", pathname="/rankings", pins=[])
    rows = _rows(reranked(views, inp))
    expected = street_scores(con, date(2026, 11, 1), "330100", {first: 5.0}).sort_values("rank_all")
    assert len(rows) == 12  # the panel's `rows`
    assert [r["name"] for r in rows] == expected.name.head(12).tolist()  # out-of-range weights ignored
    broken = reranked(views, inp._replace(search="?region=330100&snap=99999_2030-01-01", pins="x"))
    assert _rows(broken) == _rows(reranked(views, inp._replace(pins="x")))  # a forged pin falls back to live


def test_the_sliders_callback_through_the_dispatcher(views, demo_store):
    from cockpit.visuals.whatif import TABLE, WEIGHTS
    from cockpit.web import wire
    from cockpit.web.app import create_app

    client = create_app(views.settings, views.db).server.test_client()
    values = {"values": [(_slider("no_such"), 1.0)], "ids": [(_slider("no_such"), _slider("no_such"))],
              "search": "?region=330100", "pathname": "/rankings", "pins": []}
    resp = wire.post(client, wire.request_body(TABLE, WEIGHTS, values, match={"panel": "whatif_weights"},
                                               changed=["values"]))
    assert resp.status_code == 200, resp.data[:300]
    grid = wire.response_value(resp.get_json(), {"type": "whatif-out", "panel": "whatif_weights"}, "children")
    rows = _grid_json(grid)["props"]["rowData"]
    assert len(rows) == 12 and all(r["shift"] == 0 for r in rows)  # unknown indicators change nothing
