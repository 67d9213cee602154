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
    assert out.period == ["2026-09"] and len(out.period_options) == 1
    assert out.nav_hrefs == ["/?period=2026-09", "/requests?period=2026-09"]
    assert out.street_options == [] and out.street == []  # no street picker on this page
    assert len(out) == len(cb.SyncOut._fields)
    # What the page shows already is left alone (the renderer redraws nothing there).
    assert out.cmp == [no_update] and out.period_options == [no_update] and out.snap_options == [no_update]


def test_a_control_change_sends_only_the_controls_it_changes(views):
    click = {"points": [{"location": "330106"}]}
    out = cb.sync_state(views, sync_in(search="?region=330100"), {"type": "graph", "panel": "map_requests"}, click)
    assert out.breadcrumb[0] is not no_update and out.breadcrumb[0][-1].children  # down to the county
    assert out.period == [no_update] and out.cmp == [no_update] and out.chips == [no_update]
    assert out.nav_hrefs == ["/?region=330106", "/requests?region=330106"]
    # The control that fired is always set to what the state says, even when that is unchanged
    # (a period the snapshot does not have falls back to the one shown).
    again = cb.sync_state(views, sync_in(search="?period=2026-09"), {"type": "period", "i": 0}, "1999-01")
    assert again.period[0] is not no_update
    # A URL change (a link, the back button) sets every control: the page may show anything.
    url = cb.sync_state(views, sync_in(search="?region=330106"))
    assert url.period[0] is not no_update and url.cmp == ["prev"] and url.period_options[0] is not no_update


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


def _figures(views, search="", keys=(), panels=("kpi_requests",), pathname="/"):
    ids = [{"type": "graph", "panel": p} for p in panels]
    return cb.render_figures(views, cb.PanelsIn(search=search, ids=ids, keys=list(keys), pathname=pathname, pins=[]))


def test_graph_outputs_are_named(views):
    out = _figures(views)["kpi_requests"]
    assert out.error is None and out.figkey["p"] == "kpi_requests" and out.stamp == "数据截至 2026-11-25"
    assert out.figure["data"][0]["type"] == "indicator" and "$region=" in out.sqlmeta
    bad = _figures(views, panels=["no_such"])["no_such"]
    assert bad.figure == EMPTY_FIGURE and bad.figkey is None and bad.error[0] == "面板暂时无法显示"


def test_one_answer_holds_every_listed_panel_of_the_page_and_nothing_else(views):
    panels = ["kpi_requests", "map_requests", "flow_overview", "kpi_requests", "category_bar"]
    out = _figures(views, panels=panels)
    assert set(out) == {"kpi_requests", "map_requests", "flow_overview", "category_bar"}  # each once
    assert all(out[p].error is None and out[p].figure["data"] for p in ("kpi_requests", "map_requests"))
    # category_bar is a panel, but of another page: listed here, it gets a card and no work.
    assert out["category_bar"].figure == EMPTY_FIGURE and out["category_bar"].figkey is None
    assert "本页没有该面板" in out["category_bar"].error
    assert _figures(views, panels=["category_bar"], pathname="/requests")["category_bar"].error is None


def test_a_panel_whose_inputs_did_not_change_is_neither_recomputed_nor_resent(views, monkeypatch):
    first = _figures(views, "?period=2026-10", panels=["kpi_requests", "ledger_runway_stage"])
    keys = [first[p].figkey for p in first]
    # Another period: the requests KPI is redrawn; the ledger panel binds no period and stays.
    calls = []
    real = views.render
    monkeypatch.setattr(views, "render", lambda panel, *a, **kw: calls.append(panel.spec.id) or real(panel, *a, **kw))
    second = _figures(views, "?period=2026-09", keys, panels=["kpi_requests", "ledger_runway_stage"])
    assert calls == ["kpi_requests"]
    assert second["kpi_requests"].figure["data"] and second["kpi_requests"].figkey["d"] != keys[0]["d"]
    kept = second["ledger_runway_stage"]
    assert all(v is no_update for v in (kept.figure, kept.error)), kept
    # The same URL again: nothing at all is sent.
    calls.clear()
    again = _figures(views, "?period=2026-09", [second[p].figkey if second[p].figkey is not no_update else keys[1]
                                                 for p in second], panels=["kpi_requests", "ledger_runway_stage"])
    assert calls == [] and all(v is no_update for out in again.values() for v in out)
    # The language changes every panel.
    english = _figures(views, "?period=2026-09&lang=en", keys, panels=["kpi_requests", "ledger_runway_stage"])
    assert all(out.figure is not no_update for out in english.values())


def test_a_failing_panel_fails_alone_in_its_batch(views, monkeypatch):
    real = views.render

    def broken(panel, *a, **kw):
        if panel.spec.id == "map_requests":
            raise RuntimeError("boom")
        return real(panel, *a, **kw)

    monkeypatch.setattr(views, "render", broken)
    out = _figures(views, panels=["kpi_requests", "map_requests", "flow_overview"])
    assert out["map_requests"].error[0] == "面板暂时无法显示" and out["map_requests"].figkey == {"p": "map_requests"}
    assert out["kpi_requests"].error is None and out["flow_overview"].error is None


def test_csv_of_the_panel_whose_button_fired(views):
    inp = cb.CsvIn(n_clicks=1, search="", pathname="/", pins=[])
    sent = cb.download_csv(views, inp, {"type": "csv", "panel": "category_bar"})
    assert sent["filename"].startswith("category_bar_") and sent["content"].startswith("\ufeffcategory,")
    assert cb.download_csv(views, inp._replace(n_clicks=0), {"type": "csv", "panel": "category_bar"}) is no_update
    assert cb.download_csv(views, inp, {"type": "csv", "panel": "no_such"}) is no_update
