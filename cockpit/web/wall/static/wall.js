/* Display wall: rotates through the wall's steps, refreshes in place, never shows an error page.
 *
 * The page is a fixed design canvas, 1080 design pixels on its short side and as long as the
 * screen's proportions make the other side, scaled to the screen with one CSS transform: type keeps
 * its proportions at every size, and nothing is letterboxed. The grid of each screen is the one
 * declared for the nearest shape. Data comes from `plan`, `step` and `ping` with the display token;
 * every failure is handled here: a failed panel keeps its last good figure with a "stale since"
 * badge, a lost server keeps the last state with an "offline" badge until it answers again.
 */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("wall-boot").textContent);
  var S = boot.strings;
  var params = new URLSearchParams(location.search);
  var token = params.get("token") || "";
  // Rehearsals and soak tests run the rotation faster; a real wall never sets it.
  var speed = Math.min(500, Math.max(1, Number(params.get("speed")) || 1));
  var base = "/wall/" + encodeURIComponent(boot.name);
  var DESIGN = 1080;
  var CACHE_STEPS = 40;        // payloads kept for offline rotation (bounded memory)
  var FETCH_TIMEOUT_MS = 15000;

  var state = {
    plan: null, index: -1, snapshot: null, offline: false, stopped: false, stepsShown: 0,
    refreshes: 0, loadedAt: Date.now(), lastOk: null
  };
  var payloads = new Map();   // step key -> last payload (insertion order = age)
  var good = new Map();       // step key + panel id -> {item, at}: the last good figure
  var timers = { next: null, check: null, refresh: null, clock: null, reload: null };

  // ---------- the canvas ----------
  var root = document.getElementById("wall-root");
  var canvas = el("div", "wall-canvas");
  var header = el("header", "wall-header");
  var title = el("h1", "wall-title", boot.title);
  var screenTitle = el("div", "wall-screen-title", S.loading);
  var demo = el("span", "wall-badge wall-badge--demo", S.demo);
  demo.hidden = !boot.demo;
  var offline = el("span", "wall-badge wall-badge--offline", S.offline);
  offline.hidden = true;
  offline.title = S.offline_note;
  var asOf = el("span", "wall-asof", "");
  var clock = el("span", "wall-clock", "");
  [title, screenTitle, demo, offline, asOf, clock].forEach(function (n) { header.appendChild(n); });
  var stage = el("main", "wall-stage");
  var footer = el("div", "wall-footer");
  var progress = el("div", "wall-progress");
  footer.appendChild(progress);
  canvas.appendChild(header);
  canvas.appendChild(stage);
  canvas.appendChild(footer);
  root.appendChild(canvas);

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function fitCanvas() {
    var w = window.innerWidth, h = window.innerHeight;
    var landscape = w >= h;
    var scale = landscape ? h / DESIGN : w / DESIGN;
    canvas.style.width = (w / scale) + "px";
    canvas.style.height = (h / scale) + "px";
    canvas.style.transform = "scale(" + scale + ")";
  }

  function shapeRatio(shape) {
    var p = shape.split(":");
    return Number(p[0]) / Number(p[1]);
  }

  function nearestShape(shapes) {
    var target = Math.log(window.innerWidth / window.innerHeight);
    var best = null, dist = Infinity;
    shapes.sort().forEach(function (s) {
      var d = Math.abs(Math.log(shapeRatio(s)) - target);
      if (d < dist) { dist = d; best = s; }
    });
    return best;
  }

  // ---------- talking to the server ----------
  function url(path, extra) {
    var q = new URLSearchParams({ token: token });
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] != null) q.set(k, extra[k]); });
    return base + path + "?" + q.toString();
  }

  function getJSON(path, extra) {
    var ctl = new AbortController();
    var t = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT_MS);
    return fetch(url(path, extra), { cache: "no-store", signal: ctl.signal }).then(function (resp) {
      clearTimeout(t);
      if (resp.status === 403) { unauthorised(); throw new Error("not authorised"); }
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }, function (err) { clearTimeout(t); throw err; });
  }

  function setOffline(flag) {
    if (state.offline === flag) return;
    state.offline = flag;
    offline.hidden = !flag;
    if (!flag) refreshCurrent();
  }

  function unauthorised() {
    if (state.stopped) return;
    state.stopped = true;
    Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); clearInterval(timers[k]); });
    Array.prototype.forEach.call(stage.children, purgeLayer);
    payloads.clear();
    good.clear();
    root.innerHTML = "";
    var notice = el("div", "wall-notice");
    notice.setAttribute("role", "alert");
    notice.appendChild(el("h1", null, S.unauthorised));
    notice.appendChild(el("p", null, S.unauthorised_note));
    root.appendChild(notice);
  }

  // ---------- steps ----------
  function key(step) { return step.screen + "|" + (step.value || ""); }

  function remember(step, payload) {
    var k = key(step);
    payloads.delete(k);
    payloads.set(k, payload);
    while (payloads.size > CACHE_STEPS) payloads.delete(payloads.keys().next().value);
  }

  function loadStep(step) {
    return getJSON("/step", { screen: step.screen, value: step.value }).then(function (payload) {
      state.lastOk = new Date();
      setOffline(false);
      remember(step, payload);
      return payload;
    }, function (err) {
      if (state.stopped) throw err;
      setOffline(true);
      var cached = payloads.get(key(step));
      if (cached) return cached;
      throw err;
    });
  }

  function loadPlan() {
    return getJSON("/plan").then(function (plan) {
      var current = state.plan && state.plan.steps[state.index];
      state.plan = plan;
      state.snapshot = plan.snapshot;
      asOf.textContent = S.as_of + " " + plan.as_of;
      demo.hidden = !plan.demo;
      // Keep showing the same step if the new plan still has it.
      state.index = -1;
      if (current) {
        plan.steps.forEach(function (s, i) { if (key(s) === key(current)) state.index = i; });
      }
      return plan;
    });
  }

  function buildLayer(step) {
    var grids = state.plan.grids[step.screen] || {};
    var shapes = Object.keys(grids);
    var grid = grids[nearestShape(shapes)];
    var layer = el("section", "wall-screen");
    layer.dataset.step = key(step);
    layer.dataset.shape = nearestShape(shapes) || "";
    if (!grid) return layer;
    layer.style.gridTemplateAreas = grid.areas.map(function (r) { return '"' + r + '"'; }).join(" ");
    layer.style.gridTemplateRows = grid.rows.join(" ");
    layer.style.gridTemplateColumns = grid.columns.join(" ");
    grid.names.forEach(function (pid) {
      var panel = el("article", "wall-panel");
      panel.style.gridArea = pid;
      panel.dataset.panel = pid;
      panel.appendChild(el("h2", null, state.plan.titles[pid] || ""));
      var badge = el("span", "wall-stale");
      badge.hidden = true;
      panel.appendChild(badge);
      panel.appendChild(el("div", "wall-panel-body"));
      layer.appendChild(panel);
    });
    return layer;
  }

  function hhmm(d) {
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function fill(layer, step, payload) {
    var jobs = [];
    Array.prototype.forEach.call(layer.querySelectorAll(".wall-panel"), function (panel) {
      var pid = panel.dataset.panel;
      var item = payload.panels[pid];
      var gk = key(step) + "#" + pid;
      var badge = panel.querySelector(".wall-stale");
      if (item && !item.error) {
        good.set(gk, { item: item, at: new Date() });
        badge.hidden = true;
      } else if (good.has(gk)) {
        var last = good.get(gk);
        item = last.item;
        badge.textContent = S.stale + " " + hhmm(last.at);
        badge.hidden = false;
      } else {
        item = { note: item && item.error ? item.error : "" };
        badge.hidden = true;
      }
      jobs.push(draw(panel.querySelector(".wall-panel-body"), item));
    });
    return Promise.all(jobs);
  }

  // Maps name their geometry by URL (/geo/<snapshot>/<parent>.geojson): the wall asks for it
  // through its own route, with its token; plotly.js fetches each level once and keeps it.
  function withGeometry(data) {
    return (data || []).map(function (trace) {
      if (typeof trace.geojson !== "string" || trace.geojson.indexOf("/geo/") !== 0) return trace;
      return Object.assign({}, trace, { geojson: url(trace.geojson) });
    });
  }

  function draw(body, item) {
    if (item.figure) {
      var fig = item.figure;
      var layout = Object.assign({}, fig.layout || {}, {
        width: body.clientWidth, height: body.clientHeight, autosize: false
      });
      var config = { staticPlot: true, displayModeBar: false, responsive: false };
      var fn = body.dataset.plotted ? Plotly.react : Plotly.newPlot;
      body.dataset.plotted = "1";
      if (body.dataset.html) { delete body.dataset.html; }
      return Promise.resolve(fn(body, withGeometry(fig.data), layout, config)).catch(function () {});
    }
    if (body.dataset.plotted) { Plotly.purge(body); delete body.dataset.plotted; }
    var html = item.html != null ? item.html : '<div class="wall-panel-note"></div>';
    if (body.dataset.html === html) return Promise.resolve();
    var before = {};
    Array.prototype.forEach.call(body.querySelectorAll(".wall-flip"), function (n, i) { before[i] = n.dataset.value; });
    body.innerHTML = html;
    body.dataset.html = html;
    if (item.note) body.querySelector(".wall-panel-note").textContent = item.note;
    Array.prototype.forEach.call(body.querySelectorAll(".wall-flip"), function (n, i) {
      if (before[i] != null && before[i] !== n.dataset.value) {
        n.classList.add("is-flipping");
        n.addEventListener("animationend", function () { n.classList.remove("is-flipping"); }, { once: true });
      }
    });
    fitText(body);
    fitTables(body);
    return Promise.resolve();
  }

  // A table taller than its box gets smaller type (down to a readable minimum), then loses the
  // rows that still do not fit whole: a wall never shows a row cut in half.
  function fitTables(body) {
    Array.prototype.forEach.call(body.querySelectorAll(".wall-table"), function (table) {
      var size = parseFloat(getComputedStyle(table).fontSize);
      for (var i = 0; i < 8 && size > 15 && table.offsetHeight > body.clientHeight; i++) {
        size *= 0.92;
        table.style.fontSize = size + "px";
      }
      var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
      for (var j = rows.length - 1; j > 0 && table.offsetHeight > body.clientHeight; j--) {
        rows[j].parentNode.removeChild(rows[j]);
      }
    });
  }

  // Shrink text that would overflow its box (long names, big numbers on narrow tiles).
  function fitText(body) {
    Array.prototype.forEach.call(body.querySelectorAll(".wall-fit"), function (n) {
      n.style.fontSize = "";
      var size = parseFloat(getComputedStyle(n).fontSize);
      for (var i = 0; i < 12 && size > 12 && n.scrollWidth > n.clientWidth + 1; i++) {
        size *= 0.9;
        n.style.fontSize = size + "px";
      }
    });
  }

  function purgeLayer(layer) {
    Array.prototype.forEach.call(layer.querySelectorAll(".wall-panel-body"), function (b) {
      if (b.dataset.plotted) Plotly.purge(b);
    });
    if (layer.parentNode) layer.parentNode.removeChild(layer);
  }

  function currentLayer() { return stage.querySelector(".wall-screen.is-shown"); }

  function runProgress(ms) {
    progress.style.transition = "none";
    progress.style.width = "0";
    void progress.offsetWidth;  // restart the transition
    progress.style.transition = "width " + ms + "ms linear";
    progress.style.width = "100%";
  }

  function schedule(ms) {
    clearTimeout(timers.next);
    timers.next = setTimeout(advance, ms);
  }

  function advance() {
    if (state.stopped || !state.plan || state.busy) return;
    var steps = state.plan.steps;
    if (!steps.length) { screenTitle.textContent = S.no_steps; schedule(30000 / speed); return; }
    var i = (state.index + 1) % steps.length;
    var step = steps[i];
    state.busy = true;  // one step at a time, whoever asks (timer, resize, new plan)
    loadStep(step).then(function (payload) {
      var layer = buildLayer(step);
      stage.appendChild(layer);
      return fill(layer, step, payload).then(function () {
        var old = Array.prototype.filter.call(stage.children, function (n) { return n !== layer; });
        layer.classList.add("is-shown");
        // The screen shown until now fades out; anything older goes at once: two layers at most.
        old.forEach(function (n, k) { if (k < old.length - 1) purgeLayer(n); else n.classList.remove("is-shown"); });
        var leaving = old[old.length - 1];
        if (leaving) setTimeout(function () { purgeLayer(leaving); }, 700);
        state.index = i;
        state.stepsShown += 1;
        screenTitle.textContent = step.title;
        var ms = step.seconds * 1000 / speed;
        state.scheduledMs = ms;
        runProgress(ms);
        schedule(ms);
      });
    }).catch(function () {
      // Nothing to show for that step (offline with no copy): keep the current screen, try again soon.
      if (!state.stopped) schedule(Math.min(10000, 5000 / speed + 1000));
    }).then(function () { state.busy = false; });
  }

  function refreshCurrent() {
    if (state.stopped || !state.plan || state.index < 0) return Promise.resolve();
    var step = state.plan.steps[state.index];
    var layer = currentLayer();
    if (!step || !layer || layer.dataset.step !== key(step)) return Promise.resolve();
    return loadStep(step).then(function (payload) {
      state.refreshes += 1;
      return fill(layer, step, payload);
    }).catch(function () {});
  }

  // A tiny request: has a new snapshot been published? Then update in place.
  function check() {
    getJSON("/ping").then(function (ping) {
      state.lastOk = new Date();
      var wasOffline = state.offline;
      if (ping.snapshot && ping.snapshot !== state.snapshot) {
        payloads.clear();
        setOfflineQuiet(false);
        return loadPlan().then(function () {
          if (state.index < 0) { advance(); return; }
          return refreshCurrent();
        });
      }
      if (wasOffline) setOffline(false);
    }).catch(function () { if (!state.stopped) setOffline(true); });
  }

  function setOfflineQuiet(flag) { state.offline = flag; offline.hidden = !flag; }

  function tick() {
    var d = new Date();
    clock.textContent = d.toLocaleDateString(boot.lang === "zh" ? "zh-CN" : "en-GB") + " " +
      hhmm(d) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  // A daily self-reload bounds the browser's memory; only when the server answers, so a reload
  // can never land on an error page.
  function scheduleReload() {
    if (!boot.reload_at) return;
    var parts = boot.reload_at.split(":");
    var now = new Date(), at = new Date(now);
    at.setHours(Number(parts[0]), Number(parts[1]), 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1);
    timers.reload = setTimeout(tryReload, at - now);
  }

  function tryReload() {
    getJSON("/ping").then(function () { location.reload(); },
      function () { if (!state.stopped) timers.reload = setTimeout(tryReload, 60000); });
  }

  function start() {
    fitCanvas();
    var resizing = null;
    window.addEventListener("resize", function () {
      fitCanvas();
      clearTimeout(resizing);
      // A new shape may choose another grid: rebuild the current step at the new size.
      resizing = setTimeout(function () { if (state.index >= 0) { state.index -= 1; advance(); } }, 300);
    });
    tick();
    timers.clock = setInterval(tick, 1000);
    timers.check = setInterval(check, boot.check_seconds * 1000 / speed);
    timers.refresh = setInterval(refreshCurrent, boot.refresh_seconds * 1000 / speed);
    scheduleReload();
    (function first() {
      loadPlan().then(function () { setOffline(false); advance(); }, function () {
        if (state.stopped) return;
        setOffline(true);
        setTimeout(first, 5000);
      });
    })();
  }

  // Never an error dialog or page: a script error is logged by the browser and the wall goes on.
  window.addEventListener("error", function (e) { e.preventDefault(); });
  window.addEventListener("unhandledrejection", function (e) { e.preventDefault(); });

  window.cockpitWall = {
    // Show the next step now (rehearsals and tests; the rotation timer goes on from there).
    _advance: function () { clearTimeout(timers.next); advance(); },
    state: function () {
      return {
        index: state.index, snapshot: state.snapshot, offline: state.offline, stopped: state.stopped,
        stepsShown: state.stepsShown, refreshes: state.refreshes, loadedAt: state.loadedAt,
        step: state.plan && state.index >= 0 ? state.plan.steps[state.index] : null,
        scheduledMs: state.scheduledMs,
        layers: stage.children.length, plots: document.querySelectorAll(".js-plotly-plot").length,
        shape: currentLayer() ? currentLayer().dataset.shape : null
      };
    }
  };
  start();
})();
