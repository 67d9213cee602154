"""Shared by the query-layer tests: the demo store's database and a trusted context for a state."""

from __future__ import annotations

import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve


@pytest.fixture()
def db(demo_store, use_store):
    use_store(demo_store)
    return Database(demo_store)


def ctx_for(db, **state):
    """The server-side context of a page state on the whole tree (no jurisdiction configured)."""
    return resolve(FilterState(**state), db, None).ctx
