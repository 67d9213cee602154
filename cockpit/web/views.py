"""What the callbacks work with: the catalog, the database, trusted state, panel data, and the
error card. Kept apart from the callback wiring so it can be used and tested without Dash."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

import pandas as pd

from cockpit.analytics.scores import street_scores_sql
from cockpit.db import Database
from cockpit.filters import Resolved, parse_query, resolve
from cockpit.query import QueryError, results, run_sql
from cockpit.settings import get_settings
from cockpit.specs.loader import Panel
from cockpit.visuals import ranking_table
from cockpit.visuals.base import RenderContext
from cockpit.web import shell
from cockpit.web.catalog import CatalogHolder
from cockpit.web.i18n import t

log = logging.getLogger("cockpit.web")
EMPTY_FIGURE = {"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                       "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def safe_id(value: Any, key: str) -> str | None:
    """The string `key` of a pattern-matching id dict, or None when a client sent something else."""
    if isinstance(value, dict) and isinstance(value.get(key), str) and len(value[key]) <= 80:
        return value[key]
    return None


class Views:
    """Everything callbacks need: the catalog, the database, the jurisdiction."""

    def __init__(self, holder: CatalogHolder, db: Database):
        self.holder = holder
        self.db = db

    def resolve(self, search: Any, pathname: Any = None, pins: Any = None) -> Resolved:
        """The trusted context for a URL. `pins` (from the page's pin store) names the snapshot
        the page was loaded with; it applies when the URL does not choose one."""
        page = self.page_for(pathname) if pathname is not None else None
        state = parse_query(search)
        pinned = pins[0] if isinstance(pins, list) and pins and isinstance(pins[0], str) else None
        if state.snap is None and pinned is not None:
            state = state.with_(snap=pinned)  # resolve() checks it is a published snapshot
        return resolve(state, self.db, get_settings().jurisdiction,
                       street_page=bool(page and page.template == "street"))

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

    def controls(self, res: Resolved, page) -> shell.Controls:
        """What the bar's controls show for a resolved state."""
        lang = res.ctx.lang
        live = self.db.live_id()
        return shell.Controls(
            query=res.state.to_query(), nav_query=res.state.with_(filters={}).to_query(),
            pinned=res.ctx.snapshot,
            period_options=shell.period_options(res), period=res.ctx.period_start.strftime("%Y-%m"),
            cmp=res.state.cmp,
            snap_options=[{"label": f"{s}{' (' + t('live', lang) + ')' if s == live else ''}", "value": s}
                          for s in reversed(self.db.snapshot_ids())],
            snap=res.ctx.snapshot, breadcrumb=shell.breadcrumb(res, lang), chips=shell.chips(res.state, lang),
            streets=shell.street_options(res, lang) if page is not None and page.template == "street" else [],
            street=res.ctx.street)

    def render_context(self, panel: Panel, res: Resolved, wall: bool = False) -> RenderContext:
        return RenderContext(panel_id=panel.spec.id, lang=res.ctx.lang, wall=wall, labels=panel.spec.labels,
                             theme="dark" if wall else "light")

    @staticmethod
    def panel_context(panel: Panel, res: Resolved):
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
        return self.translated(df, panel, qctx.lang), frames

    def untranslate(self, shown: str) -> str:
        """The data value behind a display name (itself when it is not a display name)."""
        for value, text in self.holder.get().value_labels.items():
            if shown in (text.zh, text.en):
                return value
        return shown

    def translated(self, df: pd.DataFrame, panel: Panel, lang: str) -> pd.DataFrame:
        """The panel's `translate` columns shown through layouts/labels.toml in `lang`."""
        labels = self.holder.get().value_labels
        columns = [c for c in panel.spec.translate if c in df.columns]
        if not columns or not labels:
            return df
        df = df.copy()  # results may be shared through the cache
        for col in columns:
            df[col] = [labels[v].get(lang) if isinstance(v, str) and v in labels else v for v in df[col]]
        return df

    def stamp(self, res: Resolved) -> str:
        return f"{t('as_of', res.ctx.lang)} {res.ctx.as_of.isoformat()}"

    def sql_meta(self, res: Resolved, panel: Panel) -> str:
        """Snapshot and the values this panel's SQL bound (as bound, cross-filter included)."""
        c = self.panel_context(panel, res)
        return (f"{t('snapshot_short', c.lang)} {c.snapshot} · $region={c.region} · $period_start={c.period_start} "
                f"· $period_end={c.period_end} · $cmp_start={c.cmp_start} · $cmp_end={c.cmp_end}"
                + "".join(f" · $f_{k}={v}" for k, v in sorted(c.filters.items())))


def error_card(exc: Exception, lang: str) -> list:
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
        reason = f"{exc} (ref {ref})" if get_settings().dev else f"{t('ref', lang)} {ref}"
    return [t("panel_error", lang), ": ", reason]


_WHATIF_COLUMNS = ranking_table.RankingTableOptions.model_validate({"columns": [
    {"field": "rank_all", "label": {"zh": "模拟名次", "en": "Rank"}, "width": 90},
    {"field": "name", "label": {"zh": "街道", "en": "Street"}},
    {"field": "parent_name", "label": {"zh": "区县", "en": "County"}},
    {"field": "score", "label": {"zh": "模拟得分", "en": "Score"}, "format": {"d3": ".1f"}, "bar": True},
    {"field": "shift", "label": {"zh": "较公布名次", "en": "vs published"}, "change": True, "width": 110},
]})


def whatif_table(res: Resolved, weights: dict[str, float], rows: int, lang: str):
    """Scores and ranks under what-if weights, next to the published ranks (nothing is stored)."""
    known = set(run_sql("select indicator from indicators", res.ctx)["indicator"])
    weights = {k: v for k, v in weights.items() if k in known}
    published = run_sql(street_scores_sql(), res.ctx)
    extra = {"w_ind": list(weights), "w_val": list(weights.values())} if weights else None
    scenario = run_sql(street_scores_sql(what_if=bool(weights)), res.ctx, extra=extra)
    published = published[published["period"] == pd.Timestamp(res.ctx.period_start)]
    scenario = scenario[scenario["period"] == pd.Timestamp(res.ctx.period_start)].copy()
    before = dict(zip(published["street_code"], published["rank_all"]))
    scenario["shift"] = [before.get(c, r) - r for c, r in zip(scenario["street_code"], scenario["rank_all"])]
    scenario = scenario.sort_values("rank_all").head(rows)
    options = _WHATIF_COLUMNS.model_copy(update={"rows": rows})
    return ranking_table.render(scenario, options, RenderContext(panel_id="whatif", lang=lang))
