"""Typing stored columns: text, numbers, timestamps and enum labels to contract dtypes.

Everything is a polars expression, so typing streams with the scan. A value that
does not fit its column becomes null; the checks count those (the stored value
was present, the typed one is not), so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from workbench.contract import TIMEZONE, Column, Table, enum_label_map

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_HEAD_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}"
_DATETIME_REST_RE = r"^(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$"
_OFFSET_RE = r"(Z|[+-]\d{2}:?\d{2})$"
_RAW = "__raw__"  # prefix of the stored columns while a table is being checked


def _naive_shanghai(x: pl.Expr) -> pl.Expr:
    return x.dt.convert_time_zone(TIMEZONE).dt.replace_time_zone(None)


def _parse_datetime(x: pl.Expr) -> pl.Expr:
    """ISO 8601 text → naive Asia/Shanghai datetime, null when it is not one.

    The text is cut into ``YYYY-MM-DD[T ]hh:mm:ss`` (parsed with a fixed format,
    polars' fast path) and a rest holding optional fractional seconds and zone
    offset, so that 10M timestamps parse in about a second instead of ten with a
    ``%.f%z`` format.
    """
    base, rest = x.str.slice(0, 19), x.str.slice(19)
    wellformed = x.str.contains(_DATETIME_HEAD_RE) & rest.str.contains(_DATETIME_REST_RE)
    stamp = base.str.replace("T", " ", literal=True).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"
    )
    frac = rest.str.extract(r"^\.(\d{1,9})", 1).str.pad_end(6, "0").str.slice(0, 6)
    stamp = stamp + pl.duration(microseconds=frac.cast(pl.Int64, strict=False).fill_null(0))
    offset = rest.str.extract(_OFFSET_RE, 1)
    minutes = (
        offset.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
        + offset.str.slice(-2).cast(pl.Int64, strict=False)
    ) * pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    utc = (stamp - pl.duration(minutes=minutes.fill_null(0))).dt.replace_time_zone("UTC")
    local = pl.when(offset.is_null()).then(stamp).otherwise(_naive_shanghai(utc))
    return pl.when(wellformed).then(local)


def _lookup(x: pl.Expr, mapping: Mapping[object, object], dtype: pl.DataType) -> pl.Expr:
    """``mapping[x]``, null for anything not in it.

    A ``when``/``then`` chain rather than ``replace_strict``: the mappings are a
    handful of enum labels, and ``replace``/``replace_strict`` are not streaming
    operations in polars (the engine falls back to memory for the whole query,
    which made validating 100M partitioned orders need more than 12 GB).
    """
    out = pl.when(pl.lit(False)).then(pl.lit(None, dtype))
    for key, value in mapping.items():
        out = out.when(x == pl.lit(key)).then(pl.lit(value, dtype))
    return out.otherwise(pl.lit(None, dtype))


def _parse_text(col: Column, x: pl.Expr, text_bools: Mapping[str, bool]) -> pl.Expr:
    """Text → contract dtype; anything that does not parse strictly becomes null."""
    kind = col.kind
    if kind in ("str", "enum"):
        return x
    if kind == "int":
        return x.cast(pl.Int64, strict=False)
    if kind == "float":
        f = x.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if kind == "bool":
        return _lookup(x.str.to_lowercase(), text_bools, pl.Boolean)
    if kind == "date":
        return pl.when(x.str.contains(_DATE_RE)).then(x.str.to_date("%Y-%m-%d", strict=False))
    return _parse_datetime(x)


def _typed(
    col: Column, x: pl.Expr, stored: pl.DataType, text_bools: Mapping[str, bool]
) -> tuple[pl.Expr, bool]:
    """Cast one stored column to its contract dtype.

    Returns the expression and whether the stored type can hold the kind at all.
    Values that do not fit become null; the caller counts them as wrong-typed (the
    stored value was present, the typed one is not), so nothing is dropped silently.
    """
    kind, target = col.kind, col.dtype
    if isinstance(stored, pl.Null):
        return x.cast(target), True
    if isinstance(stored, (pl.Categorical, pl.Enum)):
        x, stored = x.cast(pl.String), pl.String()
    if stored == pl.String:
        if kind not in ("str", "enum"):
            x = pl.when(x != "").then(x)  # empty text is null, as in CSV
        out = _parse_text(col, x, text_bools)
    elif kind in ("int", "float") and (stored.is_numeric() or isinstance(stored, pl.Decimal)):
        f = x.cast(pl.Float64, strict=False)
        if kind == "float":
            out = pl.when(f.is_finite()).then(f)
        elif stored.is_integer():
            out = x.cast(pl.Int64, strict=False)
        else:  # pandas writes nullable ints as floats: accept integral values only
            out = pl.when(f.is_finite() & (f == f.floor())).then(f.cast(pl.Int64, strict=False))
    elif kind == "bool" and stored == pl.Boolean:
        out = x
    elif kind == "bool" and stored.is_integer():
        out = _lookup(x, {0: False, 1: True}, pl.Boolean)
    elif kind in ("date", "datetime") and isinstance(stored, pl.Datetime):
        naive = _naive_shanghai(x) if stored.time_zone else x
        if kind == "datetime":
            out = naive
        else:  # a date stored as a timestamp is fine at midnight only
            out = pl.when(naive.dt.time() == pl.lit(dt.time(0))).then(naive.dt.date())
    elif kind == "date" and stored == pl.Date:
        out = x
    else:
        return pl.lit(None, dtype=target), False
    if kind == "enum":
        assert col.enum is not None
        out = _lookup(out, enum_label_map(col.enum), pl.String)
    return out.cast(target), True


def _typed_columns(
    table: Table, schema: Mapping[str, pl.DataType], text_bools: Mapping[str, bool], prefix: str
) -> list[pl.Expr]:
    """Every contract column, typed from stored column ``prefix + name`` (or its default)."""
    out = []
    for c in table.columns:
        if c.name in schema:
            expr, _ = _typed(c, pl.col(prefix + c.name), schema[c.name], text_bools)
        else:
            expr = pl.lit(c.default, dtype=c.dtype)
        out.append(expr.alias(c.name))
    return out


def _present(col: Column, x: pl.Expr, stored: pl.DataType) -> pl.Expr:
    """Whether the stored value counts as given (empty text is null, as in CSV)."""
    if isinstance(stored, (pl.String, pl.Categorical, pl.Enum)) and col.kind not in ("str", "enum"):
        return x.is_not_null() & (x.cast(pl.String) != "")
    return x.is_not_null()


def _key_part(typed: pl.Expr, kind: str, raw: pl.Expr | None = None) -> pl.Expr:
    """One key column as text, for naming rows in messages."""
    if kind == "datetime":
        text = typed.dt.to_string("%Y-%m-%d %H:%M:%S")
    elif kind == "date":
        text = typed.dt.to_string("%Y-%m-%d")
    else:
        text = typed.cast(pl.String)
    if raw is not None:  # a key that did not parse is shown as stored
        text = pl.coalesce(text, raw.cast(pl.String))
    return text.fill_null("null")


def _key_expr(table: Table, with_raw: bool) -> pl.Expr:
    """``__key``: a row's key columns joined by ``|`` (its row number if it has none)."""
    parts = [
        _key_part(pl.col(k), table.column(k).kind, pl.col(_RAW + k) if with_raw else None)
        for k in table.key_columns
    ]
    if not parts:
        return pl.int_range(1, pl.len() + 1).cast(pl.String).alias("__key")
    return pl.concat_str(parts, separator="|").alias("__key")
