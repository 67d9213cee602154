"""Exported PNGs say what they show: the camera button's image carries a title line with panel
title, region, period and as-of, and its file name panel id, region and period (real Chromium)."""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from urllib.parse import unquote

import pytest

from browser_support import STAMP, crumbs, open_page
from conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# Records the figure and options the page hands to Plotly.downloadImage, then lets it run.
RECORD_JS = """
() => {
  const orig = window.Plotly.downloadImage;
  window.__exported = null;
  window.Plotly.downloadImage = function (fig, opts) {
    window.__exported = { fig: fig, opts: opts };
    return orig.apply(this, arguments);
  };
}
"""

# The SVG plotly draws for the recorded figure (the PNG is this drawing, rasterised).
SVG_JS = """
async () => {
  const url = await window.Plotly.toImage(window.__exported.fig, { format: "svg" });
  return url;
}
"""


def _png_size(raw: bytes) -> tuple[int, int]:
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", raw[16:24])


def test_png_export_has_title_region_period_and_as_of(server, page):
    open_page(page, server.url + "/requests")
    _, region = crumbs(page)
    period = page.locator(".ctl-period").inner_text().strip()
    assert region and period
    expected = f"诉求类别 · {region} · {period} · {STAMP}"
    graph = page.locator("#panel-category_bar .js-plotly-plot")
    assert page.evaluate("(gd) => window.cockpitExport.titleFor(gd)", graph.element_handle()) == expected
    screen_h = page.evaluate("(gd) => gd._fullLayout.height", graph.element_handle())

    page.evaluate(RECORD_JS)
    graph.hover()
    camera = page.locator("#panel-category_bar .modebar-btn[data-title*='PNG']")
    with page.expect_download(timeout=30_000) as info:
        camera.click()
    download = info.value
    assert download.suggested_filename == f"category_bar_{region}_{period}.png".replace(" ", "-")
    raw = Path(download.path()).read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "png_export_category_bar.png").write_bytes(raw)  # to look at
    width, height = _png_size(raw)
    # Drawn at scale 2 from the figure with the title line above the plot.

    exported = page.evaluate("() => window.__exported")
    lines = exported["fig"]["layout"]["title"]["text"].split("<br>")
    # A narrow panel's title breaks between its parts; all of it is there.
    assert " · ".join(lines) == expected, lines
    assert height == (screen_h + 22 + 22 * len(lines)) * 2, (width, height, screen_h)
    assert exported["opts"]["filename"] == download.suggested_filename.removesuffix(".png")
    svg_url = page.evaluate(SVG_JS)
    prefix, _, body = svg_url.partition(",")
    svg = base64.b64decode(body).decode() if prefix.endswith(";base64") else unquote(body)
    assert "gtitle" in svg and all(line in svg for line in lines) and STAMP in svg, svg[:2000]
    # The figure on screen keeps no title: the header of the card already says it.
    assert not page.evaluate("(gd) => !!(gd.layout.title && gd.layout.title.text)", graph.element_handle())
    assert page.problems == []
