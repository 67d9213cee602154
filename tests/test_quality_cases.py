"""The data-quality page (`/quality`): flags per region of the viewer's jurisdiction, each flag on
requests opening the case list of exactly its flagged rows, each example id opening its request.

Real DuckDB on the store with planted problems (tests/quality_support.py: how many of each flag
were planted and where), the real app's Flask server."""

from __future__ import annotations

import re

from cockpit.analytics.quality import FLAGS, FLAGS_BY_NAME
from cockpit.settings import get_settings
from quality_support import PLANTED, S1, S2
from trace_support import case_count, client, make_app, planted, table_rows  # noqa: F401 (fixtures)

LISTED = [f.name for f in FLAGS if f.condition is not None]


def test_a_requests_flag_opens_exactly_its_planted_rows(client):
    assert len(LISTED) >= 5
    for name in LISTED:
        planted_ids = sorted(i for ids in PLANTED[name].values() for i in ids)
        html = client.get(f"/cases/quality-{name}?n=100").get_data(as_text=True)
        assert case_count(html) == len(planted_ids), name
        assert sorted(r[0] for r in table_rows(html)) == planted_ids, name
        assert FLAGS_BY_NAME[name].zh in html


def test_the_quality_page_links_flags_and_examples(client):
    html = client.get("/quality?lang=en").get_data(as_text=True)
    for name in LISTED:
        assert f'href="/cases/quality-{name}?' in html, name
    # An example id opens a list with that one request.
    link = re.search(r'href="(/cases/quality-requests\?[^"]*q=Q301[^"]*)"', html)
    assert link, html[:3000]
    found = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert case_count(found) == 1 and table_rows(found)[0][0] == "Q301"
    assert "<h1>Data quality" in html and "数据质量" not in html


def test_quality_lists_stay_in_the_viewers_jurisdiction(planted, tmp_path):
    app, mp = make_app(planted, tmp_path / "cache", COCKPIT_JURISDICTION=S1)
    try:
        c = app.server.test_client()
        name = "missing_coordinates"
        html = c.get(f"/cases/quality-{name}?region=330000&n=100").get_data(as_text=True)
        assert sorted(r[0] for r in table_rows(html)) == sorted(PLANTED[name].get(S1, []))
        assert PLANTED[name].get(S2)  # planted elsewhere too, and left out here
        page = c.get("/quality?region=330000").get_data(as_text=True)
        counts = {m.group(1): int(m.group(2).replace(",", "")) for m in re.finditer(
            r'<tr data-flag="([a-z_]+)">.*?<td class="num">([\d,]+)</td>', page)}
        assert counts[name] == len(PLANTED[name].get(S1, []))
    finally:
        mp.undo()
        get_settings.cache_clear()


def test_an_unknown_or_listless_flag_is_a_404(client):
    assert client.get("/cases/quality-no_such_flag").status_code == 404
    assert client.get("/cases/quality-new_category").status_code == 404  # arrival flags: examples only
