"""Leaders' feedback, without a browser: an unpublished snapshot in a link is said on screen, the
drill-down hint only where a panel drills down, empty text panels say no data exists."""

from __future__ import annotations

import pandas as pd

from cockpit.visuals.base import RenderContext
from cockpit.visuals.markdown import MarkdownOptions, render as render_markdown
from callback_support import sync_in as _sync_in, views  # noqa: F401 - views is a fixture
from cockpit.web import callbacks as cb

MISSING = "00099_2020-01-01"


def sync_in(**kw) -> cb.SyncIn:
    """The page's state-sync inputs, without navigation links."""
    return _sync_in(**{"nav_ids": [], **kw})


def texts(node) -> str:
    """Every string under a Dash component tree."""
    if isinstance(node, str):
        return node
    if isinstance(node, (list, tuple)):
        return " ".join(texts(n) for n in node)
    children = getattr(node, "children", None)
    return texts(children) if children is not None else ""


def test_an_unpublished_snapshot_is_said_and_the_live_data_shown(views):
    out = cb.sync_state(views, sync_in(search=f"?snap={MISSING}"))
    crumbs = texts(out.breadcrumb[0])
    assert f"快照 {MISSING} 不存在，显示的是最新数据" in crumbs
    assert out.snap == [views.db.live_id()]  # the live data
    assert out.search is cb.no_update  # the link stays as sent: the notice stays while the page is used
    en = cb.sync_state(views, sync_in(search=f"?snap={MISSING}&lang=en"))
    assert f"Snapshot {MISSING} does not exist; showing the live data" in texts(en.breadcrumb[0])
    # A published snapshot, or none, says nothing.
    for search in ("", f"?snap={views.db.live_id()}"):
        assert "不存在" not in texts(cb.sync_state(views, sync_in(search=search)).breadcrumb[0])
    # Choosing a snapshot replaces the unknown one (and the notice goes).
    chosen = cb.sync_state(views, sync_in(search=f"?snap={MISSING}"), {"type": "snap", "i": 0}, views.db.live_id())
    assert chosen.search == "" and "不存在" not in texts(chosen.breadcrumb[0])


def test_the_page_load_says_so_too(views):
    view = cb.render_page(views, cb.PageIn(pathname="/", lang="zh", search=f"?snap={MISSING}"))
    assert f"快照 {MISSING} 不存在" in texts(view)


def test_the_drill_down_hint_only_on_pages_with_a_drilling_panel(views):
    hint = "点击地图下钻"
    drilling = {p.path: views.drills_down(p) for p in views.holder.get().pages}
    assert drilling["/"] and not drilling["/reports"], drilling
    for path, drills in drilling.items():
        crumbs = texts(cb.sync_state(views, sync_in(pathname=path)).breadcrumb[0])
        assert (hint in crumbs) == drills, path


def test_markdown_says_plainly_when_there_is_no_data():
    options = MarkdownOptions.model_validate({"text": {"zh": "**{depts}** 个部门填报 **{n}** 次"},
                                              "empty": {"zh": "本期暂无数据", "en": "No data for this period"}})
    ctx = RenderContext(panel_id="p", lang="zh")
    assert "本期暂无数据" in render_markdown(pd.DataFrame({"depts": [], "n": []}), options, ctx).children
    assert "本期暂无数据" in render_markdown(pd.DataFrame({"depts": [None], "n": [float("nan")]}), options, ctx).children
    full = render_markdown(pd.DataFrame({"depts": [3], "n": [12]}), options, ctx).children
    assert "<strong>3</strong>" in full and "暂无" not in full
    en = render_markdown(pd.DataFrame({"depts": [], "n": []}), options, RenderContext(panel_id="p", lang="en")).children
    assert "No data for this period" in en


def test_the_report_note_says_no_data_exists_for_an_empty_period(views):
    from cockpit.filters import parse_query

    panel = views.panel("rb_note")
    res = views.resolve("?period=2025-01", "/reports")
    assert res.ctx.period_start.isoformat() == "2025-01-01"  # a month with requests but no report data
    body = views.render(panel, res).value.children
    assert "本统计期暂无报表填报数据" in body and "个部门本月共填报" not in body
    live = views.render(panel, views.resolve(parse_query("").to_query(), "/reports")).value.children
    assert "个部门本月共填报" in live
