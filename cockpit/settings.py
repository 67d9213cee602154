"""Process-wide settings, read from `COCKPIT_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the store, layouts and cache live, and how queries are bounded."""

    model_config = SettingsConfigDict(env_prefix="COCKPIT_")

    store: Path = PROJECT_ROOT / "data" / "store"
    layouts: Path = PROJECT_ROOT / "layouts"
    cache_type: Literal["FileSystemCache", "RedisCache", "SimpleCache", "NullCache"] = "FileSystemCache"
    cache_dir: Path = PROJECT_ROOT / "data" / "cache"
    redis_url: str | None = None
    cache_timeout_s: int = 3600
    query_timeout_s: float = 20.0
    # Bounded work per panel query: result size, queries at once per process, how long a query
    # waits for its turn, and how long a query that timed out is answered with its error.
    max_result_rows: int = 50_000
    max_result_bytes: int = 20_000_000
    max_concurrent_queries: int = 3
    query_wait_s: float = 10.0
    timeout_memory_s: float = 60.0
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "2GB"
    # The region code every viewer is limited to when no login binds one (the top of the tree if unset).
    jurisdiction: str | None = None
    dev: bool = False
    # Display tokens (and accounts): a SQLite file outside the snapshot store.
    accounts_db: Path = PROJECT_ROOT / "data" / "accounts.db"
    # Signs the shared result cache's entries; unset: the key kept in the accounts database.
    secret_key: str | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached; tests clear the cache after changing env)."""
    return Settings()
