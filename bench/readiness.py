"""When a Dash page is "ready", defined once for every page the benchmark opens.

Ready = no fetch or XHR of the page in flight, no component marked loading by the Dash renderer
(`data-dash-is-loading`), the renderer booted (no `._dash-loading`), every plotly graph drawn
(`.main-svg` inside each `.js-plotly-plot`, and a plot inside each `dcc.Graph` container), and
every cockpit panel (`section.panel`, if the page has any) showing its figure, body or error.
Nothing here names a callback, an endpoint or a panel kind, so it holds however the page is
wired (one callback per panel, batched answers, clientside callbacks, static geometry files).

The moment reported is the first animation frame at which all of that held and kept holding,
with the network quiet for `quiet_ms` afterwards (the quiet time itself is not counted).
"""

from __future__ import annotations

#: Injected before any page script: counts requests in flight and watches readiness every frame.
INIT_JS = r"""
(() => {
  const net = window.__benchNet = {pending: 0, lastAt: performance.now(), started: 0};
  const begin = () => { net.pending++; net.started++; net.lastAt = performance.now(); };
  const end = () => { net.pending--; net.lastAt = performance.now(); };
  const origFetch = window.fetch;
  window.fetch = function (...args) {
    begin();
    return origFetch.apply(this, args).finally(end);
  };
  const origSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    begin();
    this.addEventListener('loadend', end, {once: true});
    return origSend.apply(this, args);
  };
  const drawn = () => {
    if (net.pending > 0) return false;
    if (!document.querySelector('#react-entry-point, body > div')) return false;
    if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
    for (const g of document.querySelectorAll('.dash-graph')) {
      if (!g.querySelector('.js-plotly-plot')) return false;
    }
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      if (!gd.querySelector('.main-svg')) return false;
    }
    const panels = document.querySelectorAll('section.panel');
    for (const s of panels) {
      const err = s.querySelector('.panel-error');
      if (err && err.textContent.trim()) continue;
      if (s.querySelector('.js-plotly-plot .main-svg')) continue;
      const body = s.querySelector('.panel-body');
      if (body && body.children.length > 0 && !s.querySelector('.dash-graph:not(:has(.js-plotly-plot))')) continue;
      return false;
    }
    return document.querySelectorAll('.js-plotly-plot, section.panel, .dash-spreadsheet, table').length > 0;
  };
  // The input event a redraw is timed from: the click (a mouse's or a tap's), or a key press.
  // Moving the mouse onto a chart first (its hover label) is not part of the change.
  const input = window.__benchInput = {at: null};
  for (const type of ['click', 'keydown']) {
    document.addEventListener(type, (e) => { if (input.at === null) input.at = e.timeStamp; }, true);
  }
  const state = window.__benchReady = {since: null, frames: 0};
  const tick = () => {
    state.frames++;
    if (drawn()) { if (state.since === null) state.since = performance.now(); }
    else state.since = null;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

#: The readiness moment once the page has been ready for a while with the network quiet (else
#: false); the arg is quiet_ms. Returned from the same check, so a later frame cannot change it.
READY_JS = """
(quiet) => {
  const r = window.__benchReady, n = window.__benchNet;
  if (!r || !n || r.since === null) return false;
  const now = performance.now();
  return n.pending === 0 && now - n.lastAt >= quiet && now - r.since >= quiet ? r.since : false;
}
"""

#: The readiness moment (ms since navigation start) and how many requests the page started.
STATE_JS = "() => ({since: window.__benchReady.since, started: window.__benchNet.started, now: performance.now()})"


def prepare(page) -> None:
    """Install the readiness watcher on a Playwright page (before its first navigation)."""
    page.add_init_script(INIT_JS)


def wait_ready(page, timeout_ms: float = 120_000, quiet_ms: int = 300) -> dict:
    """Wait until the page is ready; returns {"since": ms since navigation start, "started": n}."""
    since = page.wait_for_function(READY_JS, arg=quiet_ms, timeout=timeout_ms, polling=50).json_value()
    return {**page.evaluate(STATE_JS), "since": since}


def redraw_ms(page, action, timeout_ms: float = 120_000, quiet_ms: int = 300) -> float:
    """Milliseconds from the input event of `action()` (its first click or key press; the
    action's start if it has none) until the page is ready again.

    The page must show that it reacted (a request started, or readiness lost for a frame) so
    that a click that did nothing is not timed as instant; returns the time to the ready frame."""
    page.evaluate("() => { window.__benchReady.lost = false; window.__benchInput.at = null; }")
    before = page.evaluate("() => ({t: performance.now(), started: window.__benchNet.started})")
    page.evaluate("""() => { const r = window.__benchReady; const f = () => { if (r.since === null) r.lost = true;
                     if (!r.lost) requestAnimationFrame(f); }; requestAnimationFrame(f); }""")
    action()
    since = page.wait_for_function(
        """([started, quiet]) => {
          const r = window.__benchReady, n = window.__benchNet;
          if (!(n.started > started || r.lost)) return false;
          const now = performance.now();
          const ready = r.since !== null && n.pending === 0 && now - n.lastAt >= quiet && now - r.since >= quiet;
          return ready ? r.since : false;
        }""", arg=[before["started"], quiet_ms], timeout=timeout_ms, polling=50).json_value()
    # From the input event (its timeStamp is on the same clock as performance.now()); an action
    # without a click or key press is timed from its start.
    at = page.evaluate("() => window.__benchInput.at")
    start = at if isinstance(at, (int, float)) and at >= before["t"] else before["t"]
    return max(0.0, since - start)
