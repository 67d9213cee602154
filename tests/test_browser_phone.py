"""The phone layout (浙政钉) in real Chromium at 390×844 and 430×932, as a phone presents it
(touch, mobile viewport): every page in one column without sideways scroll, KPI values whole,
the controls in a menu, and a tap on a map region drills down."""

from __future__ import annotations

import pytest

from browser_support import PAGES, assert_healthy, crumbs, open_page, params, settle, REGION_POINT_JS

pytestmark = pytest.mark.browser

PHONES = [(390, 844), (430, 932)]

# Boxes of what must be seen whole: each KPI's number inside its card, each card inside the screen.
LAYOUT_JS = """
() => {
  const W = innerWidth;
  const cut = [];
  for (const s of document.querySelectorAll('section.panel')) {
    const r = s.getBoundingClientRect();
    if (r.left < -0.5 || r.right > W + 0.5) cut.push(`${s.id} card ${r.left}..${r.right}`);
    for (const n of s.querySelectorAll('.indicatorlayer .number')) {
      const b = n.getBoundingClientRect();
      if (b.width === 0) continue;
      if (b.left < r.left - 0.5 || b.right > r.right + 0.5 || b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5)
        cut.push(`${s.id} value ${b.left}..${b.right} in ${r.left}..${r.right}`);
    }
  }
  const cards = [...document.querySelectorAll('section.panel:not(.kind-kpi)')].map(s => s.getBoundingClientRect());
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: W, cut,
          narrow: cards.filter(r => r.width < W * 0.8).length};
}
"""


@pytest.fixture(params=PHONES, ids=lambda s: f"{s[0]}x{s[1]}")
def phone(request, browser):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    pg = context.new_page()
    pg.problems = []
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    yield pg
    context.close()


def test_every_page_is_one_column_without_sideways_scroll(server, phone):
    width = phone.viewport_size["width"]
    for page_id, spec in PAGES.items():
        open_page(phone, server.url + spec["path"])
        assert_healthy(phone, content=False)
        box = phone.evaluate(LAYOUT_JS)
        assert box["innerWidth"] == width, (page_id, box)  # the page was not zoomed out to fit
        assert box["scrollWidth"] <= box["innerWidth"], (page_id, box)
        assert box["cut"] == [], (page_id, box["cut"])
        assert box["narrow"] == 0, (page_id, "panels beside each other", box)


def test_controls_are_in_a_menu(server, phone):
    open_page(phone, server.url + "/")
    period = phone.locator(".topbar .ctl-period")
    assert not period.is_visible()
    phone.locator(".menu-btn").tap()
    assert period.is_visible()
    box = period.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= phone.viewport_size["width"]
    assert phone.locator(".menu-btn").get_attribute("aria-expanded") == "true"
    phone.locator(".topbar .lang-btn").tap()  # a control of the menu works
    phone.wait_for_function("() => new URLSearchParams(location.search).get('lang') === 'en'")
    settle(phone)
    assert phone.locator(".menu-btn").inner_text().strip() == "☰ Filters & settings"


def test_a_tap_on_a_map_region_drills_down(server, phone):
    open_page(phone, server.url + "/")
    phone.locator("#panel-map_requests").scroll_into_view_if_needed()
    point = phone.evaluate(REGION_POINT_JS, ["map_requests", "330100"])
    assert point, "杭州市 is not drawn on the map"
    phone.touchscreen.tap(*point)
    phone.wait_for_function("() => new URLSearchParams(location.search).get('region') === '330100'")
    settle(phone)
    assert crumbs(phone)[1] == "杭州市"
    assert params(phone)["region"] == "330100"
