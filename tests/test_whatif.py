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
from cockpit.web.views import whatif_table


@pytest.fixture()
def res(demo_store, use_store):
    use_store(demo_store)
    return resolve(FilterState(region="330100"), Database(demo_store), None)


def _rows(grid):
    return grid.rowData


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
