"""Pricing money that adds up: attributable group amounts, the breakdown, refunds.

Kind (contract v1.1, "Money kinds"): everything here is ``overcharge`` — what
customers paid above what published prices, tier discounts and public promotions
explain. The discount given through unannounced promotions (kind ``discount``) is
never mixed in.

**The order-level total.** An order above the tolerance (``is_unexplained``) has
the excess X = (charged − explained) × quantity, rounded to cents: the amount of
its ``unexplained_premium`` finding. The period's overcharge total is Σ X, each
order once (``overcharge_cny``).

**A flagged group's own premium, per sku.** For flagged group g and sku s, the
premium b_gs is the difference of the *medians* of the log premium
log(charged / explained) of its members' orders of s in the period and of
everyone else's orders of s, floored at 0 (one-sided: paying less is no
overcharge). Before taking g's medians, every *other* flagged group's per-sku
premium is removed from its members' log premium (two passes), so an order of a
member of two groups is not read as one group's premium twice. Medians, not
means: a few orders with large one-off mark-ups (refundable, but not the group's
premium) would otherwise move the premium of a sku with a handful of orders. The
whole period is the comparison window: the explained price already takes out
every published time-varying factor (list price, tier discount, promotion), and
the audit's matched cells (same sku, same time, same conditions) are what decides
*whether* the group is discriminated against; here we measure *how much* of the
overcharge its premium caused, on every sku (a sku is not chosen for being
significant, so no winner's curse). A sku with no member or no other order gives
no premium (0).

**Splitting an order's excess (log shares).** An order of a member of the flagged
groups G(o) has joint premium B = Σ_{g∈G(o)} b_gs. The joint attributable part is
J = min(X, charged × q × (1 − e^(−B))) — never more than the order's own excess —
and each group gets J × b_gs / B (the multiplicative premiums split in proportion
to their log points, so the parts add up to J whatever the order of application).
The rest X − J is *unattributed* (one-off mark-ups, errors). Parts are integer
cents: every group's part but the largest is floored, the largest takes the
remainder, so groups + unattributed = X to the cent on every order.

**The group amount** (a ``price_disparity`` finding's ``amount_cny``) is Σ of its
parts over its members' orders of the period. The group amounts of a period add
up to ``attributed_overcharge_cny`` ≤ ``overcharge_cny``; they break the total down
by cause and are never added to it (:func:`overcharge_breakdown`).

**Interval.** ``amount_ci_low`` / ``amount_ci_high`` carry the relative precision
of the group's premium to its amount: amount × (1 − e^(−l)) / (1 − e^(−β)) at the
ends l of the 95 % interval (customer-clustered) of the group's all-sku premium β
(the audit's), capped at what the members' orders' excess allows.

**Refunds** (:func:`refunds`): one row per customer and selling subsidiary over
their orders above the tolerance — ``customer_id``, ``subsidiary_id``, ``orders``,
``excess_cny`` (Σ X: the refund owed, whatever its cause), ``attributed_cny`` (the
part caused by flagged group premiums) and ``groups`` (those groups). No other
personal identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from workbench.attributes import group_label
from workbench.findings import csv_safe
from workbench.pricing._audit import Disparity
from workbench.pricing._estimator import Settings, _set_stats

#: Columns of the refund list (one row per customer and selling subsidiary).
REFUND_COLUMNS = ("customer_id", "subsidiary_id", "orders", "excess_cny", "attributed_cny",
                  "groups")
#: The breakdown row of the overcharge no flagged group explains.
UNATTRIBUTED = "unattributed"
#: How a group amount is obtained (stated in each ``price_disparity`` finding).
AMOUNT_METHOD = (
    "attributable overcharge: per sku, median log(charged/explained) of the group's orders "
    "minus that of every other order of the sku in the period (other flagged groups' premiums "
    "removed first), floored at 0; applied to the group's orders above the tolerance as "
    "charged × q × (1 − e^(−b)), capped at the order's own excess and split with other "
    "flagged groups in proportion to their log premiums"
)
AMOUNT_CI_METHOD = (
    "amount at the ends of the 95 % interval (standard errors clustered by customer) of "
    "the group's all-sku premium β: amount × (1 − e^(−bound)) / (1 − e^(−β)), capped at "
    "the members' excess"
)
_PASSES = 2

_PART_SCHEMA = {"order_id": pl.String, "customer_id": pl.String, "subsidiary_id": pl.String,
                "group": pl.String, "premium": pl.Float64, "cents": pl.Int64}


@dataclass(frozen=True)
class Money:
    """The period's pricing money (kind ``overcharge``), computed once per analysis.

    Attributes
    ----------
    premiums
        :func:`sku_premiums` (per flagged group × sku).
    parts
        :func:`order_parts` (per order × flagged group, integer cents).
    groups
        :func:`group_amounts` (per flagged group).
    """

    premiums: pl.DataFrame
    parts: pl.DataFrame
    groups: pl.DataFrame


def money(units: pl.DataFrame, flagged: pl.DataFrame) -> Money:
    """Per-sku premiums, the orders' parts and the group amounts of the flagged groups.

    Parameters
    ----------
    units
        The period's order units (:func:`workbench.pricing.order_units`).
    flagged
        The audit's flagged groups (:attr:`workbench.pricing.Disparity.flagged`).

    Returns
    -------
    Money
        The three tables.
    """
    members = membership(units, flagged)
    premiums = sku_premiums(units, members)
    parts = order_parts(units, members, premiums)
    return Money(premiums, parts, group_amounts(units, members, parts, flagged))


def membership(units: pl.DataFrame, flagged: pl.DataFrame) -> dict[str, np.ndarray]:
    """Boolean mask over ``units`` per flagged group label (in flagging order).

    Parameters
    ----------
    units
        The period's order units (:func:`workbench.pricing.order_units`).
    flagged
        The audit's flagged groups (columns ``attribute``, ``label``).

    Returns
    -------
    dict of str to numpy.ndarray
        ``{label: mask}``.
    """
    out: dict[str, np.ndarray] = {}
    if not flagged.height:
        return out
    for attribute, label in flagged.select("attribute", "label").unique(maintain_order=True).rows():
        in_group = (group_label(attribute.split("&")) == label).fill_null(False)
        out[label] = units.select(in_group).to_series().to_numpy()
    return out


def _premium_per_order(units: pl.DataFrame, premiums: dict[str, dict[str, float]],
                       label: str) -> np.ndarray:
    table = premiums.get(label) or {}
    if not table:
        return np.zeros(units.height)
    return (units.select(pl.col("sku").replace_strict(table, default=0.0, return_dtype=pl.Float64))
            .to_series().to_numpy())


def sku_premiums(units: pl.DataFrame, members: dict[str, np.ndarray]) -> pl.DataFrame:
    """Per flagged group × sku: the group's own premium (log points, ≥ 0).

    Difference of the medians of the log premium (members' orders of the sku vs every
    other order of it in the period), the other flagged groups' premiums removed from
    their members' orders first (two passes).

    Parameters
    ----------
    units
        The period's order units (``sku``, ``log_premium``).
    members
        :func:`membership`.

    Returns
    -------
    polars.DataFrame
        ``group``, ``sku``, ``orders`` (members'), ``rest_orders``, ``median_group``,
        ``median_rest``, ``premium``.
    """
    schema = {"group": pl.String, "sku": pl.String, "orders": pl.UInt32,
              "rest_orders": pl.UInt32, "median_group": pl.Float64, "median_rest": pl.Float64,
              "premium": pl.Float64}
    if not members or not units.height:
        return pl.DataFrame(schema=schema)
    base = units.select("sku", pl.col("log_premium").alias("r"))
    found: dict[str, dict[str, float]] = {}
    tables: dict[str, pl.DataFrame] = {}
    for _ in range(_PASSES if len(members) > 1 else 1):
        for label, mask in members.items():
            others = np.zeros(units.height)
            for other, omask in members.items():
                if other != label and other in found:
                    others += np.where(omask, _premium_per_order(units, found, other), 0.0)
            t = (
                base.with_columns(pl.col("r") - pl.Series(others), pl.Series("D", mask))
                .drop_nulls("r")
                .group_by("sku", "D")
                .agg(pl.len().alias("n"), pl.col("r").median().alias("m"))
            )
            g = t.filter(pl.col("D")).select("sku", pl.col("n").alias("orders"),
                                             pl.col("m").alias("median_group"))
            r = t.filter(~pl.col("D")).select("sku", pl.col("n").alias("rest_orders"),
                                              pl.col("m").alias("median_rest"))
            tab = (
                g.join(r, on="sku", how="inner")
                .with_columns((pl.col("median_group") - pl.col("median_rest")).clip(0.0)
                              .alias("premium"))
                .sort("sku")
            )
            tables[label] = tab
            found[label] = dict(zip(tab["sku"].to_list(), tab["premium"].to_list(), strict=True))
    return pl.concat(
        [t.select(pl.lit(label).alias("group"), pl.all()) for label, t in tables.items()],
        how="vertical_relaxed",
    ).cast(schema)  # type: ignore[arg-type]


def excess_cents(units: pl.DataFrame) -> pl.Expr:
    """The order's excess over its explained price in integer cents (0 within the
    tolerance): the amount of its ``unexplained_premium`` finding × 100.
    """
    x = ((pl.col("charged_price") - pl.col("explained_price")) * pl.col("quantity")).round(2)
    return (pl.when(pl.col("is_unexplained")).then((x * 100).round(0)).otherwise(0.0)
            .cast(pl.Int64))


def order_parts(units: pl.DataFrame, members: dict[str, np.ndarray],
                premiums: pl.DataFrame) -> pl.DataFrame:
    """Each order's excess split among the flagged groups its customer belongs to.

    One row per (order above the tolerance, flagged group with a positive part):
    ``order_id``, ``customer_id``, ``subsidiary_id``, ``group``, ``premium`` (b_gs),
    ``cents`` (the group's part). Parts of an order add up to at most its excess.

    Parameters
    ----------
    units
        The period's order units.
    members
        :func:`membership`.
    premiums
        :func:`sku_premiums`.

    Returns
    -------
    polars.DataFrame
        The parts (empty when no group is flagged).
    """
    if not members or not units.height:
        return pl.DataFrame(schema=_PART_SCHEMA)
    table = {label: dict(zip(p["sku"].to_list(), p["premium"].to_list(), strict=True))
             for (label,), p in premiums.group_by("group")}
    labels = list(members)
    b = np.column_stack([np.where(members[g], _premium_per_order(units, table, g), 0.0)
                         for g in labels])
    x = units.select(excess_cents(units)).to_series().to_numpy()
    paid = (units["charged_price"] * units["quantity"]).to_numpy()
    total = b.sum(axis=1)
    joint = np.minimum(x, np.round(paid * -np.expm1(-total) * 100)).astype(np.int64)
    joint = np.where((x > 0) & (total > 0), joint, 0)
    rows = np.flatnonzero(joint > 0)
    if rows.size == 0:
        return pl.DataFrame(schema=_PART_SCHEMA)
    b, joint = b[rows], joint[rows]
    share = b / b.sum(axis=1, keepdims=True)
    cents = np.floor(joint[:, None] * share).astype(np.int64)
    largest = np.argmax(b, axis=1)
    cents[np.arange(rows.size), largest] += joint - cents.sum(axis=1)
    ids = units.select("order_id", "customer_id", "subsidiary_id")[rows]
    parts = [
        ids.with_columns(pl.lit(g).alias("group"), pl.Series("premium", b[:, j]),
                         pl.Series("cents", cents[:, j]))
        for j, g in enumerate(labels)
    ]
    return pl.concat(parts).filter(pl.col("cents") > 0).cast(_PART_SCHEMA)  # type: ignore[arg-type]


def group_amounts(units: pl.DataFrame, members: dict[str, np.ndarray], parts: pl.DataFrame,
                  flagged: pl.DataFrame) -> pl.DataFrame:
    """Per flagged group: its attributable overcharge with an interval.

    Columns ``group``, ``orders`` and ``customers`` (its members' orders and customers
    in the period), ``orders_overcharged`` and ``customers_overcharged`` (with a
    positive part), ``members_excess_cny`` (Σ excess of its members' orders above the
    tolerance, from whatever cause), ``amount_cny`` (the attributable overcharge),
    ``amount_ci_low``, ``amount_ci_high``.

    Parameters
    ----------
    units
        The period's order units.
    members
        :func:`membership`.
    parts
        :func:`order_parts`.
    flagged
        The audit's flagged groups (``label``, ``metric``, ``beta``, ``ci_low``, ``ci_high``).

    Returns
    -------
    polars.DataFrame
        One row per flagged group, in flagging order.
    """
    schema = {"group": pl.String, "orders": pl.Int64, "customers": pl.Int64,
              "orders_overcharged": pl.Int64, "customers_overcharged": pl.Int64,
              "members_excess_cny": pl.Float64, "amount_cny": pl.Float64,
              "amount_ci_low": pl.Float64, "amount_ci_high": pl.Float64}
    x = units.select(excess_cents(units)).to_series()
    rows = []
    for label, mask in members.items():
        mine = parts.filter(pl.col("group") == label)
        amount = int(mine["cents"].sum()) / 100
        ceiling = int(x.filter(pl.Series(mask)).sum()) / 100
        est = flagged.filter((pl.col("label") == label) & (pl.col("metric") == "log_premium"))
        if not est.height:
            est = flagged.filter(pl.col("label") == label)
        beta, lo, hi = (float(est[c][0]) for c in ("beta", "ci_low", "ci_high"))
        low = high = None
        if beta > 0 and np.isfinite(lo) and np.isfinite(hi):
            scale = -np.expm1(-beta)
            low = round(min(max(amount * -np.expm1(-max(lo, 0.0)) / scale, 0.0), amount), 2)
            high = round(min(max(amount * -np.expm1(-hi) / scale, amount), ceiling), 2)
        rows.append({
            "group": label,
            "orders": int(mask.sum()),
            "customers": int(units["customer_id"].filter(pl.Series(mask)).n_unique()),
            "orders_overcharged": int(mine["order_id"].n_unique()),
            "customers_overcharged": int(mine["customer_id"].n_unique()),
            "members_excess_cny": round(ceiling, 2),
            "amount_cny": round(amount, 2),
            "amount_ci_low": low,
            "amount_ci_high": high,
        })
    return pl.DataFrame(rows, schema=schema)


def overcharge_breakdown(units: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    """The period's order-level overcharge by cause: one row per flagged group, then
    ``unattributed``; ``amount_cny`` adds up to Σ ``unexplained_premium`` amounts to
    the cent.

    Parameters
    ----------
    units
        The period's order units.
    parts
        :func:`order_parts`.

    Returns
    -------
    polars.DataFrame
        ``cause``, ``orders`` (orders with money of that cause), ``customers``,
        ``amount_cny``, ``share`` (of the total).
    """
    x = units.select("order_id", "customer_id", excess_cents(units).alias("cents"))
    x = x.filter(pl.col("cents") > 0)
    total = int(x["cents"].sum())
    by_group = (parts.group_by("group", maintain_order=True)
                .agg(pl.col("order_id").n_unique().alias("orders"),
                     pl.col("customer_id").n_unique().alias("customers"),
                     pl.col("cents").sum()))
    left = x.join(parts.group_by("order_id").agg(pl.col("cents").sum().alias("_g")),
                  on="order_id", how="left").with_columns(
        (pl.col("cents") - pl.col("_g").fill_null(0)).alias("cents")).filter(pl.col("cents") > 0)
    rest = pl.DataFrame({"group": [UNATTRIBUTED], "orders": [left.height],
                         "customers": [left["customer_id"].n_unique()],
                         "cents": [int(left["cents"].sum())]})
    out = pl.concat([by_group.cast({"orders": pl.Int64, "customers": pl.Int64}),
                     rest.cast({"orders": pl.Int64, "customers": pl.Int64})])
    return out.select(
        pl.col("group").alias("cause"), "orders", "customers",
        (pl.col("cents") / 100).alias("amount_cny"),
        (pl.col("cents") / total if total else pl.lit(0.0)).round(4).alias("share"),
    )


def refunds(units: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    """Customers owed a refund, per selling subsidiary (columns :data:`REFUND_COLUMNS`).

    Parameters
    ----------
    units
        The period's order units.
    parts
        :func:`order_parts`.

    Returns
    -------
    polars.DataFrame
        One row per customer and subsidiary with an order above the tolerance,
        largest refund first within a subsidiary.
    """
    x = units.select("order_id", "customer_id", "subsidiary_id", excess_cents(units).alias("c"))
    x = x.filter(pl.col("c") > 0)
    g = parts.group_by("customer_id", "subsidiary_id").agg(
        pl.col("cents").sum().alias("g"), pl.col("group").unique().sort().str.join("; ")
        .alias("groups"))
    return (
        x.group_by("customer_id", "subsidiary_id")
        .agg(pl.len().cast(pl.Int64).alias("orders"), pl.col("c").sum())
        .join(g, on=["customer_id", "subsidiary_id"], how="left")
        .with_columns((pl.col("c") / 100).alias("excess_cny"),
                      (pl.col("g").fill_null(0) / 100).alias("attributed_cny"),
                      pl.col("groups").fill_null(""))
        .sort("subsidiary_id", "excess_cny", "customer_id", descending=[False, True, False])
        .select(REFUND_COLUMNS)
    )


def write_refund_lists(refund_table: pl.DataFrame, directory: str | Path) -> list[Path]:
    """Write one ``refunds_<subsidiary_id>.csv`` per subsidiary; returns the paths.

    Parameters
    ----------
    refund_table
        :func:`refunds`.
    directory
        Where to write (created when missing).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for (sub,), part in refund_table.group_by("subsidiary_id", maintain_order=True):
        path = out / f"refunds_{sub}.csv"
        csv_safe(part.select(REFUND_COLUMNS)).write_csv(path)
        paths.append(path)
    return paths


def overcharge_by_subsidiary(units: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    """Per selling subsidiary: orders, orders above tolerance, their overcharge, the part
    attributed to flagged groups and the rest, customers owed a refund.

    Parameters
    ----------
    units
        The period's order units.
    parts
        :func:`order_parts`.

    Returns
    -------
    polars.DataFrame
        ``subsidiary_id``, ``orders``, ``orders_above_tolerance``, ``overcharge_cny``,
        ``attributed_cny``, ``unattributed_cny``, ``refund_customers``.
    """
    g = parts.group_by("subsidiary_id").agg(pl.col("cents").sum().alias("_g"))
    return (
        units.with_columns(excess_cents(units).alias("_c"))
        .group_by("subsidiary_id")
        .agg(
            pl.len().alias("orders"),
            pl.col("is_unexplained").sum().alias("orders_above_tolerance"),
            pl.col("_c").sum(),
            pl.col("customer_id").filter(pl.col("_c") > 0).n_unique().alias("refund_customers"),
        )
        .join(g, on="subsidiary_id", how="left")
        .with_columns(pl.col("_g").fill_null(0))
        .select(
            "subsidiary_id", "orders", "orders_above_tolerance",
            (pl.col("_c") / 100).alias("overcharge_cny"),
            (pl.col("_g") / 100).alias("attributed_cny"),
            ((pl.col("_c") - pl.col("_g")) / 100).alias("unattributed_cny"),
            "refund_customers",
        )
        .sort("subsidiary_id")
    )


def orders_summary(units: pl.DataFrame) -> pl.DataFrame:
    """One row: orders of the period, above tolerance and their overcharge (kind
    overcharge), with unannounced promotions and their discount (kind discount).
    """
    return units.select(
        pl.len().alias("orders"),
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("is_unexplained").sum().alias("orders_above_tolerance"),
        (excess_cents(units).sum() / 100).alias("overcharge_cny"),
        pl.col("is_unpublished_promo").sum().alias("orders_unpublished_promo"),
        # each order's discount to the cent, as its finding states it: one total
        pl.col("hidden_discount_cny").round(2).sum().round(2).alias("hidden_discount_cny"),
        pl.col("log_premium").mean().alias("mean_log_premium"),
    )


def mitigation(disparity: Disparity, settings: Settings) -> pl.DataFrame:
    """β of every flagged group before and after removing the flagged premiums.

    A view of the estimates only: the money a group's premium caused is its
    attributable amount (:func:`group_amounts`), stated once.
    """
    flagged = disparity.flagged
    schema = {"group": pl.String, "metric": pl.String, "beta_before": pl.Float64,
              "beta_after": pl.Float64, "mean_premium_before": pl.Float64,
              "mean_premium_after": pl.Float64}
    if flagged.height == 0:
        return pl.DataFrame(schema=schema)
    units = disparity.adjusted_units
    rows = []
    for row in flagged.iter_rows(named=True):
        attrs = tuple(row["attribute"].split("&"))
        metric = row["metric"]
        st = _set_stats(units, attrs, metric, settings)
        g = st.groups.filter(pl.col("label") == row["label"])
        after = float(g["a"][0] / g["b"][0]) if g.height and g["b"][0] > 0 else float("nan")
        m = units.filter((group_label(attrs) == row["label"]).fill_null(False))
        adj = m[f"adj_{metric}"]
        rows.append(
            {
                "group": row["label"],
                "metric": metric,
                "beta_before": float(disparity.groups.filter(
                    (pl.col("label") == row["label"]) & (pl.col("metric") == metric))["beta"][0]),
                "beta_after": after,
                "mean_premium_before": float(m[metric].mean() or 0.0),
                "mean_premium_after": float((m[metric] - adj).mean() or 0.0),
            }
        )
    return pl.DataFrame(rows, schema=schema)
