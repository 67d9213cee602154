"""Display tokens: read-only keys that open one wall for one region subtree, nothing else.

A token reads `<id>.<secret>`. Only a SHA-256 of the secret is stored (the secret has 192 random
bits, so a slow password hash would add nothing but latency on every wall request); the id is
printed and listed so that a token can be revoked without ever showing its secret again."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cockpit.access.database import connect

_TOKEN = re.compile(r"^(tok_[0-9a-f]{10})\.([A-Za-z0-9_\-]{20,64})$")
_ID = re.compile(r"^tok_[0-9a-f]{10}$")
#: How stale `last_used_at` may get before a verification writes it again (keeps walls off the write lock).
TOUCH_EVERY_S = 60


@dataclass(frozen=True)
class DisplayToken:
    """One token as stored (never with its secret)."""

    id: str
    wall: str
    region: str
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _row(r: tuple) -> DisplayToken:
    return DisplayToken(*r)


_COLUMNS = "id, wall, region_code, label, created_at, last_used_at, revoked_at"


def create(db: Path, wall: str, region: str, label: str = "") -> tuple[DisplayToken, str]:
    """A new token for `wall` limited to `region`; returns it with the full token text (the only
    time the secret exists outside the client)."""
    secret = secrets.token_urlsafe(24)
    with connect(db) as con:
        while True:
            token_id = "tok_" + secrets.token_hex(5)
            if con.execute("SELECT 1 FROM display_tokens WHERE id = ?", (token_id,)).fetchone() is None:
                break
        con.execute("INSERT INTO display_tokens (id, secret_hash, wall, region_code, label, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (token_id, _hash(secret), wall, region, label, _now()))
        row = con.execute(f"SELECT {_COLUMNS} FROM display_tokens WHERE id = ?", (token_id,)).fetchone()
    return _row(row), f"{token_id}.{secret}"


def list_tokens(db: Path) -> list[DisplayToken]:
    """Every token, newest first (revoked ones included, marked)."""
    with connect(db) as con:
        rows = con.execute(f"SELECT {_COLUMNS} FROM display_tokens ORDER BY created_at DESC, id").fetchall()
    return [_row(r) for r in rows]


def revoke(db: Path, token_id: str) -> bool:
    """Revoke a token by id; False when no active token has that id."""
    if not isinstance(token_id, str) or not _ID.fullmatch(token_id):
        return False
    with connect(db) as con:
        cur = con.execute("UPDATE display_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                          (_now(), token_id))
        return cur.rowcount == 1


def verify(db: Path, text: object, wall: str) -> DisplayToken | None:
    """The active token `text` names if it opens `wall`; None for anything else (missing, malformed,
    unknown, wrong secret, revoked, another wall). Never raises on client input."""
    if not isinstance(text, str) or not db.exists():
        return None
    m = _TOKEN.fullmatch(text)
    if m is None:
        return None
    token_id, secret = m.groups()
    with connect(db) as con:
        row = con.execute(f"SELECT {_COLUMNS}, secret_hash FROM display_tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None:
            return None
        token = _row(row[:-1])
        # Compare the hashes in constant time, and only then look at the other fields.
        if not hmac.compare_digest(row[-1], _hash(secret)) or not token.active or token.wall != wall:
            return None
        last = token.last_used_at
        if last is None or (datetime.now(timezone.utc) - datetime.fromisoformat(last)).total_seconds() > TOUCH_EVERY_S:
            con.execute("UPDATE display_tokens SET last_used_at = ? WHERE id = ?", (_now(), token_id))
    return token
