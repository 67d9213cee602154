"""The example plug-in kind (tests/plugin_kind) served by a real gunicorn and driven in real
Chromium: the value-only Patch of a component panel is applied in the browser, and the kind's own
control works, with no line of the web layer knowing the kind."""

from __future__ import annotations

import json
import shutil

import pytest

from browser_support import assert_healthy, choose, open_page, settle, wait_param
from conftest import ROOT, Server
from plugin_support import subprocess_env, write_dist_info
from test_plugin_kind import PAGE, PANEL

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plugin_server(demo_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("plugin")
    layouts = work / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    (layouts / "panels" / "zz_tally.toml").write_text(PANEL, encoding="utf-8")
    (layouts / "zz_tally.toml").write_text(PAGE, encoding="utf-8")
    site = write_dist_info(work / "site", "cockpit-region-tally", {"region_tally": "plugin_kind.tally:VISUAL"})
    env = subprocess_env(site)
    srv = Server(demo_store, layouts, work / "cache", work / "gunicorn.log", PYTHONPATH=env["PYTHONPATH"])
    yield srv
    srv.stop()


ITEMS = "#panel-zz_tally li.tally-item"
SLIDER = "#panel-zz_tally [role='slider']"


def sum_text_starts(pg, text: str) -> None:
    pg.wait_for_function("(t) => (document.querySelector('#panel-zz_tally .tally-sum') || {}).textContent"
                         "?.startsWith(t)", arg=text)


def test_plugin_panel_patches_in_place_and_its_own_control_works(plugin_server, page):
    open_page(page, plugin_server.url + "/tally")
    assert_healthy(page)
    items = page.locator(ITEMS).all_inner_texts()
    assert len(items) == 11 and all(": " in t for t in items)
    sum_text_starts(page, "Top 3")
    # The kind's own callback: one step right on its slider is "top 4".
    page.locator(SLIDER).first.focus()
    page.keyboard.press("ArrowRight")
    sum_text_starts(page, "Top 4")
    # Another period, same level: only the list is patched, so the slider keeps the viewer's
    # position (a full render would put it back at the declared 3).
    choose(page, ".ctl-period", "2026-09")
    wait_param(page, "period", "2026-09")
    page.wait_for_function("([sel, before]) => JSON.stringify([...document.querySelectorAll(sel)]"
                           ".map(e => e.textContent)) !== before", arg=[ITEMS, json.dumps(items, ensure_ascii=False)])
    settle(page)
    assert len(page.locator(ITEMS).all_inner_texts()) == 11
    assert page.locator(SLIDER).first.get_attribute("aria-valuenow") == "4"
    # Another level: the whole panel again, at its declared N.
    page.goto(plugin_server.url + "/tally?region=330100")
    settle(page)
    assert page.locator(SLIDER).first.get_attribute("aria-valuenow") == "3"
    assert assert_healthy(page)
