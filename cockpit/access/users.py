"""Accounts of leaders, analysts and admins: a role and a region (the jurisdiction) each.

Passwords are hashed with argon2id (argon2-cffi); failed logins are counted per account in the
database, so every worker and replica sees the same throttle; every login, logout and page view
goes to the audit table."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cockpit.access.database import connect

ROLES = ("leader", "analyst", "admin")
NAME = re.compile(r"^[A-Za-z0-9_.\-@]{2,64}$")
MIN_PASSWORD = 10
#: Failed logins of one account within THROTTLE_WINDOW that lock it for the rest of the window.
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str
    created_at: str
    disabled_at: str | None
    session_epoch: int

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def sees_sql(self) -> bool:
        """Analysts and admins see SQL, snapshot ids and dev banners; leaders do not need them."""
        return self.role in ("analyst", "admin")


_COLUMNS = "name, role, region_code, created_at, disabled_at, session_epoch"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def check_password(password: str) -> None:
    """AccountError unless the password is long enough to be worth hashing."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password may have at most 1024 characters")


def add(db: Path, name: str, role: str, region: str, password: str) -> User:
    """A new account; AccountError for a bad name, role, password or an existing name."""
    if not NAME.match(name or ""):
        raise AccountError("a user name is 2–64 letters, digits or . _ - @")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[0-9]{6}([0-9]{3})?", region or ""):
        raise AccountError("region must be a region code (6 or 9 digits)")
    check_password(password)
    with connect(db) as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"user {name!r} exists already (cockpit users passwd {name} changes the password)")
        con.execute("INSERT INTO users (name, password_hash, role, region_code, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, _hasher.hash(password), role, region, _now().isoformat()))
    return get(db, name)  # type: ignore[return-value]


def get(db: Path, name: str) -> User | None:
    if not isinstance(name, str) or not db.exists():
        return None
    with connect(db) as con:
        row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
    return User(*row) if row else None


def list_users(db: Path) -> list[User]:
    with connect(db) as con:
        rows = con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
    return [User(*r) for r in rows]


def count(db: Path) -> int:
    """Active accounts (0 means the login page explains how to add the first one)."""
    if not db.exists():
        return 0
    with connect(db) as con:
        return con.execute("SELECT count(*) FROM users WHERE disabled_at IS NULL").fetchone()[0]


def disable(db: Path, name: str) -> bool:
    """Disable an account: it cannot log in, and its open sessions end at their next request."""
    with connect(db) as con:
        cur = con.execute("UPDATE users SET disabled_at = ?, session_epoch = session_epoch + 1 "
                          "WHERE name = ? AND disabled_at IS NULL", (_now().isoformat(), name))
        return cur.rowcount == 1


def set_password(db: Path, name: str, password: str) -> bool:
    """A new password; open sessions of the account end."""
    check_password(password)
    with connect(db) as con:
        cur = con.execute("UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE name = ?",
                          (_hasher.hash(password), name))
        return cur.rowcount == 1


def throttled(db: Path, name: str) -> bool:
    """True while an account has had too many failed logins in the window."""
    since = (_now() - THROTTLE_WINDOW).isoformat()
    with connect(db) as con:
        n = con.execute("SELECT count(*) FROM login_failures WHERE name = ? AND at > ?", (name, since)).fetchone()[0]
    return n >= THROTTLE_FAILURES


def authenticate(db: Path, name: object, password: object) -> User | None:
    """The active account for these credentials, or None (unknown, wrong, disabled or throttled).
    A failure is counted against the name; a success clears its count."""
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > 1024 or len(name) > 64:
        return None
    if throttled(db, name):
        return None
    with connect(db) as con:
        row = con.execute("SELECT password_hash, disabled_at FROM users WHERE name = ?", (name,)).fetchone()
    stored, disabled = row if row else (_DUMMY_HASH, "no such user")
    try:
        ok = _hasher.verify(stored, password) and disabled is None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    with connect(db) as con:
        if ok:
            con.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            if _hasher.check_needs_rehash(stored):
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
        else:
            con.execute("INSERT INTO login_failures (name, at) VALUES (?, ?)", (name, _now().isoformat()))
            con.execute("DELETE FROM login_failures WHERE at < ?", ((_now() - 2 * THROTTLE_WINDOW).isoformat(),))
    return get(db, name) if ok else None


def audit(db: Path, actor: str, event: str, detail: str = "", ip: str = "") -> None:
    """One line of the audit log."""
    with connect(db) as con:
        con.execute("INSERT INTO audit (at, actor, event, detail, ip) VALUES (?, ?, ?, ?, ?)",
                    (_now().isoformat(), actor[:80], event[:40], detail[:500], ip[:64]))


def audit_log(db: Path, limit: int = 100) -> list[tuple[str, str, str, str, str]]:
    """The newest audit lines: (at, actor, event, detail, ip)."""
    with connect(db) as con:
        return con.execute("SELECT at, actor, event, detail, ip FROM audit ORDER BY rowid DESC LIMIT ?",
                           (limit,)).fetchall()


def secret_key(db: Path) -> str:
    """The session-signing key every worker of the deployment shares (made once, kept in the db)."""
    with connect(db) as con:
        con.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('secret_key', ?)", (secrets.token_hex(32),))
        return con.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()[0]
