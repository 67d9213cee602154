"""Responses compressed, static files compressed once and cached by browsers for good.

flask-compress picks the best encoding the browser accepts (zstd, Brotli, gzip) for pages,
callback answers and scripts. Scripts and styles whose URL names their version (Dash's
fingerprinted component files, `/assets/…?m=<mtime>`) never change under that URL: they are
compressed once per process (kept in a bounded memory cache) and sent as `immutable`, so a warm
load asks for none of them again. Everything else (callback answers, pages) is compressed per
response and never cached here: one URL answers many different bodies."""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, Response, request
from flask_compress import Compress

#: Types worth compressing (images and fonts are compressed already).
MIMETYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
             "application/json", "application/geo+json", "image/svg+xml"]
#: Memory for compressed static files per process: the partial plotly bundle, Dash's scripts and
#: AG Grid, in a few encodings, fit several times over.
CACHE_BYTES = 48 << 20
#: URL prefixes of versioned static files (the version is in the path or the query).
VERSIONED = ("/_dash-component-suites/", "/assets/", "/static-bundles/", "/geo/")
IMMUTABLE = "public, max-age=31536000, immutable"
_NOT_CACHED = "\x00"


def versioned() -> bool:
    """Whether this request names a static file together with its version."""
    if request.method != "GET" or not request.path.startswith(VERSIONED):
        return False
    if request.path.startswith("/assets/"):
        return "m" in request.args  # Dash adds ?m=<mtime> to every asset it links
    if request.path.startswith("/static-bundles/"):
        return "v" in request.args
    return True  # /geo/<snapshot>/…: a snapshot never changes  # Dash links its component files fingerprinted (…v4_4_1m1796….js)


def _cache_key(req) -> str:
    return req.full_path if versioned() else _NOT_CACHED


class BoundedCache:
    """flask-compress's cache backend: compressed static files by (encoding, URL), least recently
    used dropped beyond `limit` bytes; keys of other responses are never stored."""

    def __init__(self, limit: int = CACHE_BYTES):
        self.limit = limit
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(_NOT_CACHED) or len(value) > self.limit // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old) if old is not None else 0
            self._items[key] = value
            self._size += len(value)
            while self._size > self.limit and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


def install(server: Flask) -> None:
    """Compress the server's responses and let browsers keep versioned static files for good."""
    server.config.update(
        COMPRESS_MIMETYPES=MIMETYPES, COMPRESS_LEVEL=6, COMPRESS_BR_LEVEL=5, COMPRESS_ZSTD_LEVEL=6,
        COMPRESS_MIN_SIZE=500, COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        COMPRESS_CACHE_KEY=_cache_key, COMPRESS_CACHE_BACKEND=BoundedCache,
        # Streams are left alone: no response of the app is one but the asset files, which are
        # read whole below (they are small) and so compressed and cached like the rest.
        COMPRESS_STREAMS=False)
    Compress(server)

    # Registered after flask-compress's hook, so it runs before it (Flask runs them in reverse).
    @server.after_request
    def _versioned_static(response: Response) -> Response:
        if response.status_code == 200 and versioned():
            if response.is_streamed:
                response.direct_passthrough = False
                response.set_data(response.get_data())
            if not request.path.startswith("/geo/"):  # map geometry is per viewer: it says so itself
                response.headers["Cache-Control"] = IMMUTABLE
        return response
