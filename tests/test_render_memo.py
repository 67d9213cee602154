"""A worker's memory of rendered panels: the same state is answered again without reading the
result or rendering, anything it is drawn from changing is a new answer, and it stays bounded."""

from __future__ import annotations

import pytest

from cockpit.db import Database
from cockpit.settings import get_settings
from cockpit.web import callbacks as cb
from cockpit.web.catalog import CatalogHolder
from cockpit.web.render_memo import RenderMemo
from cockpit.web.views import Rendered, Views


@pytest.fixture()
def cached_views(demo_store, use_store, tmp_path):
    use_store(demo_store, COCKPIT_CACHE_TYPE="SimpleCache")
    return Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())


def _figures(views, search="", panels=("kpi_requests", "map_requests")):
    ids = [{"type": "graph", "panel": p} for p in panels]
    return cb.render_figures(views, cb.PanelsIn(search=search, ids=ids, keys=[], pathname="/", pins=[]))


def test_the_same_state_is_answered_from_memory_and_equal(cached_views, monkeypatch):
    first = _figures(cached_views, "?region=330106")
    assert cached_views.render_memo.misses == 2 and cached_views.render_memo.hits == 0

    def no_render(*args, **kwargs):  # a remembered answer must not render again
        raise AssertionError("rendered again")

    monkeypatch.setattr(cached_views, "render", no_render)
    again = _figures(cached_views, "?region=330106")
    assert cached_views.render_memo.hits == 2
    assert again["kpi_requests"].figure == first["kpi_requests"].figure
    assert again["map_requests"].figure == first["map_requests"].figure
    # Another region is drawn from other values: rendered (here: refused by the stub).
    other = _figures(cached_views, "?region=330100", panels=("kpi_requests",))
    assert other["kpi_requests"].error  # the stub's failure became the panel's error card


def test_the_language_and_the_period_are_new_answers(cached_views):
    zh = _figures(cached_views, "", panels=("kpi_requests",))["kpi_requests"].figure
    en = _figures(cached_views, "?lang=en", panels=("kpi_requests",))["kpi_requests"].figure
    before = _figures(cached_views, "?period=2026-09", panels=("kpi_requests",))["kpi_requests"].figure
    assert cached_views.render_memo.hits == 0 and cached_views.render_memo.misses == 3
    assert zh != en and zh["data"][0]["value"] != before["data"][0]["value"]


def test_a_remembered_answer_cannot_be_changed_by_its_receiver(cached_views):
    first = _figures(cached_views, "", panels=("kpi_requests",))["kpi_requests"].figure
    value = first["data"][0]["value"]
    first["data"][0]["value"] = -1  # what one request does with its answer stays with it
    again = _figures(cached_views, "", panels=("kpi_requests",))["kpi_requests"].figure
    assert again["data"][0]["value"] == value


def test_no_memory_without_a_result_cache(demo_store, use_store):
    use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache")
    views = Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())
    assert views.render_memo is None
    assert _figures(views, panels=("kpi_requests",))["kpi_requests"].error is None


def test_the_memory_is_bounded_least_recently_used_first():
    memo = RenderMemo(max_entries=3, max_bytes=10_000)
    render = lambda text: (lambda: Rendered({"t": text}, "k"))  # noqa: E731
    for i in range(3):
        memo.get_or_render(("p", i), render(str(i)))
    memo.get_or_render(("p", 0), render("changed"))  # a hit: 0 is now the most recent
    memo.get_or_render(("p", 3), render("3"))  # pushes out 1, the least recently used
    assert len(memo) == 3 and memo.hits == 1
    assert memo.get_or_render(("p", 0), render("x"))[0] == {"t": "0"}
    assert memo.get_or_render(("p", 1), render("new"))[0] == {"t": "new"}  # was dropped
    big = RenderMemo(max_entries=100, max_bytes=1_000)
    for i in range(20):
        big.get_or_render(("p", i), render("x" * 200))
    assert 0 < len(big) <= 4  # bounded by bytes as well
