"""The shared result cache without pickles: raw bytes in the backend, an HMAC on every entry.

flask-caching's FileSystemCache and RedisCache pickle what they store, so whoever can write to the
cache directory or to Redis gets code run in every worker that reads an entry back. Here:

- the backends (`BytesFileSystemCache`, `BytesRedisCache`, `BytesSimpleCache`, chosen through
  flask-caching's `CACHE_TYPE` import path) use `RawSerializer`, which stores bytes (and the
  integers cachelib keeps for its own bookkeeping) as they are and *never* unpickles: anything
  else it reads back is ignored;
- `SignedStore`, what the cockpit code talks to, takes `bytes` or `str` and stores them with an
  HMAC-SHA256 over the cache key and the value, so a value is only accepted under the key it was
  stored for; a tampered, foreign or moved entry is a miss (the caller computes it again).

Query results are stored as Arrow IPC streams (`cockpit.query`); the display walls store their
JSON payloads as text. A shared backend that fails (Redis restarting or unreachable) is a miss,
never an error: `SignedStore` logs it, answers every `get` with None and drops every `set` for
`retry_s` seconds, then tries the backend again, so the cockpit keeps computing in the meantime
instead of waiting on a dead connection at every request. The key is `COCKPIT_SECRET_KEY`, or else the deployment's shared key kept in
the accounts database (`cockpit.access.users.secret_key`), so every worker and replica agrees.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets
import threading
import time
from typing import Any

import pyarrow as pa
from cachelib.serializers import BaseSerializer
from flask_caching.backends.filesystemcache import FileSystemCache
from flask_caching.backends.rediscache import RedisCache
from flask_caching.backends.simplecache import SimpleCache

from cockpit.settings import Settings

log = logging.getLogger("cockpit.cache")

MAGIC = b"CKPC1"
_MAC_LEN = 32
_KINDS = {b"b": bytes, b"s": str}


class RawSerializer(BaseSerializer):
    """Bytes in, bytes out: `b"B" + value`; integers (cachelib's file count) as ASCII digits.
    `loads` never unpickles: a pickle (or anything else) reads back as None, i.e. a miss."""

    def dumps(self, value: Any, protocol: int | None = None) -> bytes:
        if isinstance(value, (bytes, bytearray)):
            return b"B" + bytes(value)
        if type(value) is int:
            return str(value).encode("ascii")
        raise TypeError(f"the cockpit cache stores bytes only, not {type(value).__name__}")

    def loads(self, data: Any) -> bytes | int | None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            return None
        data = bytes(data)
        if data[:1] == b"B":
            return data[1:]
        if data[:1].isdigit() or data[:1] == b"-":
            try:
                return int(data.decode("ascii"))
            except ValueError:
                return None
        return None

    def dump(self, value: Any, f: Any, protocol: int | None = None) -> None:
        f.write(self.dumps(value))

    def load(self, f: Any) -> bytes | int | None:
        return self.loads(f.read())


class BytesFileSystemCache(FileSystemCache):
    """flask-caching's FileSystemCache storing raw bytes (`RawSerializer`)."""

    serializer = RawSerializer()


class BytesRedisCache(RedisCache):
    """flask-caching's RedisCache storing raw bytes (`RawSerializer`)."""

    serializer = RawSerializer()


class BytesSimpleCache(SimpleCache):
    """flask-caching's in-process SimpleCache storing raw bytes (`RawSerializer`)."""

    serializer = RawSerializer()


#: settings.cache_type -> the flask-caching CACHE_TYPE (import path) that stores no pickles.
BACKENDS = {
    "FileSystemCache": f"{__name__}.BytesFileSystemCache",
    "RedisCache": f"{__name__}.BytesRedisCache",
    "SimpleCache": f"{__name__}.BytesSimpleCache",
    "NullCache": "NullCache",
}


def cache_secret(settings: Settings) -> bytes:
    """The HMAC key of the cache entries. A shared cache (files, Redis) needs the same key in every
    worker: `COCKPIT_SECRET_KEY`, else the key stored beside the accounts. An in-process cache
    gets a key of its own process. Derived for this one purpose, never the raw session key."""
    if settings.secret_key:
        base = settings.secret_key.encode()
    elif settings.cache_type in ("FileSystemCache", "RedisCache"):
        from cockpit.access.users import secret_key

        base = secret_key(settings.accounts_db).encode()
    else:
        base = secrets.token_bytes(32)
    return hmac.new(base, b"cockpit result cache v1", hashlib.sha256).digest()


class SignedStore:
    """`get`/`set` of bytes and str through any flask-caching cache, each entry signed with an HMAC
    over (key, kind, value). `get` answers None for a missing, expired, tampered or foreign entry,
    and for a backend that fails (it is then left alone for `retry_s` seconds)."""

    def __init__(self, backend: Any, secret: bytes, retry_s: float = 5.0):
        self.backend = backend
        self._secret = secret
        self.retry_s = retry_s
        self._down_until = 0.0
        self._down_lock = threading.Lock()

    @property
    def available(self) -> bool:
        """False while a failed backend is being left alone."""
        return time.monotonic() >= self._down_until

    def _call(self, operation: str, key: str, *args: Any, **kwargs: Any) -> Any:
        """One backend call; a failure marks the backend down and answers None."""
        if not self.available:
            return None
        try:
            return getattr(self.backend, operation)(key, *args, **kwargs)
        except Exception as exc:  # redis.ConnectionError, TimeoutError, OSError …: the backend, not us
            with self._down_lock:
                first = self.available
                self._down_until = time.monotonic() + self.retry_s
            if first:
                log.warning("shared cache unavailable (%s: %s); computing without it for %g s",
                            type(exc).__name__, str(exc)[:200], self.retry_s)
            return None

    def _mac(self, key: str, body: bytes) -> bytes:
        return hmac.new(self._secret, key.encode() + b"\x00" + body, hashlib.sha256).digest()

    def set(self, key: str, value: bytes | str, timeout: int | None = None) -> bool:
        if isinstance(value, str):
            body = b"s" + value.encode("utf-8")
        elif isinstance(value, (bytes, bytearray)):
            body = b"b" + bytes(value)
        else:
            raise TypeError(f"the cockpit cache stores bytes or str, not {type(value).__name__}")
        return bool(self._call("set", key, MAGIC + self._mac(key, body) + body, timeout=timeout))

    def get(self, key: str) -> bytes | str | None:
        raw = self._call("get", key)
        if raw is None:
            return None
        if not isinstance(raw, (bytes, bytearray)) or not bytes(raw).startswith(MAGIC):
            log.warning("cache entry %s is not a cockpit entry: ignored", key[:18])
            return None
        raw = bytes(raw)
        mac, body = raw[len(MAGIC):len(MAGIC) + _MAC_LEN], raw[len(MAGIC) + _MAC_LEN:]
        if not hmac.compare_digest(mac, self._mac(key, body)) or body[:1] not in _KINDS:
            log.warning("cache entry %s has a bad signature: ignored", key[:18])
            return None
        return body[1:] if body[:1] == b"b" else body[1:].decode("utf-8")

    def delete(self, key: str) -> bool:
        return bool(self._call("delete", key))

    def clear(self) -> bool:
        try:
            return bool(self.backend.clear())
        except Exception as exc:
            log.warning("shared cache not cleared (%s: %s)", type(exc).__name__, str(exc)[:200])
            return False


def table_to_ipc(table: pa.Table) -> bytes:
    """An Arrow table as one IPC stream."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def ipc_to_table(data: bytes) -> pa.Table:
    """The Arrow table of an IPC stream written by `table_to_ipc`."""
    return pa.ipc.open_stream(pa.BufferReader(data)).read_all()
