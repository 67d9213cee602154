"""The accounts database: one SQLite file shared by every worker of a deployment.

Why SQLite: the standard library has it, it is a real transactional file database, and WAL mode
lets many gunicorn workers read while one writes. Every call opens its own short connection, so
nothing is shared across a fork."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS display_tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL,        -- sha256 of the secret half; the secret itself is never stored
    wall         TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
"""


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the accounts database at `path` (created with its schema if missing),
    committed on success and closed in every case."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(SCHEMA)
        yield con
        con.commit()
    finally:
        con.close()
