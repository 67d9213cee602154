"""The Dash wiring of the generic callbacks: each callback's dependencies, named by the same
NamedTuples as its body's inputs and outputs (`callbacks.py`), and the adapters that call the
bodies. Kinds attach their own callbacks through `Visual.register_callbacks`."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from cockpit.visuals.registry import visuals
from cockpit.web import callbacks as cb
from cockpit.web.views import Views

LANG_OUT = Output("lang", "data")
LANG_IN = cb.LangIn(search=Input("url", "search"), current=State("lang", "data"))

PAGE_OUT = Output("page", "children")
# The first response carries the page (`cb.first_layout`): the page is rendered again only when
# a link changes the path. A language switch changes the texts in place (SyncOut.texts).
PAGE_IN = cb.PageIn(pathname=Input("url", "pathname"), lang=State("lang", "data"), search=State("url", "search"))

# Controls live in the page that a callback renders, so they are matched with ALL: before a
# page exists the lists are empty instead of being a missing-component error.
SYNC_OUT = cb.SyncOut(
    search=Output("url", "search"),
    period_options=Output({"type": "period", "i": ALL}, "options"), period=Output({"type": "period", "i": ALL}, "value"),
    cmp=Output({"type": "cmp", "i": ALL}, "value"),
    snap_options=Output({"type": "snap", "i": ALL}, "options"), snap=Output({"type": "snap", "i": ALL}, "value"),
    breadcrumb=Output({"type": "breadcrumb", "i": ALL}, "children"), chips=Output({"type": "chips", "i": ALL}, "children"),
    nav_hrefs=Output({"type": "nav", "page": ALL}, "href"),
    street_options=Output({"type": "street-pick", "i": ALL}, "options"),
    street=Output({"type": "street-pick", "i": ALL}, "value"),
    texts=Output({"type": "t", "k": ALL}, "children"), text_titles=Output({"type": "t", "k": ALL}, "title"),
    nav_texts=Output({"type": "nav", "page": ALL}, "children"), cmp_options=Output({"type": "cmp", "i": ALL}, "options"),
    lang_label=Output({"type": "lang-btn", "i": ALL}, "children"),
    csv_labels=Output({"type": "csv", "panel": ALL}, "children"),
    street_placeholder=Output({"type": "street-pick", "i": ALL}, "placeholder"))
SYNC_IN = cb.SyncIn(
    search=Input("url", "search"),
    periods=Input({"type": "period", "i": ALL}, "value"), cmps=Input({"type": "cmp", "i": ALL}, "value"),
    snaps=Input({"type": "snap", "i": ALL}, "value"), lang_clicks=Input({"type": "lang-btn", "i": ALL}, "n_clicks"),
    crumb_clicks=Input({"type": "crumb", "code": ALL}, "n_clicks"),
    graph_clicks=Input({"type": "graph", "panel": ALL}, "clickData"),
    chip_clicks=Input({"type": "chip", "field": ALL}, "n_clicks"),
    picks=Input({"type": "street-pick", "i": ALL}, "value"),
    nav_ids=State({"type": "nav", "page": ALL}, "id"), pick_ids=State({"type": "street-pick", "i": ALL}, "id"),
    bar_ids=State({"type": "breadcrumb", "i": ALL}, "id"), pathname=State("url", "pathname"),
    text_ids=State({"type": "t", "k": ALL}, "id"), csv_ids=State({"type": "csv", "panel": ALL}, "id"),
    lang_shown=State({"type": "lang-btn", "i": ALL}, "children"))

# The panels of a page are answered in two requests, one per output type (figures, component
# bodies), each listing every such panel of the page (ALL): fired when they mount and when the
# URL changes; a panel whose inputs did not change is left as it is (`no_update`).
GRAPH_OUT = cb.GraphOut(
    figure=Output({"type": "graph", "panel": ALL}, "figure"), figkey=Output({"type": "figkey", "panel": ALL}, "data"),
    stamp=Output({"type": "stamp", "panel": ALL, "out": "figure"}, "children"),
    error=Output({"type": "error", "panel": ALL, "out": "figure"}, "children"),
    sqlmeta=Output({"type": "sqlmeta", "panel": ALL, "out": "figure"}, "children"))
GRAPH_IN = cb.PanelsIn(
    search=Input("url", "search"), ids=Input({"type": "graph", "panel": ALL}, "id"),
    keys=State({"type": "figkey", "panel": ALL}, "data"), pathname=State("url", "pathname"),
    pins=State({"type": "pin", "i": ALL}, "data"))

BODY_OUT = cb.BodyOut(
    body=Output({"type": "body", "panel": ALL}, "children"),
    bodykey=Output({"type": "bodykey", "panel": ALL}, "data"),
    stamp=Output({"type": "stamp", "panel": ALL, "out": "component"}, "children"),
    error=Output({"type": "error", "panel": ALL, "out": "component"}, "children"),
    sqlmeta=Output({"type": "sqlmeta", "panel": ALL, "out": "component"}, "children"))
BODY_IN = cb.PanelsIn(
    search=Input("url", "search"), ids=Input({"type": "body", "panel": ALL}, "id"),
    keys=State({"type": "bodykey", "panel": ALL}, "data"), pathname=State("url", "pathname"),
    pins=State({"type": "pin", "i": ALL}, "data"))

CSV_OUT = Output({"type": "download", "panel": MATCH}, "data")
CSV_IN = cb.CsvIn(n_clicks=Input({"type": "csv", "panel": MATCH}, "n_clicks"), search=State("url", "search"),
                  pathname=State("url", "pathname"), pins=State({"type": "pin", "i": ALL}, "data"))


def attach(app: Dash, outputs: Output | NamedTuple, inputs: NamedTuple, body: Callable[[Any], Any],
           **kwargs: Any) -> None:
    """`app.callback` from named dependencies: `body` gets the inputs as the NamedTuple `inputs`
    is (its fields, Inputs first, then States) and returns one value or the outputs' NamedTuple."""
    kinds = [isinstance(d, State) for d in inputs]
    if kinds != sorted(kinds):
        raise ValueError(f"{type(inputs).__name__}: every Input must come before the States")
    single = isinstance(outputs, Output)
    shape = type(inputs)

    def adapter(*args):
        out = body(shape(*args))
        return out if single else tuple(out)

    adapter.__name__ = getattr(body, "__name__", "callback")
    app.callback(*([outputs] if single else outputs), *inputs, **kwargs)(adapter)


def attach_batch(app: Dash, outputs: NamedTuple, inputs: NamedTuple, body: Callable[[Any], dict]) -> None:
    """`attach` for a batched callback whose outputs are ALL lists: `body` returns {panel: outputs
    NamedTuple}, spread here over the ids the request lists for each output (ids it has no answer
    for are left as they are)."""
    shape = type(inputs)
    keep = [no_update] * len(outputs)

    def adapter(*args):
        found = body(shape(*args))
        return tuple([found.get(o["id"].get("panel"), keep)[i] if isinstance(o.get("id"), dict) else no_update
                      for o in listed] for i, listed in enumerate(ctx.outputs_list))

    adapter.__name__ = getattr(body, "__name__", "batch")
    app.callback(*outputs, *inputs)(adapter)


def _triggered_value() -> Any:
    return ctx.triggered[0].get("value") if ctx.triggered else None


def register_callbacks(app: Dash, views: Views) -> None:
    """Attach the generic callbacks to `app`, then every installed kind's own callbacks."""
    # State that needs no data stays in the browser: the language store follows the URL there
    # (a function in assets/01_first_response.js: the CSP allows no inline script).
    app.clientside_callback(ClientsideFunction(namespace="cockpit", function_name="langFromUrl"),
                            LANG_OUT, *LANG_IN, prevent_initial_call=True)
    # Neither runs on a page load: the first response has the page with its controls set.
    attach(app, PAGE_OUT, PAGE_IN, lambda inp: cb.render_page(views, inp), prevent_initial_call=True)
    attach(app, SYNC_OUT, SYNC_IN, lambda inp: cb.sync_state(views, inp, ctx.triggered_id, _triggered_value()),
           prevent_initial_call=True)
    attach_batch(app, GRAPH_OUT, GRAPH_IN, lambda inp: cb.render_figures(views, inp))
    attach_batch(app, BODY_OUT, BODY_IN, lambda inp: cb.render_components(views, inp))
    attach(app, CSV_OUT, CSV_IN, lambda inp: cb.download_csv(views, inp, ctx.triggered_id),
           prevent_initial_call=True)
    for visual in visuals().values():
        if visual.register_callbacks is not None:
            visual.register_callbacks(app, views)
