"""Logins on a real gunicorn (COCKPIT_AUTH on, the default): nothing without a session, the
jurisdiction of the account applied to forged callbacks, throttled brute force, audit, and
display tokens that open no leader page."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cockpit.access import tokens, users
from cockpit.web import wire
from conftest import ROOT, Server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def auth_server(demo_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("auth")
    store = work / "store"
    shutil.copytree(demo_store, store)
    # A second, newer snapshot: an old one must be scoped exactly like the live one.
    drop = work / "drop"
    drop.mkdir()
    pq.write_table(pa.table({"note": ["second"]}), drop / "release_note.parquet")
    (drop / "manifest.json").write_text('{"as_of": "2026-11-26"}')
    from cockpit.ingest import cli_ingest
    assert cli_ingest(drop, store) == 0
    db = work / "accounts.db"
    srv = Server(store, ROOT / "layouts", work / "cache", work / "gunicorn.log", COCKPIT_AUTH="on",
                 COCKPIT_ACCOUNTS_DB=str(db), COCKPIT_COOKIE_SECURE="0", COCKPIT_CACHE_TYPE="NullCache",
                 COCKPIT_DEV="0", COCKPIT_LOGIN_RATE="30 per minute")
    srv.accounts = db  # type: ignore[attr-defined]
    yield srv
    srv.stop()


class Client:
    """A browser-like HTTP client: cookies kept, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: bytes | None = None, ctype: str | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": ctype} if ctype else {})
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()

    def login(self, name: str, password: str):
        _, _, page = self.request("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf": csrf, "name": name, "password": password, "next": "/"}).encode()
        return self.request("/login", form, "application/x-www-form-urlencoded")

    def callback(self, body: dict):
        return self.request(wire.UPDATE_PATH, json.dumps(body).encode(), "application/json")


def _kpi(client: Client, search: str, pin: str | None = None) -> float:
    status, _, text = client.callback(wire.graph_request("kpi_requests", search, pin=pin))
    assert status == 200, text[:300]
    response = json.loads(text)["response"]
    return next(v["figure"] for k, v in response.items() if "figure" in v)["data"][0]["value"]


def test_without_accounts_or_session_nothing_is_served(auth_server):
    anon = Client(auth_server.url)
    status, headers, _ = anon.request("/")
    assert status == 302 and headers["Location"].startswith("/login")
    status, _, page = anon.request("/login")
    assert status == 200 and "尚未创建任何账户" in page and "cockpit users add" in page
    assert "Governance Cockpit" in anon.request("/login?lang=en")[2]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert anon.request(path)[0] == 401
    status, _, text = anon.callback(wire.graph_request("kpi_requests", ""))
    assert status == 401 and "figure" not in text


def test_a_county_account_sees_only_its_county_whatever_it_asks(auth_server):
    db = auth_server.accounts
    users.add(db, "xihu.leader", "leader", "330106", PASSWORD)
    users.add(db, "hangzhou.analyst", "analyst", "330100", PASSWORD)
    county, city = Client(auth_server.url), Client(auth_server.url)
    assert county.login("xihu.leader", PASSWORD)[0] == 302
    assert city.login("hangzhou.analyst", PASSWORD)[0] == 302
    own = _kpi(county, "")
    assert own == _kpi(city, "?region=330106"), "the county's own figure"
    whole_city = _kpi(city, "")
    assert whole_city > own
    # forged: the city, another county, the province, an old snapshot of the city
    for search in ("?region=330100", "?region=330108", "?region=330000", "?region=330100&snap=00001_2026-11-25"):
        assert _kpi(county, search) == own, search
    assert _kpi(county, "?region=330100", pin="00001_2026-11-25") == own
    # leaders get no SQL meta; analysts do
    _, _, text = county.callback(wire.graph_request("kpi_requests", ""))
    assert "$region" not in text
    _, _, text = city.callback(wire.graph_request("kpi_requests", ""))
    assert "$region=330100" in text
    events = {(actor, event) for _, actor, event, _, _ in users.audit_log(db)}
    assert ("xihu.leader", "login") in events and ("hangzhou.analyst", "login") in events


def test_disabling_an_account_ends_its_session(auth_server):
    db = auth_server.accounts
    users.add(db, "leaving", "leader", "330106", PASSWORD)
    client = Client(auth_server.url)
    assert client.login("leaving", PASSWORD)[0] == 302
    assert client.callback(wire.graph_request("kpi_requests", ""))[0] == 200
    users.disable(db, "leaving")
    assert client.callback(wire.graph_request("kpi_requests", ""))[0] == 401
    assert client.login("leaving", PASSWORD)[0] == 401


def test_session_cookie_flags_and_csrf(auth_server):
    users.add(auth_server.accounts, "flags", "leader", "330106", PASSWORD)
    client = Client(auth_server.url)
    status, headers, _ = client.login("flags", PASSWORD)
    cookie = headers.get("Set-Cookie", "")
    assert status == 302 and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    forged = Client(auth_server.url)
    form = urllib.parse.urlencode({"csrf": "guess", "name": "flags", "password": PASSWORD}).encode()
    assert forged.request("/login", form, "application/x-www-form-urlencoded")[0] == 400
    # only local paths to go back to after the login
    status, headers, _ = client.request("/login", urllib.parse.urlencode({
        "csrf": re.search(r'name="csrf" value="([^"]+)"', client.request("/login")[2]).group(1),
        "name": "flags", "password": PASSWORD, "next": "//evil.example/x"}).encode(),
        "application/x-www-form-urlencoded")
    assert status == 302 and headers["Location"] == "/"


def test_a_display_token_opens_no_leader_page(auth_server):
    _, text = tokens.create(auth_server.accounts, "command-centre", "330000")
    anon = Client(auth_server.url)
    assert anon.request(f"/?token={text}")[0] == 302
    assert anon.request(f"{wire.UPDATE_PATH}?token={text}", json.dumps(
        wire.graph_request("kpi_requests", "")).encode(), "application/json")[0] == 401
    # ... while the wall itself needs no login
    assert anon.request(f"/wall/command-centre?token={text}")[0] == 200
    assert anon.request(f"/wall/command-centre/ping?token={text}")[0] == 200


def test_zz_brute_force_is_throttled_and_audited(auth_server):
    # last in the module: it spends the address's login rate
    db = auth_server.accounts
    users.add(db, "target", "leader", "330106", PASSWORD)
    attacker = Client(auth_server.url)
    for _ in range(users.THROTTLE_FAILURES):
        status, _, page = attacker.login("target", "not the password")
        assert status == 401 and "不正确" in page
    status, _, _ = attacker.login("target", PASSWORD)
    assert status == 401, "the account is locked for the window, even with the right password"
    failed = [e for _, actor, e, _, _ in users.audit_log(db) if actor == "target"]
    assert failed.count("login_failed") >= users.THROTTLE_FAILURES + 1
    # per address: the limiter answers 429 once the rate is spent
    codes = {attacker.login(f"nobody{i}", "x" * 12)[0] for i in range(30)}
    assert 429 in codes
