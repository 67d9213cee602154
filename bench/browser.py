"""What a viewer feels, in real Chromium (Debian's, through Playwright), at 1920×1080.

- page ready, cold: a new browser context (empty HTTP cache) opens the page; warm: the same
  context opens it again. Both from navigation start to the ready frame (`readiness`).
- bytes on the wire of a cold load: every response's encoded length as the network saw it
  (DevTools `Network.loadingFinished`), headers included.
- click → every output redrawn: from the input event to the ready frame, per interaction (for a
  dropdown, from the click on the option: opening the list changes nothing and is not timed).
"""

from __future__ import annotations

import re
import statistics

try:
    from bench import readiness
except ImportError:  # pragma: no cover
    import readiness

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1920, "height": 1080}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _new_page(context):
    page = context.new_page()
    readiness.prepare(page)
    return page


def _wire_bytes(page) -> dict:
    """Start counting the page's bytes on the wire; returns the live counter."""
    counter = {"bytes": 0, "responses": 0}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")

    def finished(event):
        counter["bytes"] += int(event.get("encodedDataLength", 0))
        counter["responses"] += 1

    cdp.on("Network.loadingFinished", finished)
    counter["cdp"] = cdp
    return counter


def page_loads(browser, url: str, runs: int) -> dict:
    """Cold and warm page-ready times (median and all runs, ms) and the bytes of a cold load."""
    cold, warm, wire = [], [], []
    for _ in range(runs):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = _new_page(context)
            counter = _wire_bytes(page)
            page.goto(url, wait_until="commit")
            cold.append(readiness.wait_ready(page)["since"])
            wire.append(counter["bytes"])
            page.goto(url, wait_until="commit")
            warm.append(readiness.wait_ready(page)["since"])
        finally:
            context.close()
    return {"cold_ms": round(statistics.median(cold)), "warm_ms": round(statistics.median(warm)),
            "cold_runs_ms": [round(v) for v in cold], "warm_runs_ms": [round(v) for v in warm],
            "cold_bytes": int(statistics.median(wire))}


# -- interactions -------------------------------------------------------------------------------

class Choice:
    """Pick another option of a Dash 4 dropdown (the first whose text matches `label_re` and
    differs from what the control shows now). Opening the list is `prepare`, done before the
    clock starts: the input event that changes the page is the click on the option."""

    def __init__(self, page, control: str, label_re: str):
        self.page, self.control, self.label_re = page, control, label_re
        self.option = None

    def prepare(self) -> None:
        box = self.page.locator(self.control).first
        current = box.inner_text().strip()
        box.click()
        content = self.page.locator(".dash-dropdown-content")
        content.wait_for(timeout=10_000)
        options = content.locator(".dash-dropdown-option", has_text=re.compile(self.label_re))
        for i in range(min(options.count(), 50)):
            option = options.nth(i)
            if option.inner_text().strip() not in current:
                option.wait_for(timeout=10_000)
                self.option = option
                return
        raise RuntimeError(f"{self.control}: no other option than {current!r}")

    def __call__(self) -> None:
        if self.option is None:
            self.prepare()
        self.option.click()
        self.option = None


def _click_map_region(page) -> None:
    """Click well inside the largest region drawn on the first map of the page."""
    point = page.evaluate("""() => {
      const paths = [...document.querySelectorAll('.choroplethlayer path')].filter(p => p.__data__);
      if (!paths.length) return null;
      const big = paths.map(p => [p, p.getBBox()]).sort((a, b) => b[1].width * b[1].height - a[1].width * a[1].height)[0];
      const [path, box] = big, ctm = path.getScreenCTM();
      for (let i = 5; i < 16; i++) for (let j = 5; j < 16; j++) {
        const x = box.x + box.width * i / 20, y = box.y + box.height * j / 20;
        if (!path.isPointInFill(new DOMPoint(x, y))) continue;
        const s = new DOMPoint(x, y).matrixTransform(ctm);
        return [s.x, s.y];
      }
      return null;
    }""")
    if not point:
        raise RuntimeError("no map region to click")
    page.mouse.move(point[0] - 3, point[1])
    page.mouse.move(*point)
    page.mouse.click(*point)


def _click_first_bar(page, panel: str) -> None:
    box = page.locator(f"#panel-{panel} .js-plotly-plot .bars path").first.bounding_box()
    if not box:
        raise RuntimeError(f"no bar drawn on {panel}")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 2, y)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def cockpit_actions(page) -> dict:
    """The cockpit's interactions: {name: (page path, a function doing one input event)}. The
    cross-filter is the requests page's category bar (the overview's own filters only the ledger)."""
    return {
        "drill_down": ("/", lambda: _click_map_region(page)),
        "cross_filter": ("/requests", lambda: _click_first_bar(page, "category_bar")),
        "period": ("/", Choice(page, ".ctl-period", r"^\s*\d{4}-\d{2}\s*$")),
        "language": ("/", lambda: page.locator(".lang-btn").first.click()),
    }


def baseline_actions(page) -> dict:
    return {
        "county": ("/", Choice(page, "#county", r"\S")),
        "period": ("/", Choice(page, "#period", r"^\s*\d{4}-\d{2}\s*$")),
    }


def clicks(browser, url: str, actions, runs: int) -> dict:
    """Median ms from each interaction to the page ready again; each run starts from the page."""
    times: dict[str, list[float]] = {}
    failures: dict[str, str] = {}
    for _ in range(runs):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = _new_page(context)
            for name, (path, action) in actions(page).items():
                if name in failures:
                    continue
                page.goto(url.rstrip("/") + path, wait_until="commit")
                readiness.wait_ready(page)
                try:
                    if hasattr(action, "prepare"):
                        action.prepare()  # e.g. open a dropdown: not part of the change timed
                    times.setdefault(name, []).append(readiness.redraw_ms(page, action, timeout_ms=60_000))
                except Exception as err:  # noqa: BLE001 — reported, not fatal: the UI may have changed
                    failures[name] = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
        finally:
            context.close()
    out = {name: {"median_ms": round(statistics.median(v)), "runs_ms": [round(x) for x in v]}
           for name, v in times.items() if name not in failures}
    out.update({name: {"error": why} for name, why in failures.items()})
    return out
