"""The refund sheet of the remediation worklists (split out of
:mod:`workbench.report.worklists`): every customer owed an overcharge, one row per
customer with all their ``unexplained_premium`` orders (each order once), checked
against the pricing analysis's published refund list to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.evidence import customer_ids, group_label
from workbench.labels import MONEY_KIND_LABELS
from workbench.periods import Period
from workbench.report._sheets import parse_detail, suggested_due, write_table
from workbench.report._worklist_words import TEXT
from workbench.severity import Policy

__all__ = ["check_refunds", "refund_rows", "write_refunds"]


def refund_rows(findings: pl.DataFrame, lang: str = "zh", *, period: Period | None = None,
                policy: Policy | None = None) -> pl.DataFrame:
    """Customers owed an overcharge, one row per subsidiary and customer: their
    ``unexplained_premium`` orders (each order once), the overcharge, the part flagged
    groups' premiums explain, those groups in words, the earliest suggested due date.
    Columns are codes (``subsidiary_id``, ``customer_id``, ``orders``, ``order_ids``,
    ``excess_cny``, ``attributed_cny``, ``groups``, ``due``); largest refund first.
    """
    orders = findings.filter(pl.col("rule") == "unexplained_premium").sort("finding_id").unique(
        ["subsidiary_id", "entity_id"], keep="first", maintain_order=True)
    recs = []
    last_day = period and period.last_day
    for sub, oid, sev, amount, detail in orders.select(
            "subsidiary_id", "entity_id", "severity", "amount_cny", "detail").iter_rows():
        d = parse_detail(detail)
        flagged = [g for g in d.get("flagged_groups") or [] if isinstance(g, Mapping)]
        recs.append({
            "subsidiary_id": sub, "customer_id": next(iter(customer_ids("order", oid, d)), None),
            "order_id": oid, "excess": float(amount or 0.0),
            "attributed": sum(float(g.get("attributed_cny") or 0.0) for g in flagged),
            "groups": [str(g["group"]) for g in flagged if g.get("group")],
            "due": None if last_day is None else suggested_due("unexplained_premium", sev, d,
                                                               last_day, policy),
        })
    schema = {"subsidiary_id": pl.String, "customer_id": pl.String, "order_id": pl.String,
              "excess": pl.Float64, "attributed": pl.Float64, "groups": pl.List(pl.String),
              "due": pl.Date}
    per = pl.DataFrame(recs, schema=schema).group_by("subsidiary_id", "customer_id").agg(
        pl.len().cast(pl.Int64).alias("orders"), pl.col("order_id").sort().alias("order_ids"),
        pl.col("excess").sum().round(2).alias("excess_cny"),
        pl.col("attributed").sum().round(2).alias("attributed_cny"),
        pl.col("groups").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        .alias("groups"),
        pl.col("due").min().alias("due"),
    )
    sep, gsep = ("、", "；") if lang == "zh" else (", ", "; ")
    words = [gsep.join(group_label(g, lang) for g in gs) or None for gs in per["groups"]]
    return per.with_columns(
        pl.Series("groups", words, pl.String), pl.col("order_ids").list.join(sep),
    ).sort(["subsidiary_id", "excess_cny", "customer_id"], descending=[False, True, False],
           nulls_last=True)


def check_refunds(findings: pl.DataFrame, refunds: pl.DataFrame) -> None:
    """The pricing analysis's refund list must equal the ``unexplained_premium``
    findings per subsidiary (orders and money, to the cent); a clear error otherwise.
    """
    missing = [c for c in ("subsidiary_id", "orders", "excess_cny") if c not in refunds.columns]
    if missing:
        raise ValueError(f"worklists: table refunds lacks column(s) {', '.join(missing)}")
    ours = (findings.filter((pl.col("rule") == "unexplained_premium")
                            & pl.col("subsidiary_id").is_not_null())
            .unique(["subsidiary_id", "entity_id"])
            .group_by("subsidiary_id").agg(pl.len().cast(pl.Int64).alias("n"),
                                           pl.col("amount_cny").sum().alias("cny")))
    theirs = refunds.group_by("subsidiary_id").agg(pl.col("orders").sum().alias("n_r"),
                                                   pl.col("excess_cny").sum().alias("cny_r"))
    both = ours.join(theirs, on="subsidiary_id", how="full", coalesce=True).fill_null(0)
    bad = both.filter((pl.col("n") != pl.col("n_r"))
                      | ((pl.col("cny") - pl.col("cny_r")).abs() >= 0.01)).sort("subsidiary_id")
    if bad.height:
        rows = "; ".join(f"subsidiary {s}: findings {n} orders ¥{c:,.2f}, refunds {nr} orders "
                         f"¥{cr:,.2f}" for s, n, c, nr, cr in
                         bad.select("subsidiary_id", "n", "cny", "n_r", "cny_r").iter_rows())
        raise ValueError("worklists: the refund list (table refunds) and the "
                         f"unexplained_premium findings disagree ({rows})")


def write_refunds(wb: Any, fmt: Mapping[str, Any], refunds: pl.DataFrame, lang: str) -> None:
    """The refund sheet: one row per customer owed an overcharge, largest first, the
    total (kind ``overcharge``) and a refund status to pick from a list.
    """
    t = TEXT[lang]
    ws = wb.add_worksheet(t["refunds"][:31])
    cols = ["customer_id", "orders", "order_ids", "excess_cny", "attributed_cny", "groups", "due"]
    rows = refunds.select(cols).with_columns(pl.lit(None, pl.String).alias("refund_status"))
    rows = rows.rename({c: t[c] for c in rows.columns})
    ws.merge_range(0, 0, 0, len(rows.columns) - 1, t["refunds_how"], fmt["wrap"])
    ws.set_row(0, 64)
    styles = {t["excess_cny"]: "money", t["attributed_cny"]: "money", t["order_ids"]: "wrap",
              t["groups"]: "wrap", t["due"]: "due", t["refund_status"]: "todo"}
    write_table(ws, 1, rows, fmt, styles)
    if rows.height == 0:
        ws.write(2, 0, t["no_refunds"])
    else:
        last = 2 + rows.height
        ws.write(last, 0, t["total_kind"].format(kind=MONEY_KIND_LABELS[lang]["overcharge"]),
                 fmt["bold"])
        ws.write(last, 1, int(refunds["orders"].sum()), fmt["bold"])
        for c in ("excess_cny", "attributed_cny"):
            ws.write(last, cols.index(c), round(float(refunds[c].sum()), 2), fmt["money"])
        status_j = len(cols)
        ws.data_validation(2, status_j, last - 1, status_j,
                           {"validate": "list", "source": t["refund_statuses"].split(",")})
        ws.autofilter(1, 0, last - 1, status_j)
    for j, width in enumerate((12, 8, 36, 16, 22, 36, 12, 12)):
        ws.set_column(j, j, width)
    ws.freeze_panes(2, 1)
