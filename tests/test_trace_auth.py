"""Logins on: the traceability pages need a session, keep to the account's jurisdiction, and show
SQL only to analysts."""

from __future__ import annotations

import re

import pytest

from cockpit.access import users
from cockpit.settings import get_settings
from test_cases import PERIOD, figure
from trace_support import case_count, make_app, planted  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"
ROUTES = ("/cases/kpi_requests", "/cases/kpi_requests.csv", "/lineage/kpi_requests", "/quality",
          "/trace/flags?panels=kpi_requests", "/brief/index", "/brief/index.pdf")


@pytest.fixture(scope="module")
def app(planted, tmp_path_factory):
    work = tmp_path_factory.mktemp("trace-auth")
    db = work / "accounts.db"
    users.add(db, "leader", "leader", "330102", PASSWORD)
    users.add(db, "analyst", "analyst", "330106", PASSWORD)
    app, mp = make_app(planted, work / "cache", COCKPIT_AUTH="on", COCKPIT_ACCOUNTS_DB=str(db),
                       COCKPIT_COOKIE_SECURE="0", COCKPIT_LOGIN_RATE="100 per minute")
    yield app
    mp.undo()
    get_settings.cache_clear()


def _login(app, name: str):
    c = app.server.test_client()
    page = c.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    resp = c.post("/login", data={"csrf": csrf, "name": name, "password": PASSWORD, "next": "/"})
    assert resp.status_code == 302
    return c


@pytest.mark.parametrize("route", ROUTES)
def test_nothing_without_a_session(app, route):
    resp = app.server.test_client().get(route)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_a_leader_sees_the_cases_of_their_county_and_no_sql(app, planted):
    c = _login(app, "leader")
    value = int(figure(planted, "kpi_requests", region="330102")["value"].iloc[0])
    html = c.get(f"/cases/kpi_requests?period={PERIOD}&region=330000").get_data(as_text=True)
    assert case_count(html) == value
    assert 'id="sql"' not in html and "requests_scoped" not in html
    lineage = c.get(f"/lineage/kpi_requests?period={PERIOD}").get_data(as_text=True)
    assert 'id="lineage"' in lineage and 'id="sql"' not in lineage
    flags = c.get("/trace/flags?panels=kpi_requests,map_requests").get_json()
    # The planted request flags in the county's streets S1 and S2 only.
    from quality_support import PLANTED, S1, S2
    want = sum(len(ids) for flag, regions in PLANTED.items() if flag in {
        "closed_without_handled_time", "stage_time_missing", "missing_coordinates", "dispatched_without_department",
        "missing_due_time", "due_before_received", "new_category", "new_channel", "late_update_after_closing"}
        for code, ids in regions.items() if code in (S1, S2))
    assert flags == {"kpi_requests": want, "map_requests": want}


def test_an_analyst_sees_sql_with_its_bound_values(app):
    c = _login(app, "analyst")
    html = c.get(f"/lineage/kpi_requests?period={PERIOD}").get_data(as_text=True)
    assert 'id="sql"' in html and "$period_start=2026-11-01" in html
