// plotly.js with only the trace types the cockpit's built-in visual kinds draw (see build.mjs).
// A plug-in kind drawing another type sets COCKPIT_PLOTLY_BUNDLE=full (docs/panels.md).
var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/bar"),        // bar
  require("plotly.js/lib/scatter"),    // line (core registers it too)
  require("plotly.js/lib/choropleth"), // choropleth (geo, offline: assets/00_plotly_geo_offline.js)
  require("plotly.js/lib/heatmap"),    // heatmap
  require("plotly.js/lib/sankey"),     // sankey
  require("plotly.js/lib/indicator"),  // kpi, gauge
]);

module.exports = Plotly;
