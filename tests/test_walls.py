"""Display walls without a browser: wall files, display tokens, the token CLI and the wall routes
on a real gunicorn over the demo store."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from dash import dcc, html
from dash_ag_grid import AgGrid

from cockpit.access import tokens
from cockpit.cli import main as cockpit
from cockpit.specs.loader import load_catalog
from cockpit.visuals.base import TrustedHTML
from cockpit.web.wall.markup import NotForWalls, to_html
from conftest import ROOT, Server

SHIPPED = ("command-centre", "street-tour")


# ---------- wall files ----------

def test_shipped_walls_load_and_cover_every_shape():
    catalog = load_catalog(ROOT / "layouts")
    assert catalog.errors == []
    for name in SHIPPED:
        assert name in catalog.walls
    cc = catalog.walls["command-centre"]
    assert [s.page for s in cc.screens] == ["overview", "requests", "rankings", "ledger"]
    assert all(s.seconds <= 60 for s in cc.screens)
    tour = catalog.walls["street-tour"]
    assert tour.screens[0].rotate is not None and tour.screens[0].rotate.pick == "all"
    for name in SHIPPED:
        for screen in catalog.walls[name].screens:
            shapes = set(catalog.page(screen.page).wall)
            assert {"16:9", "32:9", "28:9", "9:16"} <= shapes, (name, screen.page, shapes)


def _layouts_with_wall(tmp_path: Path, text: str) -> Path:
    dst = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", dst)
    (dst / "walls" / "broken.toml").write_text(text, encoding="utf-8")
    return dst


@pytest.mark.parametrize("text, key, words", [
    ('title = { zh = "坏" }\n[[screens]]\npage = "nowhere"\n', "screens.0.page", "no page named 'nowhere'"),
    ('title = { zh = "坏" }\n[[screens]]\npage = "overview"\nrotate = { over = "street" }\n',
     "screens.0.rotate", "needs a street page"),
    ('title = { zh = "坏" }\n[[screens]]\npage = "overview"\n[screens.grids."16:9"]\nareas = ["kpi_nope"]\n',
     "screens.0.grids.16:9.areas", "no panel named 'kpi_nope'"),
    ('title = { zh = "坏" }\nreload_at = "25:00"\n[[screens]]\npage = "overview"\n', "reload_at", "HH:MM"),
    ('title = { zh = "坏" }\n[[screens]]\npage = "overview"\nseconds = 1\n', "screens.0.seconds", "greater"),
    ('title = { zh = "坏" }\nscreens = []\n', "screens", "at least 1"),
    ('title = { zh = "坏" }\n[[screens]]\npage = "overview"\n[screens.grids."wide"]\nareas = ["kpi_requests"]\n',
     "screens.0.grids", "16:9"),
])
def test_check_names_the_file_key_and_expectation(tmp_path, text, key, words):
    layouts = _layouts_with_wall(tmp_path, text)
    catalog = load_catalog(layouts)
    assert "broken" not in catalog.walls
    errors = [e for e in catalog.errors if e.file.endswith("walls/broken.toml")]
    assert errors, catalog.errors
    assert any(e.key == key and words in e.message for e in errors), [str(e) for e in errors]


def test_cockpit_check_fails_on_a_broken_wall(tmp_path, capsys):
    layouts = _layouts_with_wall(tmp_path, 'title = { zh = "坏" }\n[[screens]]\npage = "nowhere"\n')
    assert cockpit(["check", "--layouts", str(layouts), "--store", str(tmp_path / "empty")]) == 1
    assert "walls/broken.toml: screens.0.page" in capsys.readouterr().err


# ---------- tokens ----------

def test_tokens_are_hashed_bound_to_one_wall_and_revocable(tmp_path):
    db = tmp_path / "accounts.db"
    token, text = tokens.create(db, "command-centre", "330106", "lobby")
    secret = text.split(".", 1)[1]
    assert secret.encode() not in db.read_bytes()
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT secret_hash FROM display_tokens WHERE id = ?", (token.id,)).fetchone()[0]
    assert stored != secret and len(stored) == 64
    assert tokens.verify(db, text, "command-centre").region == "330106"
    assert tokens.verify(db, text, "street-tour") is None  # another wall
    assert tokens.verify(db, token.id + ".x" + secret[1:], "command-centre") is None  # wrong secret
    assert tokens.verify(db, token.id, "command-centre") is None  # the id alone opens nothing
    for junk in (None, "", 42, "tok_zz.abc", "a" * 5000, text + "\n", text.upper()):
        assert tokens.verify(db, junk, "command-centre") is None
    assert tokens.revoke(db, token.id) is True
    assert tokens.verify(db, text, "command-centre") is None
    assert tokens.revoke(db, token.id) is False
    listed = tokens.list_tokens(db)
    assert [(t.id, t.active, t.label) for t in listed] == [(token.id, False, "lobby")]


def test_tokens_cli_prints_id_first_and_url_last(demo_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COCKPIT_ACCOUNTS_DB", str(tmp_path / "accounts.db"))
    from cockpit.settings import get_settings
    get_settings.cache_clear()
    try:
        assert cockpit(["tokens", "create", "--wall", "street-tour", "--region", "330106", "--label", "大厅",
                        "--store", str(demo_store)]) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        token_id, url = lines[0], lines[-1]
        assert token_id.startswith("tok_") and url.startswith("/wall/street-tour?token=" + token_id + ".")
        assert cockpit(["tokens", "list"]) == 0
        listing = capsys.readouterr().out
        assert token_id in listing and "active" in listing and "大厅" in listing and url.split(".")[-1] not in listing
        assert cockpit(["tokens", "create", "--wall", "nowhere", "--store", str(demo_store)]) == 2
        assert "no wall named 'nowhere'" in capsys.readouterr().err
        assert cockpit(["tokens", "create", "--wall", "street-tour", "--region", "999999",
                        "--store", str(demo_store)]) == 2
        assert "999999" in capsys.readouterr().err
        assert cockpit(["tokens", "revoke", token_id]) == 0
        assert cockpit(["tokens", "revoke", token_id]) == 2
        capsys.readouterr()
        assert cockpit(["tokens", "list"]) == 0
        assert "revoked" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


# ---------- markup ----------

def test_markup_escapes_data_and_refuses_interactive_components():
    tree = html.Div([html.Span('<b style="font-size:99px">x</b>', className='a" onclick="x'),
                     html.Td("1", style={"color": "red", "background": "url(javascript:x)", "--bar": "3"})],
                    title="<script>")
    text = to_html(tree)
    assert "<b" not in text and "&lt;b style=" in text
    assert 'class="a&quot; onclick=&quot;x"' in text
    assert "url(" not in text and "color:red" in text and "--bar:3" in text
    assert 'title="&lt;script&gt;"' in text
    assert to_html(TrustedHTML("<p>ok</p>")) == "<p>ok</p>"
    for bad in (AgGrid(rowData=[]), dcc.Slider(min=0, max=1), html.A("x", href="https://example.org"),
                html.Script("alert(1)")):
        with pytest.raises(NotForWalls):
            to_html(bad)


# ---------- routes on a real gunicorn ----------

@pytest.fixture(scope="module")
def wall_server(demo_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("walls")
    db = work / "accounts.db"
    srv = Server(demo_store, ROOT / "layouts", work / "cache", work / "gunicorn.log", COCKPIT_ACCOUNTS_DB=str(db))
    srv.accounts = db  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def _get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            body, status, ctype = resp.read().decode(), resp.status, resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        body, status, ctype = exc.read().decode(), exc.code, exc.headers.get("Content-Type", "")
    return status, json.loads(body) if "json" in ctype else body


def test_without_a_valid_token_a_wall_shows_only_the_notice(wall_server):
    good, text = tokens.create(wall_server.accounts, "street-tour", "330106")
    revoked, rtext = tokens.create(wall_server.accounts, "command-centre", "330000")
    tokens.revoke(wall_server.accounts, revoked.id)
    for query in ("", "?token=", "?token=tok_0123456789.made-up-secret-made-up", f"?token={rtext}",
                  f"?token={text}x"):
        status, body = _get(f"{wall_server.url}/wall/command-centre{query}")
        assert status == 403 and "显示屏未授权" in body and "wall-boot" not in body, query
        for sub in ("plan", "ping", "step"):
            status, body = _get(f"{wall_server.url}/wall/command-centre/{sub}{query}")
            assert status == 403 and body == {"error": "not_authorised"}
    # a street-tour token opens the street tour, and nothing else
    assert _get(f"{wall_server.url}/wall/street-tour?token={text}")[0] == 200
    assert _get(f"{wall_server.url}/wall/command-centre?token={text}")[0] == 403
    assert _get(f"{wall_server.url}/wall/nowhere?token={text}")[0] == 403


def test_plan_follows_the_wall_file_within_the_token_region(wall_server, demo_store):
    from cockpit.db import Database
    from cockpit.regions import region_index

    _, text = tokens.create(wall_server.accounts, "street-tour", "330106")
    status, plan = _get(f"{wall_server.url}/wall/street-tour/plan?token={text}")
    assert status == 200
    db = Database(demo_store)
    index = region_index(db, db.live_id())
    assert [s["value"] for s in plan["steps"]] == index.streets_under("330106")
    assert all(s["seconds"] == 20 for s in plan["steps"])
    assert set(plan["grids"][0]) >= {"16:9", "32:9", "28:9", "9:16"}

    _, cc = tokens.create(wall_server.accounts, "command-centre", "330100")
    status, plan = _get(f"{wall_server.url}/wall/command-centre/plan?token={cc}")
    assert [(s["screen"], s["value"], s["seconds"]) for s in plan["steps"]] == [
        (0, None, 60), (1, None, 45), (2, None, 45), (3, None, 45)]


def test_step_payload_is_scoped_to_the_token_and_refuses_other_values(wall_server, demo_store):
    _, text = tokens.create(wall_server.accounts, "street-tour", "330106")
    _, plan = _get(f"{wall_server.url}/wall/street-tour/plan?token={text}")
    first = plan["steps"][0]["value"]
    status, payload = _get(f"{wall_server.url}/wall/street-tour/step?token={text}&screen=0&value={first}")
    assert status == 200 and payload["value"] == first
    names = plan["grids"][0]["16:9"]["names"]
    assert set(payload["panels"]) >= set(names)
    for pid, item in payload["panels"].items():
        assert "error" not in item, (pid, item)
        assert ("figure" in item) != ("html" in item)
    geo = payload["panels"]["map_requests"]["figure"]["data"][1]["locations"]
    assert geo and all(code.startswith("330106") for code in geo)
    # a street outside the token's county, a made-up screen, junk: refused without data
    for query in ("screen=0&value=330203001", "screen=7", "screen=x", "screen=0&value=%3Cscript%3E"):
        status, body = _get(f"{wall_server.url}/wall/street-tour/step?token={text}&{query}")
        assert status == 400 and "panels" not in body, query


def test_a_step_carries_no_geometry_the_wall_fetches_it_with_its_token(wall_server):
    _, text = tokens.create(wall_server.accounts, "command-centre", "330100")
    status, payload = _get(f"{wall_server.url}/wall/command-centre/step?token={text}&screen=0")
    assert status == 200 and '"coordinates"' not in json.dumps(payload)
    src = payload["panels"]["map_requests"]["figure"]["data"][1]["geojson"]
    assert isinstance(src, str) and src.startswith("/geo/")
    status, geometry = _get(f"{wall_server.url}/wall/command-centre{src}?token={text}")
    assert status == 200 and {f["id"] for f in geometry["features"]} == set(
        payload["panels"]["map_requests"]["figure"]["data"][1]["locations"])
    # without the token, with another wall's, or a level outside the token's region: no geometry
    _, other = tokens.create(wall_server.accounts, "street-tour", "330100")
    snapshot = src.split("/")[2]
    for url in (f"/wall/command-centre{src}", f"/wall/command-centre{src}?token={other}",
                f"/wall/command-centre/geo/{snapshot}/330000.geojson?token={text}",
                f"/wall/command-centre/geo/{snapshot}/330200.geojson?token={text}"):
        status, body = _get(wall_server.url + url)
        assert status in (403, 404) and "features" not in str(body), url


def test_docs_name_every_key_of_a_wall_file():
    from cockpit.specs.walls import Rotate, Screen, WallSpec

    text = (ROOT / "docs" / "walls.md").read_text(encoding="utf-8")
    keys = [k for k in WallSpec.model_fields if k != "id"]
    keys += [f"screens.{k}" for k in Screen.model_fields] + [f"screens.rotate.{k}" for k in Rotate.model_fields]
    missing = [k for k in keys if f"`{k}`" not in text]
    assert missing == [], f"docs/walls.md does not describe {missing}"
