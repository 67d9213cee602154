"""The result cache warmed at publish: after `cockpit ingest`, a background `cockpit warm` fills
the shared cache for the top levels, so a real server's first request for them is a hit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, Server

sys.path.insert(0, str(ROOT))  # the bench folder is not an installed package
from bench.callbacks import cockpit_body, post  # noqa: E402
from bench.stores import live_snapshot, write_increment  # noqa: E402

PANELS = ("kpi_requests", "kpi_closure", "kpi_ontime")


def _entries(cache: Path) -> set[str]:
    """The result entries in a FileSystemCache folder (not its bookkeeping file)."""
    return {p.name for p in cache.iterdir() if not p.name.startswith("__")} if cache.is_dir() else set()


def _wait_for_warm(store: Path, snapshot: str) -> str:
    log = store / "warm.log"
    deadline = time.monotonic() + 300  # a bound on waiting, not a timed assertion
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        if f"warm: {snapshot}:" in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"the warm run did not finish: {log.read_text() if log.is_file() else 'no log'}")


@pytest.fixture()
def served(demo_store, tmp_path):
    # its own copy of the shipped layouts: the session's shared copy carries the panels other
    # tests add (a deliberately broken one among them), which the warm run rightly counts as failed
    layouts_copy = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts_copy)
    store = tmp_path / "store"
    shutil.copytree(demo_store, store, copy_function=os.link)
    (store / "CURRENT").unlink()
    shutil.copy2(demo_store / "CURRENT", store / "CURRENT")
    cache = tmp_path / "cache"
    srv = Server(store, layouts_copy, cache, tmp_path / "gunicorn.log")
    yield srv, store, cache, layouts_copy
    srv.stop()


def test_first_requests_after_a_publication_are_cache_hits(served, tmp_path):
    srv, store, cache, layouts = served
    write_increment(live_snapshot(store), tmp_path / "drop")
    env = {**os.environ, "COCKPIT_STORE": str(store), "COCKPIT_LAYOUTS": str(layouts),
           "COCKPIT_CACHE_DIR": str(cache), "COCKPIT_DEV": "1"}
    done = subprocess.run([sys.executable, "-m", "cockpit.cli", "ingest", str(tmp_path / "drop"), "--store", str(store)],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warming the result cache" in done.stdout
    snapshot = (store / "CURRENT").read_text().strip()
    log = _wait_for_warm(store, snapshot)
    assert "panel queries" in log and "failed" not in log.splitlines()[-1]
    regions = _top_and_children(store)
    before = _entries(cache)
    assert before, "the warm run stored nothing"
    for panel in PANELS:
        for region in regions:
            search = "" if region is None else f"?region={region}"
            _, status, _ = post(srv.url, cockpit_body(panel, search))
            assert status == 200, (panel, region)
    assert _entries(cache) == before  # every answer came from the cache: nothing new was computed
    # the control: a state the warmer did not ask (another period) is computed and stored
    _, status, _ = post(srv.url, cockpit_body(PANELS[1], "?period=2026-09"))
    assert status == 200
    assert len(_entries(cache)) > len(before)


def _top_and_children(store: Path) -> list[str | None]:
    import duckdb

    regions = live_snapshot(store) / "tables" / "regions.parquet"
    con = duckdb.connect()
    try:
        top = con.execute(f"select region_code from read_parquet('{regions}') where parent_code is null").fetchall()[0][0]
        kids = [r[0] for r in con.execute(f"select region_code from read_parquet('{regions}') where parent_code = $t "
                                          "order by 1 limit 3", {"t": top}).fetchall()]
    finally:
        con.close()
    return [None, *kids]


def test_a_per_process_cache_is_not_warmed(demo_store, tmp_path, monkeypatch):
    from cockpit.settings import get_settings
    from cockpit.web.warm import warm

    monkeypatch.setenv("COCKPIT_CACHE_TYPE", "SimpleCache")
    get_settings.cache_clear()
    try:
        store = tmp_path / "store"
        store.mkdir()
        assert warm(store) == {"skipped": "SimpleCache"}
        assert "belongs to each process" in (store / "warm.log").read_text()
    finally:
        get_settings.cache_clear()


def test_a_worker_renders_the_first_page_before_it_serves(demo_store, tmp_path):
    """A real gunicorn worker (the project's settings file): before its first request it has
    rendered the first page's panels for the top region, into the shared cache."""
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    cache = tmp_path / "cache"
    srv = Server(demo_store, layouts, cache, tmp_path / "gunicorn.log", COCKPIT_WORKER_WARM_S="20")
    try:
        log = (tmp_path / "gunicorn.log").read_text(encoding="utf-8")
        lines = [line for line in log.splitlines() if line.startswith("warm: worker")]
        assert len(lines) == 1 and "failed" not in lines[0], log[-2000:]
        from cockpit.specs.loader import load_catalog

        first = next(p for p in load_catalog(layouts).pages if p.template is None)
        rendered = int(lines[0].split(" rendered ")[1].split()[0])
        assert rendered >= len(first.panel_ids())
        # Server() returned once the worker answered "/": the entries were there before any panel
        # was asked for by a client.
        assert len(_entries(cache)) >= len(first.panel_ids())
    finally:
        srv.stop()


def test_a_warmed_worker_answers_the_top_state_from_memory(demo_store, use_store, tmp_path):
    from cockpit.db import Database
    from cockpit.settings import get_settings
    from cockpit.web import callbacks as cb
    from cockpit.web.app import create_app
    from cockpit.web.warm import warm_worker

    use_store(demo_store, COCKPIT_CACHE_TYPE="SimpleCache", COCKPIT_ACCOUNTS_DB=str(tmp_path / "a.db"))
    server = create_app(get_settings(), Database(demo_store)).server
    views = server.extensions["cockpit_views"]
    assert warm_worker(server, seconds=0) == {"skipped": "off"}
    summary = warm_worker(server, seconds=30)
    assert summary["complete"] and summary["failed"] == 0 and summary["panels"] > 0
    before = views.render_memo.hits
    page = views.page_for("/")
    ids = [{"type": "graph", "panel": p} for p in page.page.names()]
    with server.test_request_context("/"):
        out = cb.render_figures(views, cb.PanelsIn(search="", ids=ids, keys=[], pathname="/", pins=[]))
    figures = [pid for pid, o in out.items() if o.error is None and o.figkey]
    assert figures and views.render_memo.hits - before == len(figures)
