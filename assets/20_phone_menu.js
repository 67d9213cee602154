/* Phone layout: the ☰ button of the top bar opens and closes the menu of controls (period,
   comparison, snapshot, language). The bar is re-rendered with the page, so the listener is
   delegated to the document; the open state lives on the bar itself (a new bar starts closed). */
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".menu-btn");
    if (!button) return;
    var bar = button.closest(".topbar");
    if (!bar) return;
    var open = bar.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
