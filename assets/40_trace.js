// Lineage and case links on panel headers (cockpit/web/shell.py: a.trace-link).
// - Following one adds the page's state (the URL query) and the page path, so the list or the
//   lineage is for exactly what the figure shows; the cases link also carries the last point
//   clicked in that panel (plotly's own x / y / location / label / customdata and the trace's name,
//   primitives only; for a table, the clicked row's fields).
// - A click on a table row opens that row's cases (the panel's cases link, with the row).
// - Each panel's lineage link gets the number of data-quality flags on its inputs (data-flags),
//   fetched once per page state from /trace/flags.
(function () {
  "use strict";
  var POINT_KEYS = ["x", "y", "location", "label", "customdata", "curveNumber"];

  function primitive(v) {
    if (Array.isArray(v)) { v = v.length ? v[0] : null; }
    return (typeof v === "string" || typeof v === "number") ? v : null;
  }

  function hook(gd) {
    if (gd.dataset.traceHooked || typeof gd.on !== "function") { return; }
    gd.dataset.traceHooked = "1";
    gd.on("plotly_click", function (ev) {
      var p = ev && ev.points && ev.points[0];
      var panel = gd.closest("section.panel");
      if (!p || !panel) { return; }
      var kept = {};
      POINT_KEYS.forEach(function (k) {
        var v = primitive(p[k]);
        if (v !== null) { kept[k] = v; }
      });
      var name = p.data && primitive(p.data.name);
      if (name !== null && name !== undefined) { kept.name = name; }
      // A Sankey link: the labels and flow positions of its two nodes.
      var node = p.source && p.target && gd.data && gd.data[0] && gd.data[0].node;
      if (node) {
        [["source", p.source], ["target", p.target]].forEach(function (end) {
          var i = typeof end[1].index === "number" ? end[1].index : end[1].pointNumber;
          if (typeof i !== "number") { return; }
          kept[end[0]] = primitive(node.label[i]);
          kept[end[0] + "_at"] = primitive((node.customdata || [])[i]);
        });
      }
      panel.dataset.tracePoint = JSON.stringify(kept);
    });
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a.trace-link") : null;
    if (!a) { return; }
    var params = new URLSearchParams(window.location.search);
    params.set("page", window.location.pathname);
    var panel = a.closest("section.panel");
    if (a.classList.contains("panel-cases") && panel && panel.dataset.tracePoint) {
      params.set("pt", panel.dataset.tracePoint);
    }
    a.setAttribute("href", a.getAttribute("href").split("?")[0] + "?" + params.toString());
  }, true);

  // A KPI tile is its own headline figure: a click on it opens its cases (when it has them).
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t || !t.closest || t.closest(".panel-tools, a, button")) { return; }
    var panel = t.closest("section.panel.kind-kpi");
    var link = panel && panel.querySelector("a.panel-cases");
    if (!link || !t.closest(".panel-content")) { return; }
    link.click();
  });

  // A table row: its shown fields. AG Grid renders a row once per column container (cells
  // named by col-id); the light table is one <tr> whose cells carry data-col.
  function clickedRow(t) {
    var agRow = t.closest(".ag-row");
    if (agRow) {
      var grid = agRow.closest(".ag-root-wrapper") || agRow.closest("section.panel");
      return {el: agRow, cells: grid.querySelectorAll('.ag-row[row-index="' + agRow.getAttribute("row-index") +
                                                     '"] .ag-cell[col-id]'), key: "col-id"};
    }
    var tr = t.closest(".cockpit-ltable tbody tr");
    return tr ? {el: tr, cells: tr.querySelectorAll("td[data-col]"), key: "data-col"} : null;
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var hit = t && t.closest ? clickedRow(t) : null;
    var panel = hit && hit.el.closest("section.panel");
    var link = panel && panel.querySelector("a.panel-cases");
    if (!link || !hit.cells.length || String(window.getSelection() || "")) { return; }
    var row = {};
    hit.cells.forEach(function (cell) { row[cell.getAttribute(hit.key)] = cell.textContent.trim(); });
    panel.dataset.tracePoint = JSON.stringify({row: row});
    link.click();
  });

  var shown = null;
  function badges() {
    document.querySelectorAll(".js-plotly-plot").forEach(hook);
    var links = document.querySelectorAll("a.panel-lineage");
    var ids = [];
    links.forEach(function (a) { ids.push(a.dataset.panel); });
    var key = window.location.pathname + window.location.search + "#" + ids.join(",");
    if (!links.length || key === shown) { return; }
    shown = key;
    var params = new URLSearchParams(window.location.search);
    params.set("page", window.location.pathname);
    params.set("panels", ids.join(","));
    fetch("/trace/flags?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (counts) {
        links.forEach(function (a) {
          var n = counts[a.dataset.panel];
          if (n) { a.dataset.flags = n > 999 ? "999+" : String(n); } else { delete a.dataset.flags; }
        });
      })
      .catch(function () { shown = null; });
  }
  // The badges follow the page state: asked for as soon as the URL changes (a drill-down, a
  // period, a link), alongside the panels' own callbacks rather than after them; the poll catches
  // what changes without a URL change (a page's panels mounting) and hooks charts as they appear.
  ["pushState", "replaceState"].forEach(function (name) {
    var original = window.history[name];
    window.history[name] = function () {
      var result = original.apply(this, arguments);
      window.setTimeout(badges, 0);
      return result;
    };
  });
  window.addEventListener("popstate", function () { window.setTimeout(badges, 0); });
  window.setInterval(badges, 1000);
  // A chart clicked before the poll above reached it: hooked on the press, before plotly reports
  // the click, so even the first click on a just-drawn chart carries its point.
  ["mousedown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function (ev) {
      var gd = ev.target && ev.target.closest ? ev.target.closest(".js-plotly-plot") : null;
      if (gd) { hook(gd); }
    }, {capture: true, passive: true});
  });
})();
