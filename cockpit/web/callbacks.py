"""The bodies of the app's few generic callbacks: plain functions of the `Views` and the
callback's named inputs, returning named outputs. None is specific to a panel or a kind: panels
are found by the pattern-matching ids built in `shell.py`, kinds are reached through their hooks
(`Views.render`), and every input is re-validated on the server. The Dash wiring (`wiring.py`)
only adapts these functions; tests call them directly."""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
from dash import dcc, no_update
from plotly.io.json import to_json_plotly

from cockpit.filters import parse_query, resolve
from cockpit.visuals.base import safe_id
from cockpit.visuals.registry import get_visual
from cockpit.web import shell
from cockpit.web.i18n import t
from cockpit.web.navigation import apply_trigger
from cockpit.web.pool import run_all
from cockpit.web.views import EMPTY_FIGURE, Views, digest, log


class LangIn(NamedTuple):
    search: Any
    current: Any


def lang_from_url(inp: LangIn):
    """The language store follows the URL's `lang` (what the clientside `cockpit.langFromUrl` in
    assets/01_first_response.js does in the browser, without a round trip)."""
    lang = parse_query(inp.search).lang
    return no_update if lang == inp.current else lang


def first_layout(views: Views, pathname: str, search: str) -> Any:
    """The whole app layout for a URL, with its page built in: what the first response carries,
    so the browser asks for the panels straight away. The Location holds the canonical query of
    the state (the browser's address is replaced by it, as a control change would)."""
    lang = parse_query(search).lang
    try:
        view = render_page(views, PageIn(pathname=pathname, lang=lang, search=search))
        try:
            page = views.page_for(pathname)
            res = views.resolve(search, pathname)
            canonical = views.controls(res, page, parse_query(search)).query
        except LookupError:
            canonical = search
    except Exception:  # noqa: BLE001 - the index page must load: the page callback then tries again
        log.exception("the first layout of %s could not be built", pathname)
        return shell.app_layout(None, lang)  # no URL given: its mount fires the page callback
    return shell.app_layout(view, lang, pathname, canonical)


class PageIn(NamedTuple):
    pathname: Any
    lang: Any
    search: Any


def render_page(views: Views, inp: PageIn):
    """The whole page for a path: bars with their controls filled in, and the panel cards. The
    first response carries it (`first_layout`); this callback runs when a link changes the path."""
    lang = inp.lang if inp.lang in ("zh", "en") else parse_query(inp.search).lang
    catalog = views.holder.get()
    page = views.page_for(inp.pathname)
    try:
        res = views.resolve(inp.search, inp.pathname)  # a page load pins the snapshot it resolves to
    except LookupError as exc:
        return shell.not_found(catalog, lang, False, f"{t('no_data_store', lang)}: {exc}")
    demo = views.is_demo(res.ctx.snapshot)
    # The controls are built filled in: a page re-rendered by a language switch must not
    # wait for another callback to set them.
    ctl = views.controls(res, page, parse_query(inp.search))
    if page is None:
        return shell.not_found(catalog, lang, demo, t("not_found", lang), ctl)
    waiting = views.waiting_for(page, res.ctx.snapshot)
    if waiting:
        # An analyst's page over tables this deployment never received: say so in plain words.
        return shell.not_found(catalog, lang, demo, t("waiting_page", lang).format(tables="、".join(waiting)
                                                                                   if lang == "zh" else ", ".join(waiting)),
                               ctl, page)
    outputs = {pid: get_visual(catalog.panels[pid].spec.kind).output for pid in page.page.names()}
    views.audit_view(res, inp.pathname)
    view = shell.page_view(catalog, page, lang, demo, outputs, ctl)
    if views.holder.errors and views.sees_sql():
        # Dev mode: an edit broke a declaration; the last good version keeps serving.
        view.children.insert(1, shell.spec_errors_banner(views.holder.errors))
    return view


class SyncIn(NamedTuple):
    """What the state sync reads: the URL, every control of the bars, and clicks on graphs."""

    search: Any
    periods: Any
    cmps: Any
    snaps: Any
    lang_clicks: Any
    crumb_clicks: Any
    graph_clicks: Any
    chip_clicks: Any
    picks: Any
    nav_ids: Any
    pick_ids: Any
    bar_ids: Any
    pathname: Any
    text_ids: Any = None  # the shell's texts that follow the language (shell.text_id)
    csv_ids: Any = None  # the panels' CSV buttons
    lang_shown: Any = None  # what the language button says now: which language the shell shows


class SyncOut(NamedTuple):
    """What the state sync sets. The bar's controls are matched with ALL (one value per rendered
    bar: a page not rendered yet has none), and so are the navigation links and street pickers."""

    search: Any
    period_options: list
    period: list
    cmp: list
    snap_options: list
    snap: list
    breadcrumb: list
    chips: list
    nav_hrefs: list
    street_options: list
    street: list
    # The language switch sets these in place (no_update while the language stays).
    texts: list = []
    text_titles: list = []
    nav_texts: list = []
    cmp_options: list = []
    lang_label: list = []
    csv_labels: list = []
    street_placeholder: list = []

    @classmethod
    def unchanged(cls, bars: int, navs: int, picks: int, texts: int = 0, csvs: int = 0) -> "SyncOut":
        """Nothing changes (for `bars` rendered bars, `navs` links, `picks` pickers, `texts`
        shell texts and `csvs` CSV buttons)."""
        keep = lambda n: [no_update] * n  # noqa: E731
        return cls(search=no_update, period_options=keep(bars), period=keep(bars), cmp=keep(bars),
                   snap_options=keep(bars), snap=keep(bars), breadcrumb=keep(bars), chips=keep(bars),
                   nav_hrefs=keep(navs), street_options=keep(picks), street=keep(picks),
                   texts=keep(texts), text_titles=keep(texts), nav_texts=keep(navs), cmp_options=keep(bars),
                   lang_label=keep(bars), csv_labels=keep(csvs), street_placeholder=keep(picks))


def sync_state(views: Views, inp: SyncIn, trigger: Any = None, value: Any = None) -> SyncOut:
    """The one place where controls and the URL meet (one callback, so Dash sees no cycle): a
    control change (`trigger`, the id of what fired, with its `value`) rewrites the URL; a URL
    change (link, back button) resets the controls."""
    state = parse_query(inp.search)
    new = apply_trigger(views, state, trigger, value)
    bars, navs, picks = len(inp.bar_ids or []), len(inp.nav_ids or []), len(inp.pick_ids or [])
    text_ids, csv_ids = list(inp.text_ids or []), list(inp.csv_ids or [])
    try:
        page = views.page_for(inp.pathname)
        res = _resolve_on(views, new, page)
    except LookupError:
        return SyncOut.unchanged(bars, navs, picks, len(text_ids), len(csv_ids))
    views.audit_view(res, inp.pathname)  # a drill-down or a period change is a view of its region too
    c = views.controls(res, page, new)
    shown = _shown_controls(views, state, page, trigger)
    fired = trigger.get("type") if isinstance(trigger, dict) else None

    def each(name: str, count: int, value: Any, own: str | None = None) -> list:
        """One value per rendered control; left alone where the page shows it already (the
        renderer then redraws nothing there), except on the control that fired."""
        if shown is not None and fired != own and _same(value, getattr(shown, name)):
            return [no_update] * count
        return [value] * count

    paths = {p.id: p.path for p in views.holder.get().pages}
    hrefs = [paths.get(safe_id(i, "page"), "/") + c.nav_query for i in inp.nav_ids or []]
    if shown is not None and c.nav_query == shown.nav_query:
        hrefs = [no_update] * len(hrefs)
    return SyncOut(
        search=no_update if c.query == (inp.search or "") else c.query,
        period_options=each("period_options", bars, c.period_options), period=each("period", bars, c.period, "period"),
        cmp=each("cmp", bars, c.cmp, "cmp"), snap_options=each("snap_options", bars, c.snap_options),
        snap=each("snap", bars, c.snap, "snap"), breadcrumb=each("breadcrumb", bars, c.breadcrumb),
        chips=each("chips", bars, c.chips), nav_hrefs=hrefs,
        street_options=each("streets", picks, c.streets), street=each("street", picks, c.street, "street-pick"),
        **_language(views, res.ctx.lang, inp, bars, navs, picks, text_ids, csv_ids))


def _shown_controls(views: Views, state: Any, page: Any, trigger: Any) -> shell.Controls | None:
    """What the controls show before a control fired: those of the URL's state (the URL and the
    controls are kept in step by this callback). None when the URL itself changed (a link, the
    back button): then the controls may show anything and are all set."""
    if not isinstance(trigger, dict):
        return None
    try:
        return views.controls(_resolve_on(views, state, page), page, state)
    except LookupError:
        return None


def _resolve_on(views: Views, state: Any, page: Any):
    """A state resolved for the viewer on `page` (a street page resolves its street too)."""
    return resolve(state, views.db, views.jurisdiction(), street_page=bool(page and page.template == "street"))


def _same(a: Any, b: Any) -> bool:
    """Equal as the client receives them: Dash's own JSON of each (components included)."""
    return to_json_plotly(a) == to_json_plotly(b)


def _language(views: Views, lang: str, inp: SyncIn, bars: int, navs: int, picks: int, text_ids: list,
              csv_ids: list) -> dict:
    """The shell's texts in `lang`, set in place, when the shell shows the other language (the
    language button says which); otherwise nothing changes."""
    shown = inp.lang_shown[0] if isinstance(inp.lang_shown, list) and inp.lang_shown else None
    if shown == t("lang_toggle", lang):
        keep = lambda n: [no_update] * n  # noqa: E731
        return dict(texts=keep(len(text_ids)), text_titles=keep(len(text_ids)), nav_texts=keep(navs),
                    cmp_options=keep(bars), lang_label=keep(bars), csv_labels=keep(len(csv_ids)),
                    street_placeholder=keep(picks))
    catalog = views.holder.get()
    children, titles = shell.texts(catalog, text_ids, lang)
    pages = {p.id: p.title.get(lang) for p in catalog.pages}
    return dict(texts=children, text_titles=titles,
                nav_texts=[pages.get(safe_id(i, "page"), "") for i in inp.nav_ids or []],
                cmp_options=[shell.cmp_options(lang)] * bars, lang_label=[t("lang_toggle", lang)] * bars,
                csv_labels=[t("csv", lang)] * len(csv_ids), street_placeholder=[t("pick_street", lang)] * picks)


class PanelsIn(NamedTuple):
    """What a batched panel callback reads: the URL, the ids of the page's panels of one output
    type (it fires when they mount: a page load or a link) and what each panel's key store holds."""

    search: Any
    ids: Any  # the graph (or body) ids of the page's panels, as the client lists them
    keys: Any  # the key stores' values: {"p": panel, "u": update key, "d": drawn-from digest, "m": stamp digest}
    pathname: Any
    pins: Any


class GraphOut(NamedTuple):
    figure: Any
    figkey: Any
    stamp: Any
    error: Any
    sqlmeta: Any


class BodyOut(NamedTuple):
    body: Any
    bodykey: Any
    stamp: Any
    error: Any
    sqlmeta: Any


def render_figures(views: Views, inp: PanelsIn) -> dict[str, GraphOut]:
    """Every figure panel of the page the client lists, in one answer: {panel: its outputs}."""
    return {pid: GraphOut(*out) for pid, out in _batch(views, inp, failed=EMPTY_FIGURE).items()}


def render_components(views: Views, inp: PanelsIn) -> dict[str, BodyOut]:
    """Every component panel of the page the client lists, in one answer: {panel: its outputs}."""
    return {pid: BodyOut(*out) for pid, out in _batch(views, inp, failed=None).items()}


def _batch(views: Views, inp: PanelsIn, failed: Any) -> dict[str, tuple]:
    """The outputs of each listed panel. The work is the server's list of the page's panels: a
    listed id that is not one of them gets an error card without any work, each panel is done
    once however often it is listed, and the panels are computed concurrently (`pool`)."""
    lang = parse_query(inp.search).lang
    wanted = list(dict.fromkeys(pid for pid in (safe_id(i, "panel") for i in inp.ids or []) if pid))
    keys = {k["p"]: k for k in inp.keys or [] if isinstance(k, dict) and isinstance(k.get("p"), str)}
    try:
        res = views.resolve(inp.search, inp.pathname, inp.pins)
        page = views.page_for(inp.pathname)
    except Exception as exc:  # noqa: BLE001 - e.g. no snapshot yet: every panel says so
        card = views.error_card(exc, lang)
        return {pid: (failed, None, "", card, "") for pid in wanted}
    on_page = set(page.page.names()) if page is not None else set()
    todo = [pid for pid in wanted if pid in on_page]
    absent = [t("panel_error", lang), ": ", t("not_on_page", lang)]
    out = {pid: (failed, None, "", absent, "") for pid in wanted if pid not in on_page}
    done = run_all([lambda pid=pid: panel_outputs(views, res, pid, keys.get(pid), failed) for pid in todo],
                   views.settings.max_concurrent_queries + 1)
    out.update(zip(todo, done))
    return out


def panel_outputs(views: Views, res: Any, panel_id: str, client: Any, failed: Any) -> tuple:
    """(output, key store, stamp, error card, bound values) of one panel, figure or component.
    When the client's key store says it shows what the panel is drawn from now, nothing is
    queried and nothing resent (`no_update`); when only the stamp moved, only the stamp. A
    failing panel shows `failed` and its error card and must not break the page."""
    lang = res.ctx.lang
    client = client if isinstance(client, dict) else {}
    try:
        panel = views.holder.get().panels[panel_id]
        missing = views.missing_tables(panel, res.ctx.snapshot)
        if missing:  # not an error: the data is not delivered yet
            joined = "、".join(missing) if lang == "zh" else ", ".join(missing)
            return failed, {"p": panel_id}, views.stamp(res), [t("waiting_panel", lang).format(tables=joined)], ""
        drawn = views.drawn_from(panel, res)
        stamp, meta = views.stamp(res, panel), views.sql_meta(res, panel)
        said = digest([stamp, meta])
        if client.get("d") == drawn:
            if client.get("m") == said:
                return no_update, no_update, no_update, no_update, no_update
            return no_update, {**client, "m": said}, stamp, no_update, meta
        out = views.render_drawn(panel, res, drawn, client_key=client.get("u"))
        return out.value, {"p": panel_id, "u": out.key, "d": drawn, "m": said}, stamp, None, meta
    except Exception as exc:  # noqa: BLE001 - any failure of one panel
        return failed, {"p": panel_id}, "", views.error_card(exc, lang), ""


def _panel_outputs(views: Views, search: Any, pathname: Any, pins: Any, panel_id: Any, client_key: Any,
                   failed: Any) -> tuple:
    """One panel's outputs for a URL (what a batch of one gives)."""
    pid = safe_id(panel_id, "panel") or ""
    inp = PanelsIn(search=search, ids=[{"panel": pid}], keys=[client_key] if client_key else [],
                   pathname=pathname, pins=pins)
    return _batch(views, inp, failed).get(pid, (failed, None, "", [t("panel_error", parse_query(search).lang)], ""))


class CsvIn(NamedTuple):
    n_clicks: Any
    search: Any
    pathname: Any
    pins: Any


def download_csv(views: Views, inp: CsvIn, trigger: Any = None):
    """The panel's result as CSV (the panel whose button fired is `trigger`'s)."""
    pid = safe_id(trigger, "panel")
    if not inp.n_clicks or pid is None:
        return no_update
    try:
        res = views.resolve(inp.search, inp.pathname, inp.pins)
        panel = views.panel(pid)
        if panel is None:
            return no_update
        df, _ = views.data(panel, res)
    except Exception:  # the panel shows its own error card; a download just does not start
        log.exception("CSV download of %s failed", pid)
        return no_update
    # A BOM makes spreadsheet programs read the Chinese text as UTF-8.
    return dcc.send_string("\ufeff" + csv_text(df), f"{pid}_{res.ctx.snapshot}.csv")


#: A cell a spreadsheet would read as a formula (=SUM(…), +1, -1, @cmd, or a leading tab/CR).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(df) -> str:
    """The frame as CSV with text cells that a spreadsheet would run as a formula neutralised by a
    leading apostrophe (formula injection: the data are untrusted). Numbers stay numbers."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = [("'" + v) if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in safe[col]]
    safe.columns = [("'" + c) if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in safe.columns]
    return safe.to_csv(index=False)
