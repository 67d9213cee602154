"""What the callbacks work with: the catalog, the database, trusted state, panel data, the
error card, and one panel rendered through its kind's hooks. Kept apart from the callback wiring
so it can be used and tested without Dash. `Views` is the `Host` that kinds' own callbacks get."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import replace
from typing import Any

import pandas as pd
from dash import html
from flask import has_request_context, request

from cockpit.access import users
from cockpit.db import Database
from cockpit.filters import NO_COMPARISON, FilterState, Resolved, followed_filters, parse_query, resolve
from cockpit.query import QueryContext, QueryError, named_ctes, referenced_params, results
from cockpit.regions import region_index
from cockpit.relations import RELATIONS
from cockpit.sqlguard import SCOPE_RELATIONS, parse as sqlguard_parse
from cockpit.settings import Settings
from cockpit.specs.loader import Panel
from cockpit.text import has_chinese, romanized
from cockpit.visuals.base import PanelContext, RenderContext, localized, safe_id
from cockpit.visuals.registry import get_visual
from cockpit.web import shell
from cockpit.web.auth import Viewer, current_viewer
from cockpit.web.catalog import CatalogHolder
from cockpit.web.i18n import t
from cockpit.web.render_memo import RenderMemo, Rendered, patch_of

log = logging.getLogger("cockpit.web")
EMPTY_FIGURE = {"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                       "xaxis": {"visible": False}, "yaxis": {"visible": False}}}

__all__ = ["EMPTY_FIGURE", "Rendered", "Views", "error_card", "patch_of", "safe_id"]


def digest(value: Any) -> str:
    """A short digest of JSON-able data (dates and other values as their text)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False,
                      default=lambda v: v.to_plotly_json() if hasattr(v, "to_plotly_json") else str(v))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


#: A ranked name in a translated column ("3. 新语街道"): the rank, then the name.
_RANKED = re.compile(r"^(\d+\.\s*)(.+)$")

class Views:
    """Everything callbacks need: the catalog, the database, the settings (jurisdiction, dev)."""

    def __init__(self, holder: CatalogHolder, db: Database, settings: Settings):
        self.holder = holder
        self.db = db
        self.settings = settings
        self._audited: dict[tuple, float] = {}
        self._specs: dict[int, tuple[Panel, str]] = {}
        # Answers already rendered by this worker, when results are cached at all (with the
        # cache off every request computes, as the uncached benchmark and the tests expect).
        self.render_memo = RenderMemo() if settings.cache_type != "NullCache" else None

    def resolve(self, search: Any, pathname: Any = None, pins: Any = None) -> Resolved:
        """The trusted context for a URL. `pins` (from the page's pin store) names the snapshot
        the page was loaded with; it applies when the URL does not choose one."""
        page = self.page_for(pathname) if pathname is not None else None
        state = parse_query(search)
        pinned = pins[0] if isinstance(pins, list) and pins and isinstance(pins[0], str) else None
        if pinned is not None and (state.snap is None or state.snap not in self.db.snapshot_ids()):
            # The page's snapshot (a URL naming an unpublished one shows, and keeps, the pinned data).
            state = state.with_(snap=pinned)  # resolve() checks it is a published snapshot
        return resolve(state, self.db, self.jurisdiction(),
                       street_page=bool(page and page.template == "street"))

    def viewer(self) -> Viewer | None:
        """Who is viewing (None: nobody signed in)."""
        return current_viewer(self.settings)

    def jurisdiction(self) -> str | None:
        """The region every query of this request is bound to: the account's, whatever the client
        sends (logins off: the deployment's COCKPIT_JURISDICTION, or the top of the tree). Nobody
        signed in means no scope, and no scope means no data."""
        viewer = self.viewer()
        if viewer is None:
            raise LookupError(t("login_required", "zh") + " / " + t("login_required", "en"))
        return viewer.region

    def audit_view(self, res: Resolved, pathname: Any) -> None:
        """Audit who viewed which region (once a minute per viewer, page and region, per process)."""
        viewer = self.viewer()
        if viewer is None or not viewer.authenticated:
            return
        key = ("audit-view", viewer.name, str(pathname), res.ctx.region)
        now = time.monotonic()
        if now - self._audited.get(key, -1e9) < 60:
            return
        self._audited[key] = now
        if len(self._audited) > 10_000:
            self._audited.clear()
        users.audit(self.settings.accounts_db, viewer.name, "view", f"{pathname} region={res.ctx.region} "
                    f"snapshot={res.ctx.snapshot}", (request.remote_addr or "") if has_request_context() else "")

    def panel(self, panel_id: str | None) -> Panel | None:
        """The loaded panel with this id, or None (ids come from clients)."""
        return self.holder.get().panels.get(panel_id) if isinstance(panel_id, str) else None

    def missing_tables(self, panel: Panel, snapshot: str) -> list[str]:
        """The tables a panel's SQL reads that the snapshot does not have (e.g. an analyst's extra
        table a deployment never received), sorted; [] when it has them all. Memoised per
        snapshot and SQL text: snapshots never change."""
        names = set(self.db.tables(snapshot)) | set(RELATIONS) | set(SCOPE_RELATIONS)
        missing: set[str] = set()
        for sql in (panel.spec.sql, *panel.spec.queries.values()):
            key = ("missing_tables", snapshot, sql)
            if key not in self.db.memo:
                found = sqlguard_parse(sql)
                read = [] if isinstance(found, str) else [name for _, _, name in found.tables]
                bases = {n.removesuffix("_scoped") if n.endswith("_scoped") else n for n in read}
                self.db.memo[key] = frozenset(b for b in bases if b not in names)
            missing |= self.db.memo[key]
        return sorted(missing)

    def waiting_for(self, page, snapshot: str) -> list[str]:
        """The tables a page waits for: those missing for every one of its panels ([] when at
        least one panel has its data, so the page has something to show)."""
        catalog = self.holder.get()
        per_panel = [self.missing_tables(catalog.panels[pid], snapshot) for pid in page.page.names()]
        if per_panel and all(per_panel):
            return sorted({t for names in per_panel for t in names})
        return []

    def error_card(self, exc: Exception, lang: str) -> list:
        return error_card(exc, lang, dev=self.settings.dev and self.sees_sql())

    def sees_sql(self) -> bool:
        """Analysts see SQL, bound values and engine messages; leaders get the figure and a reference."""
        viewer = self.viewer()
        return viewer is not None and viewer.sees_sql

    def page_for(self, pathname: Any):
        catalog = self.holder.get()
        path = pathname if isinstance(pathname, str) else "/"
        return next((p for p in catalog.pages if p.path == path), None)

    def is_demo(self, snapshot: str) -> bool:
        """Demo snapshots carry synthetic regions; the screen must say so."""
        key = ("demo", snapshot)
        if key not in self.db.memo:
            flag = False
            if "synthetic" in self.db.columns(snapshot, "regions"):
                cur = self.db.snapshot_cursor(snapshot)
                flag = bool(cur.execute("SELECT coalesce(bool_or(synthetic), false) FROM regions").fetchone()[0])
            self.db.memo[key] = flag
        return self.db.memo[key]

    def missing_snapshot(self, asked: FilterState | None) -> str | None:
        """The snapshot a URL named (well-formed: parse_query checked it) that is not published."""
        snap = asked.snap if asked is not None else None
        return snap if snap is not None and snap not in self.db.snapshot_ids() else None

    def drills_down(self, page) -> bool:
        """Whether the page's grid has a panel whose kind reacts to a click itself (its `click` hook)."""
        if page is None:
            return False
        panels = self.holder.get().panels
        return any(pid in panels and get_visual(panels[pid].spec.kind).click is not None
                   for pid in page.page.names())

    def controls(self, res: Resolved, page, asked: FilterState | None = None) -> shell.Controls:
        """What the bar's controls show for a resolved state (`asked`: the state the URL asked for,
        before resolving: a snapshot it names that is not published is said on screen and kept in
        the URL, so the notice stays while the page shows the live data)."""
        lang = res.ctx.lang
        live = self.db.live_id()
        viewer = self.viewer()
        missing = self.missing_snapshot(asked)
        return shell.Controls(
            query=res.state.with_(snap=missing).to_query() if missing else res.state.to_query(),
            nav_query=res.state.with_(filters={}, w=()).to_query(),
            pinned=res.ctx.snapshot,
            period_options=shell.period_options(res), period=res.ctx.period_start.strftime("%Y-%m"),
            cmp=res.state.cmp,
            snap_options=[{"label": f"{s}{' (' + t('live', lang) + ')' if s == live else ''}", "value": s}
                          for s in reversed(self.db.snapshot_ids())],
            snap=res.ctx.snapshot, breadcrumb=shell.breadcrumb(res, lang, self.drills_down(page), missing), chips=shell.chips(res.state, lang),
            streets=shell.street_options(res, lang) if page is not None and page.template == "street" else [],
            street=res.ctx.street, user=viewer.name if viewer and viewer.authenticated else None,
            auth_off=self.settings.auth == "off", show_sql=bool(viewer and viewer.sees_sql),
            # A page waiting for tables this snapshot lacks is left out of the navigation (unless shown).
            hidden_pages=frozenset(p.id for p in self.holder.get().pages
                                   if p is not page and self.waiting_for(p, res.ctx.snapshot)))

    def render_context(self, panel: Panel, res: Resolved, wall: bool = False) -> RenderContext:
        return RenderContext(panel_id=panel.spec.id, lang=res.ctx.lang, wall=wall, labels=panel.spec.labels,
                             theme="dark" if wall else "light", empty=panel.spec.empty)

    @staticmethod
    def panel_context(panel: Panel, res: Resolved) -> QueryContext:
        """The context a panel's queries bind: the page's, except that the panel which sets a
        cross-filter is not narrowed by it (it keeps every value to switch to)."""
        qctx = res.ctx
        xf = panel.spec.cross_filter
        if xf is not None and xf.field in qctx.filters:
            qctx = replace(qctx, filters={k: v for k, v in qctx.filters.items() if k != xf.field})
        return qctx

    def data(self, panel: Panel, res: Resolved) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        qctx = self.panel_context(panel, res)
        df = results.query(panel.spec.sql, qctx, self.db)
        frames = {name: results.query(sql, qctx, self.db) for name, sql in panel.spec.queries.items()}
        return self.translated(df, panel, qctx.lang, qctx.snapshot), frames

    def render(self, panel: Panel, res: Resolved, client_key: Any = None, wall: bool = False) -> Rendered:
        """The panel through its kind: `prepare`, then a value-only `update` as a Patch when the
        client already shows what `update_key` names, else the full `render` (or `wall`)."""
        visual = get_visual(panel.spec.kind)
        df, frames = self.data(panel, res)
        rctx = self.render_context(panel, res, wall=wall)
        rctx.frames = frames
        rctx.panel = PanelContext(panel_id=panel.spec.id, res=res, query=self.panel_context(panel, res), db=self.db,
                                  selected=self.selected(panel, res))
        options = localized(panel.wall_options if wall else panel.options, res.ctx.lang)
        if visual.prepare is not None:
            rctx.extra.update(visual.prepare(rctx.panel))
        if wall:
            return Rendered(visual.render_wall(df, options, rctx))
        key = visual.update_key(rctx) if visual.update_key is not None else None
        if key is not None and client_key == key:
            return Rendered(patch_of(visual.update(df, options, rctx)), key, patched=True)
        return Rendered(visual.render(df, options, rctx), key)

    def render_drawn(self, panel: Panel, res: Resolved, drawn: str, client_key: Any = None) -> Rendered:
        """`render` for a panel drawn from `drawn` (its `drawn_from`), answered from this
        worker's memo when it rendered the same before for a client holding the same key."""
        if self.render_memo is None:
            return self.render(panel, res, client_key=client_key)
        held = client_key if client_key is None or isinstance(client_key, str) else \
            json.dumps(client_key, sort_keys=True, default=str)
        key = (panel.spec.id, drawn, self.db.attach(res.ctx.snapshot).created_at, held)
        value, ukey, patched = self.render_memo.get_or_render(
            key, lambda: self.render(panel, res, client_key=client_key))
        return Rendered(value, ukey, patched)

    def drawn_from(self, panel: Panel, res: Resolved) -> str:
        """A digest of what the panel is drawn from: its declaration, the snapshot, the language,
        the values its SQL binds (its own, its named relations', its scope's, the cross-filters it
        follows), its selected value and what its kind `reads` (not said: the whole state).
        Snapshots are immutable: an equal digest means the client's view is still right."""
        visual = get_visual(panel.spec.kind)
        qctx = self.panel_context(panel, res)
        params = qctx.params()
        bound: set[str] = {"region", "lang"}
        for sql in (panel.spec.sql, *panel.spec.queries.values()):
            key = ("bound_params", qctx.snapshot, sql)
            if key not in self.db.memo:
                named = named_ctes(sql)
                self.db.memo[key] = frozenset(
                    referenced_params(sql) | referenced_params(named)
                    | {f"f_{f}" for f in followed_filters(self.db, qctx.snapshot, sql)})
            bound |= self.db.memo[key]
        if visual.reads is not None:
            pctx = PanelContext(panel_id=panel.spec.id, res=res, query=qctx, db=self.db)
            extra = visual.reads(pctx)
        else:  # the kind may read anything of the state
            extra = [params, res.state.to_query()]
        drawn = [self._spec_digest(panel), qctx.snapshot, {k: params.get(k) for k in sorted(bound)},
                 self.selected(panel, res), extra]
        return digest(drawn)

    def _spec_digest(self, panel: Panel) -> str:
        """The declaration's digest (memoised per loaded panel: dev mode reloads declarations)."""
        found = self._specs.get(id(panel))
        if found is None or found[0] is not panel:
            found = (panel, digest(panel.spec.model_dump(mode="json")))
            if len(self._specs) > 4096:
                self._specs.clear()
            self._specs[id(panel)] = found
        return found[1]

    def selected(self, panel: Panel, res: Resolved) -> dict[str, str]:
        """{column: shown value} of the page's filter on this panel's own cross-filter (none: {})."""
        xf = panel.spec.cross_filter
        value = res.ctx.filters.get(xf.field) if xf is not None else None
        if value is None:
            return {}
        if xf.column in panel.spec.translate:
            value = self.shown(value, self.holder.get().value_labels, res.ctx.lang,
                               self.place_names(res.ctx.snapshot) if res.ctx.lang == "en" else {})
        return {xf.column: value}

    def ignored_filters(self, panel: Panel, res: Resolved) -> list[str]:
        """The page's active cross-filters that this panel's result does not follow (its own
        cross-filter excepted: it keeps every value to switch to, and highlights the chosen one)."""
        active = self.panel_context(panel, res).filters
        if not active:
            return []
        followed: set[str] = set()
        for sql in (panel.spec.sql, *panel.spec.queries.values()):
            followed |= followed_filters(self.db, res.ctx.snapshot, sql)
        return sorted(f for f in active if f not in followed)

    def untranslate(self, shown: str) -> str:
        """The data value behind a display name (itself when it is not a display name)."""
        for value, text in self.holder.get().value_labels.items():
            if shown in (text.zh, text.en):
                return value
        return shown

    def translated(self, df: pd.DataFrame, panel: Panel, lang: str, snapshot: str | None = None) -> pd.DataFrame:
        """The panel's `translate` columns in `lang`: the display name layouts/labels.toml gives a
        value; in English, a Chinese value without one in pinyin (`cockpit.text.romanized`), so an
        English screen never mixes languages; anything else as it is."""
        labels = self.holder.get().value_labels
        columns = [c for c in panel.spec.translate if c in df.columns]
        if not columns:
            return df
        places = self.place_names(snapshot) if lang == "en" and snapshot else {}
        df = df.copy()  # results may be shared through the cache
        for col in columns:
            df[col] = [self.shown(v, labels, lang, places) for v in df[col]]
        return df

    def place_names(self, snapshot: str) -> dict[str, str]:
        """{Chinese name: English name} of the snapshot's regions that have one (`name_en`)."""
        key = ("place_names", snapshot)
        if key not in self.db.memo:
            index = region_index(self.db, snapshot)
            self.db.memo[key] = {r.name: r.name_en for r in index.by_code.values() if r.name_en}
        return self.db.memo[key]

    @staticmethod
    def shown(value: Any, labels: dict, lang: str, places: dict[str, str] | None = None) -> Any:
        """One data value as a `translate` column shows it in `lang`: its display name in
        layouts/labels.toml; in English, else the English name of the region so named (street
        names read the same in every panel), else pinyin; otherwise as it is."""
        if not isinstance(value, str):
            return value
        if value in labels:
            return labels[value].get(lang)
        if lang != "en" or not has_chinese(value):
            return value
        rank = _RANKED.match(value)
        if rank:  # "3. 新语街道": a rank before a name keeps its rank, the name reads as elsewhere
            return rank.group(1) + Views.shown(rank.group(2), labels, lang, places)
        return (places or {}).get(value) or romanized(value)

    def stamp(self, res: Resolved, panel: Panel | None = None) -> Any:
        """The panel's "as of" line; a panel showing street assessments also names the month it
        shows when the chosen one is not assessed yet (assessments come after a month ends), and a
        note names the active filters the panel does not follow."""
        lang = res.ctx.lang
        text = f"{t('as_of', lang)} {res.ctx.as_of.isoformat()}"
        sqls = [panel.spec.sql, *panel.spec.queries.values()] if panel is not None else []
        if any("score_period" in referenced_params(sql) for sql in sqls) and res.ctx.score_period != res.ctx.period_start:
            period = f"{res.ctx.period_start:%Y-%m}"
            if res.ctx.score_period == NO_COMPARISON:  # no assessed month up to the period
                text += " · " + t("not_assessed", lang).format(period=period)
            else:
                text += " · " + t("assessed", lang).format(month=f"{res.ctx.score_period:%Y-%m}", period=period)
        ignored = self.ignored_filters(panel, res) if panel is not None else []
        if not ignored:
            return text
        names = t("list_sep", lang).join(t(f"f_{f}", lang) for f in ignored)
        return [text, html.Span(t("filter_ignored", lang).format(fields=names), className="panel-unfiltered",
                                title=t("filter_ignored_note", lang))]

    def sql_meta(self, res: Resolved, panel: Panel) -> str:
        """Snapshot and the values this panel's SQL bound (as bound, cross-filter included)."""
        if not self.sees_sql():
            return ""
        c = self.panel_context(panel, res)
        return (f"{t('snapshot_short', c.lang)} {c.snapshot} · $region={c.region} · $period_start={c.period_start} "
                f"· $period_end={c.period_end} · $cmp_start={c.cmp_start} · $cmp_end={c.cmp_end} · $cmp_as_of={c.cmp_as_of}"
                + "".join(f" · $f_{k}={v}" for k, v in sorted(c.filters.items())))


def error_card(exc: Exception, lang: str, dev: bool = False) -> list:
    """What a failing panel shows: a short reason, never a stack trace. Leaders get a reference
    to quote; the details go to the server log (and, in dev mode, on screen for the analyst)."""
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError):
        reason = str(exc)  # our own words, e.g. no snapshot published yet
    else:
        ref = uuid.uuid4().hex[:8]
        if isinstance(exc, QueryError):
            log.error("panel query failed (ref %s): %s", ref, exc)
        else:
            log.exception("panel failed (ref %s)", ref)
        reason = f"{exc} (ref {ref})" if dev else f"{t('ref', lang)} {ref}"
    return [t("panel_error", lang), ": ", reason]
