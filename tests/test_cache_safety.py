"""The shared cache runs no one's code and serves only its own entries: results are signed Arrow
IPC bytes, the backend never unpickles, and cross-filter junk does not make entries of its own.
Real app, real FileSystemCache directory, real pickles."""

from __future__ import annotations

import hashlib
import pickle
import struct
from pathlib import Path

import pytest

from cockpit.cache import BACKENDS, MAGIC, BytesRedisCache, RawSerializer, SignedStore
from cockpit.db import Database
from cockpit.filters import UNKNOWN_VALUE, FilterState, parse_query, resolve
from cockpit.query import build_sql, query_key, run_sql
from cockpit.web import wire

COUNT_FILE = hashlib.sha256(b"__wz_cache_count").hexdigest()


class Plant:
    """A pickle that creates a file when it is loaded (what an attacker would plant)."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def planted(marker: Path) -> bytes:
    """A FileSystemCache file (expiry header, then the pickle) that runs code when unpickled."""
    return struct.pack("I", 0) + pickle.dumps(Plant(marker))


@pytest.fixture()
def app(demo_store, use_store, tmp_path):
    """The app as app.py builds it, on a real cache directory; the cache key comes from the
    accounts database (no COCKPIT_SECRET_KEY), as in a deployment that sets none."""
    cache_dir = tmp_path / "cache"
    use_store(demo_store, COCKPIT_CACHE_TYPE="FileSystemCache", COCKPIT_CACHE_DIR=str(cache_dir),
              COCKPIT_ACCOUNTS_DB=str(tmp_path / "accounts.db"))
    from cockpit.settings import get_settings
    from cockpit.web.app import create_app

    db = Database(demo_store)
    client = create_app(get_settings(), db).server.test_client()
    return client, cache_dir, db


def entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.iterdir() if p.name != COUNT_FILE and not p.name.endswith(".__wz_cache"))


def kpi(client, search: str) -> float:
    """The KPI's value as a fresh worker answers it: from the shared cache or computed (a worker's
    memory of what it rendered before would skip the cache under test)."""
    client.application.extensions["cockpit_views"].render_memo.clear()
    resp = wire.post(client, wire.graph_request("kpi_requests", search))
    assert resp.status_code == 200, resp.data[:500]
    payload = resp.get_json()
    assert wire.response_value(payload, {"out": "figure", "panel": "kpi_requests", "type": "error"},
                               "children") is None
    return wire.response_value(payload, {"panel": "kpi_requests", "type": "graph"}, "figure")["data"][0]["value"]


def cache_file(cache_dir: Path, db: Database, search: str) -> Path:
    """Where the FileSystemCache keeps the kpi_requests result of a URL."""
    from cockpit.specs.loader import load_catalog
    from cockpit.settings import get_settings

    sql = load_catalog(get_settings().layouts).panels["kpi_requests"].spec.sql
    ctx = resolve(parse_query(search), db, None).ctx
    key = query_key(db, ctx, build_sql(db, ctx.snapshot, sql))
    return cache_dir / hashlib.sha256(key.encode()).hexdigest()


def test_the_planted_pickle_would_run_with_a_stock_backend(tmp_path):
    """The threat is real: flask-caching's own FileSystemCache unpickles what it finds."""
    from flask_caching.backends.filesystemcache import FileSystemCache

    marker = tmp_path / "pwned"
    stock = FileSystemCache(str(tmp_path / "stock"), threshold=0)
    Path(stock._get_filename("k")).write_bytes(planted(marker))
    stock.get("k")
    assert marker.exists()


def test_a_pickle_planted_in_the_cache_directory_is_not_executed(app, tmp_path):
    client, cache_dir, db = app
    marker = tmp_path / "pwned"
    # Planted before the entry exists, under the very file the result will be cached in.
    target = cache_file(cache_dir, db, "?region=330106")
    target.write_bytes(planted(marker))
    county = kpi(client, "?region=330106")
    assert not marker.exists()
    sql_value = run_sql("select sum(received) as n from requests_daily_scoped where day >= $period_start "
                        "and day < $period_end", resolve(FilterState(region="330106"), db, None).ctx, db=db).n[0]
    assert county == sql_value > 0
    # Planted over every entry the cache holds: each is ignored and computed again, correctly.
    province = kpi(client, "")
    assert entries(cache_dir)
    for path in entries(cache_dir):
        path.write_bytes(planted(marker))
    assert kpi(client, "") == province
    assert kpi(client, "?region=330106") == county
    assert not marker.exists()
    # ...and the recomputed entries are the cockpit's own again: signed bytes, no pickle.
    assert all(p.read_bytes()[4:5] == b"B" and p.read_bytes()[5:5 + len(MAGIC)] == MAGIC for p in entries(cache_dir))


def test_tampered_and_moved_entries_are_not_served(app):
    client, cache_dir, db = app
    city, county = kpi(client, "?region=330100"), kpi(client, "?region=330106")
    assert city != county
    city_file, county_file = cache_file(cache_dir, db, "?region=330100"), cache_file(cache_dir, db, "?region=330106")
    # An entry moved under another key (a county viewer shown the city's figure): refused.
    county_file.write_bytes(city_file.read_bytes())
    assert kpi(client, "?region=330106") == county
    # One byte changed in the signed value: refused.
    data = bytearray(city_file.read_bytes())
    data[-1] ^= 0x01
    city_file.write_bytes(bytes(data))
    assert kpi(client, "?region=330100") == city


def test_text_and_bytes_round_trip_and_foreign_values_are_misses(app):
    from cockpit.query import results

    store = results.cache
    store.set("wall:test", '{"panels": {"a": "诉求"}}')
    store.set("bin:test", b"\x00\x01raw")
    assert store.get("wall:test") == '{"panels": {"a": "诉求"}}'
    assert store.get("bin:test") == b"\x00\x01raw"
    store.backend.set("wall:foreign", b"unsigned")
    assert store.get("wall:foreign") is None
    with pytest.raises(TypeError):
        store.set("wall:obj", {"a": 1})  # no objects: they would need pickling


def test_workers_share_the_key_of_the_accounts_database(demo_store, use_store, tmp_path):
    from flask import Flask

    from cockpit.query import ResultCache
    from cockpit.settings import get_settings

    use_store(demo_store, COCKPIT_CACHE_TYPE="FileSystemCache", COCKPIT_CACHE_DIR=str(tmp_path / "cache"),
              COCKPIT_ACCOUNTS_DB=str(tmp_path / "accounts.db"))
    one, two = ResultCache(), ResultCache()
    one.init_app(Flask("a"), get_settings())
    two.init_app(Flask("b"), get_settings())
    one.cache.set("k", b"v")
    assert two.cache.get("k") == b"v"
    import sqlite3

    with sqlite3.connect(tmp_path / "accounts.db") as con:
        assert con.execute("SELECT count(*) FROM settings WHERE key = 'secret_key'").fetchone()[0] == 1
    use_store(demo_store, COCKPIT_CACHE_TYPE="FileSystemCache", COCKPIT_CACHE_DIR=str(tmp_path / "cache"),
              COCKPIT_SECRET_KEY="another deployment")
    other = ResultCache()
    other.init_app(Flask("c"), get_settings())
    assert other.cache.get("k") is None  # signed with another key: foreign


def test_the_redis_backend_never_unpickles(tmp_path):
    from werkzeug.utils import import_string

    assert import_string(BACKENDS["RedisCache"]) is BytesRedisCache
    marker = tmp_path / "pwned"
    serializer = BytesRedisCache.serializer
    assert isinstance(serializer, RawSerializer)
    assert serializer.loads(b"!" + pickle.dumps(Plant(marker))) is None  # cachelib's pickle format
    assert serializer.loads(pickle.dumps(Plant(marker))) is None
    assert not marker.exists()
    assert serializer.loads(serializer.dumps(b"\x80raw")) == b"\x80raw"
    assert serializer.loads(serializer.dumps(42)) == 42
    with pytest.raises(TypeError):
        serializer.dumps(Plant(marker))


def test_signed_store_refuses_values_of_other_keys(tmp_path):
    from flask import Flask
    from flask_caching import Cache

    backend = Cache(Flask("t"), config={"CACHE_TYPE": BACKENDS["FileSystemCache"], "CACHE_DIR": str(tmp_path)})
    store = SignedStore(backend, b"k" * 32)
    store.set("a", b"one")
    backend.set("b", backend.get("a"))  # the raw signed entry of "a", under "b"
    assert store.get("a") == b"one" and store.get("b") is None


def test_cross_filter_junk_makes_no_cache_entries(app):
    client, cache_dir, db = app
    assert kpi(client, "?region=330106") > 0
    before = len(entries(cache_dir))
    values = [kpi(client, f"?region=330106&f_category=junk{i}") for i in range(12)]
    values += [kpi(client, "?region=330106&f_category=x%27%20or%201%3D1%20--")]
    assert values == [0] * len(values)  # a value no request has matches nothing, as before
    # The first unknown value is one new context (the panel and its sparkline); the others add none.
    grown = len(entries(cache_dir)) - before
    assert grown <= 2
    for i in range(12, 30):
        kpi(client, f"?region=330106&f_category=junk{i}")
    assert len(entries(cache_dir)) - before == grown
    # A value the snapshot has is a context of its own.
    assert kpi(client, "?region=330106&f_category=%E5%9F%8E%E5%B8%82%E7%AE%A1%E7%90%86") > 0  # 城市管理
    assert len(entries(cache_dir)) - before > grown


def test_unknown_cross_filter_values_never_reach_sql(app):
    client, _, db = app
    a = resolve(FilterState(filters={"category": "junk-a"}), db, None).ctx
    b = resolve(FilterState(filters={"category": "junk-b", "channel": "no such channel"}), db, None).ctx
    assert a.filters == {"category": UNKNOWN_VALUE}
    assert b.filters == {"category": UNKNOWN_VALUE, "channel": UNKNOWN_VALUE}
    assert a.cache_key() == resolve(FilterState(filters={"category": "junk-c"}), db, None).ctx.cache_key()
    known = resolve(FilterState(filters={"category": "城市管理"}), db, None).ctx
    assert known.filters == {"category": "城市管理"}
    assert ("known_values", a.snapshot, "category") in db.memo  # looked up once per snapshot
    resp = wire.post(client, wire.graph_request("kpi_requests", "?f_category=junk-a"))
    meta = wire.response_value(resp.get_json(), {"out": "figure", "panel": "kpi_requests", "type": "sqlmeta"},
                               "children")
    assert "junk-a" not in meta and f"$f_category={UNKNOWN_VALUE}" in meta
