"""Page shell: top bar, navigation, controls, breadcrumb and the grid of panel cards.

Pure functions from specs and state to Dash components; no data access besides the names the
breadcrumb and pickers show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dash import dcc, html

from cockpit.filters import FilterState, Resolved
from cockpit.specs.loader import Catalog, Panel
from cockpit.specs.models import Grid, PageSpec
from cockpit.web.i18n import STRINGS, dropdown_labels, t


def app_layout(view: Any = None, lang: str = "zh", pathname: str | None = None,
               search: str | None = None) -> html.Div:
    """The outer layout: URL, language store and the page slot, holding `view` (the page built for
    the request's URL, so no callback has to run before the panels are asked for). The URL's
    `pathname` and `search` are the ones the page was built for: the Location then reports no
    change when it mounts, and no callback fires for it."""
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav", pathname=pathname, search=search),
        dcc.Store(id="lang", data=lang),
        html.Div(view, id="page", className="page-root"),
    ])


def text_id(key: str, scope: str | None = None) -> dict:
    """The id of a shell text that follows the language: an interface string (`key` of
    `i18n.STRINGS`) or, with key "panel", the title of panel `scope`. A language switch sets
    every such text in place (`texts`), so the page is not rendered again."""
    return {"type": "t", "k": key if scope is None else f"{key}@{scope}"}


#: Interface strings shown as an element's tooltip, by the key of the element's text.
TOOLTIPS = {"demo_badge": "demo_note", "auth_off_badge": "auth_off_note"}


def texts(catalog: Catalog, ids: list, lang: str) -> tuple[list, list]:
    """(children, title) of each shell text id in `lang` (ids come from the client: an unknown one
    gets an empty text)."""
    children, titles = [], []
    for tid in ids:
        key = tid.get("k") if isinstance(tid, dict) and isinstance(tid.get("k"), str) else ""
        name, _, scope = key.partition("@")
        text, tip = "", None
        if name == "panel" and scope in catalog.panels:
            spec = catalog.panels[scope].spec
            text, tip = spec.title.get(lang), spec.description.get(lang) if spec.description else None
        elif name in STRINGS:
            text = t(name, lang)
            tip = t(TOOLTIPS[name], lang) if name in TOOLTIPS else None
        children.append(text)
        titles.append(tip)
    return children, titles


def cmp_options(lang: str) -> list[dict]:
    return [{"label": t(f"cmp_{k}", lang), "value": k} for k in ("prev", "yoy", "none")]


def grid_style(grid: Grid) -> dict:
    cells = grid.cells()
    cols = len(cells[0])
    return {
        "gridTemplateAreas": " ".join(f'"{row}"' for row in grid.areas),
        "gridTemplateColumns": " ".join(grid.columns) if grid.columns else f"repeat({cols}, minmax(0, 1fr))",
        "gridTemplateRows": " ".join(grid.rows) if grid.rows else f"repeat({len(cells)}, minmax(240px, 1fr))",
    }


def panel_card(panel: Panel, lang: str, kind_output: str, show_sql: bool = True) -> html.Section:
    """One panel: header (title, as-of stamp, SQL, CSV) then its graph or component body."""
    spec = panel.spec
    pid = spec.id
    head = html.Header(className="panel-head", children=[
        html.H3(spec.title.get(lang), className="panel-title", id=text_id("panel", pid),
                title=spec.description.get(lang) if spec.description else None),
        html.Span(id={"type": "stamp", "panel": pid, "out": kind_output}, className="panel-stamp"),
        html.Div(className="panel-tools", children=[
            # Leaders get no SQL (the element stays, empty and hidden, as the callbacks' output).
            html.Details(className="panel-sql", hidden=not show_sql, children=[
                html.Summary(t("sql", lang), id=text_id("sql", pid)),
                html.Div(className="panel-sql-body", children=[
                    html.Pre(spec.sql.strip() if show_sql else ""),
                    html.Div(id={"type": "sqlmeta", "panel": pid, "out": kind_output}, className="panel-sql-meta"),
                ]),
            ]),
            # Lineage (and the cases behind the figure) one click away; assets/40_trace.js adds the
            # page's state and the last clicked point to these links when they are followed.
            html.A(t("lineage", lang), href=f"/lineage/{pid}", className="panel-lineage trace-link",
                   title=t("lineage_tip", lang), **{"data-panel": pid}),
            *([html.A(t("cases", lang), href=f"/cases/{pid}", className="panel-cases trace-link",
                      title=t("cases_tip", lang), **{"data-panel": pid})] if spec.cases is not None else []),
            html.Button(t("csv", lang), id={"type": "csv", "panel": pid}, className="panel-csv", n_clicks=0),
            dcc.Download(id={"type": "download", "panel": pid}),
        ]),
    ])
    error = html.Div(id={"type": "error", "panel": pid, "out": kind_output}, className="panel-error")
    if kind_output == "figure":
        body = dcc.Graph(
            id={"type": "graph", "panel": pid}, className="panel-graph", responsive=True,
            # No control may send data off-site: plotly.js 4 offers "Share chart" (an upload to
            # Plotly Cloud) by default; PNG export stays, made in the browser. assets/10_png_export.js
            # makes the camera button's PNG carry a title line (panel title · region · period · as-of)
            # and names the file <panel id>_<region>_<period>; `filename` here is plotly's fallback.
            config={"displaylogo": False, "displayModeBar": "hover", "scrollZoom": False,
                    "showSendToCloud": False, "showEditInChartStudio": False, "showLink": False,
                    "plotlyServerURL": "",
                    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "zoom2d", "pan2d",
                                               "zoomIn2d", "zoomOut2d", "resetScale2d", "zoomInGeo",
                                               "zoomOutGeo", "resetGeo", "hoverClosestGeo", "sendChartToCloud",
                                               "editInChartStudio"],
                    "toImageButtonOptions": {"format": "png", "filename": pid, "scale": 2}},
            figure={"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                           "xaxis": {"visible": False}, "yaxis": {"visible": False}}},
        )
        extra = [dcc.Store(id={"type": "figkey", "panel": pid})]
    else:
        body = html.Div(id={"type": "body", "panel": pid}, className="panel-body")
        extra = [dcc.Store(id={"type": "bodykey", "panel": pid})]
    return html.Section(className=f"panel kind-{spec.kind}", id=f"panel-{pid}", style={"gridArea": pid},
                        children=[head, error, html.Div(body, className="panel-content"), *extra])


@dataclass
class Controls:
    """Values of the bar's controls for one state. The page is built with them filled in, and the
    state-sync callback sets the same values when the URL changes (one function computes both)."""

    query: str = ""
    nav_query: str = ""  # what links to other pages carry: the state without this page's cross-filters
    pinned: str | None = None  # the snapshot this page load reads
    period_options: list = field(default_factory=list)
    period: str | None = None
    cmp: str | None = None
    snap_options: list = field(default_factory=list)
    snap: str | None = None
    breadcrumb: list = field(default_factory=list)
    chips: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    street: str | None = None
    user: str | None = None  # the signed-in account (None: logins off)
    auth_off: bool = False  # logins are off (local demo): the bar says so
    show_sql: bool = True  # analysts see SQL and bound values; leaders do not
    hidden_pages: frozenset = frozenset()  # ids of pages left out of the navigation (waiting for data)


def top_bar(catalog: Catalog, page: PageSpec | None, lang: str, demo: bool, ctl: Controls) -> html.Header:
    nav = [dcc.Link(p.title.get(lang), href=p.path + ctl.nav_query, id={"type": "nav", "page": p.id},
                    className="nav-link active" if page and p.id == page.id else "nav-link")
           for p in catalog.pages if p.id not in ctl.hidden_pages]
    # The data-quality page is a plain page of its own: a link (assets/40_trace.js adds the state).
    nav.append(html.A(html.Span(t("quality", lang), id=text_id("quality")), href="/quality",
                      className="nav-link trace-link quality-link"))
    # Each dropdown sits in a slot of its final size, so the bar does not move when the dropdown
    # component (loaded after the page) draws itself.
    slot = lambda name, dropdown: html.Div(dropdown, className=f"ctl-slot ctl-slot-{name}")  # noqa: E731
    controls = html.Div(className="controls", children=[
        html.Label([html.Span(t("period", lang), id=text_id("period")), slot("period", dcc.Dropdown(
            id={"type": "period", "i": 0}, clearable=False, searchable=False, className="ctl-period",
            options=ctl.period_options, value=ctl.period, labels=dropdown_labels(lang)))]),
        html.Label([html.Span(t("compare", lang), id=text_id("compare")), slot("cmp", dcc.Dropdown(
            id={"type": "cmp", "i": 0}, clearable=False, searchable=False, className="ctl-cmp", value=ctl.cmp,
            options=cmp_options(lang), labels=dropdown_labels(lang)))]),
        html.Label([html.Span(t("snapshot", lang), id=text_id("snapshot")), slot("snap", dcc.Dropdown(
            id={"type": "snap", "i": 0}, clearable=False, searchable=False, className="ctl-snap",
            options=ctl.snap_options, value=ctl.snap, labels=dropdown_labels(lang)))]),
        html.Button(t("lang_toggle", lang), id={"type": "lang-btn", "i": 0}, className="lang-btn", n_clicks=0),
    ])
    brand = html.Div(className="brand", children=[
        html.Span(t("app_title", lang), className="brand-name", id=text_id("app_title")),
        html.Span(t("demo_badge", lang), className="demo-badge", title=t("demo_note", lang),
                  id=text_id("demo_badge")) if demo else None,
        html.Span(t("auth_off_badge", lang), className="auth-off-badge", title=t("auth_off_note", lang),
                  id=text_id("auth_off_badge"))
        if ctl.auth_off else None,
    ])
    # Phone layout only (CSS): the controls fold into a menu this button opens (assets/20_phone_menu.js).
    menu = html.Button(["☰ ", html.Span(t("menu", lang), id=text_id("menu"))], className="menu-btn", type="button", title=t("menu", lang),
                       **{"aria-expanded": "false"})
    account = None
    if ctl.user:
        account = html.Form(action="/logout", method="post", className="account", children=[
            html.Span(ctl.user, className="account-name"),
            html.Button(t("logout", lang), type="submit", className="logout-btn", id=text_id("logout"))])
    return html.Header(className="topbar", children=[brand, menu, html.Nav(nav, className="nav"), controls, account])


def sub_bar(page: PageSpec | None, lang: str, ctl: Controls) -> html.Div:
    children = [html.Nav(ctl.breadcrumb, id={"type": "breadcrumb", "i": 0}, className="breadcrumb"),
                html.Div(ctl.chips, id={"type": "chips", "i": 0}, className="chips")]
    if page is not None and page.template == "street":
        children.append(html.Label(className="street-pick", children=[
            html.Span(t("street", lang), id=text_id("street")),
            dcc.Dropdown(id={"type": "street-pick", "i": 0}, placeholder=t("pick_street", lang),
                         className="ctl-street", clearable=False, options=ctl.streets, value=ctl.street,
                         labels=dropdown_labels(lang))]))
    if page is not None:
        # The page's briefing PDF (assets/40_trace.js adds the state).
        children.append(html.Div(className="trace-links", children=[
            html.A(html.Span(t("brief", lang), id=text_id("brief")), href=f"/brief/{page.path.strip('/') or 'index'}.pdf",
                   className="trace-link brief-link", title=t("brief_tip", lang))]))
    return html.Div(className="subbar", children=children)


def page_view(catalog: Catalog, page: PageSpec, lang: str, demo: bool, outputs: dict[str, str],
              ctl: Controls) -> html.Div:
    """A whole page: bars plus its panels placed on the page grid."""
    cards = [panel_card(catalog.panels[pid], lang, outputs[pid], ctl.show_sql) for pid in page.page.names()]
    return html.Div(className="app", children=[
        top_bar(catalog, page, lang, demo, ctl),
        sub_bar(page, lang, ctl),
        html.Main(cards, className="grid", style=grid_style(page.page), id=f"grid-{page.id}"),
        # Every panel of this page load reads this snapshot, even if another is published meanwhile.
        dcc.Store(id={"type": "pin", "i": 0}, data=ctl.pinned),
    ])


def not_found(catalog: Catalog, lang: str, demo: bool, message: str, ctl: Controls | None = None,
              page: PageSpec | None = None) -> html.Div:
    """A page with a notice instead of panels (no such page, no data, or data not delivered yet)."""
    ctl = ctl or Controls()
    return html.Div(className="app", children=[
        top_bar(catalog, page, lang, demo, ctl),
        sub_bar(None, lang, ctl),
        html.Div(className="notice", role="status", children=[html.H2(message)]),
    ])


def breadcrumb(res: Resolved, lang: str, drill_hint: bool = True, missing_snap: str | None = None) -> list:
    """Buttons from the jurisdiction down to the selected region; the drill-down hint when the
    page has a panel that drills down on a click, and a notice when the URL named a snapshot
    that is not published (the page then shows the live data)."""
    chain = res.regions.ancestors(res.ctx.region)
    chain = chain[chain.index(res.root):]
    items = []
    for i, code in enumerate(chain):
        region = res.regions.get(code)
        if i:
            items.append(html.Span("›", className="crumb-sep"))
        last = i == len(chain) - 1
        items.append(html.Button(region.label(lang), id={"type": "crumb", "code": code}, n_clicks=0,
                                 className="crumb current" if last else "crumb", disabled=last))
    if drill_hint:
        items.append(html.Span(t("map_hint", lang), className="crumb-hint"))
    if missing_snap:
        items.append(html.Span(t("snap_missing", lang).format(snap=missing_snap), className="snap-missing",
                               role="status"))
    return items


def chips(state: FilterState, lang: str) -> list:
    """Active cross-filters, each removable."""
    return [html.Button([html.B(t(f"f_{k}", lang) + "："), v, html.Span(" ×", className="chip-x")],
                        id={"type": "chip", "field": k}, className="chip", n_clicks=0,
                        title=t("clear", lang))
            for k, v in sorted(state.filters.items())]


def period_options(res: Resolved) -> list[dict]:
    return [{"label": p, "value": p} for p in res.periods]


def street_options(res: Resolved, lang: str) -> list[dict]:
    codes = res.regions.streets_under(res.root)
    options = []
    for code in codes:
        street = res.regions.get(code)
        parent = res.regions.get(street.parent)
        label = f"{parent.label(lang) if parent else ''} · {street.label(lang)}"
        if code == res.ctx.street and res.street_basis is not None:
            # The page chose this street (the URL named none): say why.
            label += t("street_default", lang).format(month=res.street_basis.strftime("%Y-%m"))
        options.append({"label": label, "value": code})
    return options


def spec_errors_banner(errors) -> html.Div:
    """Dev mode only: what `cockpit check` would say about the files just edited."""
    return html.Div(className="spec-errors", children=[
        html.B("声明文件有误，仍在使用上一版 / declarations have errors, the last good version is served:"),
        html.Ul([html.Li(str(e)) for e in errors[:20]]),
    ])
