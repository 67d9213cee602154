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
from trace_support import planted  # noqa: F401 (fixture)


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
    value = int(figure(planted, "kpi_requests", region="330102")["value"].iloc[0])
    assert re.search(rf"本期诉求量\s*{value} 件", text), text[:600]


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
