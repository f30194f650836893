"""The checks of one contract table, declared as polars expressions, most basic first.

Each :class:`_Check` is a boolean flag column (or, for duplicate keys, an aggregate)
and the wording of its message; :mod:`workbench.sources._validate` evaluates them
all in one ``collect`` and words the first that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from workbench.contract import ROW_CHECKS, Table, enum_codes
from workbench.sources._messages import (
    EXPECTED,
    MAX_EXAMPLES,
    MSG_DUPLICATE_KEY,
    MSG_MIN_VALUE,
    MSG_NULL,
    MSG_ROW_CHECK,
    MSG_STORED_TYPE,
    MSG_UNKNOWN_ENUM,
    MSG_WRONG_TYPE,
    _quote,
)
from workbench.sources._parsing import _RAW, _key_part, _present, _typed


@dataclass(frozen=True)
class _Check:
    """One row-level check: a flag column, and how to word it once counted.

    A check with ``resolve`` is cheap to detect but dear to explain (duplicate
    keys: ``n_unique`` vs ``is_duplicated``): its flag is an aggregate that is
    positive when the check may fail, and ``resolve`` counts and names the rows
    in a second query, run only then.
    """

    column: str | None
    flag: pl.Expr
    message: Callable[[list[object]], str]
    values: pl.Expr | None = None  # offending values to quote in the message
    resolve: Callable[[pl.LazyFrame], tuple[int, list[str]]] | None = None


def _said(message: str) -> Callable[[list[object]], str]:
    """A message that quotes no values."""
    return lambda _values: message


def _quoting(template: str, **fields: str) -> Callable[[list[object]], str]:
    """A message that quotes the first offending values."""
    return lambda values: template.format(values=_quote(values), **fields)


def _row_checks(table: Table) -> list[_Check]:
    return [
        _Check(column, (~expr).fill_null(False), _said(MSG_ROW_CHECK.format(reason=reason)))
        for name, column, expr, reason in ROW_CHECKS
        if name == table.name
    ]


def _duplicate_check(table: Table, buckets: int = 1) -> _Check:
    """Duplicate primary keys. With ``buckets`` > 1 (a table scanned from files, too
    big for one hash set of its keys) the keys are counted in that many passes, each
    over the keys whose hash falls in one bucket, so memory is 1/``buckets`` of it.
    """
    pk = list(table.primary_key)
    keyed = pl.struct(pk) if len(pk) > 1 else pl.col(pk[0])

    def resolve(work: pl.LazyFrame) -> tuple[int, list[str]]:
        valid = work.select(pk).filter(pl.all_horizontal(pl.col(k).is_not_null() for k in pk))
        parts = [_key_part(pl.col(k), table.column(k).kind) for k in pk]
        total, keys = 0, []
        for b in range(buckets):
            part = valid if buckets == 1 else valid.filter(keyed.hash(seed=0) % buckets == b)
            out = (
                part.group_by(pk)
                .agg(pl.len().alias("__n"))
                .filter(pl.col("__n") > 1)
                .select(
                    pl.col("__n").sum().alias("n"),
                    # sorted, so that the examples do not depend on hash order
                    pl.concat_str(parts, separator="|")
                    .sort()
                    .head(MAX_EXAMPLES)
                    .implode()
                    .alias("k"),
                )
                .collect(engine="streaming")
            )
            n, found = out.row(0)
            total += int(n or 0)
            keys = sorted([*keys, *found])[:MAX_EXAMPLES]
        return total, keys

    msg = MSG_DUPLICATE_KEY.format(columns=", ".join(pk))
    # One pass: a cheap aggregate says whether any key may repeat, and only then are
    # the duplicates named. Bucketed: always look (the aggregate is the expensive part).
    flag = pl.len() - keyed.n_unique() if buckets == 1 else pl.lit(1, pl.UInt32)
    return _Check(pk[0], flag, _said(msg), resolve=resolve)


def _checks(
    table: Table, schema: Mapping[str, pl.DataType], key_buckets: int = 1
) -> list[_Check]:
    """All checks of one table, most basic first: type, null, enum, bound, key, rule."""
    types: list[_Check] = []
    nulls: list[_Check] = []
    enums: list[_Check] = []
    bounds: list[_Check] = []
    for col in table.columns:
        typed = pl.col(col.name)
        if col.name in schema:
            raw, stored = pl.col(_RAW + col.name), schema[col.name]
            present = _present(col, raw, stored)
            _, compatible = _typed(col, raw, stored, {})
            bad = present & typed.is_null()
            expected = EXPECTED[col.kind]
            if not compatible:
                msg = MSG_STORED_TYPE.format(expected=expected, stored=stored)
                types.append(_Check(col.name, bad, _said(msg)))
            elif col.kind == "enum":
                assert col.enum is not None
                codes = ", ".join(enum_codes(col.enum))
                enums.append(
                    _Check(
                        col.name,
                        bad,
                        _quoting(MSG_UNKNOWN_ENUM, codes=codes),
                        raw.cast(pl.String),
                    )
                )
            elif col.kind != "str":  # text always fits a str column
                types.append(
                    _Check(
                        col.name,
                        bad,
                        _quoting(MSG_WRONG_TYPE, expected=expected),
                        raw.cast(pl.String),
                    )
                )
            if not col.nullable:
                nulls.append(_Check(col.name, ~present, _said(MSG_NULL)))
        if col.min_value is not None:
            op = ">" if col.min_exclusive else ">="
            below = typed <= col.min_value if col.min_exclusive else typed < col.min_value
            msg = MSG_MIN_VALUE.format(op=op, bound=f"{col.min_value:g}")
            bounds.append(_Check(col.name, below.fill_null(False), _said(msg)))
    keys = [_duplicate_check(table, key_buckets)] if table.primary_key else []
    return types + nulls + enums + bounds + keys + _row_checks(table)
