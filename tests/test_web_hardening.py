"""The web layer against untrusted clients, on a real gunicorn (and the dev server):

- malformed callback bodies get a 400, never a 500 with a traceback in the log;
- `cockpit serve --dev` binds loopback only, and Werkzeug's interactive debugger is never there;
- every response (pages, callbacks, assets, walls) carries the security headers, no response
  names the software's versions, and every page and a display wall load in real Chromium
  without a Content-Security-Policy violation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser_support import PAGES, assert_healthy, open_page, settle
from cockpit.web import wire
from cockpit.web.wiring import CSV_IN, CSV_OUT, SYNC_IN, SYNC_OUT
from conftest import ROOT, Server, free_port

HEADERS = ("Content-Security-Policy", "Permissions-Policy", "Referrer-Policy", "X-Content-Type-Options",
           "Cross-Origin-Opener-Policy")
WALL = "command-centre"


@pytest.fixture(scope="module")
def srv(demo_store, tmp_path_factory):
    """gunicorn on the demo store with its own log and accounts database (display tokens)."""
    work = tmp_path_factory.mktemp("hardening")
    s = Server(demo_store, ROOT / "layouts", work / "cache", work / "gunicorn.log",
               COCKPIT_ACCOUNTS_DB=str(work / "accounts.db"))
    s.accounts = work / "accounts.db"  # type: ignore[attr-defined]
    yield s
    s.stop()


def request(url: str, data: bytes | None = None, content_type: str = "application/json"):
    """(status, headers, body) of a GET, or of a POST of `data`; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if data is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def token(srv) -> str:
    from cockpit.access import tokens

    return tokens.create(srv.accounts, WALL, "330000")[1]


# -- 1. malformed callback bodies ------------------------------------------------------------------

def _good() -> dict:
    return wire.graph_request("category_bar", "?")


def _with(**changes) -> bytes:
    body = _good()
    body.update(changes)
    return json.dumps(body).encode()


def _output(i: int, out: dict) -> bytes:
    body = _good()
    body["outputs"][i] = out
    return json.dumps(body).encode()


def _input(i: int, inp) -> bytes:
    body = _good()
    body["inputs"][i] = inp
    return json.dumps(body).encode()


def _sync(**values) -> dict:
    return wire.request_body(SYNC_OUT, SYNC_IN, {"search": "?", **values}, changed=["search"])


GRAPH = {"type": "graph", "panel": "category_bar"}
MALFORMED: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"{'output': nope", "application/json"),
    "not UTF-8": (b"\xff\xfe{}", "application/json"),
    "empty": (b"", "application/json"),
    "form-encoded": (b"output=x", "application/x-www-form-urlencoded"),
    "text/plain": (json.dumps(_good()).encode(), "text/plain"),
    "a list": (b"[]", "application/json"),
    "a string": (b'"output"', "application/json"),
    "null": (b"null", "application/json"),
    "a number": (b"42", "application/json"),
    "an empty object": (b"{}", "application/json"),
    "nested 100k deep": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "a value nested 500 deep": (_input(0, {"id": "url", "property": "search",
                                           "value": json.loads("[" * 500 + "]" * 500)}), "application/json"),
    "unknown callback": (_with(output="nope.children"), "application/json"),
    "output not a string": (_with(output=["url.search"]), "application/json"),
    "no output": (json.dumps({k: v for k, v in _good().items() if k != "output"}).encode(), "application/json"),
    "no outputs": (json.dumps({k: v for k, v in _good().items() if k != "outputs"}).encode(), "application/json"),
    "no inputs": (json.dumps({k: v for k, v in _good().items() if k != "inputs"}).encode(), "application/json"),
    "no state": (json.dumps({k: v for k, v in _good().items() if k != "state"}).encode(), "application/json"),
    "outputs a string": (_with(outputs="x"), "application/json"),
    "outputs too few": (_with(outputs=_good()["outputs"][:2]), "application/json"),
    "outputs numbers": (_with(outputs=[1, 2, 3, 4, 5]), "application/json"),
    "inputs an object": (_with(inputs={"id": "url"}), "application/json"),
    "inputs too few": (_with(inputs=[]), "application/json"),
    "inputs numbers": (_with(inputs=[1, 2]), "application/json"),
    "state a string": (_with(state="x"), "application/json"),
    "state null": (_with(state=None), "application/json"),
    "changedPropIds a string": (_with(changedPropIds="url.search"), "application/json"),
    "changedPropIds numbers": (_with(changedPropIds=[1]), "application/json"),
    "changedPropIds bad dict id": (_with(changedPropIds=['{"type".search']), "application/json"),
    "output id a number": (_output(0, {"id": 5, "property": "figure"}), "application/json"),
    "output id a list": (_output(0, {"id": ["graph"], "property": "figure"}), "application/json"),
    "output id of another callback": (_output(0, {"id": "url", "property": "figure"}), "application/json"),
    "output id with a list value": (_output(0, {"id": {"type": "graph", "panel": ["x"]}, "property": "figure"}),
                                    "application/json"),
    "output without property": (_output(0, {"id": GRAPH}), "application/json"),
    "output of another property": (_output(0, {"id": GRAPH, "property": "children"}), "application/json"),
    "input id a number": (_input(0, {"id": 5, "property": "search", "value": "?"}), "application/json"),
    "input id a list": (_input(0, {"id": ["url"], "property": "search", "value": "?"}), "application/json"),
    "input id with an object value": (_input(1, {"id": {"type": "graph", "panel": {"a": 1}}, "property": "id",
                                                 "value": GRAPH}), "application/json"),
    "input id with extra keys": (_input(1, {"id": {**GRAPH, "x": 1}, "property": "id", "value": GRAPH}),
                                 "application/json"),
    "input property a number": (_input(0, {"id": "url", "property": 5, "value": "?"}), "application/json"),
    "ALL input not a list": (json.dumps(_sync() | {"inputs": [
        *_sync()["inputs"][:5], {"id": "x", "property": "clickData", "value": 1}, *_sync()["inputs"][6:]]}).encode(),
        "application/json"),
    # well-formed, but its parts disagree: two bars in the state, none among the outputs
    "state and outputs disagree": (json.dumps(wire.request_body(SYNC_OUT, SYNC_IN, {
        "search": "?", "bar_ids": [({"type": "breadcrumb", "i": i}, {"type": "breadcrumb", "i": i}) for i in (0, 1)]},
        changed=["search"])).encode(), "application/json"),
}


def test_malformed_callback_bodies_get_400_and_no_traceback(srv):
    before = srv.log.read_text(errors="replace")
    url = srv.url + wire.UPDATE_PATH
    answers = {name: request(url, data, ctype) for name, (data, ctype) in MALFORMED.items()}
    statuses = {name: status for name, (status, _, _) in answers.items()}
    assert statuses == {name: 400 for name in MALFORMED}, statuses
    for name, (_, headers, body) in answers.items():
        assert headers["Content-Type"] == "application/json", name
        assert json.loads(body)["error"] == "bad_request", name
    # A well-formed request with nothing to do (a CSV button never clicked) is no error either:
    # Dash answers it with an empty update.
    csv = wire.request_body(CSV_OUT, CSV_IN, {"n_clicks": 0, "search": "?", "pathname": "/"},
                            match={"panel": "category_bar"}, changed=["n_clicks"])
    status, _, body = request(url, json.dumps(csv).encode())
    assert (status, json.loads(body)["response"]) == (200, {})
    # The server still answers real requests, and logged no traceback for any of it.
    status, _, body = request(url, json.dumps(_good()).encode())
    assert status == 200 and json.loads(body)["response"]
    time.sleep(0.5)
    log = srv.log.read_text(errors="replace")[len(before):]
    assert "Traceback" not in log, log[-3000:]
    assert "[ERROR]" not in log and " ERROR " not in log, log[-3000:]


def test_well_formed_bodies_of_every_callback_pass_the_check(client_for_app):
    """The check knows each callback's declaration: the bodies the wire helpers build (the
    renderer's format) for the figure, component and state callbacks are let through."""
    app = client_for_app()
    from cockpit.web.security import callback_problem

    assert callback_problem(wire.graph_request("category_bar", "?", pin="x"), app.callback_map) is None
    assert callback_problem(wire.component_request("ranking_streets", "?"), app.callback_map) is None
    clicks = [({"type": "graph", "panel": "category_bar"}, {"points": [{"x": 1, "y": "a", "bbox": {"x0": 1}}]})]
    assert callback_problem(_sync(graph_clicks=clicks), app.callback_map) is None


# -- 2. no debugger, dev binds loopback ------------------------------------------------------------

DEBUGGER_PATHS = ("/console", "/?__debugger__=yes&cmd=resource&f=debugger.js",
                  "/?__debugger__=yes&cmd=resource&f=style.css")


def _assert_no_debugger(base: str) -> None:
    for path in DEBUGGER_PATHS:
        status, headers, body = request(base + path)
        text = body.decode("utf-8", "replace")
        # Dash's catch-all answers unknown paths with its page; the debugger's own files and
        # console page are not there.
        assert "__debugger__" not in text and "Werkzeug" not in text and "EVALEX" not in text, (path, text[:300])
        assert "CONSOLE_MODE" not in text and "debugger.js" not in text, path
        assert headers.get_content_type() != "application/javascript" or status == 404, path


def test_production_has_no_debugger_and_names_no_versions(srv):
    _assert_no_debugger(srv.url)
    status, headers, body = request(srv.url + "/")
    assert status == 200
    assert not re.search(r"\d", headers.get("Server", "")), headers.get("Server")  # no version
    assert "X-Powered-By" not in headers
    page = body.decode()
    assert sys.version.split()[0] not in page  # the index page's config names no Python version
    assert '"dash_version"' not in page and '"plotly_version"' not in page and "python_version" not in page


def test_dev_server_refuses_other_hosts(demo_store, tmp_path):
    cockpit = Path(sys.executable).with_name("cockpit")
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        run = subprocess.run([str(cockpit), "serve", "--dev", "--host", host, "--store", str(demo_store)],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert run.returncode == 2, (host, run.stdout, run.stderr)
        assert "--dev" in run.stderr and "127.0.0.1" in run.stderr and host in run.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_dev_server_on_loopback_has_no_debugger_or_reloader(demo_store, tmp_path, host):
    import psutil

    cockpit = Path(sys.executable).with_name("cockpit")
    port = free_port()
    env = {"COCKPIT_AUTH": "off", "COCKPIT_CACHE_DIR": str(tmp_path / "cache"), "COCKPIT_ACCOUNTS_DB": str(tmp_path / "accounts.db"),
           "PATH": str(Path(sys.executable).parent)}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([str(cockpit), "serve", "--dev", "--host", host, "--port", str(port),
                             "--store", str(demo_store)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        _assert_no_debugger(base)
        status, headers, _ = request(base + "/")
        assert status == 200 and headers["Server"] == "cockpit"  # not Werkzeug/x Python/y
        assert all(h in headers for h in HEADERS)
        # a malformed callback body is refused here too, without the debugger's traceback page
        status, _, body = request(base + wire.UPDATE_PATH, b"[]")
        assert status == 400 and b"Traceback" not in body
        assert psutil.Process(proc.pid).children(recursive=True) == []  # no reloader process
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "Debugger is active" not in text and "Debugger PIN" not in text and "Traceback" not in text, text


# -- 3. security headers ---------------------------------------------------------------------------

@pytest.fixture()
def client_for_app(demo_store, use_store):
    def _make(**env):
        use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache", **env)
        from cockpit.db import Database
        from cockpit.settings import get_settings
        from cockpit.web.app import create_app

        return create_app(get_settings(), Database(demo_store))

    return _make


def _csp(headers) -> dict[str, list[str]]:
    out = {}
    for part in headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _check_headers(headers, what: str) -> None:
    missing = [h for h in HEADERS if h not in headers]
    assert not missing, (what, missing)
    csp = _csp(headers)
    assert csp["default-src"] == ["'self'"], what
    scripts = csp["script-src"]
    assert scripts[0] == "'self'" and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", s) for s in scripts[1:]), what
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'self'"], what
    assert headers["X-Frame-Options"] == "SAMEORIGIN", what
    assert headers["X-Content-Type-Options"] == "nosniff", what
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", what
    policy = headers["Permissions-Policy"]
    assert all(f"{f}=()" in policy for f in ("camera", "microphone", "geolocation", "payment", "usb")), what
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer"), what
    assert not re.search(r"\d", headers.get("Server", "")), what


def test_every_kind_of_response_carries_the_security_headers(srv):
    status, headers, body = request(srv.url + "/")
    assert status == 200
    _check_headers(headers, "index")
    page = re.sub(r"<!--.*?-->", "", body.decode(), flags=re.S)  # (an old IE notice, never run)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("_dash-component-suites" in s for s in scripts) and any(s.startswith("/assets/") for s in scripts)
    # The one inline script Dash executes is allowed by its hash; the config block is JSON, not run.
    inline = re.findall(r"<script([^>]*)>([^<]+)</script>", page)
    executed = [code for attrs, code in inline if "application/json" not in attrs]
    assert executed, "Dash's index page has its renderer boot script"
    import base64
    import hashlib

    allowed = _csp(headers)["script-src"]
    for code in executed:
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, code

    wall_token = token(srv)
    urls = [("page", "/requests"), ("unknown page", "/no/such/page"), ("layout", "/_dash-layout"),
            ("dependencies", "/_dash-dependencies"), ("component script", scripts[1]),
            ("asset", "/assets/cockpit.css"), ("favicon", "/_favicon.ico"),
            ("wall page", f"/wall/{WALL}?token={wall_token}"), ("wall refused", f"/wall/{WALL}?token=nope"),
            ("wall plan", f"/wall/{WALL}/plan?token={wall_token}"), ("wall script", "/wall-static/wall.js"),
            ("wall missing file", "/wall-static/nope.js")]
    for what, path in urls:
        status, headers, _ = request(srv.url + path)
        assert status in (200, 403, 404), (what, status)
        _check_headers(headers, what)
    status, headers, _ = request(srv.url + wire.UPDATE_PATH, json.dumps(_good()).encode())
    assert status == 200
    _check_headers(headers, "callback")
    status, headers, _ = request(srv.url + wire.UPDATE_PATH, b"[]")
    assert status == 400
    _check_headers(headers, "refused callback")


def test_frame_ancestors_is_a_setting(client_for_app):
    app = client_for_app(COCKPIT_FRAME_ANCESTORS="'self'  https://*.example.gov.cn https://portal.example.cn:8443")
    resp = app.server.test_client().get("/")
    assert _csp(resp.headers)["frame-ancestors"] == ["'self'", "https://*.example.gov.cn",
                                                     "https://portal.example.cn:8443"]
    # X-Frame-Options cannot name other sites: it is left out rather than contradicting the policy
    assert "X-Frame-Options" not in resp.headers
    app = client_for_app(COCKPIT_FRAME_ANCESTORS="'none'")
    resp = app.server.test_client().get("/")
    assert _csp(resp.headers)["frame-ancestors"] == ["'none'"] and resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("value", ["", "'self'; script-src *", "https://a.example, https://b.example",
                                   "'unsafe-inline'", "'none' 'self'", "https://a.example\r\nSet-Cookie: x=1"])
def test_a_frame_ancestors_value_that_is_not_a_source_list_stops_the_app(client_for_app, value):
    with pytest.raises(ValueError, match="COCKPIT_FRAME_ANCESTORS"):
        client_for_app(COCKPIT_FRAME_ANCESTORS=value)


@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_headers_are_trusted_only_behind_a_configured_proxy(client_for_app, hops):
    app = client_for_app(COCKPIT_PROXY_HOPS=str(hops))

    @app.server.get("/_test/client")
    def _client():
        from flask import request as req

        return {"addr": req.remote_addr, "scheme": req.scheme, "host": req.host}

    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "cockpit.example.gov.cn"}
    got = app.server.test_client().get("/_test/client", headers=forwarded,
                                       environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    if hops:
        assert got == {"addr": "203.0.113.7", "scheme": "https", "host": "cockpit.example.gov.cn"}
    else:
        assert got == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


# -- 4. no CSP violation in real Chromium ----------------------------------------------------------

CSP_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _watch(pg) -> list[str]:
    """Record CSP violations (events and console messages) of every document the page loads."""
    pg.add_init_script(CSP_JS)
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}")
          if re.search(r"Content Security Policy|Permissions-Policy|Refused to", m.text) else None)
    return console


@pytest.mark.browser
@pytest.mark.parametrize("page_id", list(PAGES))
def test_every_page_loads_without_a_csp_violation(srv, page, page_id):
    console = _watch(page)
    open_page(page, srv.url + PAGES[page_id]["path"])
    assert_healthy(page)
    assert page.evaluate("window.__csp") == []
    # The language switch and a figure's PNG export (a data: URL image) stay within the policy too.
    page.locator(".lang-btn").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('lang') === 'en'")
    settle(page)
    png = page.evaluate("() => Plotly.toImage(document.querySelector('.js-plotly-plot'), "
                        "{format: 'png', width: 400, height: 300})")
    assert png.startswith("data:image/png;base64,")
    assert page.evaluate("window.__csp") == []
    assert console == []


@pytest.mark.browser
def test_a_display_wall_loads_without_a_csp_violation(srv, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    try:
        console = _watch(pg)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        resp = pg.goto(f"{srv.url}/wall/{WALL}?token={token(srv)}&speed=200")
        _check_headers(_Headers(resp.all_headers()), "wall page")
        # every screen of the wall (overview, requests, rankings, ledger) shown at least once
        pg.wait_for_function("() => window.cockpitWall && window.cockpitWall.state().stepsShown >= 5", timeout=120_000)
        assert pg.locator(".wall-panel .main-svg").count() > 0
        assert pg.evaluate("window.__csp") == []
        assert console == [] and errors == []
    finally:
        context.close()


class _Headers(dict):
    """Playwright's header dict (lower-case names) read like an HTTP message's headers."""

    def __init__(self, raw: dict):
        super().__init__({k.lower(): v for k, v in raw.items()})

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(str(name).lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)
