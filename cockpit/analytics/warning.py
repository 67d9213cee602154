"""Early warning (需求预警): a street × category whose weekly volume jumps far above its own
recent baseline, and the monthly volume trend with growth against the same period last year.

Method (docs/methods.md, "Early warning"):

* weeks are 7-day blocks counted back from the snapshot's ``as_of`` day — week 0 is
  ``as_of − 6 … as_of`` (the data runs to the end of the as_of day, so it is complete), week 1
  the 7 days before, and so on; no calendar weekday is involved, so every engine agrees;
* for a week *k* the baseline is the :data:`BASELINE_WEEKS` (8) weeks before it (*k*+1 … *k*+8),
  weeks without requests counting as 0;
* robust z = (x − median) ÷ spread, spread = max(1.4826 × MAD, √max(median, 1)), where MAD is
  the median of |baseline week − median|. The floor keeps a flat baseline (MAD 0) from turning
  every small wobble into an alarm: counts of independent events wobble by about √(mean);
* a week is flagged when x ≥ :data:`MIN_VOLUME` (10) and z ≥ :data:`Z_THRESHOLD` (3.5);
* the list holds the pairs flagged in week 0; ``weeks_flagged`` is how many consecutive weeks up
  to week 0 are flagged (each against its own baseline; looked at up to :data:`LOOKBACK_WEEKS`),
  and ``since`` the first day of the first of them.

Monthly growth compares each month with the same month a year before over the same days: for the
current, partial month only the days up to as_of's day of the month on both sides.

The method's constants are written into the SQL as literals (they are the documented method, not
viewers' choices); the Python constants mirror them and a test keeps them equal. SQL parameters:
``$as_of`` (date), ``$region`` (NULL = all); the growth query also ``$f_category`` (NULL = all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cockpit.analytics import run

BASELINE_WEEKS = 8
LOOKBACK_WEEKS = 8
Z_THRESHOLD = 3.5
MIN_VOLUME = 10
MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation of normal data

# Day counts: from the rollup (cheap) or straight from the raw rows (same numbers).
_DAILY_SOURCES = {
    "requests_daily": "select day, street_code, category, received as n from requests_daily",
    "requests": "select cast(received_at as date) as day, street_code, category, 1 as n from requests",
}
SOURCES = tuple(_DAILY_SOURCES)

_SCOPE = """(cast($region as varchar) is null
           or street_code = cast($region as varchar)
           or street_code in (select region_code from region_tree
                              where ancestor_code = cast($region as varchar)))"""

# Weeks 0 … LOOKBACK + BASELINE − 1 as a VALUES list: portable, and a fixed part of the method.
_WEEKS = ", ".join(f"({k})" for k in range(LOOKBACK_WEEKS + BASELINE_WEEKS))

_WARNINGS_TEMPLATE = """
with src as ({SOURCE}),
counts as (
    -- week 0 = as_of − 6 … as_of, week 1 the seven days before, ... (day arithmetic in seconds)
    select street_code, category,
           cast(floor((epoch(cast($as_of as timestamp)) - epoch(cast(day as timestamp)))
                      / 604800.0) as integer) as week,
           sum(n) as x
    from src
    where day <= cast($as_of as date)
      and day > cast(cast($as_of as date) - interval '112 days' as date)   -- 16 weeks
      and {SCOPE}
    group by 1, 2, 3
),
pairs as (
    -- only pairs busy enough this week can be flagged now
    select street_code, category from counts where week = 0 and x >= 10
),
weeks as (select * from (values {WEEKS}) as w(week)),
grid as (
    select p.street_code, p.category, w.week, coalesce(c.x, 0) as x
    from pairs p
    cross join weeks w
    left join counts c on c.street_code = p.street_code and c.category = p.category
                      and c.week = w.week
),
base as (
    -- for each looked-at week k (0 … 7) its baseline weeks k+1 … k+8
    select g.street_code, g.category, g.week as k, b.x
    from grid g
    join grid b on b.street_code = g.street_code and b.category = g.category
               and b.week between g.week + 1 and g.week + 8
    where g.week < 8
),
med as (
    select street_code, category, k, median(x) as med, count(*) as n_weeks
    from base group by 1, 2, 3
),
mad as (
    select b.street_code, b.category, b.k, median(abs(b.x - m.med)) as mad
    from base b
    join med m on m.street_code = b.street_code and m.category = b.category and m.k = b.k
    group by 1, 2, 3
),
scored as (
    select g.street_code, g.category, g.week, g.x, m.med, d.mad,
           greatest(1.4826 * d.mad, sqrt(greatest(m.med, 1))) as spread,
           (g.x - m.med) / greatest(1.4826 * d.mad, sqrt(greatest(m.med, 1))) as z
    from grid g
    join med m on m.street_code = g.street_code and m.category = g.category and m.k = g.week
    join mad d on d.street_code = g.street_code and d.category = g.category and d.k = g.week
),
flagged as (
    select *, x >= 10 and z >= 3.5 as flag from scored
),
runs as (
    -- consecutive flagged weeks ending with week 0: the first unflagged week, or all 8
    select street_code, category,
           coalesce(min(case when not flag then week end), 8) as weeks_flagged
    from flagged group by 1, 2
)
select f.street_code, g.name as street_name, g.parent_code, f.category,
       cast(cast($as_of as date) - interval '6 days' as date) as week_start,
       cast($as_of as date) as week_end,
       f.x as volume, f.med as baseline_median, f.mad as baseline_mad, f.spread,
       1.0 * f.x / nullif(f.med, 0) as ratio, f.z, r.weeks_flagged,
       cast(cast($as_of as date) - (7 * r.weeks_flagged - 1) * interval '1 day' as date) as since
from flagged f
join runs r on r.street_code = f.street_code and r.category = f.category
left join regions g on g.region_code = f.street_code
where f.week = 0 and f.flag
order by f.z desc, f.street_code, f.category
"""


def early_warnings_sql(source: str = "requests_daily") -> str:
    """SQL of :func:`early_warnings` over ``source`` (``requests_daily`` or raw ``requests``).

    Binds $as_of and $region.
    """
    if source not in _DAILY_SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return (_WARNINGS_TEMPLATE.replace("{SOURCE}", _DAILY_SOURCES[source])
            .replace("{SCOPE}", _SCOPE).replace("{WEEKS}", _WEEKS))


_GROWTH_TEMPLATE = """
with src as ({SOURCE}),
d as (
    select day, n from src
    where day <= cast($as_of as date)
      and (cast($f_category as varchar) is null or category = cast($f_category as varchar))
      and {SCOPE}
),
monthly as (
    select cast(date_trunc('month', day) as date) as month, sum(n) as volume
    from d group by 1
),
last_year as (
    -- the same days a year earlier: up to as_of − 1 year, credited to the month a year later
    select cast(date_trunc('month', day) + interval '1 year' as date) as month, sum(n) as volume_ly
    from d
    where day <= cast(cast($as_of as date) - interval '1 year' as date)
    group by 1
)
select m.month, m.volume, l.volume_ly,
       1.0 * (m.volume - l.volume_ly) / nullif(l.volume_ly, 0) as yoy_growth,
       cast(m.month + interval '1 month' as date)
           <= cast(cast($as_of as date) + interval '1 day' as date) as complete
from monthly m
left join last_year l on l.month = m.month
order by m.month
"""


def monthly_volume_growth_sql(source: str = "requests_daily") -> str:
    """SQL of :func:`monthly_volume_growth`. Binds $as_of, $region, $f_category."""
    if source not in _DAILY_SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return (_GROWTH_TEMPLATE.replace("{SOURCE}", _DAILY_SOURCES[source])
            .replace("{SCOPE}", _SCOPE))


#: Panel SQL (from the requests_daily rollup): the early-warning list. Binds $as_of, $region.
EARLY_WARNINGS_SQL = early_warnings_sql()
#: Panel SQL (from the rollup): monthly volume and year-on-year growth.
#: Binds $as_of, $region, $f_category.
MONTHLY_GROWTH_SQL = monthly_volume_growth_sql()


def _pick_source(con: Any, source: str | None) -> str:
    if source is not None:
        return source
    found = con.execute("select count(*) from information_schema.tables "
                        "where table_name = 'requests_daily'").fetchone()[0]
    return "requests_daily" if found else "requests"


def early_warnings(con: Any, as_of: dt.date, region: str | None = None,
                   source: str | None = None) -> pd.DataFrame:
    """Street × category pairs whose volume in the week ending ``as_of`` jumps above baseline.

    Columns: street_code, street_name, parent_code, category, week_start, week_end, volume,
    baseline_median, baseline_mad, spread, ratio (volume ÷ median; NULL when the median is 0),
    z, weeks_flagged (consecutive flagged weeks up to this one, at most 8), since (first day of
    the first of them). Highest z first. ``source``: ``requests_daily`` (default when that
    rollup exists) or ``requests``.
    """
    sql = early_warnings_sql(_pick_source(con, source))
    return run(con, sql, {"as_of": as_of, "region": region})


def monthly_volume_growth(con: Any, as_of: dt.date, region: str | None = None,
                          category: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Requests per month (up to as_of) and growth against the same period last year.

    Columns: month (first day), volume, volume_ly (same days a year earlier; NULL when none),
    yoy_growth ((volume − volume_ly) ÷ volume_ly), complete (the month ended by as_of).
    """
    sql = monthly_volume_growth_sql(_pick_source(con, source))
    return run(con, sql, {"as_of": as_of, "region": region, "f_category": category})
