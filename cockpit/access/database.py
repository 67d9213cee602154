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
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,       -- argon2id, with its own salt and parameters
    role          TEXT NOT NULL CHECK (role IN ('leader', 'analyst', 'admin')),
    region_code   TEXT NOT NULL,       -- the account's jurisdiction: a region and its subtree
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    session_epoch INTEGER NOT NULL DEFAULT 0   -- bumped by passwd/disable: older sessions end
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT NOT NULL,
    at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_name ON login_failures (name, at);
CREATE TABLE IF NOT EXISTS audit (
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,              -- account name, or 'token:<id>' for a display
    event  TEXT NOT NULL,              -- login, login_failed, logout, view, users_add ...
    detail TEXT NOT NULL DEFAULT '',
    ip     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
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
