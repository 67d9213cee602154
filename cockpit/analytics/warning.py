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
* a week is elevated against a baseline when x ≥ :data:`MIN_VOLUME` (10) and z ≥
  :data:`Z_THRESHOLD` (3.5);
* a run started in week *s* (0 … :data:`LOOKBACK_WEEKS` − 1) when weeks *s*, *s*−1, … 0 are all
  elevated against the baseline of the 8 weeks before *s*. Comparing the whole run with the weeks
  before it keeps a jump that lasts a month from becoming its own baseline and going quiet;
* the list holds every pair with a run, its longest: ``weeks_flagged`` = *s* + 1, ``since`` the
  first day of week *s*, and volume, baseline, ratio and z of week 0 against that baseline.

Monthly growth compares each month with the same month a year before over the same days: for the
current, partial month only the days up to as_of's day of the month on both sides. It is left
empty when the data does not reach back to the first day of last year's month (a partial month
would fake a jump), and months without any request are absent.

The method's constants are written into the SQL as literals (they are the documented method, not
viewers' choices); the Python constants mirror them and a test keeps them equal. SQL parameters:
``$as_of`` (date), ``$region`` (NULL = all); the growth query also ``$f_category`` (NULL = all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
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
           cast(sum(n) as bigint) as x
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
    -- for each candidate start week s (0 … 7) of a run, its baseline weeks s+1 … s+8
    select g.street_code, g.category, g.week as s, b.x
    from grid g
    join grid b on b.street_code = g.street_code and b.category = g.category
               and b.week between g.week + 1 and g.week + 8
    where g.week < 8
),
med as (
    select street_code, category, s, median(x) as med
    from base group by 1, 2, 3
),
stats as (
    select b.street_code, b.category, b.s, m.med, median(abs(b.x - m.med)) as mad,
           greatest(1.4826 * median(abs(b.x - m.med)), sqrt(greatest(m.med, 1))) as spread
    from base b
    join med m on m.street_code = b.street_code and m.category = b.category and m.s = b.s
    group by b.street_code, b.category, b.s, m.med
),
runs as (
    -- a run started in week s when every week s … 0 is elevated against s's baseline
    select st.street_code, st.category, st.s
    from stats st
    join grid g on g.street_code = st.street_code and g.category = st.category and g.week <= st.s
    group by st.street_code, st.category, st.s
    having min(case when g.x >= 10 and (g.x - st.med) / st.spread >= 3.5 then 1 else 0 end) = 1
),
longest as (
    select street_code, category, max(s) as s from runs group by 1, 2
)
select l.street_code, r.name as street_name, r.parent_code, l.category,
       cast(cast($as_of as date) - interval '6 days' as date) as week_start,
       cast($as_of as date) as week_end,
       g.x as volume, st.med as baseline_median, st.mad as baseline_mad, st.spread,
       1.0 * g.x / nullif(st.med, 0) as ratio,
       (g.x - st.med) / st.spread as z,
       l.s + 1 as weeks_flagged,
       cast(cast($as_of as date) - (7 * l.s + 6) * interval '1 day' as date) as since
from longest l
join stats st on st.street_code = l.street_code and st.category = l.category and st.s = l.s
join grid g on g.street_code = l.street_code and g.category = l.category and g.week = 0
left join regions r on r.region_code = l.street_code
order by z desc, l.street_code, l.category
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
    select cast(date_trunc('month', day) as date) as month, cast(sum(n) as bigint) as volume
    from d group by 1
),
last_year as (
    -- the same days a year earlier: up to as_of − 1 year, credited to the month a year later
    select cast(date_trunc('month', day) + interval '1 year' as date) as month, cast(sum(n) as bigint) as volume_ly
    from d
    where day <= cast(cast($as_of as date) - interval '1 year' as date)
    group by 1
),
coverage as (
    -- last year's month counts only when the data reaches back to its first day
    select min(day) as first_day from src
),
compared as (
    select m.month, m.volume,
           case when cast(m.month - interval '1 year' as date) >= c.first_day
                then coalesce(l.volume_ly, 0) end as volume_ly
    from monthly m
    cross join coverage c
    left join last_year l on l.month = m.month
)
select m.month, m.volume, m.volume_ly,
       1.0 * (m.volume - m.volume_ly) / nullif(m.volume_ly, 0) as yoy_growth,
       cast(m.month + interval '1 month' as date)
           <= cast(cast($as_of as date) + interval '1 day' as date) as complete
from compared m
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

    Columns: street_code, street_name, parent_code, category, week_start, week_end (week 0),
    volume (week 0), baseline_median, baseline_mad, spread (of the 8 weeks before the run),
    ratio (volume ÷ median; NULL when the median is 0), z, weeks_flagged (length of the run
    ending in week 0, at most 8), since (first day of the run). Highest z first. ``source``: ``requests_daily`` (default when that
    rollup exists) or ``requests``.
    """
    sql = early_warnings_sql(_pick_source(con, source))
    return run(con, sql, {"as_of": as_of, "region": region})


def monthly_volume_growth(con: Any, as_of: dt.date, region: str | None = None,
                          category: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Requests per month (up to as_of) and growth against the same period last year.

    Columns: month (first day), volume, volume_ly (same days a year earlier; NULL when the
    data does not cover that whole month), yoy_growth ((volume − volume_ly) ÷ volume_ly;
    NULL when volume_ly is NULL or 0), complete (the month ended by as_of).
    """
    sql = monthly_volume_growth_sql(_pick_source(con, source))
    return run(con, sql, {"as_of": as_of, "region": region, "f_category": category})
