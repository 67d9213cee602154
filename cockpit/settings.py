"""Process-wide settings, read from `COCKPIT_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the store, layouts and cache live, and how queries are bounded."""

    model_config = SettingsConfigDict(env_prefix="COCKPIT_")

    store: Path = PROJECT_ROOT / "data" / "store"
    layouts: Path = PROJECT_ROOT / "layouts"
    cache_type: Literal["FileSystemCache", "RedisCache", "SimpleCache", "NullCache"] = "FileSystemCache"
    cache_dir: Path = PROJECT_ROOT / "data" / "cache"
    # The shared cache of many replicas: COCKPIT_CACHE_TYPE=RedisCache and a URL such as
    # redis://cache-host:6379/0. A Redis that fails is left alone for cache_retry_s seconds
    # (the cockpit computes meanwhile); each call waits at most redis_timeout_s.
    redis_url: str | None = None
    redis_timeout_s: float = Field(1.0, gt=0)
    cache_retry_s: float = Field(5.0, ge=0)
    cache_timeout_s: int = 3600
    # The engine panel SQL runs on: DuckDB in this process (default), or a Spark Connect server
    # (spark_remote) reading the same store path. The cache key names the engine.
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_remote: str = "sc://127.0.0.1:15002"
    query_timeout_s: float = 20.0
    # Bounded work per panel query: result size, queries at once per process, how long a query
    # waits for its turn, and how long a query that timed out is answered with its error.
    max_result_rows: int = 50_000
    max_result_bytes: int = 20_000_000
    max_concurrent_queries: int = 3
    query_wait_s: float = 10.0
    timeout_memory_s: float = 60.0
    duckdb_threads: int = 2
    # After a publication `cockpit ingest` warms the shared cache for the top levels in the
    # background for at most this long (cockpit.web.warm); 0 turns it off.
    warm_s: float = Field(60.0, ge=0)
    # A gunicorn worker renders the first page's panels for the top region before it serves
    # (cockpit.web.gunicorn_conf → warm.warm_worker) for at most this long; 0 turns it off.
    worker_warm_s: float = Field(5.0, ge=0, le=30)
    duckdb_memory_limit: str = "2GB"
    # The region code every viewer is limited to when logins are off (the top of the tree if unset).
    jurisdiction: str | None = None
    dev: bool = False
    # Accounts and display tokens: a SQLite file outside the snapshot store.
    accounts_db: Path = PROJECT_ROOT / "data" / "accounts.db"
    # Logins are on unless explicitly turned off (the local demo of `make run`, tests).
    auth: Literal["on", "off"] = "on"
    # Session cookies are sent over HTTPS only (browsers also accept them from http://localhost).
    cookie_secure: bool = True
    session_hours: float = 8.0
    # "None" (with Secure) lets the session cookie through a cross-site frame such as 浙政钉's.
    cookie_samesite: Literal["Lax", "Strict", "None"] = "Lax"
    # Failed-login throttle per client address (Flask-Limiter syntax); per account it is in the database.
    login_rate: str = "10 per minute"
    # Ingest: a region of regions.parquet whose boundary has more coordinates (vertices) is refused.
    max_region_vertices: int = Field(200_000, ge=4)
    # Who may show the cockpit in a frame: the CSP frame-ancestors sources, space-separated, e.g.
    # "'self' https://*.example.gov.cn" to embed it in 浙政钉 (X-Frame-Options is then left out).
    frame_ancestors: str = "'self'"
    # How many reverse proxies (nginx …) stand in front: their X-Forwarded-For/-Proto/-Host are
    # then trusted. 0 (default): served directly, the headers are ignored.
    proxy_hops: int = Field(default=0, ge=0, le=5)
    # Which plotly.js the pages load: "partial" (built at install: only the trace types of the
    # built-in kinds, a third of the size) or "full" (plotly's own bundle: for a plug-in kind that
    # draws another trace type). "partial" falls back to "full" when the bundle was not built.
    plotly_bundle: Literal["partial", "full"] = "partial"
    # Signs the shared result cache's entries; unset: the key kept in the accounts database.
    secret_key: str | None = None
    # Pushes on each publication (cockpit.ingest.notify): new early warnings and newly overdue
    # items, once each, to this webhook (unset: nothing is sent anywhere), as plain JSON or as a
    # DingTalk robot's markdown message; links in them start with public_url.
    webhook_url: str | None = None
    webhook_format: Literal["json", "dingtalk"] = "json"
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    public_url: str = "http://127.0.0.1:8050"
    # Where the briefing's Chromium opens the cockpit (unset: the address the request came to),
    # and which Chromium it runs (Debian's package by default; no browser is downloaded).
    brief_base_url: str | None = None
    chromium: str = "/usr/bin/chromium"

    @model_validator(mode="after")
    def _redis_needs_a_url(self) -> "Settings":
        if self.cache_type == "RedisCache" and not self.redis_url:
            raise ValueError("COCKPIT_CACHE_TYPE=RedisCache needs COCKPIT_REDIS_URL (e.g. redis://cache-host:6379/0)")
        if not self.spark_remote.startswith("sc://"):
            raise ValueError(f"COCKPIT_SPARK_REMOTE must be a Spark Connect URL sc://host:port, not {self.spark_remote!r}")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached; tests clear the cache after changing env)."""
    return Settings()
