"""The ledger of a city, county or street: the apps it leads, co-builds or uses from above, each
with its role; the three lists that are its work; no "0 / 0" tile, and empty tiles say what is
missing."""

from __future__ import annotations

import drops
import pandas as pd
import pytest

from callback_support import views  # noqa: F401 - fixture
from cockpit.db import Database
from cockpit.query import run_sql
from cockpit.settings import get_settings
from cockpit.visuals import kpi
from cockpit.visuals.base import RenderContext
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views


def _data(v, pid, search, path="/ledger"):
    df, _ = v.data(v.panel(pid), v.resolve(search, path))
    return df


def _figure(v, pid, search, path="/ledger"):
    return v.render(v.panel(pid), v.resolve(search, path)).value


@pytest.fixture()
def city_views(tmp_path, use_store):
    """A city at the top: A1 is the city's (co-built by a department of each county), A2 上城区's,
    A3 西湖区's (co-built by a city department)."""
    store = drops.city_store(tmp_path)
    use_store(store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(store), get_settings())


def test_each_region_sees_the_apps_it_leads_co_builds_or_uses_from_above(city_views):
    v = city_views
    roles = lambda region: dict(run_sql("select app_id, role from ledger_apps", v.resolve(f"?region={region}", "/ledger").ctx)
                                .itertuples(index=False))
    assert roles("330100") == {"A1": "lead", "A2": "lead", "A3": "lead"}
    assert roles("330102") == {"A2": "lead", "A1": "co"}  # D02 of 上城区 co-builds the city's A1
    assert roles("330106") == {"A3": "lead", "A1": "co"}
    assert roles("330102001") == {"A2": "above", "A1": "above"}  # a street uses its governments' apps
    table = _data(v, "ledger_apps_table", "?region=330102")
    assert list(zip(table.app, table.role)) == [("一件事", "牵头"), ("浙里办事", "共建")]
    assert list(_data(v, "ledger_apps_table", "?region=330102&lang=en").role) == ["Leads", "Co-builds"]


def test_the_three_lists_are_the_regions_work(city_views):
    v = city_views
    # 上城区 leads A2 (item I3) and co-builds A1 (items I1, I2).
    items = run_sql("select item_id from ledger_region_items order by item_id", v.resolve("?region=330102", "/ledger").ctx)
    assert list(items.item_id) == ["I1", "I2", "I3"]
    # A street leads and co-builds nothing and owns no item: nothing is its work.
    street = v.resolve("?region=330102001", "/ledger").ctx
    assert run_sql("select count(*) as n from ledger_region_items", street).n[0] == 0


def test_no_green_zero_of_zero_and_the_empty_tile_says_why(city_views):
    v = city_views
    fig = _figure(v, "kpi_items_overdue", "?region=330102001")
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert "—" in texts and "本区域暂无三张清单事项" in texts
    assert fig["data"][0]["number"]["font"]["color"] == "rgba(0,0,0,0)"  # no "0 / 0", in no colour
    en = _figure(v, "kpi_items_overdue", "?region=330102001&lang=en")
    assert "No three-list items are this region's" in [a["text"] for a in en["layout"]["annotations"]]
    # With items to count, the tile shows its figure.
    fig = _figure(v, "kpi_items_overdue", "?region=330102")
    assert fig["data"][0]["number"]["suffix"] == " / 3" and not fig["layout"].get("annotations")


def test_a_city_of_the_demo_sees_its_apps_from_above(views):
    # 丽水市 (331100) owns no app: its leaders still see the provincial apps serving it.
    df = _data(views, "kpi_apps_total", "?region=331100")
    assert df.value[0] == 69 and df.roles[0] == "牵头 0 · 共建 0 · 上级部署 69"
    fig = _figure(views, "kpi_apps_total", "?region=331100")
    assert "牵头 0 · 共建 0 · 上级部署 69" in [a["text"] for a in fig["layout"]["annotations"]]
    assert len(_data(views, "ledger_apps_table", "?region=331100")) == 69
    # The province sees the whole ledger, as before: 83 of 127 iterated.
    it = _data(views, "kpi_iterated", "")
    assert (it.value[0], it.total[0]) == (83, 127)


def test_kpi_zero_total_is_no_figure():
    opts = kpi.KpiOptions(value="v", of="t", empty={"zh": "无", "en": "none"},
                          thresholds=[{"from": 0, "color": "#26a69a"}])
    fig = kpi.render(pd.DataFrame({"v": [0], "t": [0]}), opts, RenderContext(panel_id="p"))
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["—", "无"]
    wall = kpi.wall(pd.DataFrame({"v": [0], "t": [0]}), opts, RenderContext(panel_id="p", wall=True))
    assert "—" in str(wall) and "无" in str(wall) and "#26a69a" not in str(wall)


def test_empty_panels_say_what_is_missing(city_views):
    v = city_views
    fig = _figure(v, "lists_progress", "?region=330102001")
    assert [a["text"] for a in fig["layout"]["annotations"]] == [
        "本区域暂无三张清单事项（本区域牵头或共建应用的事项，及本区域部门承担的事项）"]
    en = _figure(v, "lists_progress", "?region=330102001&lang=en")
    assert en["layout"]["annotations"][0]["text"].startswith("No three-list items are this region's")
    # A panel without its own words keeps the plain default.
    from cockpit.visuals.base import RenderContext, no_data_text
    assert no_data_text(RenderContext(panel_id="p")) == "暂无数据"
