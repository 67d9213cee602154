"""Shared by the traceability tests: the cockpit app on the store with planted problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quality_support import planted_store


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    return planted_store(tmp_path_factory.mktemp("planted"))


def make_app(store: Path, cache: Path, **env: str):
    """The real Dash app (logins off unless env says otherwise) on `store`."""
    from cockpit.db import Database
    from cockpit.settings import get_settings
    from cockpit.web.app import create_app

    mp = pytest.MonkeyPatch()
    mp.setenv("COCKPIT_STORE", str(store))
    mp.setenv("COCKPIT_CACHE_DIR", str(cache))
    for key, value in env.items():
        mp.setenv(key, value)
    get_settings.cache_clear()
    try:
        return create_app(get_settings(), Database(store)), mp
    except BaseException:
        mp.undo()
        raise


@pytest.fixture(scope="module")
def client(planted, tmp_path_factory):
    app, mp = make_app(planted, tmp_path_factory.mktemp("cache"))
    yield app.server.test_client()
    mp.undo()
    from cockpit.settings import get_settings
    get_settings.cache_clear()


def case_count(html: str) -> int:
    m = re.search(r'id="case-count" data-count="(\d+)"', html)
    assert m, html[:2000]
    return int(m.group(1))


def table_rows(html: str, table_id: str = "cases") -> list[list[str]]:
    """The text of each body cell of a table (tags stripped, entities kept)."""
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
