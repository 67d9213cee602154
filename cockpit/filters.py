"""The filter state of a page: what lives in the URL, and how the server turns it into a
`QueryContext` it can trust.

The URL is the single source of truth (shareable, bookmarkable, back button works). Everything in
it is untrusted: unknown keys are dropped, malformed values fall back to defaults, regions outside
the viewer's jurisdiction are replaced by the jurisdiction itself, and a cross-filter value the
snapshot does not have never reaches SQL or the cache key: it becomes `UNKNOWN_VALUE`, one value
that matches nothing, so junk values cannot fill the cache with entries of their own."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlencode

from cockpit.db import Database
from cockpit.duck import ident
from cockpit.fields import CROSS_FILTER_FIELDS
from cockpit.query import QueryContext
from cockpit.regions import RegionIndex, region_index

COMPARISONS = ("prev", "yoy", "none")
LANGS = ("zh", "en")
MONTHS_BACK = 36
_CODE = re.compile(r"^[0-9]{6}([0-9]{3})?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SNAP = re.compile(r"^[0-9]{5}_[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_FILTER_LEN = 64
#: What-if weights a URL may carry (`w=ind1:0.2,ind2:0.1`): at most this many, each within [0, MAX_WHATIF_WEIGHT].
#: Which indicators exist is the what-if panel's to check (against the snapshot's indicators).
MAX_WHATIF_WEIGHT = 5.0
MAX_WHATIF_ENTRIES = 50
_INDICATOR = re.compile(r"^[A-Za-z0-9_]{1,32}$")
NO_COMPARISON = date(1900, 1, 1)
#: What a cross-filter value the snapshot does not have becomes: a value no data has, so it matches
#: nothing, as the value itself would; every unknown value shares its one cache key. (Readable: the
#: panel's SQL details show it as bound.)
UNKNOWN_VALUE = "∅ (not in this snapshot)"


@dataclass(frozen=True)
class FilterState:
    """The page state as the URL carries it (already syntactically clean)."""

    region: str | None = None
    period: str | None = None  # YYYY-MM
    cmp: str = "prev"
    snap: str | None = None
    lang: str = "zh"
    street: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    w: tuple[tuple[str, float], ...] = ()  # what-if weights by indicator, sorted (empty: the published ones)

    def to_query(self) -> str:
        """The URL query string ('' or '?a=b&...'), keys in a stable order."""
        pairs = [(k, v) for k, v in (("region", self.region), ("period", self.period), ("cmp", self.cmp),
                                     ("snap", self.snap), ("lang", self.lang), ("street", self.street))
                 if v is not None and not (k == "cmp" and v == "prev") and not (k == "lang" and v == "zh")]
        parts = [urlencode(pairs)] if pairs else []
        if self.w:
            parts.append("w=" + quote(weights_text(self.w), safe=":,"))  # readable: w=ind1:0.2,ind2:0.1
        if self.filters:
            parts.append(urlencode([(f"f_{k}", v) for k, v in sorted(self.filters.items())]))
        return "?" + "&".join(parts) if parts else ""

    def with_(self, **changes) -> "FilterState":
        return replace(self, **changes)


def parse_query(search: str | None) -> FilterState:
    """Parse a URL query string leniently: anything malformed is dropped."""
    if not isinstance(search, str) or len(search) > 2000:
        return FilterState()
    raw = parse_qs(search.lstrip("?"), keep_blank_values=False)
    one = {k: v[-1] for k, v in raw.items() if v}
    region = one.get("region") if _CODE.match(one.get("region", "")) else None
    street = one.get("street") if _CODE.match(one.get("street", "")) else None
    m = _MONTH.match(one.get("period", ""))
    period = one["period"] if m and 1 <= int(m.group(2)) <= 12 else None
    cmp = one.get("cmp") if one.get("cmp") in COMPARISONS else "prev"
    lang = one.get("lang") if one.get("lang") in LANGS else "zh"
    snap = one.get("snap") if _SNAP.match(one.get("snap", "")) else None
    filters = {name: one[f"f_{name}"] for name in CROSS_FILTER_FIELDS if valid_filter_value(one.get(f"f_{name}"))}
    return FilterState(region=region, period=period, cmp=cmp, snap=snap, lang=lang, street=street, filters=filters,
                       w=parse_weights(one.get("w")))


def parse_weights(text: object) -> tuple[tuple[str, float], ...]:
    """What-if weights from `ind1:0.2,ind2:0.1`, leniently: a malformed or out-of-range entry is
    dropped, the last of a repeated indicator counts, at most MAX_WHATIF_ENTRIES are kept."""
    if not isinstance(text, str):
        return ()
    weights: dict[str, float] = {}
    for item in text.split(",")[:MAX_WHATIF_ENTRIES * 2]:
        code, sep, value = item.strip().partition(":")
        if not sep or not _INDICATOR.match(code):
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if math.isfinite(number) and 0 <= number <= MAX_WHATIF_WEIGHT:
            weights[code] = round(number, 4)
    return tuple(sorted(weights.items())[:MAX_WHATIF_ENTRIES])


def weights_text(weights) -> str:
    """What-if weights as the URL carries them: `ind1:0.2,ind2:0.1`."""
    return ",".join(f"{code}:{value:g}" for code, value in weights)


def valid_filter_value(value: object) -> bool:
    """A cross-filter value a client may send: short printable text (it is bound, never spliced)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_FILTER_LEN and value.isprintable()


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, 1)


def available_periods(as_of: date, earliest: date | None = None) -> list[str]:
    """Months a viewer may choose, newest first: back to the earliest month with data (at most
    MONTHS_BACK months)."""
    start = _month_start(as_of)
    months = [_add_months(start, -i) for i in range(MONTHS_BACK)]
    if earliest is not None:
        months = [m for m in months if m >= _month_start(earliest)] or [start]
    return [m.strftime("%Y-%m") for m in months]


def earliest_data(db: Database, snapshot: str) -> date | None:
    """First day with requests or street metrics in a snapshot (memoised: snapshots never change)."""
    key = ("earliest", snapshot)
    if key not in db.memo:
        cur = db.snapshot_cursor(snapshot)
        sources = [f"SELECT min(CAST({col} AS DATE)) AS d FROM {view}"
                   for view, col in (("requests_daily", "day"), ("street_metrics", "period"))
                   if view in db.tables(snapshot)]
        value = cur.execute(f"SELECT min(d) FROM ({' UNION ALL '.join(sources)})").fetchone()[0] if sources else None
        db.memo[key] = value
    return db.memo[key]


def assessed_months(db: Database, snapshot: str) -> tuple[date, ...]:
    """The months with street metrics in a snapshot, oldest first (memoised: snapshots never change)."""
    key = ("assessed_months", snapshot)
    if key not in db.memo:
        months: tuple[date, ...] = ()
        if "street_metrics" in db.tables(snapshot):
            rows = db.snapshot_cursor(snapshot).execute(
                "SELECT DISTINCT CAST(period AS DATE) FROM street_metrics ORDER BY 1").fetchall()
            months = tuple(r[0] for r in rows if r[0] is not None)
        db.memo[key] = months
    return db.memo[key]


def score_months(assessed: tuple[date, ...], start: date, cmp: str) -> tuple[date, date]:
    """(assessment month shown for the period starting `start`, its comparison month): the latest
    assessed month up to `start`, and the month 1 (prev) or 12 (yoy) before it. No assessed month
    yet, or comparison off: NO_COMPARISON, a month no data has."""
    shown = max((m for m in assessed if m <= start), default=None)
    if shown is None:
        return NO_COMPARISON, NO_COMPARISON
    if cmp == "none":
        return shown, NO_COMPARISON
    return shown, _add_months(shown, {"prev": -1, "yoy": -12}[cmp])


def known_values(db: Database, snapshot: str, name: str) -> frozenset[str]:
    """Every value the cross-filter field `name` has in any view of a snapshot, as text
    (memoised: snapshots never change)."""
    key = ("known_values", snapshot, name)
    if key not in db.memo:
        views = [v for v in db.tables(snapshot) if name in db.columns(snapshot, v)]
        values: set[str] = set()
        if views:
            sql = " UNION ".join(f"SELECT DISTINCT CAST({ident(name)} AS VARCHAR) AS v FROM {ident(v)}"
                                 for v in views)
            values = {r[0] for r in db.snapshot_cursor(snapshot).execute(sql).fetchall() if r[0] is not None}
        db.memo[key] = frozenset(values)
    return db.memo[key]


def known_filters(db: Database, snapshot: str, filters: dict[str, str]) -> dict[str, str]:
    """The cross-filters a query may bind: a value the snapshot has stays, any other becomes
    UNKNOWN_VALUE (it matches nothing, as the value itself would, under one shared cache key)."""
    return {name: value if value in known_values(db, snapshot, name) else UNKNOWN_VALUE
            for name, value in filters.items() if name in CROSS_FILTER_FIELDS}


def jurisdiction_root(index: RegionIndex, configured: str | None) -> str:
    """The region a viewer is limited to: the configured one, else (no limit configured) the
    tree's top. A configured region the snapshot does not have fails closed: nothing is served."""
    if configured:
        if index.get(configured):
            return configured
        raise LookupError(f"the jurisdiction {configured} is not a region of this snapshot")
    if not index.tops:
        raise LookupError("the snapshot has no top region")
    return index.tops[0]


@dataclass(frozen=True)
class Resolved:
    """A trusted context plus the cleaned state that produced it (for echoing back to the URL)."""

    ctx: QueryContext
    state: FilterState
    root: str
    regions: RegionIndex
    periods: list[str]  # the months offered, newest first
    # Why the street was chosen when the URL named none: the assessed month in which it ranks
    # last among the selected region's streets (None: the URL chose it, or no month is assessed).
    street_basis: date | None = None


def resolve(state: FilterState, db: Database, jurisdiction: str | None, street_page: bool = False) -> Resolved:
    """Turn an untrusted state into a QueryContext scoped to the jurisdiction. On a street page
    the street is the region every scoped panel is limited to."""
    snapshots = db.snapshot_ids()
    live = db.live_id()
    if live is None:
        raise LookupError("no snapshot is published yet: run `cockpit ingest FOLDER` (or `make run`)")
    snap = state.snap if state.snap in snapshots else live
    info = db.attach(snap)
    index = region_index(db, snap)
    root = jurisdiction_root(index, jurisdiction)
    region = state.region if state.region and index.get(state.region) and index.is_within(state.region, root) else root
    periods = available_periods(info.as_of, earliest_data(db, snap))
    period = state.period if state.period in periods else periods[0]
    start = date.fromisoformat(period + "-01")
    street = state.street
    street_basis = None
    if not (street and index.get(street) and index.get(street).level == "street" and index.is_within(street, root)):
        # Street pages always show a street: the selected region's lowest-ranked one in the latest
        # assessed month up to the period (the one a leader should look at), else its first one.
        street, street_basis = default_street(db, snap, index, region, start)
    # A period never reaches past the snapshot's as_of; the comparison covers the same span of days.
    end = min(_add_months(start, 1), info.as_of + timedelta(days=1))
    if state.cmp == "none":
        # No comparison: an empty range long before any data, so comparison columns come out
        # empty (and month-keyed lookups such as `period = $cmp_start` match nothing).
        cmp_start = cmp_end = NO_COMPARISON
    else:
        cmp_start = _add_months(start, {"prev": -1, "yoy": -12}[state.cmp])
        cmp_end = min(cmp_start + (end - start), _add_months(cmp_start, 1))
    score_period, score_cmp_period = score_months(assessed_months(db, snap), start, state.cmp)
    query_region = street if street_page and street else region
    # A leaf (street) has no children to map: show its siblings instead, with it selected.
    map_parent = query_region if index.children.get(query_region) else (index.get(query_region).parent or query_region)
    ctx = QueryContext(snapshot=snap, region=query_region, jurisdiction=root, map_parent=map_parent, as_of=info.as_of,
                       period_start=start, period_end=end,
                       cmp_start=cmp_start, cmp_end=cmp_end, street=street, lang=state.lang,
                       score_period=score_period, score_cmp_period=score_cmp_period,
                       filters=known_filters(db, snap, state.filters))
    clean = state.with_(region=None if region == root else region, snap=None if snap == live else snap,
                        period=None if period == periods[0] else period,
                        street=state.street if state.street == street else None)
    return Resolved(ctx=ctx, state=clean, root=root, regions=index, periods=periods, street_basis=street_basis)


def default_street(db: Database, snapshot: str, index: RegionIndex, region: str,
                   period_start: date) -> tuple[str | None, date | None]:
    """The street a street page opens on when the URL names none: of the streets under `region`,
    the lowest-ranked (vetoed first, then the lowest composite score) in the latest month up to
    `period_start` that has street scores, with that month; without scores, the first street."""
    under = index.streets_under(region)
    if not under:
        return None, None
    key = ("default_street", snapshot, region, period_start)
    if key not in db.memo:
        found = (under[0], None)
        if "street_scores" in db.tables(snapshot):
            row = db.snapshot_cursor(snapshot).execute(
                """
                with mine as (select * from street_scores where street_code in (select unnest($streets))),
                     latest as (select max(period) as period from mine where period <= $start and score is not null)
                select m.street_code, m.period from mine m join latest l on m.period = l.period
                where m.score is not null
                order by m.veto desc nulls last, m.score asc, m.street_code
                limit 1
                """, {"streets": list(under), "start": period_start}).fetchone()
            if row is not None:
                found = (row[0], row[1])
        db.memo[key] = found
    return db.memo[key]


def followed_filters(db: Database, snapshot: str, sql: str) -> frozenset[str]:
    """The cross-filter fields that narrow the result of panel SQL `sql`: every field that is a column
    of a `<view>_scoped` relation it reads (the scoped relations honour those), and every field it
    binds itself (`$f_<field>`). A field outside this set leaves the result unchanged, so the panel
    must say that it does not follow it (named relations such as `early_warnings` compute on their
    own and follow none)."""
    from cockpit.sqlguard import parse

    key = ("followed_filters", snapshot, sql)
    if key in db.memo:
        return db.memo[key]
    fields: set[str] = set()
    found = parse(sql)
    if not isinstance(found, str):
        views = set(db.tables(snapshot))
        for _, _, name in found.tables:
            view = name[: -len("_scoped")] if name.endswith("_scoped") else None
            if view in views:
                columns = set(db.columns(snapshot, view))
                fields |= {f for f in CROSS_FILTER_FIELDS if f in columns}
    fields |= {f for f in CROSS_FILTER_FIELDS if re.search(rf"\$f_{f}\b", sql)}
    db.memo[key] = frozenset(fields)
    return db.memo[key]
