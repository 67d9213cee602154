/* Offline maps: plotly's geo subplot fetches a world topojson from a CDN before drawing any
   choropleth. The cockpit draws its own GeoJSON and hides the base map, so an empty topology is
   all it needs; pre-filling it here means no request leaves the machine. */
(function () {
  var empty = { type: "GeometryCollection", geometries: [] };
  var topo = {
    type: "Topology", arcs: [], transform: { scale: [1, 1], translate: [0, 0] },
    objects: { coastlines: empty, land: empty, ocean: empty, lakes: empty, rivers: empty,
               countries: empty, subunits: empty }
  };
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  ["world_110m", "world_50m", "asia_110m", "asia_50m"].forEach(function (name) {
    window.PlotlyGeoAssets.topojson[name] = topo;
  });
})();
