"""Shared fixtures: a published demo store, a real gunicorn serving it, and real Chromium.

Everything is real: the demo drop is written by `cockpit demo` code, published by `cockpit ingest`,
served by gunicorn (`app:server`) and driven through Debian's Chromium with Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("COCKPIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_REQUESTS = 40_000
# Tests run the cockpit with logins off unless a test turns them on for its own server: the
# explicit switch a local demo uses too (with it unset, a deployment requires a login).
os.environ.setdefault("COCKPIT_AUTH", "off")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store with the demo drop (small request count) published as its live snapshot."""
    from cockpit.demo import write_demo_drop
    from cockpit.ingest import cli_ingest

    base = tmp_path_factory.mktemp("demo")
    drop = write_demo_drop(base / "drop", requests=DEMO_REQUESTS, seed=2026, as_of="2026-11-25")
    store = base / "store"
    assert cli_ingest(drop, store) == 0
    return store


@pytest.fixture()
def use_store(monkeypatch):
    """Point the process settings at a store (and back afterwards)."""
    from cockpit.settings import get_settings

    def _use(store: Path, **env: str) -> None:
        monkeypatch.setenv("COCKPIT_STORE", str(store))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield _use
    get_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn process serving the cockpit on a free loopback port."""

    def __init__(self, store: Path, layouts: Path, cache: Path, log: Path, workers: int = 1, threads: int = 8,
                 port: int | None = None, **env: str):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "COCKPIT_STORE": str(store), "COCKPIT_LAYOUTS": str(layouts),
                   "COCKPIT_CACHE_DIR": str(cache), "COCKPIT_DEV": "1",
                   # the worker's warm-up before serving (cockpit.web.gunicorn_conf), kept short here
                   "COCKPIT_WORKER_WARM_S": "1", **env}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = log
        self.proc = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads),
             "--timeout", "120", "-c", "python:cockpit.web.gunicorn_conf", "app:server"],
            cwd=ROOT, env=environ, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def layouts_copy(tmp_path_factory) -> Path:
    """A private copy of layouts/ that tests may add files to (the server reloads it: dev mode)."""
    dst = tmp_path_factory.mktemp("layouts") / "layouts"
    shutil.copytree(ROOT / "layouts", dst)
    return dst


@pytest.fixture(scope="session")
def server(demo_store, layouts_copy, tmp_path_factory):
    """The cockpit served by a real gunicorn on the demo store."""
    work = tmp_path_factory.mktemp("server")
    srv = Server(demo_store, layouts_copy, work / "cache", work / "gunicorn.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _record_failed_request(pg, request) -> None:
    """Count a failed request as a page problem unless the browser itself cancelled it.

    Leaving a page (or starting a download) makes Chromium abort what is still in flight —
    a callback, the badges' fetch — with net::ERR_ABORTED; that is navigation, not a fault.
    Refused connections, empty replies and resets still count, as do HTTP errors below."""
    failure = request.failure or ""
    if "ERR_ABORTED" in failure:
        return
    pg.problems.append(f"request failed: {request.url} ({failure})")


@pytest.fixture()
def page(browser):
    """A fresh 1920×1080 page that records console errors, failed requests and callback failures."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: _record_failed_request(pg, r))

    def on_response(resp):
        if resp.status >= 400:
            pg.problems.append(f"HTTP {resp.status} {resp.url}")

    pg.on("response", on_response)
    yield pg
    context.close()


def save_screenshot(pg, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
