"""Accounts without a browser: hashing, throttling, disabling, the audit log and `cockpit users`."""

from __future__ import annotations

import io
import sqlite3

import pytest

from cockpit.access import users
from cockpit.cli import main as cockpit


def test_passwords_are_argon2_hashes_and_wrong_ones_fail(tmp_path):
    db = tmp_path / "accounts.db"
    users.add(db, "wang.li", "leader", "330106", "一二三四五六七八九十")
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "一二三" not in stored
    assert users.authenticate(db, "wang.li", "一二三四五六七八九十").region == "330106"
    for name, password in (("wang.li", "一二三四五六七八九"), ("nobody", "一二三四五六七八九十"), (None, "x"),
                           ("wang.li", None), ("wang.li", "x" * 5000)):
        assert users.authenticate(db, name, password) is None


def test_failed_logins_lock_the_account_for_the_window(tmp_path):
    db = tmp_path / "accounts.db"
    users.add(db, "li", "analyst", "330000", "correct horse battery")
    for _ in range(users.THROTTLE_FAILURES):
        assert users.authenticate(db, "li", "wrong password!") is None
    assert users.throttled(db, "li")
    assert users.authenticate(db, "li", "correct horse battery") is None, "locked even with the right password"
    users.add(db, "zhao", "leader", "330100", "correct horse battery")
    assert users.authenticate(db, "zhao", "correct horse battery") is not None, "other accounts are not locked"


def test_disable_and_passwd_end_sessions(tmp_path):
    db = tmp_path / "accounts.db"
    user = users.add(db, "chen", "leader", "330100", "correct horse battery")
    users.set_password(db, "chen", "another good password")
    assert users.get(db, "chen").session_epoch == user.session_epoch + 1
    assert users.authenticate(db, "chen", "correct horse battery") is None
    assert users.authenticate(db, "chen", "another good password") is not None
    assert users.disable(db, "chen")
    assert users.authenticate(db, "chen", "another good password") is None
    assert users.count(db) == 0


@pytest.mark.parametrize("args, words", [
    (("bad name!", "leader", "330000", "correct horse battery"), "user name"),
    (("ok", "boss", "330000", "correct horse battery"), "role"),
    (("ok", "leader", "33", "correct horse battery"), "region"),
    (("ok", "leader", "330000", "short"), "at least"),
])
def test_add_refuses_bad_requests_with_a_reason(tmp_path, args, words):
    with pytest.raises(users.AccountError, match=words):
        users.add(tmp_path / "accounts.db", *args)


def test_users_cli(demo_store, tmp_path, monkeypatch, capsys):
    from cockpit.settings import get_settings

    monkeypatch.setenv("COCKPIT_ACCOUNTS_DB", str(tmp_path / "accounts.db"))
    get_settings.cache_clear()
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert cockpit(["users", "add", "admin", "--role", "admin", "--region", "330000", "--password-stdin",
                        "--store", str(demo_store)]) == 0
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert cockpit(["users", "add", "x", "--role", "leader", "--region", "999999", "--password-stdin",
                        "--store", str(demo_store)]) == 2
        assert "999999" in capsys.readouterr().err
        assert cockpit(["users", "list"]) == 0
        assert "admin" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
        assert cockpit(["users", "passwd", "admin", "--password-stdin"]) == 0
        assert cockpit(["users", "disable", "admin"]) == 0
        assert cockpit(["users", "disable", "admin"]) == 2
        events = [e for _, _, e, _, _ in users.audit_log(tmp_path / "accounts.db")]
        assert events[:3] == ["users_disable", "users_passwd", "users_add"]
    finally:
        get_settings.cache_clear()
