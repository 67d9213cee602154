"""Replicas sharing one cache: two real gunicorn instances on different ports, one real
redis-server. A result computed by one is served by the other, a new snapshot is picked up by
both, and Redis going away degrades to computing, never to errors."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest

from cockpit.web import wire
from conftest import ROOT, Server
from service_support import RedisServer

PANEL = "category_bar"
SECRET = "replicas-share-this-key"


def _post(srv: Server, body: dict) -> dict:
    req = urllib.request.Request(srv.url + wire.UPDATE_PATH, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def _panel(srv: Server, panel: str = PANEL, search: str = "?") -> tuple[dict, str, str | None]:
    """(figure, stamp, error card) of one figure panel as a browser would get them."""
    out = _post(srv, wire.graph_request(panel, search, pathname="/requests"))["response"]  # PANEL's page
    gid = wire.id_str({"type": "graph", "panel": panel})
    stamp = wire.id_str({"out": "figure", "panel": panel, "type": "stamp"})
    error = wire.id_str({"out": "figure", "panel": panel, "type": "error"})
    return out[gid]["figure"], out[stamp]["children"], out.get(error, {}).get("children")


@pytest.fixture()
def replicas(demo_store, tmp_path):
    """A private copy of the demo store served by two gunicorn instances sharing one redis-server."""
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    redis = RedisServer(tmp_path / "redis")
    env = {"COCKPIT_CACHE_TYPE": "RedisCache", "COCKPIT_REDIS_URL": redis.url, "COCKPIT_SECRET_KEY": SECRET,
           "COCKPIT_CACHE_RETRY_S": "0", "COCKPIT_ACCOUNTS_DB": str(tmp_path / "accounts.db"),
           # no warm-up at boot: the tests follow what each replica computes from its first request
           "COCKPIT_WORKER_WARM_S": "0"}
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(Server(store, ROOT / "layouts", tmp_path / f"cache-{name}", tmp_path / f"{name}.log",
                                  workers=1, threads=4, **env))
        yield store, redis, servers[0], servers[1]
    finally:
        for srv in servers:
            srv.stop()
        redis.stop()


def test_a_result_computed_by_one_replica_is_served_by_the_other(replicas):
    _, redis, a, b = replicas
    before = redis.stats()
    fig_a, stamp_a, error_a = _panel(a)
    assert error_a is None and fig_a["data"]
    after_a = redis.stats()
    assert after_a["keys"] > before["keys"]  # a computed and stored its results
    fig_b, stamp_b, error_b = _panel(b)
    after_b = redis.stats()
    assert error_b is None and (fig_b, stamp_b) == (fig_a, stamp_a)
    assert after_b["keys"] == after_a["keys"]  # b stored nothing new: it computed nothing
    assert after_b["misses"] == after_a["misses"]  # every lookup of b found a's entry
    assert after_b["hits"] > after_a["hits"]


def test_a_new_snapshot_is_picked_up_by_both_replicas(replicas, tmp_path):
    from cockpit.demo import write_demo_drop
    from cockpit.ingest import cli_ingest

    store, redis, a, b = replicas
    old_a, old_b = _panel(a), _panel(b)
    assert old_a[1] == old_b[1] and "2026-11-25" in old_a[1]
    keys = redis.stats()["keys"]
    drop = write_demo_drop(tmp_path / "drop2", requests=3_000, seed=2026, as_of="2026-11-26")
    assert cli_ingest(drop, store) == 0
    new_b, new_a = _panel(b), _panel(a)  # b first this time: it computes, a reads b's entries
    assert "2026-11-26" in new_a[1] and new_a == new_b and new_a[2] is None
    assert redis.stats()["keys"] > keys  # the new snapshot's results are new entries


def test_redis_going_away_degrades_to_computing(replicas):
    _, redis, a, b = replicas
    expected = _panel(a)
    redis.stop()
    for srv in (a, b):  # b never saw the result: it computes without the cache
        assert _panel(srv) == expected
        other = _panel(srv, "kpi_requests")
        assert other[2] is None and other[0]["data"]
    redis.start()  # back on the same port, empty: the replicas use it again
    assert redis.stats()["keys"] == 0
    assert _panel(b) == expected  # (what b answered meanwhile it may answer from its own memory)
    county = _panel(b, search="?region=330106")  # a result b has not rendered yet: into Redis
    assert county[2] is None and county[0] != expected[0]
    assert redis.stats()["keys"] > 0
    assert _panel(a, search="?region=330106") == county  # ...and served to the other replica


def test_a_failing_backend_is_a_miss_and_is_left_alone_for_a_while(tmp_path):
    """The signed store in front of a real Redis client whose server is gone."""
    import redis as redis_lib
    from flask_caching.backends.rediscache import RedisCache

    from cockpit.cache import BytesRedisCache, SignedStore

    server = RedisServer(tmp_path / "redis")
    try:
        client = redis_lib.Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=1)
        backend = BytesRedisCache(host=client)
        assert isinstance(backend, RedisCache)
        store = SignedStore(backend, b"k" * 32, retry_s=3600)
        assert store.set("q:1", b"result") and store.get("q:1") == b"result"
        server.stop()
        assert store.get("q:1") is None  # the failure: a miss, logged once
        assert not store.available
        assert store.set("q:2", b"other") is False  # left alone: not even tried
        server.start()
        assert store.get("q:1") is None  # still within retry_s: not asked
        store.retry_s = 0
        store._down_until = 0.0  # the retry time has come
        assert store.set("q:2", b"other") and store.get("q:2") == b"other"
    finally:
        server.stop()


def test_redis_cache_without_a_url_is_a_clear_error():
    from pydantic import ValidationError

    from cockpit.settings import Settings

    with pytest.raises(ValidationError, match="COCKPIT_REDIS_URL"):
        Settings(cache_type="RedisCache", redis_url=None)
