/* PNG export with its context: plotly's camera button exports the figure only, so a PNG sent on
   would not say what it shows. This replaces the button's action on the cockpit's panels: the
   exported image is drawn from a copy of the figure whose layout gets a title line
   "<panel title> · <region> · <period> · <as of>" (read from the panel card and the page's bar),
   and the file is named after panel id, region and period. The figure on screen is unchanged.
   Everything stays in the browser (Plotly.downloadImage), as plotly's own export does. */
(function () {
  var FONT_SIZE = 15;    // px of the title line
  var LINE_SPACE = 22;   // px per title line
  var TITLE_PAD = 22;    // px above and below the title lines

  function text(el) { return el ? (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim() : ""; }

  function card(gd) { return gd.closest("section.panel"); }

  function panelId(gd) { var s = card(gd); return s ? s.id.replace(/^panel-/, "") : "panel"; }

  // What the exported title says: panel title, region, period and as-of (parts not on the page are left out).
  function parts(gd) {
    var s = card(gd);
    return {
      title: text(s && s.querySelector(".panel-title")),
      region: text(document.querySelector(".breadcrumb .crumb.current")),
      period: text(document.querySelector(".ctl-period")),
      asOf: text(s && s.querySelector(".panel-stamp"))
    };
  }

  function titleFor(gd) {
    var p = parts(gd);
    return [p.title, p.region, p.period, p.asOf].filter(Boolean).join(" · ");
  }

  // About how wide a string is drawn at `size` px (CJK a full em, the rest about half).
  function textWidth(str, size) {
    var w = 0;
    for (var i = 0; i < str.length; i++) w += str.charCodeAt(i) > 0x2e80 ? size : size * 0.58;
    return w;
  }

  // The title as lines that fit `width` (breaking between parts, never inside one).
  function titleLines(gd, width) {
    var lines = [];
    titleFor(gd).split(" · ").forEach(function (part) {
      var last = lines.length - 1;
      if (last >= 0 && textWidth(lines[last] + " · " + part, FONT_SIZE) <= width) lines[last] += " · " + part;
      else lines.push(part);
    });
    return lines;
  }

  function filenameFor(gd) {
    var p = parts(gd);
    return [panelId(gd), p.region, p.period].filter(Boolean).join("_").replace(/[\\/:*?"<>|\s]+/g, "-");
  }

  function clone(v) {
    try { return structuredClone(v); } catch (e) { return JSON.parse(JSON.stringify(v)); }
  }

  function transparent(c) { return !c || c === "transparent" || /rgba\([^)]*,\s*0(\.0*)?\s*\)/.test(c); }

  // The figure the PNG is drawn from: the one on screen plus the title line(s) above the plot, at
  // the size on screen (a narrow panel's title breaks between its parts).
  function figureFor(gd) {
    var full = gd._fullLayout || {};
    var width = full.width || gd.clientWidth || 700;
    var lines = titleLines(gd, width - 24);
    var space = TITLE_PAD + LINE_SPACE * lines.length;
    var layout = clone(gd.layout || {});
    var margin = Object.assign({}, full.margin || {}, layout.margin || {});
    margin.t = (margin.t || 0) + space;
    layout.margin = margin;
    var height = (full.height || gd.clientHeight || 450) + space;
    layout.title = {
      text: lines.join("<br>"), xref: "container", yref: "container", x: 12 / width, xanchor: "left",
      // The lines' middle, so the first line starts TITLE_PAD / 2 below the top edge.
      y: 1 - (TITLE_PAD / 2 + LINE_SPACE * lines.length / 2) / height, yanchor: "middle", font: { size: FONT_SIZE, color: "#1f2a3d" }
    };
    if (transparent(layout.paper_bgcolor || full.paper_bgcolor)) layout.paper_bgcolor = "#ffffff";
    layout.width = width;
    layout.height = height;
    layout.autosize = false;
    return { data: clone(gd.data || []), layout: layout, config: { staticPlot: true } };
  }

  function exportPng(gd) {
    var opts = (gd._context && gd._context.toImageButtonOptions) || {};
    var fig = figureFor(gd);
    return window.Plotly.downloadImage(fig, {
      format: "png", filename: filenameFor(gd), scale: opts.scale || 2,
      width: fig.layout.width, height: fig.layout.height
    });
  }

  // plotly names the camera button by its tooltip (no id): "Download plot as a PNG" (or a locale's).
  function isCamera(btn) {
    var title = btn.getAttribute("data-title") || "";
    return /download plot|下载|png/i.test(title);
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target && ev.target.closest && ev.target.closest(".modebar-btn");
    if (!btn || !isCamera(btn)) return;
    var gd = btn.closest(".js-plotly-plot");
    if (!gd || !card(gd) || !window.Plotly || !window.Plotly.downloadImage) return;  // plotly's own export
    ev.preventDefault();
    ev.stopImmediatePropagation();
    exportPng(gd);
  }, true);

  window.cockpitExport = { titleFor: titleFor, titleLines: titleLines, filenameFor: filenameFor, figureFor: figureFor, exportPng: exportPng };
})();
