"""A page over tables the live snapshot lacks (an analyst's page over an extra table a deployment
never received) is left out of the navigation and, opened by its address, says in plain words
which data it waits for, instead of a wall of error cards."""

from __future__ import annotations

import drops
import pytest

from callback_support import views  # noqa: F401 - fixture
from cockpit.db import Database
from cockpit.settings import get_settings
from cockpit.web import callbacks as cb
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views
from test_leaders_feedback import texts


@pytest.fixture()
def bare_views(tmp_path, use_store):
    """The contract's tables only (no report_burden, no disability_tasks), a city at the top."""
    store = drops.city_store(tmp_path)
    use_store(store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(store), get_settings())


def _nav(view) -> list[str]:
    found = []

    def walk(node):
        if node is None or isinstance(node, (str, int, float)):
            return
        if isinstance(node, (list, tuple)):
            for n in node:
                walk(n)
            return
        pid = getattr(node, "id", None)
        if isinstance(pid, dict) and pid.get("type") == "nav":
            found.append(pid["page"])
        walk(getattr(node, "children", None))

    walk(view)
    return found


def test_pages_waiting_for_data_leave_the_navigation(bare_views):
    nav = _nav(cb.render_page(bare_views, cb.PageIn(pathname="/", lang="zh", search="")))
    assert "overview" in nav and "ledger" in nav
    assert "report_burden" not in nav and "disability" not in nav


def test_a_waiting_page_says_which_data_it_waits_for(bare_views):
    view = cb.render_page(bare_views, cb.PageIn(pathname="/reports", lang="zh", search=""))
    shown = texts(view)
    assert "本页等待数据：当前数据快照尚未收到 report_burden 表" in shown
    assert "面板暂时无法显示" not in shown
    en = texts(cb.render_page(bare_views, cb.PageIn(pathname="/disability", lang="en", search="")))
    assert "This page waits for data: the current snapshot has no disability_tasks table yet" in en


def test_a_panel_over_a_missing_table_waits_instead_of_failing(bare_views):
    out = cb._panel_outputs(bare_views, "", "/reports", None, {"panel": "rb_forms"}, None, failed=None)
    assert out[3] == ["等待数据：当前数据快照尚未收到 report_burden 表"]
    # A panel whose tables are there renders as usual.
    ok = cb._panel_outputs(bare_views, "", "/", None, {"panel": "kpi_requests"}, None, failed=None)
    assert ok[3] is None and ok[0] is not None


def test_with_the_tables_delivered_the_pages_are_there(views):
    nav = _nav(cb.render_page(views, cb.PageIn(pathname="/", lang="zh", search="")))
    assert "report_burden" in nav and "disability" in nav
    assert "等待数据" not in texts(cb.render_page(views, cb.PageIn(pathname="/reports", lang="zh", search="")))
