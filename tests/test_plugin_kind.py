"""A third-party visual kind (tests/plugin_kind/tally.py), installed through a real
`cockpit.visuals` entry point, served by the real app on the demo store: every hook a built-in
kind uses works for it without the web layer knowing the kind."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.query import run_sql
from cockpit.settings import Settings
from cockpit.specs.check import check_all
from cockpit.visuals.base import wall_problems
from cockpit.visuals.registry import get_visual, visuals
from cockpit.web import callbacks as cb
from cockpit.web import wire
from cockpit.web.app import create_app
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views
from plugin_support import installed
from test_specs import ROOT

PANEL = '''
title = { zh = "下级区域诉求", en = "Requests by sub-region" }
kind = "region_tally"
sql = """
select t.ancestor_code as region_code, sum(d.received) as requests
from requests_daily_scoped d
join region_tree_scoped t on t.region_code = d.street_code
join region_names c on c.region_code = t.ancestor_code and c.parent_code = $map_parent
where d.day >= $period_start and d.day < $period_end
group by t.ancestor_code
"""
[options]
value = "requests"
top = 3
format = { d3 = ",.0f", suffix = " 件", suffix_en = "" }
'''
PAGE = '''
title = { zh = "区域", en = "Areas" }
path = "/tally"
order = 90
[page]
areas = ["zz_tally"]
'''


@pytest.fixture()
def plugin(tmp_path, demo_store, use_store):
    """The plug-in installed, a copy of layouts/ with a panel and a page of its kind, and the app."""
    use_store(demo_store)
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    (layouts / "panels" / "zz_tally.toml").write_text(PANEL, encoding="utf-8")
    (layouts / "zz_tally.toml").write_text(PAGE, encoding="utf-8")
    with installed(tmp_path / "site", "cockpit-region-tally", {"region_tally": "plugin_kind.tally:VISUAL"}):
        settings = Settings(store=demo_store, layouts=layouts, cache_type="NullCache")
        db = Database(demo_store)
        yield {"layouts": layouts, "settings": settings, "db": db,
               "views": Views(CatalogHolder(layouts), db, settings),
               "client": create_app(settings, db).server.test_client()}
    sys.modules.pop("plugin_kind.tally", None)


def _body(resp):
    assert resp.status_code == 200, resp.data[:300]
    payload = resp.get_json()
    return (wire.response_value(payload, {"type": "body", "panel": "zz_tally"}, "children"),
            wire.response_value(payload, {"type": "bodykey", "panel": "zz_tally"}, "data"))


def _texts(node) -> list[str]:
    """The list items' texts of a serialized component."""
    out = []

    def walk(n):
        if isinstance(n, dict):
            if n.get("type") == "Li":
                out.append(n["props"]["children"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return out


def _expected(db, region=None, lang="zh") -> list[str]:
    """The list as computed here: every child of the map parent, by requests, largest first."""
    res = resolve(FilterState(region=region, lang=lang), db, None)
    sql = PANEL.split('sql = """')[1].split('"""')[0]
    df = run_sql(sql, res.ctx, db=db)
    counts = dict(zip(df.region_code, df.requests))
    kids = res.regions.children[res.ctx.map_parent]
    rows = sorted(kids, key=lambda c: (c not in counts, -counts.get(c, 0), c))
    suffix = " 件" if lang == "zh" else ""
    return [f"{res.regions.get(c).label(lang)}: {counts[c]:,.0f}{suffix}" if c in counts
            else f"{res.regions.get(c).label(lang)}: —" for c in rows]


def test_the_plugin_is_registered_and_its_panel_passes_check(plugin):
    assert "region_tally" in visuals()
    assert get_visual("region_tally").output == "component"
    _, errors = check_all(plugin["settings"].store, plugin["layouts"])
    assert errors == []


def test_prepare_fetches_names_parent_and_as_of(plugin):
    body, key = _body(wire.post(plugin["client"], wire.component_request("zz_tally", "?lang=en", pathname="/tally")))
    heading = body["props"]["children"][0]["props"]["children"]
    assert heading == "Zhejiang · 2026-11-25"
    assert _texts(body) == _expected(plugin["db"], lang="en")  # English names from the region tree
    assert key["p"] == "zz_tally" and key["u"].endswith("|en")


def test_value_only_update_when_the_client_shows_the_same_level(plugin):
    client = plugin["client"]
    full, key = _body(wire.post(client, wire.component_request("zz_tally", "", pathname="/tally")))
    assert full["type"] == "Div" and len(_texts(full)) == 11  # the 11 cities
    # Another period, same level: a Patch of the list items only.
    resp = wire.post(client, wire.component_request("zz_tally", "?period=2026-10", bodykey=key, pathname="/tally"))
    patch, same = _body(resp)
    assert same["u"] == key["u"] and same["d"] != key["d"]  # the same level, drawn from other values
    assert patch.get("__dash_patch_update") == "__dash_patch_update"
    (op,) = patch["operations"]
    assert op["operation"] == "Assign" and op["location"] == ["props", "children", 1, "props", "children"]
    assert _texts(op["params"]["value"]) != _texts(full)
    assert "Slider" not in json.dumps(patch)  # the controls are not sent again
    # Another level: the whole body again, with a new key.
    body, other = _body(wire.post(client, wire.component_request("zz_tally", "?region=330100", bodykey=key,
                                                                 pathname="/tally")))
    assert other["u"] != key["u"] and body["type"] == "Div"
    assert _texts(body) == _expected(plugin["db"], region="330100")


def test_the_selected_region_is_marked_among_its_siblings(plugin):
    body, _ = _body(wire.post(plugin["client"], wire.component_request("zz_tally", "?region=330106001",
                                                                       pathname="/tally")))
    items = body["props"]["children"][1]["props"]["children"]
    selected = [i["props"]["title"] for i in items if "selected" in i["props"]["className"]]
    assert selected == ["330106001"]


def test_own_callback_through_the_dispatcher_and_directly(plugin):
    from plugin_kind import tally

    client = plugin["client"]
    values = {"n": 2, "slider": {"type": "tally-n", "panel": "zz_tally"}, "search": "", "pathname": "/tally",
              "pins": []}
    body = wire.request_body(tally.SUM, tally.TOP_N, values, match={"panel": "zz_tally"}, changed=["n"])
    resp = wire.post(client, body)
    assert resp.status_code == 200, resp.data[:300]
    shown = wire.response_value(resp.get_json(), {"type": "tally-sum", "panel": "zz_tally"}, "children")
    res = resolve(FilterState(), plugin["db"], None)
    df = run_sql(PANEL.split('sql = """')[1].split('"""')[0], res.ctx, db=plugin["db"])
    top = df.requests.sort_values(ascending=False)
    assert shown == f"Top 2: {top.head(2).sum():,.0f} 件 / {top.sum():,.0f} 件"
    # The body is a plain function of the host and the named inputs.
    direct = tally.top_sum(plugin["views"], tally.TopN(**values))
    assert direct == shown
    forged = tally.top_sum(plugin["views"], tally.TopN(**{**values, "slider": {"type": "tally-n", "panel": "nope"}}))
    assert "面板暂时无法显示" in json.dumps(forged.to_plotly_json(), ensure_ascii=False)


def test_wall_variant_is_plain_html(plugin):
    views = plugin["views"]
    res = views.resolve("", "/tally")
    panel = views.panel("zz_tally")
    page = views.render(panel, res)
    wall = views.render(panel, res, wall=True)
    assert "Slider" in json.dumps(page.value.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert wall_problems(wall.value) == []
    assert wall_problems(page.value) == ["Slider is not a plain dash.html component"]
    shown = [li.children[0].children for li in wall.value.children[1].children]
    assert shown == [t.split(":")[0] for t in _expected(plugin["db"])[:3]]  # the top 3, by name


def test_callback_bodies_are_plain_functions(plugin):
    views = plugin["views"]
    ids = [{"type": "body", "panel": "zz_tally"}]
    out = cb.render_components(views, cb.PanelsIn(search="", ids=ids, keys=[], pathname="/tally", pins=[]))["zz_tally"]
    assert out.error is None and out.stamp == "数据截至 2026-11-25" and out.bodykey["u"]
    again = cb.render_components(views, cb.PanelsIn(search="?period=2026-09", ids=ids, keys=[out.bodykey],
                                                    pathname="/tally", pins=[]))["zz_tally"]
    assert again.bodykey["u"] == out.bodykey["u"] and again.body.to_plotly_json()["operations"]
    page = cb.render_page(views, cb.PageIn(pathname="/tally", lang="zh", search=""))
    assert "kind-region_tally" in json.dumps(page.to_plotly_json(), default=lambda o: o.to_plotly_json())
