"""Display walls in real Chromium: every screen shape filled, rotation, refresh in place on a new
snapshot, a failing panel, the server going away and coming back, a revoked token, and a soak
whose DOM must not grow."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from cockpit.access import tokens
from conftest import ROOT, Server, save_screenshot

pytestmark = pytest.mark.browser

SHAPES = [(1920, 1080), (3840, 2160), (3840, 1080), (5760, 1620), (6720, 2160), (1080, 1920)]
EXPECTED_GRID = {(1920, 1080): "16:9", (3840, 2160): "16:9", (3840, 1080): "32:9", (5760, 1620): "32:9",
                 (6720, 2160): "28:9", (1080, 1920): "9:16"}


@pytest.fixture(scope="module")
def wall_env(demo_store, tmp_path_factory):
    """A private copy of the demo store and layouts (tests publish and edit), served by gunicorn."""
    work = tmp_path_factory.mktemp("wallenv")
    store = work / "store"
    shutil.copytree(demo_store, store)
    layouts = work / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    env = {"COCKPIT_ACCOUNTS_DB": str(work / "accounts.db")}
    srv = Server(store, layouts, work / "cache", work / "gunicorn.log", threads=8, **env)
    srv.work, srv.store, srv.layouts, srv.env = work, store, layouts, env  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def _open(browser, srv, url: str, size=(1920, 1080)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.goto(srv.url + url)
    return context, pg


def _wait_steps(pg, n: int, timeout: float = 60_000) -> dict:
    pg.wait_for_function(f"() => window.cockpitWall && window.cockpitWall.state().stepsShown >= {n}", timeout=timeout)
    return pg.evaluate("window.cockpitWall.state()")


def _token(srv, wall: str, region: str = "330000") -> str:
    return tokens.create(Path(srv.env["COCKPIT_ACCOUNTS_DB"]), wall, region)[1]


GEOMETRY = """() => {
  const vw = innerWidth, vh = innerHeight;
  const canvas = document.querySelector('.wall-canvas').getBoundingClientRect();
  const shown = document.querySelector('.wall-screen.is-shown');
  const panels = [...shown.querySelectorAll('.wall-panel')].map(p => {
    const r = p.getBoundingClientRect(); return [p.dataset.panel, r.left, r.top, r.right, r.bottom]; });
  const overflowing = [...shown.querySelectorAll('.wall-panel-body')].filter(b => {
    const t = b.querySelector('.wall-table'); return t && t.offsetHeight > b.clientHeight + 1; }).length;
  const controls = document.querySelectorAll('button, input, select, textarea, a[href], .modebar').length;
  return {vw, vh, canvas: [canvas.left, canvas.top, canvas.right, canvas.bottom], panels, overflowing, controls,
          scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
          cursor: getComputedStyle(document.body).cursor};
}"""


@pytest.mark.parametrize("size", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_screen_shape_is_filled_without_scrollbars_or_overlap(browser, wall_env, size):
    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={_token(wall_env, 'command-centre')}", size)
    try:
        state = _wait_steps(pg, 1)
        time.sleep(0.8)  # let the fade-in finish before the screenshot
        save_screenshot(pg, f"wall_command-centre_{size[0]}x{size[1]}")
        g = pg.evaluate(GEOMETRY)
        assert state["shape"] == EXPECTED_GRID[size]
        assert g["scroll"] == [size[0], size[1]], "no scrollbar"
        assert [round(v) for v in g["canvas"]] == [0, 0, size[0], size[1]], "canvas fills the screen: no letterbox"
        assert g["cursor"] == "none" and g["controls"] == 0
        assert g["overflowing"] == 0, "a table is cut off"
        rects = g["panels"]
        assert len(rects) >= 4
        for pid, left, top, right, bottom in rects:
            assert 0 <= left < right <= size[0] + 0.5 and 0 <= top < bottom <= size[1] + 0.5, pid
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                overlap = min(a[3], b[3]) - max(a[1], b[1]) > 1 and min(a[4], b[4]) - max(a[2], b[2]) > 1
                assert not overlap, (a[0], b[0])
        assert pg.locator(".wall-badge--demo").is_visible()
        assert "数据截至 2026-11-25" in pg.locator(".wall-asof").inner_text()
        assert pg.problems == []
    finally:
        context.close()


def test_rotation_follows_the_wall_file_in_order(browser, wall_env):
    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={_token(wall_env, 'command-centre')}&speed=30")
    try:
        seen = []
        for n in range(1, 6):
            state = _wait_steps(pg, n)
            seen.append((state["step"]["screen"], state["step"]["seconds"], state["scheduledMs"]))
        # each screen is scheduled for its seconds (divided by the rehearsal speed)
        assert seen == [(0, 60, 2000), (1, 45, 1500), (2, 45, 1500), (3, 45, 1500), (0, 60, 2000)]
        titles = pg.locator(".wall-screen-title").inner_text()
        assert titles == "总览"
        assert state["layers"] <= 2
    finally:
        context.close()


def test_street_tour_shows_every_street_of_the_token_region(browser, wall_env, demo_store):
    from cockpit.db import Database
    from cockpit.regions import region_index

    db = Database(demo_store)
    streets = region_index(db, db.live_id()).streets_under("330106")
    context, pg = _open(browser, wall_env, f"/wall/street-tour?token={_token(wall_env, 'street-tour', '330106')}&speed=40")
    try:
        values = [_wait_steps(pg, n)["step"]["value"] for n in range(1, len(streets) + 2)]
        assert values == streets + streets[:1]
        save_screenshot(pg, "wall_street-tour_1920x1080")
    finally:
        context.close()


def test_new_snapshot_updates_in_place_and_server_loss_recovers(browser, wall_env):
    """Publish → the wall shows the new as-of without reloading; server gone → offline badge and
    the last state kept; server back on the same port → recovers by itself."""
    from cockpit.demo import write_demo_drop
    from cockpit.ingest import cli_ingest

    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={_token(wall_env, 'command-centre')}&speed=10")
    try:
        first = _wait_steps(pg, 1)
        drop = write_demo_drop(wall_env.work / "drop2", requests=20_000, seed=2026, as_of="2026-11-27")
        assert cli_ingest(drop, wall_env.store) == 0
        pg.wait_for_function("() => window.cockpitWall.state().snapshot.endsWith('2026-11-27')", timeout=60_000)
        pg.wait_for_function("() => document.querySelector('.wall-asof').textContent.includes('2026-11-27')")
        pg.wait_for_function("() => (s => s.refreshes >= 1 || s.stepsShown > 1)(window.cockpitWall.state())")
        after = pg.evaluate("window.cockpitWall.state()")
        assert after["loadedAt"] == first["loadedAt"], "the page was reloaded"

        port = wall_env.port
        wall_env.stop()
        pg.wait_for_selector(".wall-badge--offline", state="visible", timeout=60_000)
        assert pg.locator(".wall-panel").count() > 0, "the last state stays on screen"
        save_screenshot(pg, "wall_offline")
        restarted = Server(wall_env.store, wall_env.layouts, wall_env.work / "cache", wall_env.work / "gunicorn.log",
                           port=port, **wall_env.env)
        wall_env.proc = restarted.proc
        pg.wait_for_selector(".wall-badge--offline", state="hidden", timeout=60_000)
        assert pg.evaluate("window.cockpitWall.state()")["loadedAt"] == first["loadedAt"]
        assert pg.problems == []
    finally:
        context.close()


def test_failing_panel_keeps_its_last_good_figure_with_a_stale_badge(browser, wall_env):
    panel = wall_env.layouts / "panels" / "kpi_requests.toml"
    original = panel.read_text(encoding="utf-8")
    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={_token(wall_env, 'command-centre')}&speed=60")
    try:
        _wait_steps(pg, 1)
        before = pg.locator('.wall-screen.is-shown [data-panel="kpi_requests"] .wall-flip').inner_text()
        # The analyst breaks the panel (dev mode reloads it): its query now fails on the server.
        panel.write_text(original.replace("from requests_street_days", "from no_such_table", 1), encoding="utf-8")
        assert panel.read_text(encoding="utf-8") != original
        n = pg.evaluate("window.cockpitWall.state().stepsShown")
        _wait_steps(pg, n + 4)  # once round: back on the overview
        pg.wait_for_function("() => window.cockpitWall.state().step.screen === 0")
        time.sleep(0.5)
        card = pg.locator('.wall-screen.is-shown [data-panel="kpi_requests"]')
        assert card.locator(".wall-stale").is_visible()
        assert "数据更新于" in card.locator(".wall-stale").inner_text()
        assert card.locator(".wall-flip").inner_text() == before
        assert pg.problems == []
    finally:
        panel.write_text(original, encoding="utf-8")
        context.close()


def test_a_revoked_token_stops_the_wall_at_its_next_check(browser, wall_env):
    db = Path(wall_env.env["COCKPIT_ACCOUNTS_DB"])
    token, text = tokens.create(db, "command-centre", "330000")
    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={text}&speed=20")
    try:
        _wait_steps(pg, 1)
        tokens.revoke(db, token.id)
        pg.wait_for_selector(".wall-notice", timeout=30_000)
        assert "显示屏未授权" in pg.inner_text("body")
        assert pg.locator(".wall-panel").count() == 0 and pg.locator(".js-plotly-plot").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("url", ["/wall/command-centre", "/wall/command-centre?token=tok_0000000000.nope-nope-nope-nope",
                                 "/wall/street-tour?token={cc}"])
def test_refused_tokens_show_a_full_screen_notice_and_no_data(browser, wall_env, url):
    url = url.format(cc=_token(wall_env, "command-centre"))
    context, pg = _open(browser, wall_env, url, (3840, 1080))
    try:
        notice = pg.locator(".wall-notice")
        assert notice.is_visible()
        box = notice.bounding_box()
        assert box["width"] == 3840 and box["height"] == 1080
        assert "显示屏未授权" in notice.inner_text()
        assert pg.locator("#wall-boot").count() == 0
    finally:
        context.close()


def test_soak_keeps_the_page_bounded(browser, wall_env):
    """Hundreds of rotations and refreshes: the DOM holds at most two screens and their plots."""
    context, pg = _open(browser, wall_env, f"/wall/command-centre?token={_token(wall_env, 'command-centre')}&speed=500")
    try:
        _wait_steps(pg, 8)
        nodes_early = pg.evaluate("document.getElementsByTagName('*').length")
        state = _wait_steps(pg, 60, timeout=240_000)
        nodes_late = pg.evaluate("document.getElementsByTagName('*').length")
        assert state["layers"] <= 2
        assert state["plots"] <= 12
        assert nodes_late <= nodes_early * 1.5 + 200
        assert pg.problems == []
    finally:
        context.close()
