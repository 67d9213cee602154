"""Declarations: grid checks, loader errors naming file and key, `cockpit check`, start-up refusal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.specs.check import check_all
from cockpit.specs.loader import load_catalog
from cockpit.specs.models import Grid
from cockpit.web.catalog import BrokenSpecs, CatalogHolder

ROOT = Path(__file__).resolve().parent.parent

GOOD_PANEL = '''
title = { zh = "渠道", en = "Channels" }
kind = "bar"
sql = "select channel, sum(received) as n from requests_daily_scoped group by channel"
[options]
x = "channel"
y = "n"
'''


KPI_PANEL = '''
title = { zh = "诉求量" }
kind = "kpi"
sql = "select sum(received) as n from requests_daily_scoped"
[options]
value = "n"
'''


@pytest.fixture()
def layouts(tmp_path) -> Path:
    """A copy of the repository's declarations to break."""
    dst = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", dst)
    return dst


def _errors(layouts: Path) -> list[str]:
    return [str(e) for e in load_catalog(layouts).errors]


@pytest.mark.parametrize("areas, problem", [
    (["a a", "a"], "same number of cells"),
    (["a b", "b a"], "'a' is not one rectangle"),
    (["a b a"], "'a' is not one rectangle"),
    (["a a b", "a c c"], "'a' is not one rectangle"),
])
def test_grid_rejects_non_rectangles(areas, problem):
    with pytest.raises(ValueError, match=problem):
        Grid(areas=areas)


def test_grid_accepts_rectangles_and_gaps():
    grid = Grid(areas=["a a b", "a a .", "c c c"], rows=["1fr", "1fr", "80px"])
    assert grid.names() == ["a", "b", "c"]


def test_grid_row_sizes_must_match():
    with pytest.raises(ValueError, match="rows has 1 sizes for 2 rows"):
        Grid(areas=["a", "b"], rows=["1fr"])


def test_repository_declarations_load_cleanly():
    catalog = load_catalog(ROOT / "layouts")
    assert catalog.errors == []
    assert {p.path for p in catalog.pages} >= {"/", "/requests", "/ledger", "/rankings", "/street", "/reports",
                                               "/disability"}
    for page in catalog.pages:
        for pid in page.panel_ids():
            assert pid in catalog.panels


@pytest.mark.parametrize("text, key, message", [
    (GOOD_PANEL.replace('kind = "bar"', 'kind = "pie3d"'), "kind", "unknown kind 'pie3d'"),
    (GOOD_PANEL.replace('x = "channel"', 'x = "channel"\ncolour = "red"'), "options.colour", "unknown key"),
    (GOOD_PANEL.replace('y = "n"\n', ''), "options.y", "required key is missing"),
    (GOOD_PANEL.replace('title = { zh = "渠道", en = "Channels" }', ''), "title", "required key is missing"),
    (GOOD_PANEL.replace('sql = "select', 'sql = "selec'), "sql", "SQL does not parse"),
    (GOOD_PANEL.replace('sql = "select channel', 'sql = "delete from requests; select channel'), "sql",
     "expected exactly one statement"),
    (GOOD_PANEL.replace('sql = "select channel, sum(received) as n from requests_daily_scoped group by channel"',
                        'sql = "create table x as select 1"'), "sql", "expected a SELECT statement"),
    (GOOD_PANEL + '\n[queries]\nspark = "select 1 as x, 2 as y"\n', "queries.spark", "uses no query 'spark'"),
    (KPI_PANEL + '\n[queries]\nspark = "select 1 as x, 2 as y"\n', "queries.spark", "was renamed to 'sparkline'"),
    (KPI_PANEL + '\n[queries]\nsparks = "select 1 as x, 2 as y"\n', "queries.sparks",
     "uses no query 'sparks' (it uses: sparkline)"),
    ('cross_filter = { field = "password", column = "channel" }\n' + GOOD_PANEL, "cross_filter.field",
     "must be one of"),
    ("title = [", "(file)", "not valid TOML"),
])
def test_broken_panel_names_file_and_key(layouts, text, key, message):
    (layouts / "panels" / "zz_broken.toml").write_text(text, encoding="utf-8")
    errors = [e for e in load_catalog(layouts).errors if e.file.endswith("panels/zz_broken.toml")]
    assert errors, "the broken panel was accepted"
    assert any(e.key == key and message in e.message for e in errors), [str(e) for e in errors]


def test_layout_naming_a_missing_panel(layouts):
    text = (layouts / "overview.toml").read_text(encoding="utf-8").replace("kpi_vetoed", "kpi_vetoes", 1)
    (layouts / "overview.toml").write_text(text, encoding="utf-8")
    errors = _errors(layouts)
    assert any("layouts/overview.toml: page.areas: no panel named 'kpi_vetoes'" in e for e in errors), errors


def test_layout_with_overlapping_areas(layouts):
    (layouts / "zz.toml").write_text('title = { zh = "测试" }\npath = "/zz"\n[page]\nareas = ["kpi_requests map_requests", '
                                     '"map_requests kpi_requests"]\n', encoding="utf-8")
    errors = _errors(layouts)
    assert any(e.startswith("layouts/zz.toml: page") and "not one rectangle" in e for e in errors), errors


def test_grid_error_names_rows_columns_and_the_intruder():
    with pytest.raises(ValueError) as exc:
        Grid(areas=["x x kpi_a kpi_a", "x x kpi_a map"])
    assert ("area 'kpi_a' is not one rectangle: rows 1–2, columns 3–4 hold it, but row 2 column 4 is 'map'"
            in str(exc.value))
    with pytest.raises(ValueError, match=r"row 1, columns 1–3 hold it, but row 1 column 2 is 'b'"):
        Grid(areas=["a b a"])
    with pytest.raises(ValueError, match=r"rows 1–3, column 1 hold it, but row 2 column 1 is empty"):
        Grid(areas=["a b", ". b", "a b"])


def test_grid_error_in_a_layout_has_no_pydantic_prefix(layouts):
    (layouts / "zz.toml").write_text('title = { zh = "测试" }\npath = "/zz"\n[page]\n'
                                     'areas = ["kpi_requests kpi_closure", "kpi_requests map_requests", '
                                     '"map_requests map_requests"]\n', encoding="utf-8")
    errors = [e for e in load_catalog(layouts).errors if e.file == "layouts/zz.toml"]
    assert [(e.key, e.message) for e in errors] == [
        ("page", "area 'map_requests' is not one rectangle: rows 2–3, columns 1–2 hold it, "
                 "but row 2 column 1 is 'kpi_requests'")], [str(e) for e in errors]
    assert not any("Value error" in str(e) for e in load_catalog(layouts).errors)


def test_duplicate_page_path(layouts):
    (layouts / "zz.toml").write_text('title = { zh = "测试" }\npath = "/requests"\n[page]\nareas = ["kpi_requests"]\n',
                                     encoding="utf-8")
    assert any("zz.toml: path: '/requests' is already the path of" in e for e in _errors(layouts))


@pytest.mark.parametrize("areas", ["kpi_requests", "kpi_nope"])
def test_duplicate_page_path_blames_the_second_file_in_sorted_order(layouts, areas):
    # aa.toml sorts before requests.toml: requests.toml is the second to claim /requests, also when
    # aa.toml has a problem of its own.
    (layouts / "aa.toml").write_text(f'title = {{ zh = "测试" }}\npath = "/requests"\n[page]\nareas = ["{areas}"]\n',
                                     encoding="utf-8")
    dup = [e for e in _errors(layouts) if ": path: " in e]
    assert dup == ["layouts/requests.toml: path: '/requests' is already the path of layouts/aa.toml"], _errors(layouts)


def test_check_runs_sql_on_the_live_snapshot(demo_store, layouts, use_store):
    use_store(demo_store)
    _, errors = check_all(demo_store, layouts)
    assert errors == []
    # A column the visual needs but the SQL does not return.
    (layouts / "panels" / "zz_cols.toml").write_text(GOOD_PANEL.replace('y = "n"', 'y = "volume"'), encoding="utf-8")
    # SQL that parses but does not run on this snapshot.
    (layouts / "panels" / "zz_run.toml").write_text(GOOD_PANEL.replace("sum(received)", "sum(no_such_column)"),
                                                    encoding="utf-8")
    _, errors = check_all(demo_store, layouts)
    text = [str(e) for e in errors]
    assert any(t.startswith("layouts/panels/zz_cols.toml: options: column(s) volume not in the SQL result")
               for t in text), text
    assert any(t.startswith("layouts/panels/zz_run.toml: sql: does not run on snapshot") and "no_such_column" in t
               for t in text), text


def test_cockpit_check_says_the_sparkline_query_was_renamed(demo_store, layouts):
    path = layouts / "panels" / "kpi_requests.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("sparkline = ", "spark = "), encoding="utf-8")
    cmd = [sys.executable, "-m", "cockpit.cli", "check", "--store", str(demo_store), "--layouts", str(layouts)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert ("layouts/panels/kpi_requests.toml: queries.spark: was renamed to 'sparkline' (kind 'kpi'): "
            "write `sparkline = ...` under [queries]") in out.stderr


def test_cockpit_check_command_exit_codes(demo_store, layouts):
    cmd = [sys.executable, "-m", "cockpit.cli", "check", "--store", str(demo_store), "--layouts", str(layouts)]
    ok = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "0 problem(s)" in ok.stdout
    (layouts / "panels" / "kpi_requests.toml").write_text(
        GOOD_PANEL.replace('kind = "bar"', 'kind = "kpi"'), encoding="utf-8")
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert "layouts/panels/kpi_requests.toml: options.x: unknown key" in bad.stderr
    assert "layouts/panels/kpi_requests.toml: options.value: required key is missing" in bad.stderr


def _check(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "COCKPIT_LAYOUTS"} | env
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "check", *args], capture_output=True, text=True,
                          cwd=cwd, env=environ)


def test_cockpit_check_names_the_layouts_folder_it_checked(demo_store, layouts):
    store = ["--store", str(demo_store)]
    # Inside the current directory: shown relative to it.
    given = _check([*store, "--layouts", "layouts"], cwd=layouts.parent)
    assert given.returncode == 0, given.stderr
    assert given.stdout.startswith("checked layouts (from --layouts): "), given.stdout
    by_env = _check(store, cwd=layouts.parent, COCKPIT_LAYOUTS=str(layouts))
    assert by_env.stdout.startswith("checked layouts (from COCKPIT_LAYOUTS): "), by_env.stdout
    # Outside it: the resolved path, said in full.
    outside = _check([*store, "--layouts", str(layouts)], cwd=ROOT)
    assert outside.stdout.startswith(f"checked {layouts.resolve().as_posix()} (from --layouts): "), outside.stdout
    # Neither given: run from a copy, it says it checked the default folder, not the copy.
    default = _check(store, cwd=layouts.parent)
    assert default.stdout.startswith(f"checked {(ROOT / 'layouts').resolve().as_posix()} (the default; "
                                     "pass --layouts or set COCKPIT_LAYOUTS"), default.stdout
    assert _check(store, cwd=ROOT).stdout.startswith("checked layouts (the default; ")


def test_readme_add_a_panel_says_how_to_choose_the_layouts_folder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Add a panel", 1)[1].split("\n## ", 1)[0]
    assert "--layouts" in section and "COCKPIT_LAYOUTS" in section


def test_panel_without_english_title_is_a_warning_not_an_error(demo_store, layouts):
    (layouts / "panels" / "zz_zh_only.toml").write_text(GOOD_PANEL.replace(', en = "Channels"', ''),
                                                        encoding="utf-8")
    catalog = load_catalog(layouts)
    assert catalog.errors == []
    assert [str(w) for w in catalog.warnings] == [
        "layouts/panels/zz_zh_only.toml: title.en: no English title: the English view shows the Chinese one"]
    out = _check(["--store", str(demo_store), "--layouts", str(layouts)], cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert ("warning: layouts/panels/zz_zh_only.toml: title.en: no English title" in out.stderr), out.stderr
    assert "0 problem(s), 1 warning(s)" in out.stdout


def test_every_shipped_panel_has_an_english_title():
    catalog = load_catalog(ROOT / "layouts")
    assert catalog.warnings == []
    assert all(p.spec.title.en for p in catalog.panels.values())


def test_app_refuses_to_start_on_broken_declarations(layouts):
    (layouts / "panels" / "kpi_closure.toml").write_text("title = 3\n", encoding="utf-8")
    with pytest.raises(BrokenSpecs) as exc:
        CatalogHolder(layouts)
    assert "layouts/panels/kpi_closure.toml: title" in str(exc.value)


def test_dev_reload_picks_up_new_files_and_keeps_last_good(layouts):
    holder = CatalogHolder(layouts, dev=True)
    assert "zz_new" not in holder.get().panels
    (layouts / "panels" / "zz_new.toml").write_text(GOOD_PANEL, encoding="utf-8")
    holder._checked = 0  # skip the half-second throttle
    assert "zz_new" in holder.get().panels
    (layouts / "panels" / "zz_new.toml").write_text("broken = [", encoding="utf-8")
    holder._checked = 0
    assert "zz_new" in holder.get().panels  # the last good catalog keeps serving
    assert any("zz_new.toml" in str(e) for e in holder.errors)
