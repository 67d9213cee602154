"""Synthetic citizen requests (民呼我为): two years of requests written in time order, in chunks.

The story the numbers tell:
- *demand explosion*: daily volume grows ~45 % a year (plus weekly and seasonal shape, Spring
  Festival and National Day dips, summer peaks), while handling gets ~10 % a year faster;
- a few *local spikes*: one street × category jumps several-fold in the last weeks (`SPIKES`),
  for the early-warning panel;
- badly run streets (low hidden quality) are slower, get more reopened requests and worse ratings.

Memory stays bounded whatever the row count: days are generated in order, a chunk of
~`CHUNK_ROWS` rows at a time, each chunk sorted by received_at and written as one row group.
All times are local (Asia/Shanghai) wall-clock microseconds without zone; nothing happens at or
after the cut-off (the end of the as_of day): requests still in flight then are open, with the
later stage times null.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cockpit.demo import departments as deps
from cockpit.demo.geography import POINTS_PER_STREET, Geography
from cockpit.demo.rand import rng_for

CHUNK_ROWS = 200_000
DAYS = 730  # two years, so year-over-year growth can be computed for the latest year
US_H = 3_600_000_000  # microseconds per hour
US_D = 24 * US_H

CHANNELS = ["浙里办", "12345热线", "基层治理四平台", "浙政钉", "来信来访"]
# Channel shares at the start and the end of the two years (the app takes over from the phone).
_CHANNEL_P0 = np.array([0.30, 0.42, 0.14, 0.07, 0.07])
_CHANNEL_P1 = np.array([0.40, 0.34, 0.15, 0.06, 0.05])
_OFFICE = [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 3, 4, 4, 3.5, 2, 3, 4, 4, 3.5, 2.5, 1.5, 1, 0.8, 0.6, 0.4, 0.3]
_HOURS = np.array([
    [0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.6, 1.5, 2.5, 3, 3, 2.8, 2.6, 2.6, 2.8, 2.8, 2.6, 2.4, 2.5, 2.8, 3, 2.8, 2, 1.4],
    [0.5, 0.3, 0.2, 0.2, 0.2, 0.4, 1, 2, 3, 3.5, 3.5, 3, 2.5, 2.8, 3.2, 3.2, 3, 2.8, 2.5, 2.4, 2.2, 1.8, 1.2, 0.8],
    _OFFICE,
    _OFFICE,
    [0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 4, 3, 1, 3, 4, 4, 3, 1, 0, 0, 0, 0, 0, 0],
])
_HOUR_CDF = np.cumsum(_HOURS / _HOURS.sum(axis=1, keepdims=True), axis=1)

# category: (share, handling deadline in hours, department kind, urban affinity)
CATEGORIES = {
    "城市管理": (0.20, 72, "CGJ", 1.3),
    "环境保护": (0.10, 120, "STT", 0.8),
    "交通出行": (0.10, 120, "JTT", 1.2),
    "住房保障": (0.08, 240, "ZJT", 1.2),
    "劳动社保": (0.09, 168, "RST", 1.0),
    "医疗卫生": (0.08, 120, "WJW", 1.0),
    "教育": (0.07, 168, "JYT", 1.0),
    "市场监管": (0.10, 168, "SCJ", 1.1),
    "社区服务": (0.12, 72, "MZT", 0.9),
    "公共安全": (0.06, 24, "GAT", 1.0),
}
CAT_NAMES = list(CATEGORIES)
_CAT_SHARE = np.array([v[0] for v in CATEGORIES.values()])
_DEADLINE_H = np.array([v[1] for v in CATEGORIES.values()], dtype=float)
LEVELS = ["street", "county", "city", "province"]
_LEVEL_P = {  # by channel: grid workers settle most things in the street
    "浙里办": [0.50, 0.33, 0.13, 0.04], "12345热线": [0.48, 0.34, 0.14, 0.04],
    "基层治理四平台": [0.80, 0.17, 0.03, 0.00], "浙政钉": [0.55, 0.30, 0.12, 0.03],
    "来信来访": [0.30, 0.40, 0.22, 0.08],
}
_LEVEL_SLOW = np.array([1.0, 1.2, 1.4, 1.6])
STATUSES = ["received", "relayed", "dispatched", "handling", "closed"]
_MONTH_SHAPE = np.array([0.95, 0.85, 1.0, 1.0, 1.02, 1.08, 1.15, 1.15, 1.05, 0.95, 1.0, 1.0])
_WEEKDAY_SHAPE = np.array([1.12, 1.08, 1.05, 1.03, 1.0, 0.72, 0.65])
_SPRING_FESTIVAL = {2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17", 2027: "02-06",
                    2028: "01-26", 2029: "02-13", 2030: "02-03"}
GROWTH = 1.45  # year-over-year volume
SPEEDUP = 0.9  # year-over-year handling time


@dataclass(frozen=True)
class Spike:
    """A street × category whose volume jumps `factor`-fold over the last `days` before as_of.
    The street is the busiest (highest population weight) street of `county`."""

    county: str
    category: str
    factor: float
    days: int
    story: str


SPIKE_FLOOR = 0.0008  # minimum baseline of a spiking street × category, as a share of the day

SPIKES = (
    Spike("330106", "环境保护", 6.0, 21, "夜间施工噪音扰民 (night-time construction noise)"),
    Spike("330110", "住房保障", 5.0, 28, "新交付小区房屋质量投诉 (defects in newly delivered flats)"),
    Spike("330212", "交通出行", 6.0, 14, "地铁施工围挡致拥堵 (metro works blocking roads)"),
    Spike("330302", "城市管理", 5.0, 21, "占道经营回潮 (street vendors back on the pavements)"),
    Spike("330782", "市场监管", 8.0, 18, "预付卡商家闭店跑路 (prepaid-card shops closing)"),
)

SCHEMA = pa.schema([
    ("request_id", pa.string()), ("channel", pa.string()), ("category", pa.string()),
    ("street_code", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
    ("received_at", pa.timestamp("us")), ("relayed_at", pa.timestamp("us")),
    ("dispatched_at", pa.timestamp("us")), ("handled_at", pa.timestamp("us")),
    ("closed_at", pa.timestamp("us")), ("due_at", pa.timestamp("us")),
    ("dept_code", pa.string()), ("handling_level", pa.string()), ("status", pa.string()),
    ("satisfaction", pa.int64()), ("reopened", pa.bool_()), ("updated_at", pa.timestamp("us")),
])


def spike_streets(geo: Geography) -> list[tuple[Spike, str, str]]:
    """(spike, street_code, street name) of every spike for this geography (seed)."""
    out = []
    for s in SPIKES:
        sub = geo.streets[geo.streets["county_code"] == s.county]
        row = sub.loc[sub["weight"].idxmax()]
        out.append((s, row["street_code"], row["name"]))
    return out


def _day_shape(days: np.ndarray) -> np.ndarray:
    """Relative volume of each day (datetime64[D]): growth × month × weekday × holidays."""
    t_years = (days - days[0]).astype(float) / 365.0
    months = days.astype("datetime64[M]").astype(int) % 12
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    shape = GROWTH ** t_years * _MONTH_SHAPE[months] * _WEEKDAY_SHAPE[weekday]
    years = days.astype("datetime64[Y]").astype(int) + 1970
    for y in np.unique(years):
        if int(y) in _SPRING_FESTIVAL:
            sf = np.datetime64(f"{int(y)}-{_SPRING_FESTIVAL[int(y)]}")
            shape[(days >= sf - 2) & (days <= sf + 6)] *= 0.5
        nd = np.datetime64(f"{int(y)}-10-01")
        shape[(days >= nd) & (days <= nd + 6)] *= 0.7
    return shape


def _category_p(days: np.ndarray) -> np.ndarray:
    """(n_days, n_categories) shares: 劳动社保 peaks before Spring Festival (wage arrears),
    环境保护 in summer (noise, heat), 教育 at enrolment; 社区服务 grows fastest."""
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    t = (days - days[0]).astype(float) / len(days)
    p = np.tile(_CAT_SHARE, (len(days), 1))
    p[np.isin(months, (12, 1)), CAT_NAMES.index("劳动社保")] *= 1.6
    p[np.isin(months, (6, 7, 8)), CAT_NAMES.index("环境保护")] *= 1.3
    p[np.isin(months, (8, 9)), CAT_NAMES.index("教育")] *= 1.4
    p[:, CAT_NAMES.index("社区服务")] *= 1.0 + 0.35 * t
    return p / p.sum(axis=1, keepdims=True)


def _lognormal_h(rng: np.random.Generator, median_h, sigma: float, n: int) -> np.ndarray:
    """Durations in whole seconds (as microseconds): systems log times to the second."""
    return (median_h * rng.lognormal(0.0, sigma, size=n) * 3600).astype(np.int64) * 1_000_000


def _ts(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    arr = values.astype("datetime64[us]")
    return pa.array(arr, type=pa.timestamp("us"), mask=None if valid is None else ~valid)


class _Model:
    """Per-drop constants derived once from the geography (street × category weights etc.)."""

    def __init__(self, geo: Geography, rng: np.random.Generator):
        st = geo.streets
        self.n_streets = len(st)
        self.street_codes = pa.array(st["street_code"].tolist(), type=pa.string())
        urban = st["county_code"].map(
            geo.regions.set_index("region_code")["name"]).str[-1].eq("区").to_numpy()
        affinity = np.array([v[3] for v in CATEGORIES.values()])
        # Each street has its own mix of issues (what makes the category × street heat map).
        w = st["weight"].to_numpy()[None, :] * np.where(urban[None, :], affinity[:, None], 1.0 / affinity[:, None])
        w = w * rng.lognormal(0.0, 0.35, size=w.shape)
        self.p_street = w / w.sum(axis=1, keepdims=True)  # (n_cat, n_streets)
        self.street_cdf = np.cumsum(self.p_street, axis=1)
        self.quality = st["quality"].to_numpy()
        self.points = geo.points
        self.bbox = geo.county_bbox
        # Department of (street's city, category, handled at province level?)
        cities = st["city_code"].to_numpy()
        codes = sorted({d["dept_code"] for d in deps.departments()})
        self.dept_codes = pa.array(codes, type=pa.string())
        index = {c: i for i, c in enumerate(codes)}
        kinds = [v[2] for v in CATEGORIES.values()]
        uniq_cities, city_idx = np.unique(cities, return_inverse=True)
        self.street_city = city_idx
        self.dept_lookup = np.empty((len(uniq_cities), len(kinds), 2), dtype=np.int64)
        for ci, city in enumerate(uniq_cities):
            for k, kind in enumerate(kinds):
                self.dept_lookup[ci, k, 0] = index[deps.resolve(city, kind)]
                self.dept_lookup[ci, k, 1] = index[deps.resolve(deps.PROVINCE, kind)]
        self.level_p = np.array([_LEVEL_P[c] for c in CHANNELS])
        self.level_cdf = np.cumsum(self.level_p, axis=1)
        self.spikes = [(s, int(np.flatnonzero(st["street_code"].to_numpy() == code)[0]), CAT_NAMES.index(s.category))
                       for s, code, _ in spike_streets(geo)]


def _pick(cdf_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF: index of the first cdf entry above u (cdf_rows: (n, k))."""
    return np.minimum((u[:, None] > cdf_rows).sum(axis=1), cdf_rows.shape[1] - 1)


def _chunk_rows(m: _Model, rng: np.random.Generator, day_ids: np.ndarray, counts: np.ndarray,
                cat_p: np.ndarray, first_day: np.datetime64, cutoff_us: int, seq0: int) -> pa.Table:
    """Generate and sort the requests received on the given days."""
    n_days_total = DAYS
    day_list, cat_list, street_list = [], [], []
    for d, n in zip(day_ids, counts):
        cat_n = rng.multinomial(n, cat_p[d])
        cats = np.repeat(np.arange(len(CAT_NAMES)), cat_n)
        streets = np.empty(len(cats), dtype=np.int64)
        for c in np.flatnonzero(cat_n):
            sel = cats == c
            streets[sel] = np.minimum(np.searchsorted(m.street_cdf[c], rng.random(cat_n[c])), m.n_streets - 1)
        day_list.append(np.full(len(cats), d))
        cat_list.append(cats)
        street_list.append(streets)
        for s, si, ci in m.spikes:
            into = d - (n_days_total - s.days)  # day number inside the spike window
            if into < 0:
                continue
            ramp = min(1.0, (into + 1) / 3.0)  # it builds up over three days, then stays
            # Quiet streets get a floor so every spike stands out in absolute numbers too.
            base = max(cat_n[ci] * m.p_street[ci, si], SPIKE_FLOOR * n)
            k = rng.poisson(base * (s.factor - 1.0) * ramp)
            day_list.append(np.full(k, d))
            cat_list.append(np.full(k, ci))
            street_list.append(np.full(k, si))
    day = np.concatenate(day_list)
    cat = np.concatenate(cat_list)
    street = np.concatenate(street_list)
    n = len(day)
    frac = day / n_days_total  # 0 → 1 over the two years

    # Channel drifts from the hotline to the app; the hour of day depends on the channel.
    p_ch = _CHANNEL_P0[None, :] + (_CHANNEL_P1 - _CHANNEL_P0)[None, :] * frac[:, None]
    channel = _pick(np.cumsum(p_ch, axis=1), rng.random(n))
    hour = _pick(_HOUR_CDF[channel], rng.random(n))
    day_start = (first_day.astype("datetime64[us]").astype(np.int64) + day.astype(np.int64) * US_D)
    received = day_start + hour * US_H + rng.integers(0, 3600, size=n) * 1_000_000
    order = np.argsort(received, kind="stable")
    day, cat, street, channel, received, frac = (a[order] for a in (day, cat, street, channel, received, frac))

    level = _pick(m.level_cdf[channel], rng.random(n))
    quality = m.quality[street]
    deadline_h = _DEADLINE_H[cat]
    # Badly run streets are slower; everyone gets faster as the reform beds in.
    pace = np.exp(-0.25 * quality) * SPEEDUP ** (2 * frac)
    relay = _lognormal_h(rng, np.where(channel >= 2, 0.15, 0.5), 0.8, n)
    dispatch = _lognormal_h(rng, 1.2 * _LEVEL_SLOW[level], 0.9, n)
    accept = _lognormal_h(rng, 0.8, 0.8, n)
    handle = _lognormal_h(rng, 0.25 * deadline_h * _LEVEL_SLOW[level] * pace, 0.75, n)
    # About 1 % get stuck (disputed ownership, waiting on another body): long overdue cases.
    stuck = rng.random(n) < 0.01
    handle = np.maximum(np.where(stuck, handle * rng.uniform(4.0, 15.0, size=n), handle), accept).astype(np.int64)
    feedback = _lognormal_h(rng, 5.0, 0.9, n)
    relayed = received + relay
    dispatched = relayed + dispatch
    accepted = dispatched + accept
    handled1 = dispatched + handle
    closed1 = handled1 + feedback
    # Reopened: the citizen rejects the first answer and the case goes round again.
    p_reopen = np.clip(0.03 * np.exp(-0.45 * quality), 0.0, 0.25)
    reopen = (rng.random(n) < p_reopen) & (closed1 < cutoff_us)
    handled2 = closed1 + _lognormal_h(rng, 0.3 * deadline_h * pace, 0.7, n)
    handled = np.where(reopen, handled2, handled1)
    closed = handled + np.where(reopen, _lognormal_h(rng, 5.0, 0.9, n), feedback)
    due = received + (deadline_h * US_H).astype(np.int64)

    reached = [received < cutoff_us, relayed < cutoff_us, dispatched < cutoff_us]
    has_handled = handled < cutoff_us
    # A reopened case whose second answer is still pending shows its first handling time.
    handled_shown = np.where(has_handled, handled, handled1)
    has_handled_shown = has_handled | (reopen & (handled1 < cutoff_us))
    has_closed = closed < cutoff_us
    status = np.select(
        [has_closed, (accepted < cutoff_us) | reopen, reached[2], reached[1]], [4, 3, 2, 1], default=0)

    # Ratings: most are satisfied; late, reopened and badly run cases less so; some never rate.
    late = closed > due
    score = rng.normal(1.5 + 0.35 * quality - 0.8 * late - 1.5 * reopen, 1.0, size=n)
    satisfaction = np.where(score > 0.3, 3, np.where(score > -0.5, 2, 1))
    rated = has_closed & (rng.random(n) < 0.92)

    last = np.select([has_closed, has_handled_shown & ~reopen, reopen, status >= 3, reached[2], reached[1]],
                     [closed, handled_shown, np.maximum(closed1, handled_shown), accepted, dispatched, relayed],
                     default=received)
    lag = _lognormal_h(rng, np.where(rated, 6.0, 0.05), 1.0, n)
    updated = np.maximum(np.minimum(last + lag, cutoff_us - 1_000_000), last)  # before the cut-off

    # Where: a point of the street (plus ~150 m of jitter) kept inside the county's bbox;
    # hotline calls and letters often come without a location.
    pick = rng.integers(0, POINTS_PER_STREET, size=n)
    pts = m.points[street, pick] + rng.normal(0.0, 0.0015, size=(n, 2))
    bb = m.bbox[street]
    lon = np.clip(pts[:, 0], bb[:, 0], bb[:, 2])
    lat = np.clip(pts[:, 1], bb[:, 1], bb[:, 3])
    no_loc = rng.random(n) < np.where((channel == 1) | (channel == 4), 0.25, 0.03)

    dept = m.dept_lookup[m.street_city[street], cat, (level == 3).astype(np.int64)]
    ids = pc.binary_join_element_wise(
        "RQ", pc.utf8_lpad(pc.cast(pa.array(np.arange(seq0, seq0 + n)), pa.string()), width=9, padding="0"), "")
    return pa.Table.from_arrays([
        ids,
        pa.array(CHANNELS, type=pa.string()).take(pa.array(channel)),
        pa.array(CAT_NAMES, type=pa.string()).take(pa.array(cat)),
        m.street_codes.take(pa.array(street)),
        pa.array(lon, mask=no_loc), pa.array(lat, mask=no_loc),
        _ts(received), _ts(relayed, reached[1]), _ts(dispatched, reached[2]),
        _ts(handled_shown, has_handled_shown), _ts(closed, has_closed), _ts(due),
        m.dept_codes.take(pa.array(np.where(reached[2], dept, -1), mask=~reached[2])),
        pa.array(LEVELS, type=pa.string()).take(pa.array(level)),
        pa.array(STATUSES, type=pa.string()).take(pa.array(status)),
        pa.array(satisfaction.astype(np.int64), mask=~rated),
        pa.array(reopen),
        _ts(updated),
    ], schema=SCHEMA)


def write_requests(path, geo: Geography, requests: int, seed: int, as_of: dt.date) -> int:
    """Write requests.parquet (about `requests` rows; the spikes add a few) and return the
    row count. Peak memory is a few chunks' worth, whatever `requests` is."""
    rng = rng_for(seed, "requests")
    model = _Model(geo, rng_for(seed, "requests.model"))
    cutoff = np.datetime64(as_of, "D") + 1
    first_day = cutoff - DAYS
    days = first_day + np.arange(DAYS)
    shape = _day_shape(days) * rng.lognormal(0.0, 0.05, size=DAYS)
    counts = rng.multinomial(requests, shape / shape.sum())
    cat_p = _category_p(days)
    cutoff_us = int(cutoff.astype("datetime64[us]").astype(np.int64))

    # Greedy chunks of whole days, ~CHUNK_ROWS rows each, in time order.
    chunks, start, acc = [], 0, 0
    for d in range(DAYS):
        acc += counts[d]
        if acc >= CHUNK_ROWS or d == DAYS - 1:
            chunks.append(np.arange(start, d + 1))
            start, acc = d + 1, 0
    written = 0
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for day_ids in chunks:
            table = _chunk_rows(model, rng, day_ids, counts[day_ids], cat_p, first_day, cutoff_us, written + 1)
            writer.write_table(table, row_group_size=250_000)
            written += table.num_rows
    return written
