"""Money totals: the one place the workbench adds up the money of findings.

The contract (v1.1, "Money kinds") says what a finding's ``amount_cny`` is through
its ``amount_kind`` — ``overcharge``, ``benefit``, ``discount`` or ``exposure`` —
and that money of different kinds is never added up. Every total a reader sees
(report summaries, the dashboard and its league table, worklists,
``metrics.json``) comes from here, so it is counted one way:

* **per kind**: each kind has its own total; nothing here sums across kinds;
* **only rules in the total** (:attr:`workbench.contract.Rule.in_total`): the
  amount of a rule that breaks another rule's money down by cause (a
  ``price_disparity`` group's share of the order-level overcharge, a
  ``tier_disparity`` group's withheld benefit) is shown as a breakdown, never
  added to a total;
* **each thing once**: a kind's total takes each ``(amount_kind, entity_type,
  entity_id)`` once, whatever the number of findings on it — an enterprise with
  three registry alerts contributes its exposure once, an order its overcharge
  once. When findings on one thing give different amounts, the largest counts
  (never the sum).

Totals are the sums of the amounts as the findings give them, rounded to cents at
the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.contract import AMOUNT_KINDS, RULES
from workbench.labels import DEFAULT_LANG, MONEY_KIND_LABELS, MONEY_TERMS

__all__ = ["AMOUNT_KINDS", "TOTAL_RULES", "money_by", "money_text", "money_totals", "rule_money"]

#: The rules whose amounts add into their kind's total.
TOTAL_RULES: tuple[str, ...] = tuple(code for code, r in RULES.items() if r.in_total)
_KEY = ("amount_kind", "entity_type", "entity_id")


def _counted(findings: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """The findings that count into totals, one row per ``by`` + thing + kind, with
    its amount (the largest when findings on it disagree).
    """
    return (
        findings.filter(pl.col("rule").is_in(list(TOTAL_RULES)),
                        pl.col("amount_cny").is_not_null())
        .group_by([*by, *_KEY])
        .agg(pl.col("amount_cny").max())
    )


def _cents(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0: never -0.0


def money_totals(findings: pl.DataFrame) -> dict[str, float]:
    """The total money of ``findings`` per kind: every kind of the contract, in contract
    order, rounded to cents (0.0 for a kind with no money).

    Parameters
    ----------
    findings : pl.DataFrame
        Contract findings (at least ``rule``, ``entity_type``, ``entity_id``,
        ``amount_cny`` and ``amount_kind``).

    Returns
    -------
    dict of str to float
        ``{"overcharge": …, "benefit": …, "discount": …, "exposure": …}``.

    Examples
    --------
    An enterprise with two alerts counts its exposure once; a group amount is a
    breakdown of the order-level overcharge and is not added to it:

    >>> f = pl.DataFrame({
    ...     "rule": ["registry_knockout", "annual_report_overdue", "unexplained_premium",
    ...              "price_disparity", "unpublished_promotion"],
    ...     "entity_type": ["enterprise", "enterprise", "order", "group", "order"],
    ...     "entity_id": ["91X", "91X", "O1", "device_os=ios", "O2"],
    ...     "amount_cny": [1000.0, 1000.0, 6.4, 5.0, 3.0],
    ...     "amount_kind": ["exposure", "exposure", "overcharge", "overcharge", "discount"]})
    >>> money_totals(f)
    {'overcharge': 6.4, 'benefit': 0.0, 'discount': 3.0, 'exposure': 1000.0}
    """
    sums = dict(
        _counted(findings).group_by("amount_kind").agg(pl.col("amount_cny").sum()).iter_rows()
    )
    return {k: _cents(sums.get(k) or 0.0) for k in AMOUNT_KINDS}


def money_by(findings: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """The money of ``findings`` per kind for each value of the ``by`` columns.

    Counted as :func:`money_totals` counts, within each ``by`` group (a thing that
    falls in two groups counts once in each).

    Parameters
    ----------
    findings : pl.DataFrame
        Contract findings.
    by : list of str
        Columns of ``findings`` to group by, e.g. ``["subsidiary_id"]`` or
        ``["analysis", "rule"]``.

    Returns
    -------
    pl.DataFrame
        The ``by`` columns, then one Float64 column per kind (contract order, cents),
        one row per ``by`` value present in ``findings`` (0.0 where a group has no
        money of a kind), sorted by ``by``.

    Examples
    --------
    >>> f = pl.DataFrame({
    ...     "subsidiary_id": ["S1", "S1", "S1", "S2"],
    ...     "rule": ["invalid_uscc", "registry_change", "hidden_benefit", "stale_tier"],
    ...     "entity_type": ["enterprise", "enterprise", "grant", "customer"],
    ...     "entity_id": ["91X", "91X", "G1", "C1"],
    ...     "amount_cny": [250.0, 250.0, 12.5, None],
    ...     "amount_kind": ["exposure", "exposure", "benefit", None]})
    >>> money_by(f, ["subsidiary_id"]).rows()
    [('S1', 0.0, 12.5, 0.0, 250.0), ('S2', 0.0, 0.0, 0.0, 0.0)]
    """
    by = list(by)
    if not by:
        raise ValueError("money_by needs at least one column to group by (money_totals: none)")
    groups = findings.select(by).unique()
    sums = (
        _counted(findings, by)
        .group_by([*by, "amount_kind"])
        .agg(pl.col("amount_cny").sum())
    )
    wide = groups.with_columns(pl.lit(0.0).alias(k) for k in AMOUNT_KINDS)
    for kind in AMOUNT_KINDS:
        part = sums.filter(pl.col("amount_kind") == kind).select(
            *by, pl.col("amount_cny").alias(f"_{kind}"))
        wide = (
            wide.join(part, on=by, how="left", nulls_equal=True)
            .with_columns(pl.col(f"_{kind}").fill_null(0.0).round(2).alias(kind))
            .drop(f"_{kind}")
        )
    return wide.select(*by, *AMOUNT_KINDS).sort(by, nulls_last=True)


def rule_money(findings: pl.DataFrame) -> pl.DataFrame:
    """Each rule's findings and its own money, with the kind and whether the money is
    in the kind's total (``in_total`` false: a breakdown, never added to a total).

    A rule's amount counts each thing once (as :func:`money_totals` does); it is
    null when none of the rule's findings carries money (a rule without money, or
    findings without an amount), so that a reader sees "—", not ¥0.

    Parameters
    ----------
    findings : pl.DataFrame
        Contract findings (with ``analysis``).

    Returns
    -------
    pl.DataFrame
        ``analysis``, ``rule``, ``findings``, ``amount_kind`` (null: the rule
        carries no money), ``amount_cny`` (cents; null: no finding has an amount),
        ``in_total``; sorted by analysis and rule.

    Examples
    --------
    >>> f = pl.DataFrame({
    ...     "analysis": ["pricing"] * 3, "rule": ["price_disparity", "unexplained_premium",
    ...     "unexplained_premium"], "entity_type": ["group", "order", "order"],
    ...     "entity_id": ["tenure_band=36m+", "O1", "O2"], "amount_cny": [4.0, 6.4, 0.4],
    ...     "amount_kind": ["overcharge"] * 3})
    >>> rule_money(f).rows()
    [('pricing', 'price_disparity', 1, 'overcharge', 4.0, False), \
('pricing', 'unexplained_premium', 2, 'overcharge', 6.8, True)]
    """
    kinds = {code: r.amount_kind for code, r in RULES.items()}
    in_total = {code: r.in_total for code, r in RULES.items()}
    once = (
        findings.filter(pl.col("amount_cny").is_not_null())
        .group_by("analysis", "rule", *_KEY)
        .agg(pl.col("amount_cny").max())
        .group_by("analysis", "rule")
        .agg(pl.col("amount_cny").sum().round(2))
    )
    return (
        findings.group_by("analysis", "rule")
        .agg(pl.len().cast(pl.Int64).alias("findings"))
        .join(once, on=["analysis", "rule"], how="left")
        .with_columns(
            pl.col("rule").replace_strict(kinds, default=None, return_dtype=pl.String)
            .alias("amount_kind"),
            pl.col("rule").replace_strict(in_total, default=False, return_dtype=pl.Boolean)
            .alias("in_total"),
        )
        .select("analysis", "rule", "findings", "amount_kind", "amount_cny", "in_total")
        .sort("analysis", "rule")
    )


def money_text(amount: float | None, kind: str | None, *, in_total: bool = True,
               lang: str = DEFAULT_LANG, decimals: int = 2) -> str:
    """An amount as a reader sees it: with its kind's label, a breakdown marked as not
    added to totals, and "—" when there is no money (never ¥0 for a rule without money).

    Parameters
    ----------
    amount : float or None
        CNY; ``None`` for no money.
    kind : str or None
        The amount's ``amount_kind``; ``None`` for no money.
    in_total : bool
        False for a breakdown rule's amount.
    lang : str
        ``zh`` (default) or ``en``.
    decimals : int
        Decimals shown (2: cents; 0: whole yuan, e.g. on the dashboard).

    Returns
    -------
    str
        E.g. ``¥1,234.50 多收金额`` or ``—``.

    Examples
    --------
    >>> money_text(1234.5, "overcharge")
    '¥1,234.50 多收金额'
    >>> money_text(500.0, "overcharge", in_total=False, lang="en", decimals=0)
    '¥500 Overcharge (breakdown, not added to totals)'
    >>> money_text(None, None)
    '—'
    """
    terms = MONEY_TERMS[lang]
    if amount is None or kind is None:
        return terms["no_money"]
    text = f"¥{amount:,.{decimals}f} {MONEY_KIND_LABELS[lang][kind]}"
    if not in_total:
        text += f"（{terms['breakdown']}）" if lang == "zh" else f" ({terms['breakdown']})"
    return text
