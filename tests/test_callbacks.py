"""The generic callbacks' bodies called directly (no Dash): plain functions of the Views and the
named inputs, returning named outputs."""

from __future__ import annotations

import pytest
from dash import no_update

from cockpit.db import Database
from cockpit.settings import get_settings
from callback_support import sync_in, views  # noqa: F401 - views is a fixture
from cockpit.web import callbacks as cb
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import EMPTY_FIGURE, Views





def test_a_control_change_rewrites_the_url_and_the_controls(views):
    out = cb.sync_state(views, sync_in(), {"type": "period", "i": 0}, "2026-09")
    assert out.search == "?period=2026-09"
    assert out.period == ["2026-09"] and out.cmp == ["prev"] and len(out.period_options) == 1
    assert out.nav_hrefs == ["/?period=2026-09", "/requests?period=2026-09"]
    assert out.street_options == [] and out.street == []  # no street picker on this page
    assert len(out) == len(cb.SyncOut._fields)


def test_a_url_change_resets_the_controls_and_leaves_the_url(views):
    out = cb.sync_state(views, sync_in(search="?region=330106&cmp=yoy"))
    assert out.search is no_update  # already what the state says
    assert out.cmp == ["yoy"] and out.breadcrumb[0][-1].children  # the crumbs down to the county


def test_a_map_click_drills_down_through_the_kinds_hook(views):
    click = {"points": [{"location": "330106"}]}
    out = cb.sync_state(views, sync_in(search="?region=330100"), {"type": "graph", "panel": "map_requests"}, click)
    assert out.search == "?region=330106"


def test_without_a_snapshot_nothing_changes(tmp_path, use_store):
    use_store(tmp_path / "empty")
    views = Views(CatalogHolder(get_settings().layouts), Database(tmp_path / "empty"), get_settings())
    out = cb.sync_state(views, sync_in(pick_ids=[{"type": "street-pick", "i": 0}]), {"type": "period", "i": 0}, "x")
    assert out == cb.SyncOut.unchanged(bars=1, navs=2, picks=1)
    assert out.search is no_update and out.nav_hrefs == [no_update] * 2 and out.street == [no_update]


def test_language_follows_the_url():
    assert cb.lang_from_url(cb.LangIn(search="?lang=en", current="zh")) == "en"
    assert cb.lang_from_url(cb.LangIn(search="?lang=en", current="en")) is no_update


def test_graph_outputs_are_named(views):
    inp = cb.GraphIn(search="", graph_id={"type": "graph", "panel": "kpi_requests"}, figkey=None, pathname="/",
                     pins=[])
    out = cb.render_graph(views, inp)
    assert out.error is None and out.figkey is None and out.stamp == "数据截至 2026-11-25"
    assert out.figure["data"][0]["type"] == "indicator" and "$region=" in out.sqlmeta
    bad = cb.render_graph(views, inp._replace(graph_id={"type": "graph", "panel": "no_such"}))
    assert bad.figure == EMPTY_FIGURE and bad.figkey is None and bad.error[0] == "面板暂时无法显示"


def test_csv_of_the_panel_whose_button_fired(views):
    inp = cb.CsvIn(n_clicks=1, search="", pathname="/", pins=[])
    sent = cb.download_csv(views, inp, {"type": "csv", "panel": "category_bar"})
    assert sent["filename"].startswith("category_bar_") and sent["content"].startswith("\ufeffcategory,")
    assert cb.download_csv(views, inp._replace(n_clicks=0), {"type": "csv", "panel": "category_bar"}) is no_update
    assert cb.download_csv(views, inp, {"type": "csv", "panel": "no_such"}) is no_update
