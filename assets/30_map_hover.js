/* A click on a figure may replace it (a map drills down and is redrawn with other regions), but
   plotly keeps the hover label of the point clicked until the mouse moves off it, over a map that
   no longer has that region. Clear the label at the click and again once the figure is redrawn.
   Graphs come and go with the page, so the listener is delegated to the document. */
(function () {
  function unhover(gd) {
    if (window.Plotly && window.Plotly.Fx) window.Plotly.Fx.unhover(gd);
  }
  document.addEventListener("click", function (event) {
    var gd = event.target.closest && event.target.closest(".js-plotly-plot");
    if (!gd) return;
    setTimeout(function () { unhover(gd); }, 0);
    if (typeof gd.once === "function") gd.once("plotly_afterplot", function () { unhover(gd); });
  }, true);
})();
