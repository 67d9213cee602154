"""Serving with several gunicorn workers, as deployed: every worker serves every asset, even
when a browser's parallel script requests are the first thing a worker sees."""

from __future__ import annotations

import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, Server


@pytest.fixture()
def cold_server(demo_store, tmp_path):
    srv = Server(demo_store, ROOT / "layouts", tmp_path / "cache", tmp_path / "gunicorn.log", workers=2,
                 threads=8, COCKPIT_DEV="0")
    yield srv
    srv.stop()


def _script_paths(demo_store, use_store) -> list[str]:
    """The component script URLs the index page names (computed in this process, so the
    server's workers see these requests cold)."""
    use_store(demo_store)
    from cockpit.db import Database
    from cockpit.settings import get_settings
    from cockpit.web.app import create_app

    index = create_app(get_settings(), Database(demo_store)).server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    # The scripts of libraries the page loads later (AG Grid: with its first grid) are named in
    # the cockpit-lazy data block; a cold worker must serve them too.
    lazy = re.search(r'<script type="application/json" id="cockpit-lazy">(.*?)</script>', index, re.S)
    return scripts + (list(json.loads(lazy.group(1)).values()) if lazy else [])


@pytest.mark.parametrize("attempt", range(3))
def test_cold_workers_serve_parallel_script_requests(cold_server, demo_store, use_store, attempt):
    scripts = _script_paths(demo_store, use_store)
    assert any("dash_ag_grid" in s for s in scripts), scripts

    def fetch(src):
        try:
            urllib.request.urlopen(cold_server.url + src, timeout=30).read()
            return None
        except OSError as exc:
            return f"{src}: {exc}"

    with ThreadPoolExecutor(16) as pool:
        failures = [f for f in pool.map(fetch, scripts * 4) if f]
    assert failures == []


def test_index_declares_chinese_and_uses_no_cdn(cold_server):
    index = urllib.request.urlopen(cold_server.url + "/", timeout=10).read().decode()
    assert '<html lang="zh-CN">' in index
    assert "cdn" not in index.lower()  # everything is served locally
