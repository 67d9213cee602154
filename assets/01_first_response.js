/* The first response carries the page. The index page holds the layout built for its URL and the
   app's callback list as JSON data blocks (#cockpit-layout, #cockpit-dependencies); the Dash
   renderer's two start-up requests (`_dash-layout`, `_dash-dependencies`) are answered from them,
   once, so the panels' callbacks are asked for as soon as the scripts have run. Without a data
   block (e.g. a hot reload) the request goes to the server as usual. A third block names the
   partial plotly.js bundle, when it is served.

   Also the clientside callbacks of the shell (`window.dash_clientside.cockpit`): the CSP allows
   no inline script and no eval, so they are functions defined here, wired by name in
   cockpit/web/wiring.py. */
(function () {
  "use strict";

  var BLOCKS = { "_dash-layout": "cockpit-layout", "_dash-dependencies": "cockpit-dependencies" };

  function take(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var text = el.textContent;
    el.parentNode.removeChild(el);
    return text;
  }

  // The page was built for the state's canonical query (invalid or default values dropped):
  // the address bar shows that one, as after any control change (replaced, not a new entry).
  function canonicalUrl(text) {
    try {
      var root = JSON.parse(text);
      var loc = root && root.props && root.props.children && root.props.children[0];
      var search = loc && loc.props && loc.props.id === "url" ? loc.props.search : null;
      if (typeof search === "string" && search !== window.location.search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search + window.location.hash);
      }
    } catch (e) { /* the renderer reports a broken layout itself */ }
  }

  // The partial plotly.js bundle (cockpit/web/bundles.py): Dash's graphs load plotly.js from
  // window._dashPlotlyJSURL, which the renderer sets to plotly's full bundle; with the partial one
  // built (and not turned off) the page names it, and that name stays.
  var plotlyBlock = document.getElementById("cockpit-plotly");
  if (plotlyBlock) {
    var plotlySrc = JSON.parse(plotlyBlock.textContent);
    Object.defineProperty(window, "_dashPlotlyJSURL", {
      configurable: true, get: function () { return plotlySrc; }, set: function () {}
    });
  }

  // Component libraries the page does not use at first (cockpit/web/app.py, DEFERRED_LIBRARIES,
  // e.g. AG Grid) are left out of the index page: the first callback answer that carries one of
  // their components loads the library's script before the renderer sees the answer.
  var lazyBlock = document.getElementById("cockpit-lazy");
  var lazy = lazyBlock ? JSON.parse(lazyBlock.textContent) : {};
  var loading = {};

  function load(ns) {
    if (!loading[ns]) {
      loading[ns] = new Promise(function (done) {
        var s = document.createElement("script");
        s.src = lazy[ns];
        s.onload = done;
        s.onerror = done; // the renderer then reports the missing component itself
        document.head.appendChild(s);
      });
    }
    return loading[ns];
  }

  function withLibraries(resp) {
    var wanted = Object.keys(lazy).filter(function (ns) { return !window[ns]; });
    if (!wanted.length || !resp.ok) return resp;
    return resp.clone().text().then(function (text) {
      var missing = wanted.filter(function (ns) {
        return new RegExp('"namespace":\\s*"' + ns + '"').test(text);
      });
      return Promise.all(missing.map(load)).then(function () { return resp; });
    });
  }

  var fetch = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var path = url.split("?")[0];
    var method = (init && init.method) || "GET";
    if (method === "POST" && path.slice(-"/_dash-update-component".length) === "/_dash-update-component") {
      return fetch.apply(this, arguments).then(withLibraries);
    }
    if (method === "GET") {
      for (var route in BLOCKS) {
        if (path.slice(-route.length - 1) === "/" + route) {
          var text = take(BLOCKS[route]);
          if (text !== null) {
            if (route === "_dash-layout") canonicalUrl(text);
            return Promise.resolve(new Response(text, { status: 200, headers: { "Content-Type": "application/json" } }));
          }
        }
      }
    }
    return fetch.apply(this, arguments);
  };

  var ns = window.dash_clientside = window.dash_clientside || {};
  ns.cockpit = Object.assign(ns.cockpit || {}, {
    // The language store follows the URL's `lang` (as cockpit.web.callbacks.lang_from_url does);
    // the document's language too, so the browser picks the right glyphs and voice.
    langFromUrl: function (search, current) {
      var lang = new URLSearchParams(search || "").get("lang") === "en" ? "en" : "zh";
      document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
      return lang === current ? window.dash_clientside.no_update : lang;
    }
  });
})();
