"""What-if scale, total, reset and the scenario in the URL (`w=ind1:0.2,ind2:0.1`): parsed
leniently, checked on the server (known indicators, bounded values)."""

from __future__ import annotations

import pytest
from dash import no_update

from cockpit.db import Database
from cockpit.filters import FilterState, parse_query
from cockpit.settings import get_settings
from cockpit.visuals.whatif import (MAX_WEIGHT, Reset, Scenario, published_weights, reset, scenario,
                                    slider_scale)
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views

PID = "whatif_weights"


@pytest.fixture()
def views(demo_store, use_store):
    use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())


@pytest.fixture()
def published(views) -> dict[str, float]:
    panel = views.panel(PID)
    df, _ = views.data(panel, views.resolve("", "/rankings"))
    return published_weights(df, panel.options)


def _sliders(views, search: str = "") -> list[dict]:
    body = views.render(views.panel(PID), views.resolve(search, "/rankings")).value
    found = []

    def walk(node):
        node = node.to_plotly_json() if hasattr(node, "to_plotly_json") else node
        if isinstance(node, dict):
            if node.get("type") == "Slider":
                found.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(body)
    return found


def test_the_url_carries_the_weights_leniently():
    state = parse_query("?region=330100&w=b:0.2,a:0.1,bad,c:x,d:-1,e:99,f:nan,g:inf,h-i:1,a:0.15")
    assert state.w == (("a", 0.15), ("b", 0.2))  # the last of a repeat counts, junk is dropped
    assert state.to_query() == "?region=330100&w=a:0.15,b:0.2"
    assert parse_query(state.to_query()) == state
    assert FilterState().to_query() == "" and parse_query("?w=").w == ()
    assert len(parse_query("?w=" + ",".join(f"i{n}:1" for n in range(120))).w) == 50
    assert all(0 <= v <= MAX_WEIGHT for _, v in parse_query(f"?w=a:{MAX_WEIGHT + 0.1},b:{MAX_WEIGHT}").w)


def test_the_sliders_match_the_published_scale(views, published):
    top, step = slider_scale(published.values())
    assert max(published.values()) < top <= 5 * max(published.values()) and step <= top / 20
    sliders = _sliders(views)
    assert {s["id"]["ind"] for s in sliders} == set(published)
    assert all(s["max"] == top and s["step"] == step for s in sliders)
    assert [s["value"] for s in sliders] == [round(published[s["id"]["ind"]], 2) for s in sliders]


def test_a_scenario_in_the_url_sets_the_sliders_within_bounds(views, published):
    first, second = sorted(published)[:2]
    top, _ = slider_scale(published.values())
    sliders = {s["id"]["ind"]: s["value"] for s in _sliders(views, f"?w={first}:0.03,{second}:4.5,nope:1")}
    assert sliders[first] == 0.03 and sliders[second] == top  # clipped to the slider's range
    assert "nope" not in sliders


def _scenario(values: dict, search: str = "?region=330100") -> Scenario:
    ids = [{"type": "whatif-w", "panel": PID, "ind": k} for k in values]
    return Scenario(values=list(values.values()), ids=ids, search=search, pathname="/rankings", pins=[])


def test_moving_a_slider_writes_the_url_and_the_total(views, published):
    first = sorted(published)[0]
    out = scenario(views, _scenario({**published, first: 0.02, "forged": 0.3}))
    assert out.search == f"?region=330100&w={first}:0.02"  # only what differs, only known indicators
    total = sum(published.values()) - published[first] + 0.02
    assert out.total == f"权重合计 {total:.2f}（公布 {sum(published.values()):.2f}）"
    # The published weights again: the URL has no scenario.
    back = scenario(views, _scenario(published, search=f"?region=330100&w={first}:0.02,nope:1"))
    assert back.search == "?region=330100"
    # Already in the URL: no rewrite (no loop with the URL's own listeners).
    assert scenario(views, _scenario({**published, first: 0.02}, f"?region=330100&w={first}:0.02")).search \
        is no_update


def test_reset_gives_the_published_weights_from_the_server(views, published):
    ids = [{"type": "whatif-w", "panel": PID, "ind": k} for k in sorted(published)] + \
          [{"type": "whatif-w", "panel": PID, "ind": "forged"}]
    values = reset(views, Reset(n_clicks=1, ids=ids, search="?w=a:1", pathname="/rankings", pins=[]))
    assert values == [round(published[k], 2) for k in sorted(published)] + [0.0]
    assert reset(views, Reset(n_clicks=0, ids=ids, search="", pathname="/rankings", pins=[])) == \
        [no_update] * len(ids)
