"""Bounded work per request: result caps, queries at once, a remembered timeout, one run per key,
and a runaway panel on a real gunicorn that does not stop other viewers being answered."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Server
from query_support import ctx_for, db  # noqa: F401 - db is a fixture
from cockpit.query import QueryError, ResultCache, run_sql
from cockpit.web import wire

# Never finishes in time: the demo's requests crossed with themselves three times (scoped, so
# the guard lets it through; a panel can be slow without reading anything it may not).
RUNAWAY_SQL = "select count(*) as n from requests_scoped a, requests_scoped b, requests_scoped c"


def file_cache(tmp_path) -> ResultCache:
    """A ResultCache on a real FileSystemCache directory, as the app configures it."""
    from flask import Flask

    from cockpit.settings import get_settings

    cache = ResultCache()
    settings = get_settings().model_copy(update={"cache_type": "FileSystemCache", "cache_dir": tmp_path / "cache",
                                                 "secret_key": "test-key"})
    cache.init_app(Flask("t"), settings)
    return cache


def entries(cache: ResultCache) -> list[str]:
    return list(cache.cache.backend.cache._list_dir())


def test_a_result_over_the_row_cap_is_refused_without_reading_it_all(db, use_store, demo_store):
    use_store(demo_store, COCKPIT_MAX_RESULT_ROWS="100")
    ctx = ctx_for(db)
    with pytest.raises(QueryError, match="result has more than 100 rows; aggregate or add LIMIT"):
        run_sql("select request_id from requests_scoped", ctx, db=db)
    assert len(run_sql("select request_id from requests_scoped limit 100", ctx, db=db)) == 100
    # Ten billion rows: refused as soon as the 101st arrives, long before the timeout.
    started = time.monotonic()
    with pytest.raises(QueryError, match="more than 100 rows"):
        run_sql("select range as n from range(10000000000)", ctx, db=db)
    assert time.monotonic() - started < 5


def test_a_result_over_the_byte_cap_is_refused(db, use_store, demo_store):
    use_store(demo_store, COCKPIT_MAX_RESULT_BYTES="1000000")
    ctx = ctx_for(db)
    assert len(run_sql("select repeat('x', 100) as s from range(1000)", ctx, db=db)) == 1000  # ~0.1 MB
    with pytest.raises(QueryError, match=r"result is larger than 1 MB; aggregate, select fewer columns or add LIMIT"):
        # 5 000 rows of 10 kB (50 MB, well under the row cap): refused once the batches read pass 1 MB.
        run_sql("select repeat('x', 10000) as s from range(5000)", ctx, db=db)


def test_only_bounded_results_are_cached(db, use_store, demo_store, tmp_path):
    use_store(demo_store, COCKPIT_MAX_RESULT_ROWS="100")
    cache = file_cache(tmp_path)
    ctx = ctx_for(db)
    for _ in range(2):
        with pytest.raises(QueryError, match="more than 100 rows"):
            cache.query("select request_id from requests_scoped", ctx, db)
    assert entries(cache) == []
    small = cache.query("select category, count(*) as n from requests_scoped group by 1 order by 1", ctx, db)
    assert len(entries(cache)) == 1
    again = cache.query("select category, count(*) as n from requests_scoped group by 1 order by 1", ctx, db)
    assert again.equals(small) and list(again.dtypes) == list(small.dtypes)


def test_queries_at_once_are_limited_and_a_waiting_query_fails_clearly(db, use_store, demo_store):
    use_store(demo_store, COCKPIT_MAX_CONCURRENT_QUERIES="1", COCKPIT_QUERY_WAIT_S="0.5",
              COCKPIT_QUERY_TIMEOUT_S="3", COCKPIT_TIMEOUT_MEMORY_S="0")
    ctx = ctx_for(db, lang="en")
    slow = threading.Thread(target=lambda: pytest.raises(QueryError, run_sql, RUNAWAY_SQL, ctx, db=db))
    slow.start()
    time.sleep(0.5)
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"the cockpit is busy \(1 queries already running\); waited 0.5 s"):
        run_sql("select count(*) as n from requests_scoped", ctx, db=db)
    assert time.monotonic() - started < 2
    slow.join()
    # The slot is free again once the slow query was stopped.
    assert run_sql("select count(*) as n from requests_scoped", ctx, db=db).n[0] > 0


def test_a_query_that_timed_out_is_answered_with_its_error_for_a_while(db, use_store, demo_store, tmp_path):
    use_store(demo_store, COCKPIT_QUERY_TIMEOUT_S="0.5", COCKPIT_TIMEOUT_MEMORY_S="2")
    ctx = ctx_for(db)
    sql = RUNAWAY_SQL + " where a.street_code like '33%'"
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"query exceeded 0.5 s and was stopped"):
        run_sql(sql, ctx, db=db)
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"query exceeded 0.5 s and was stopped"):
        run_sql(sql, ctx, db=db)
    assert time.monotonic() - started < 0.3  # remembered, not run again
    # Another context is another query: it runs (and times out) by itself.
    started = time.monotonic()
    with pytest.raises(QueryError, match="exceeded"):
        run_sql(sql, ctx_for(db, lang="en"), db=db)
    assert time.monotonic() - started >= 0.5
    time.sleep(2.1)
    started = time.monotonic()
    with pytest.raises(QueryError, match="exceeded"):
        run_sql(sql, ctx, db=db)
    assert time.monotonic() - started >= 0.5  # forgotten: run again


def test_workers_sharing_a_cache_share_the_timeout_and_one_process_runs_a_key_once(db, use_store, demo_store,
                                                                                    tmp_path):
    use_store(demo_store, COCKPIT_QUERY_TIMEOUT_S="1.5", COCKPIT_TIMEOUT_MEMORY_S="30",
              COCKPIT_MAX_CONCURRENT_QUERIES="1", COCKPIT_QUERY_WAIT_S="5")
    first, other_worker = file_cache(tmp_path), file_cache(tmp_path)
    ctx = ctx_for(db, region="330100")
    sql = RUNAWAY_SQL + " where b.street_code like '3301%'"
    done: list[float] = []

    def viewer():
        with pytest.raises(QueryError, match="exceeded 1.5 s"):
            first.query(sql, ctx, db)
        done.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=viewer) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # One run (1.5 s) answered all three; run one after another (one slot) they would take 4.5 s.
    assert max(done) - started < 2.8, [d - started for d in done]
    # Another worker (its own process memory, the same cache) answers with the error at once.
    from cockpit import query

    query.timed_out._errors.clear()  # what this process remembers: the other worker does not
    started = time.monotonic()
    with pytest.raises(QueryError, match="exceeded 1.5 s"):
        other_worker.query(sql, ctx, db)
    assert time.monotonic() - started < 0.3


# -- a real gunicorn ------------------------------------------------------------------------------

RUNAWAY_PANEL = f'''
title = {{ zh = "失控面板", en = "Runaway" }}
kind = "kpi"
sql = "{RUNAWAY_SQL}"
[options]
value = "n"
'''


RUNAWAY_PAGE = '''
title = { zh = "失控", en = "Runaway" }
path = "/runaway"
[page]
areas = ["zz_runaway"]
'''


def _post(url: str, body: dict) -> tuple[float, dict]:
    started = time.monotonic()
    req = urllib.request.Request(url + wire.UPDATE_PATH, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return time.monotonic(), json.loads(resp.read())


def _error(payload: dict, panel: str):
    return wire.response_value(payload, {"out": "figure", "panel": panel, "type": "error"}, "children")


@pytest.fixture()
def runaway_server(demo_store, tmp_path):
    import shutil

    from conftest import ROOT

    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    (layouts / "panels" / "zz_runaway.toml").write_text(RUNAWAY_PANEL, encoding="utf-8")
    (layouts / "zz_runaway.toml").write_text(RUNAWAY_PAGE, encoding="utf-8")
    srv = Server(demo_store, layouts, tmp_path / "cache", tmp_path / "gunicorn.log", workers=1, threads=4,
                 COCKPIT_QUERY_TIMEOUT_S="8", COCKPIT_MAX_CONCURRENT_QUERIES="3", COCKPIT_QUERY_WAIT_S="2",
                 COCKPIT_TIMEOUT_MEMORY_S="60", COCKPIT_SECRET_KEY="test-secret")
    yield srv
    srv.stop()


def test_a_runaway_panel_does_not_stop_other_viewers_being_answered(runaway_server):
    url = runaway_server.url
    panels = {"kpi_requests": "/", "kpi_closure": "/", "category_bar": "/requests", "volume_trend": "/requests",
              "map_requests": "/", "kpi_ontime": "/"}  # each on its page
    with ThreadPoolExecutor(16) as pool:
        started = time.monotonic()
        # Six viewers open the page with the runaway panel at once: more than the worker's 4 threads.
        runaway = [pool.submit(_post, url, wire.graph_request("zz_runaway", "", pathname="/runaway")) for _ in range(6)]
        time.sleep(1.0)
        # Meanwhile another viewer, on another region, loads ordinary panels.
        others = [pool.submit(_post, url, wire.graph_request(pid, "?region=330106", pathname=path))
                  for pid, path in panels.items()]
        answered = [f.result() for f in others]
        stuck = [f.result() for f in runaway]
    leader_done = max(t for t, _ in stuck)
    for pid, (at, payload) in zip(panels, answered):
        assert _error(payload, pid) is None, (pid, _error(payload, pid))
        assert at < leader_done, f"{pid} was answered only after the runaway query ended"
    assert max(t for t, _ in answered) - started < 7
    errors = [" ".join(map(str, _error(p, "zz_runaway"))) for _, p in stuck]
    assert sum("exceeded 8 s" in e for e in errors) == 1, errors  # one run, stopped at its timeout
    assert all("exceeded 8 s" in e or "still running" in e for e in errors), errors
    assert leader_done - started < 12
    # Now remembered: the next viewer gets the same error at once instead of another 8 s run.
    asked = time.monotonic()
    at, payload = _post(url, wire.graph_request("zz_runaway", "", pathname="/runaway"))
    assert at - asked < 1.5
    assert "exceeded 8 s" in " ".join(map(str, _error(payload, "zz_runaway")))
    assert runaway_server.proc.poll() is None
