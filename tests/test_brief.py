"""The briefing (汇报材料): a PDF made with Debian's Chromium, from the command line and from the
page's link, with title, region, period, as-of, every panel and its key number."""

from __future__ import annotations

import io
import re
import urllib.request

import pypdf
import pytest

from cockpit.cli import main
from cockpit.settings import get_settings
from cockpit.specs.loader import load_catalog
from test_cases import PERIOD, figure
from test_trace_browser import trace_server  # noqa: F401 (fixture)
from trace_support import client, planted  # noqa: F401 (fixtures)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # PDF text uses compatibility ideographs for some glyphs (⾯ for 面): compare normalised.
    import unicodedata
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


def test_cli_writes_a_briefing_with_every_panel_and_its_key_number(planted, tmp_path, capsys):
    out = tmp_path / "brief.pdf"
    assert main(["brief", "--store", str(planted), "--page", "overview", "--region", "330102",
                 "--period", PERIOD, "--out", str(out)]) == 0
    get_settings.cache_clear()
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "总览 · 汇报材料" in text and "上城区" in text and "2026-11-01" in text and "2026-11-25" in text
    catalog = load_catalog(get_settings().layouts)
    page = next(p for p in catalog.pages if p.path == "/")
    for pid in page.page.names():
        import unicodedata
        assert unicodedata.normalize("NFKC", catalog.panels[pid].spec.title.zh) in text, pid
    # Every panel's figure as photographed on the page (one image each).
    images = sum(len(p.images) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert images == len(page.page.names())
    value = int(figure(planted, "kpi_requests", region="330102")["value"].iloc[0])
    assert re.search(rf"本期诉求量\s*{value} 件", text), text[:600]
    # The key numbers say what each panel shows: a KPI's change, a table's top row and row count.
    assert re.search(r"本期诉求量\s*\d+ 件[，,]\s*较对比期 \S", text), text[:1500]  # NFKC: ， → ,
    ranked = figure(planted, "ranking_streets", region="330102")
    assert f"居首 {ranked['street'].iloc[0]}" in text and f"共 {len(ranked)} 行" in text


def test_unknown_page_is_a_clear_error(planted, tmp_path, capsys):
    assert main(["brief", "--store", str(planted), "--page", "nope", "--out", str(tmp_path / "x.pdf")]) == 2
    get_settings.cache_clear()
    assert "no page 'nope'" in capsys.readouterr().err


def test_the_pages_link_gives_the_pdf_in_english(trace_server):
    url = f"{trace_server.url}/brief/requests.pdf?lang=en&period={PERIOD}&region=330106"
    with urllib.request.urlopen(url, timeout=120) as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        assert "requests_330106_2026-11_brief.pdf" in resp.headers["Content-Disposition"]
        text = _text(resp.read())
    assert "Briefing" in text and "As of" in text and "2026-11-25" in text


def _keys(client, page: str, lang: str, **state) -> dict[str, str]:
    import html as html_lib
    query = "&".join(f"{k}={v}" for k, v in {"period": PERIOD, "lang": lang, **state}.items())
    body = client.get(f"/brief/{page}?{query}").get_data(as_text=True)
    return {pid: html_lib.unescape(key) for pid, key in re.findall(r'data-key="([^"]+)">([^<]*)<', body)}


def test_each_key_number_says_what_its_panel_shows(client, planted):
    """A KPI: value, unit and change against the comparison; a table: its top row and row count; a
    chart: its total or leader; in the viewer's language."""
    zh = _keys(client, "index", "zh")
    value = int(figure(planted, "kpi_requests")["value"].iloc[0])
    previous = int(figure(planted, "kpi_requests")["previous"].iloc[0])
    assert zh["kpi_requests"].startswith(f"{value:,} 件，较对比期 ▲ {(value - previous) / previous:.1%}")
    assert "个百分点" in zh["kpi_closure"]
    ranked = figure(planted, "ranking_streets")
    assert zh["ranking_streets"].startswith(f"居首 {ranked['street'].iloc[0]}")
    assert zh["ranking_streets"].endswith(f"共 {len(ranked)} 行")
    assert zh["flow_overview"] == f"合计 {value:,}"  # every request enters the flow once
    lists = figure(planted, "lists_by_runway", region="330100")
    ledger = _keys(client, "ledger", "zh", region="330100")
    assert ledger["lists_by_runway"].startswith(f"合计 {int(lists['items'].sum())}，居首")
    en = _keys(client, "index", "en")
    assert en["kpi_requests"].startswith(f"{value:,}, ▲") and "vs comparison" in en["kpi_requests"]
    assert en["ranking_streets"].endswith(f"{len(ranked)} rows") and "共" not in en["ranking_streets"]
    assert "pp vs comparison" in en["kpi_closure"]
    assert not any(re.search(r"[\u4e00-\u9fff]", k) for pid, k in en.items() if pid.startswith("kpi_")), en
