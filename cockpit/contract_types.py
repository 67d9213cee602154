"""Which physical (parquet/arrow) types a drop may use for each logical type of the contract.

The contract (`cockpit.contract`) declares logical types and the canonical type each is stored
as; this module decides what a drop's file may hold instead (used by the schema check of the
validation) and how to hint at a fix when it holds something else.
"""

from __future__ import annotations

import pyarrow as pa


def _is_string(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_string(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def type_accepts(logical: str, t: pa.DataType) -> bool:
    """Whether a file's physical type `t` is acceptable for a column of logical type `logical`.

    Lenient where no meaning is lost (any integer width, any timestamp unit, date32/date64,
    dictionary/large/view strings, integers and decimals for floats, an all-null column of null
    type);
    strict where a silent conversion could change meaning (a time zone, a float for an int,
    a timestamp for a date).
    """
    if pa.types.is_null(t):
        return logical != "geometry"
    if logical == "string":
        return _is_string(t)
    if logical == "int":
        return pa.types.is_integer(t)
    if logical == "float":
        return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)
    if logical == "bool":
        return pa.types.is_boolean(t)
    if logical == "date":
        return pa.types.is_date(t)
    if logical == "timestamp":
        return pa.types.is_timestamp(t) and t.tz is None
    if logical == "list<string>":
        return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t)) \
            and (_is_string(t.value_type) or pa.types.is_null(t.value_type))
    if logical == "geometry":
        return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)
    raise ValueError(logical)


def type_hint(logical: str, t: pa.DataType) -> str:
    """A short hint on how to fix a type mismatch, for the common pandas/geopandas mistakes."""
    if logical == "timestamp" and pa.types.is_timestamp(t) and t.tz is not None:
        return "timestamps must be local time without zone, e.g. s.dt.tz_convert('Asia/Shanghai').dt.tz_localize(None)"
    if logical == "int" and pa.types.is_floating(t):
        return "pandas turns int columns with nulls into float; use dtype 'Int64'"
    if logical == "date" and pa.types.is_timestamp(t):
        return "dates must be dates, not timestamps; use s.dt.date"
    if logical in ("date", "timestamp") and _is_string(t):
        return "parse the text first, e.g. pd.to_datetime(s)"
    if logical == "geometry":
        return "write regions with geopandas (GeoDataFrame.to_parquet)"
    return ""
