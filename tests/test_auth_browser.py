"""Logins in real Chromium: the form, a leader's own county, no SQL for leaders, sign-out; and the
local demo (logins off) saying so on screen."""

from __future__ import annotations

import shutil

import pytest

from browser_support import assert_healthy, crumbs, open_page, save_screenshot, settle, track
from cockpit.access import users
from conftest import ROOT, Server

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def login_server(demo_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("login")
    db = work / "accounts.db"
    users.add(db, "xihu.leader", "leader", "330106", PASSWORD)
    # the default cookie flags (Secure): browsers accept them from a loopback address
    srv = Server(demo_store, ROOT / "layouts", work / "cache", work / "gunicorn.log", COCKPIT_AUTH="on",
                 COCKPIT_ACCOUNTS_DB=str(db), COCKPIT_DEV="0")
    yield srv
    srv.stop()


def test_a_leader_signs_in_and_sees_only_the_county(page, login_server):
    page.goto(login_server.url + "/requests?region=330100")
    assert page.url.startswith(login_server.url + "/login")
    save_screenshot(page, "login_zh")
    page.fill("input[name=name]", "xihu.leader")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "不正确" in page.inner_text(".login-error")
    page.problems.clear()  # the refused attempt answered 401, as it should
    page.fill("input[name=name]", "xihu.leader")
    page.fill("input[name=password]", PASSWORD)
    track(page)
    page.click("button[type=submit]")
    page.wait_for_url(login_server.url + "/requests*")
    track(page)
    settle(page)
    assert_healthy(page)
    names, current = crumbs(page)
    assert names == ["西湖区"] and current == "西湖区", "drill-up stops at the account's root"
    assert page.locator(".account-name").inner_text() == "xihu.leader"
    assert page.locator(".panel-sql:not([hidden])").count() == 0, "leaders get no SQL"
    assert all(not t.strip() for t in page.locator(".panel-sql pre").all_inner_texts())
    assert page.locator(".auth-off-badge").count() == 0
    save_screenshot(page, "leader_requests_signed_in")
    page.click(".logout-btn")
    page.wait_for_url(login_server.url + "/login*")
    page.goto(login_server.url + "/")
    assert page.url.startswith(login_server.url + "/login")


def test_local_demo_says_logins_are_off(page, server):
    open_page(page, server.url + "/")
    settle(page)
    badge = page.locator(".auth-off-badge")
    assert badge.is_visible() and "未启用登录" in badge.inner_text()
    assert page.locator(".panel-sql[hidden]").count() == 0
    assert "select" in page.locator(".panel-sql pre").first.text_content().lower()
