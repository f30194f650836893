"""Findings: the one output shape every analysis speaks (contract "findings" table).

An analysis builds a polars frame with the columns ``rule``, ``severity``,
``entity_type``, ``entity_id`` and optionally ``subsidiary_id``, ``amount_cny``,
``amount_kind`` and ``detail`` (a struct or a dict column, or a JSON string), then
calls :func:`make_findings`. It fills ``analysis``, computes the stable
``finding_id``, fills ``amount_kind`` from the rule (contract v1.1: null exactly
when ``amount_cny`` is null), adds each rule's legal basis to the evidence, checks
every value against the contract, and returns the frame in contract column order.
Totals of the money are computed in one place, :mod:`workbench.money`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from workbench.contract import AMOUNT_KINDS, ENUMS, FINDINGS_SCHEMA, RULES

FINDINGS_FILE = "findings.parquet"


def finding_id(analysis: str, rule: str, entity_type: str, entity_id: str, period: str) -> str:
    """First 16 hex characters of SHA-256 over ``analysis|rule|entity_type|entity_id|period``.

    >>> finding_id("pricing", "price_disparity", "group", "device_os=ios", "2026-Q3")
    '1055f99383c01914'
    """
    key = "|".join((analysis, rule, entity_type, entity_id, period))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def empty_findings() -> pl.DataFrame:
    """A findings frame with no rows and the contract schema."""
    return pl.DataFrame(schema=FINDINGS_SCHEMA)


def _detail_json(value: Any, legal_basis: str) -> str:
    if value is None:
        evidence: dict[str, Any] = {}
    elif isinstance(value, str):
        evidence = json.loads(value) if value.strip() else {}
    elif isinstance(value, Mapping):
        evidence = dict(value)
    else:
        raise TypeError(f"finding detail must be a dict or JSON string, not {type(value).__name__}")
    evidence.setdefault("legal_basis", legal_basis)
    return json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str)


def _money_problems(df: pl.DataFrame) -> list[str]:
    """What breaks the money rules of the contract in ``df`` (``rule``, ``amount_cny``,
    ``amount_kind``): each problem with its count and a few example rules.
    """
    kinds = {code: r.amount_kind for code, r in RULES.items()}
    expected = pl.col("rule").replace_strict(kinds, default=None, return_dtype=pl.String)
    amount, kind = pl.col("amount_cny"), pl.col("amount_kind")
    checks = (
        (amount.is_not_null() & (amount.is_nan() | (amount < 0)),
         "an amount_cny that is negative or NaN (money at stake is never negative)"),
        (kind.is_not_null() & ~kind.is_in(list(AMOUNT_KINDS)),
         f"an amount_kind that is not one of {list(AMOUNT_KINDS)}"),
        (kind.is_not_null() & amount.is_null(), "an amount_kind without an amount_cny"),
        (amount.is_not_null() & kind.is_null(),
         "an amount_cny without an amount_kind (the rule carries no money)"),
        (kind.is_not_null() & expected.is_not_null() & (kind != expected),
         "an amount_kind that is not the rule's"),
    )
    out = []
    for expr, what in checks:
        bad = df.filter(expr)
        if bad.height:
            pairs = bad.select("rule", "amount_kind").unique().sort("rule").head(5).rows()
            out.append(f"{bad.height} rows have {what}, e.g. (rule, amount_kind) {pairs}")
    return out


def _with_amount_kind(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with ``amount_kind`` filled from the rule where ``amount_cny`` is not null
    (a builder's own ``amount_kind`` kept, to be checked against the rule's).
    """
    kinds = {code: r.amount_kind for code, r in RULES.items()}
    rule_kind = pl.col("rule").replace_strict(kinds, default=None, return_dtype=pl.String)
    given = (pl.col("amount_kind").cast(pl.String) if "amount_kind" in df.columns
             else pl.lit(None, pl.String))
    return df.with_columns(
        pl.col("amount_cny").cast(pl.Float64),
        pl.when(pl.col("amount_cny").is_not_null()).then(pl.coalesce(given, rule_kind))
        .otherwise(given).alias("amount_kind"),
    )


def make_findings(frame: pl.DataFrame, *, analysis: str, period: str) -> pl.DataFrame:
    """Turn an analysis' raw findings into contract findings.

    Raises ``ValueError`` naming the offending column and rows when a rule is not
    one of ``analysis``'s, an enum value is unknown, an entity_id is missing, or the
    money breaks the contract: an amount on a rule that carries no money, an
    ``amount_kind`` that is not the rule's or has no amount, a negative amount.

    ``amount_kind`` is filled from the rule (:attr:`workbench.contract.Rule.amount_kind`)
    wherever ``amount_cny`` is not null:

    >>> raw = pl.DataFrame({"rule": ["hidden_benefit"], "severity": ["low"],
    ...     "entity_type": ["grant"], "entity_id": ["G1"], "amount_cny": [12.5]})
    >>> make_findings(raw, analysis="tiering", period="2026-Q3")["amount_kind"].to_list()
    ['benefit']

    >>> raw = pl.DataFrame({"rule": ["stale_tier"], "severity": ["low"],
    ...     "entity_type": ["customer"], "entity_id": ["C1"], "detail": [{"age_days": 400}]})
    >>> make_findings(raw, analysis="tiering", period="2026-Q3").select("finding_id", "rule").row(0)
    ('7bdf9981dfebefc3', 'stale_tier')
    """
    if frame.height == 0:
        return empty_findings()
    for col in ("rule", "severity", "entity_type", "entity_id"):
        if col not in frame.columns:
            raise ValueError(f"findings from {analysis!r} lack the column {col!r}")
    df = frame
    if "subsidiary_id" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("subsidiary_id"))
    if "amount_cny" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.Float64).alias("amount_cny"))
    if "detail" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("detail"))

    rules = [r for r in RULES.values() if r.analysis == analysis]
    known = {r.code for r in rules}
    bad = df.filter(~pl.col("rule").is_in(sorted(known)))
    if bad.height:
        raise ValueError(
            f"findings from {analysis!r}: {bad.height} rows have a rule that is not one of "
            f"{sorted(known)}, e.g. {bad['rule'].unique().head(5).to_list()}"
        )
    for col, enum in (("severity", "finding_severity"), ("entity_type", "entity_type")):
        bad = df.filter(~pl.col(col).is_in(list(ENUMS[enum])))
        if bad.height:
            raise ValueError(
                f"findings from {analysis!r}: column {col!r} has {bad.height} rows with unknown "
                f"values, e.g. {bad[col].unique().head(5).to_list()}"
            )
    bad = df.filter(pl.col("entity_id").is_null() | (pl.col("entity_id").cast(pl.String) == ""))
    if bad.height:
        raise ValueError(f"findings from {analysis!r}: {bad.height} rows have no entity_id")
    df = _with_amount_kind(df)
    problems = _money_problems(df)
    if problems:
        raise ValueError(f"findings from {analysis!r}: " + "; ".join(problems))

    basis = {r.code: r.legal_basis for r in rules}
    details = [
        _detail_json(d, basis[r])
        for r, d in zip(df["rule"].to_list(), df["detail"].to_list(), strict=True)
    ]
    ids = [
        finding_id(analysis, r, t, str(e), period)
        for r, t, e in zip(
            df["rule"].to_list(),
            df["entity_type"].to_list(),
            df["entity_id"].to_list(),
            strict=True,
        )
    ]
    out = df.with_columns(
        pl.Series("finding_id", ids, pl.String),
        pl.lit(analysis).alias("analysis"),
        pl.Series("detail", details, pl.String),
        pl.col("entity_id").cast(pl.String),
        pl.col("subsidiary_id").cast(pl.String),
        pl.col("amount_cny").cast(pl.Float64),
    ).select(list(FINDINGS_SCHEMA))
    dupes = out.filter(pl.col("finding_id").is_duplicated())
    if dupes.height:
        raise ValueError(
            f"findings from {analysis!r}: {dupes.height} rows share a finding_id (the same rule "
            f"raised twice for one entity), e.g. {dupes['entity_id'].head(5).to_list()}"
        )
    return out.sort("rule", "entity_id")


def validate_findings(df: pl.DataFrame) -> pl.DataFrame:
    """Check a findings frame (e.g. read back from disk) has the contract schema and
    money (each ``amount_kind`` the rule's, null exactly when ``amount_cny`` is);
    return it in contract column order.
    """
    missing = [c for c in FINDINGS_SCHEMA if c not in df.columns]
    if missing:
        raise ValueError(f"findings lack the columns {missing}")
    out = df.select(list(FINDINGS_SCHEMA)).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]
    problems = _money_problems(out)
    if problems:
        raise ValueError("findings break the contract's money rules: " + "; ".join(problems))
    return out


def write_findings(df: pl.DataFrame, path: str | Path) -> Path:
    """Write one analysis' findings (parquet) where the report runner expects them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    validate_findings(df).write_parquet(path)
    return path


def read_findings(path: str | Path) -> pl.DataFrame:
    """Read findings written by :func:`write_findings`, checked against the contract."""
    return validate_findings(pl.read_parquet(path))


#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP
#: "CSV injection"): ``=HYPERLINK("http://…")`` in an id would run in Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every string cell that starts like a formula prefixed with
    ``'`` (the spreadsheet convention for "this is text"), for CSV exports only:
    the parquet files keep the values as they are.

    >>> csv_safe(pl.DataFrame({"id": ["=HYPERLINK(1)", "C1", "-1", None]}))["id"].to_list()
    ["'=HYPERLINK(1)", 'C1', "'-1", None]
    """
    starts = "".join(FORMULA_STARTS)
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(f"^[{re.escape(starts)}]"))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, dtype in frame.schema.items() if dtype == pl.String
    )
