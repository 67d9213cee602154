// Builds the partial plotly.js bundle the cockpit serves instead of plotly's full one.
// Run by `make install` (npm ci, then node build.mjs); the trace types are listed in
// plotly-cockpit.js and, for the check that they cover the built-in kinds, in TRACE_TYPES.
import { build } from "esbuild";
import { writeFileSync } from "node:fs";

export const TRACE_TYPES = ["bar", "scatter", "choropleth", "heatmap", "sankey", "indicator"];
const out = "../cockpit/web/static/plotly-cockpit.min.js";

await build({
  entryPoints: ["plotly-cockpit.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "Plotly",          // dcc.Graph finds plotly.js as window.Plotly
  target: "es2019",
  legalComments: "eof",          // plotly.js and its dependencies' licence notices stay in the file
  define: { global: "window", "define.amd": "false", "process.env.NODE_ENV": '"production"' },
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },  // as plotly.js's own build does
  // plotly.js asks for maplibre's stylesheet only when a "map" trace type is registered (none is).
  loader: { ".css": "empty" },
  outfile: out,
  logLevel: "warning",
});
writeFileSync("../cockpit/web/static/plotly-cockpit.json", JSON.stringify({ traces: TRACE_TYPES }) + "\n");
console.log(`built ${out} (${TRACE_TYPES.join(", ")})`);
