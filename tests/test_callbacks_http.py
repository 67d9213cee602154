"""Callbacks are an open HTTP endpoint: any client can POST anything. These tests post crafted
payloads to the real Dash dispatcher and check the server validates, scopes and never leaks."""

from __future__ import annotations

import json

import pytest

from cockpit.web import wire
from cockpit.web.wiring import GRAPH_OUT

GRAPH_KEY = ('..{"panel":["ALL"],"type":"graph"}.figure...{"panel":["ALL"],"type":"figkey"}.data...'
             '{"out":"figure","panel":["ALL"],"type":"stamp"}.children...'
             '{"out":"figure","panel":["ALL"],"type":"error"}.children...'
             '{"out":"figure","panel":["ALL"],"type":"sqlmeta"}.children..')


@pytest.fixture()
def client_for(demo_store, use_store, tmp_path):
    """A Flask test client of a freshly built app (as app.py builds it: from the settings and a
    Database), optionally bound to a jurisdiction."""

    def _make(**env):
        use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache", **env)
        from cockpit.db import Database
        from cockpit.settings import get_settings
        from cockpit.web.app import create_app

        return create_app(get_settings(), Database(demo_store)).server.test_client()

    return _make


def test_the_wire_helpers_speak_the_renderers_format():
    body = wire.graph_request("p1", "?a=1", figkey="k", pathname="/x", pin="00001_2026-11-25")
    assert body["output"] == GRAPH_KEY == wire.callback_key(GRAPH_OUT)
    assert body["outputs"][1] == [{"id": {"type": "figkey", "panel": "p1"}, "property": "data"}]
    # every panel of the batch is listed: its graph id (the input that fires on mount), its key store
    assert body["inputs"] == [{"id": "url", "property": "search", "value": "?a=1"},
                              [{"id": {"type": "graph", "panel": "p1"}, "property": "id",
                                "value": {"type": "graph", "panel": "p1"}}]]
    # the page's pin store is a pattern-matching ALL state: a list
    assert body["state"] == [[{"id": {"type": "figkey", "panel": "p1"}, "property": "data", "value": "k"}],
                             {"id": "url", "property": "pathname", "value": "/x"},
                             [{"id": {"type": "pin", "i": 0}, "property": "data", "value": "00001_2026-11-25"}]]
    assert body["changedPropIds"] == ["url.search"]


def graph_call(client, panel, search, figkey=None, pathname="/", pin=None):
    return wire.post(client, wire.graph_request(panel, search, figkey=figkey, pathname=pathname, pin=pin))


def _kpi_value(resp) -> float:
    assert resp.status_code == 200, resp.data[:500]
    payload = resp.get_json()["response"]
    fig = next(v for k, v in payload.items() if k.startswith('{"panel"') and "figure" in v)["figure"]
    return fig["data"][0]["value"]


def test_unknown_panel_gets_an_error_card_not_a_500(client_for):
    client = client_for()
    resp = graph_call(client, "../../etc/passwd", "")
    assert resp.status_code == 200
    text = json.dumps(resp.get_json(), ensure_ascii=False)
    assert "面板暂时无法显示" in text
    assert "Traceback" not in text and "/etc/passwd" not in text.replace("../../etc/passwd", "")


def test_region_outside_the_jurisdiction_is_not_served(client_for):
    client = client_for(COCKPIT_JURISDICTION="330100")  # Hangzhou
    own = _kpi_value(graph_call(client, "kpi_requests", ""))
    other_city = _kpi_value(graph_call(client, "kpi_requests", "?region=330200"))  # Ningbo
    assert other_city == own  # silently replaced by the viewer's own jurisdiction
    county = _kpi_value(graph_call(client, "kpi_requests", "?region=330106"))  # inside Hangzhou
    assert county < own


def test_hostile_filter_values_are_only_values(client_for):
    client = client_for()
    everything = _kpi_value(graph_call(client, "kpi_requests", ""))
    assert everything > 0
    injected = _kpi_value(graph_call(client, "kpi_requests", "?f_category=x%27%20or%201%3D1%20--"))
    assert injected == 0


@pytest.mark.parametrize("search", [None, 42, ["?region=1"], {"a": 1}, "?" + "a=b&" * 2000, "?region=%00"])
def test_malformed_search_values_fall_back_to_defaults(client_for, search):
    client = client_for()
    resp = graph_call(client, "kpi_requests", search)
    assert resp.status_code == 200
    assert "Traceback" not in resp.get_data(as_text=True)


def test_map_names_its_geometry_by_url_then_sends_only_values(client_for):
    client = client_for()
    first = graph_call(client, "map_requests", "")
    payload = first.get_json()["response"]
    key = payload['{"panel":"map_requests","type":"figkey"}']["data"]
    fig = payload['{"panel":"map_requests","type":"graph"}']["figure"]
    url = fig["data"][1]["geojson"]
    assert isinstance(url, str) and url.startswith("/geo/") and '"coordinates"' not in first.get_data(as_text=True)
    geometry = client.get(url)
    assert geometry.status_code == 200 and "immutable" in geometry.headers["Cache-Control"]
    assert len(geometry.get_json()["features"]) == 11  # the 11 cities of Zhejiang
    assert client.get(url, headers={"If-None-Match": geometry.headers["ETag"]}).status_code == 304
    # Same level again (another period): the server answers with a Patch of the values only.
    second = graph_call(client, "map_requests", "?period=2026-10", figkey=key)
    assert second.status_code == 200
    assert len(second.data) < len(first.data) and len(second.data) <= 5 * 1024
    patch = second.get_json()["response"]['{"panel":"map_requests","type":"graph"}']["figure"]
    assert patch.get("__dash_patch_update") == "__dash_patch_update"
    assert "geojson" not in json.dumps(patch)
    # A drill-down is a new level: a full figure, still without geometry, and small.
    third = graph_call(client, "map_requests", "?region=330100", figkey=key)
    assert '"coordinates"' not in third.get_data(as_text=True) and len(third.data) <= 5 * 1024


def test_map_geometry_is_served_only_inside_the_jurisdiction(client_for, demo_store):
    from cockpit.db import Database

    live = Database(demo_store).live_id()
    client = client_for(COCKPIT_JURISDICTION="330100")  # Hangzhou
    assert client.get(f"/geo/{live}/330100.geojson").status_code == 200
    assert client.get(f"/geo/{live}/330106.geojson").status_code == 200  # a county of Hangzhou
    for parent in ("330000", "330200", "330106001", "x'--"):  # the province, Ningbo, a street, junk
        assert client.get(f"/geo/{live}/{parent}.geojson").status_code == 404, parent
    assert client.get("/geo/99999_2026-01-01/330100.geojson").status_code == 404  # not published


def _figure(resp, panel):
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"][f'{{"panel":"{panel}","type":"graph"}}']["figure"]


def test_values_are_shown_in_the_viewers_language(client_for):
    client = client_for()
    zh = _figure(graph_call(client, "flow_overview", ""), "flow_overview")["data"][0]["node"]["label"]
    en = _figure(graph_call(client, "flow_overview", "?lang=en"), "flow_overview")["data"][0]["node"]["label"]
    assert {"街道办理", "按期办结", "浙里办"} <= set(zh)
    assert {"Street", "Closed on time", "Zheliban app"} <= set(en)
    assert "street" not in zh and "on_time" not in en  # codes never reach the screen


def test_clicking_a_translated_bar_filters_by_the_data_value(client_for):
    from cockpit.filters import FilterState
    from cockpit.web.navigation import apply_click

    client_for()
    from cockpit.db import get_db
    from cockpit.settings import get_settings
    from cockpit.web.catalog import CatalogHolder
    from cockpit.web.views import Views

    views = Views(CatalogHolder(get_settings().layouts), get_db(), get_settings())
    click = {"points": [{"x": 120, "y": "City management"}]}  # horizontal bar, English labels
    state = apply_click(views, FilterState(lang="en"), "category_bar", click)
    assert state.filters == {"category": "城市管理"}


def test_oversized_bodies_are_refused(client_for):
    client = client_for()
    resp = client.post("/_dash-update-component", data=b"{" + b" " * (2 << 20) + b"}",
                       content_type="application/json")
    assert resp.status_code == 413


@pytest.fixture()
def two_snapshot_store(demo_store, tmp_path):
    """A copy of the demo store with a second snapshot published on top (as of the next day)."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from cockpit.ingest import cli_ingest

    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    drop = tmp_path / "drop"
    drop.mkdir()
    pq.write_table(pa.table({"note": ["second"]}), drop / "release_note.parquet")
    (drop / "manifest.json").write_text('{"as_of": "2026-11-26"}')
    assert cli_ingest(drop, store) == 0
    return store


def test_a_page_load_stays_on_its_pinned_snapshot(two_snapshot_store, use_store):
    use_store(two_snapshot_store, COCKPIT_CACHE_TYPE="NullCache")
    from cockpit.db import Database
    from cockpit.settings import get_settings
    from cockpit.web.app import create_app

    client = create_app(get_settings(), Database(two_snapshot_store)).server.test_client()

    def stamp(**kw):
        payload = graph_call(client, "kpi_requests", "", **kw).get_json()["response"]
        return payload['{"out":"figure","panel":"kpi_requests","type":"stamp"}']["children"]

    assert stamp().endswith("2026-11-26")  # a new page load reads the live snapshot
    assert stamp(pin="00001_2026-11-25").endswith("2026-11-25")  # a page loaded before keeps its own
    assert stamp(pin="99999_2030-01-01").endswith("2026-11-26")  # a forged pin falls back to live


def test_interrupted_publications_are_not_offered(two_snapshot_store):
    import json as _json

    from cockpit.db import Database

    ghost = two_snapshot_store / "snapshots" / "00003_2026-11-27"
    ghost.mkdir()
    (ghost / "manifest.json").write_text(_json.dumps({"as_of": "2026-11-27", "tables": {}}))
    assert Database(two_snapshot_store).snapshot_ids() == ["00001_2026-11-25", "00002_2026-11-26"]


def test_links_to_other_pages_do_not_carry_this_pages_filters(client_for):
    from cockpit.db import get_db
    from cockpit.filters import FilterState, resolve
    from cockpit.settings import get_settings
    from cockpit.web.catalog import CatalogHolder
    from cockpit.web.views import Views

    client_for()
    views = Views(CatalogHolder(get_settings().layouts), get_db(), get_settings())
    res = resolve(FilterState(region="330106", filters={"category": "城市管理"}), get_db(), None)
    ctl = views.controls(res, None)
    assert "f_category" in ctl.query and "region=330106" in ctl.query
    assert "f_category" not in ctl.nav_query and "region=330106" in ctl.nav_query
