"""Shared by the tests that call callback bodies directly: a `Views` on the demo store and the
inputs of the state-sync callback as the renderer sends them for one page load."""

from __future__ import annotations

import pytest

from cockpit.db import Database
from cockpit.settings import get_settings
from cockpit.web import callbacks as cb
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views

BAR = [{"type": "breadcrumb", "i": 0}]
NAV = [{"type": "nav", "page": "overview"}, {"type": "nav", "page": "requests"}]


@pytest.fixture()
def views(demo_store, use_store):
    use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())


def sync_in(**kw) -> cb.SyncIn:
    base = dict(search="", periods=["2026-11"], cmps=["prev"], snaps=[None], lang_clicks=[0], crumb_clicks=[],
                graph_clicks=[None], chip_clicks=[], picks=[], nav_ids=NAV, pick_ids=[], bar_ids=BAR, pathname="/")
    return cb.SyncIn(**{**base, **kw})
