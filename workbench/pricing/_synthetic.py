"""Small synthetic contract frames with known pricing behaviour (tests, doctests, demos).

Prices follow the published factors exactly (rounded to cents, plus a tiny
multiplicative noise and a few random mark-ups), except for what is planted:

* ``ios_premium`` on a third of skus for orders placed from iOS;
* ``tenure_premium`` on ``tenure_skus`` skus for orders placed with ≥ ``tenure_months``
  whole months of tenure at order time (band ``24m+`` → ``24-35m``/``36m+``);
* ``confounded=True`` makes Android users mostly standard-tier and never use
  promotions: they pay more than others *in raw prices*, entirely explained by
  the published tier discount and the public promotion.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

Q3_START = dt.datetime(2026, 7, 1)
Q3_END = dt.datetime(2026, 10, 1)


def synthetic_frames(
    *,
    seed: int = 0,
    customers: int = 1500,
    orders: int = 30_000,
    skus: int = 40,
    ios_premium: float = 0.0,
    tenure_premium: float = 0.0,
    tenure_months: int = 24,
    tenure_skus: int = 8,
    confounded: bool = False,
    markup_rate: float = 0.01,
    noise_sd: float = 0.001,
) -> dict[str, pl.LazyFrame]:
    """Contract LazyFrames for 2026-Q3 (plus a few October orders that must be ignored)."""
    rng = np.random.default_rng(seed)
    nc, no, ns = customers, orders, skus
    cid = np.array([f"C{i:05d}" for i in range(nc)], dtype=object)
    months_before = rng.integers(1, 72, nc)
    # Signed up on the 15th, ``months_before`` calendar months before October 2026:
    # whole months to 2026-10-01 00:00 = months_before − 1.
    signup = [dt.date(2026 + (9 - int(m)) // 12, (9 - int(m)) % 12 + 1, 15) for m in months_before]
    gender = rng.choice(["f", "m"], nc)
    birth = rng.integers(1950, 2005, nc)
    province = rng.choice(["11", "31", "44", "33", "51"], nc)
    sub = rng.choice(["0310", "0110"], nc)
    prefers_android = rng.random(nc) < 0.45
    tier_p = rng.random(nc)
    tier = np.where(tier_p < 0.15, "vip",
                    np.where(tier_p < 0.45, "core", "standard")).astype(object)
    if confounded:
        tier = np.where(prefers_android & (rng.random(nc) < 0.9), "standard", tier).astype(object)
    customers_df = pl.DataFrame(
        {
            "customer_id": cid, "subsidiary_id": sub, "customer_type": ["individual"] * nc,
            "uscc": [None] * nc,
            "signup_date": signup, "province": province, "gender": gender, "birth_year": birth,
        },
        schema_overrides={"uscc": pl.String},
    )
    # Tier history: a row at the start of the year; 10 % change tier on 2026-08-15 12:00.
    changes = rng.random(nc) < 0.10
    new_tier = np.where(tier == "standard", "core", "standard").astype(object)
    change_at = dt.datetime(2026, 8, 15, 12, 0)
    assignments = pl.DataFrame(
        {
            "customer_id": np.concatenate([cid, cid[changes]]),
            "tier": np.concatenate([tier, new_tier[changes]]),
            "assigned_at": [dt.datetime(2026, 1, 1)] * nc + [change_at] * int(changes.sum()),
            "method": ["rule"] * (nc + int(changes.sum())),
            "reason": [None] * (nc + int(changes.sum())),
        },
        schema_overrides={"reason": pl.String},
    )
    # Skus and promotions: one public sitewide promo for vip/core, one public per-sku promo,
    # one private.
    skus_arr = np.array(sku_ids(ns), dtype=object)
    price = np.round(rng.lognormal(4.5, 0.8, ns), 0) - 0.01
    pop = rng.dirichlet(np.ones(ns) * 2)
    # Orders.
    oc = rng.integers(0, nc, no)
    osku = rng.choice(ns, no, p=pop)
    secs = rng.integers(0, int((Q3_END - Q3_START).total_seconds()), no)
    ts = np.datetime64(Q3_START) + secs.astype("timedelta64[s]")
    channel = rng.choice(["app", "web", "store", "phone"], no, p=[0.5, 0.3, 0.12, 0.08])
    dev_app = np.where(prefers_android[oc], "android", "ios")
    device = np.where(channel == "app", dev_app,
                      np.where(channel == "web",
                               rng.choice(["windows", "macos", "ios", "android"], no), None))
    qty = rng.integers(1, 4, no)
    held = np.where(changes[oc] & (ts >= np.datetime64(change_at)), new_tier[oc], tier[oc])
    tdisc = np.select([held == "vip", held == "core"], [10.0, 5.0], 0.0)
    in_aug = (ts >= np.datetime64("2026-08-01")) & (ts <= np.datetime64("2026-08-31T23:59:59"))
    promo = np.full(no, None, dtype=object)
    pdisc = np.zeros(no)
    use = rng.random(no) < 0.8
    if confounded:
        use &= ~prefers_android[oc]
    sitewide = in_aug & np.isin(held, ["vip", "core"]) & use
    promo[sitewide], pdisc[sitewide] = "P-ALL", 10.0
    per_sku = (osku == 0) & use & ~sitewide
    promo[per_sku], pdisc[per_sku] = "P-SKU", 20.0
    hidden = (promo == None) & (rng.random(no) < 0.005)  # noqa: E711
    promo[hidden], pdisc[hidden] = "P-HIDDEN", 15.0
    prem = np.exp(rng.normal(0, noise_sd, no))
    ios_skus = ios_sku_mask(ns)
    prem *= np.where((device == "ios") & ios_skus[osku], 1 + ios_premium, 1.0)
    t_skus = tenure_sku_mask(ns, tenure_skus)
    # Whole months at order time: signup on the 15th, ``months_before`` months before October.
    order_month = ts.astype("datetime64[M]").astype(int) % 12 + 1
    before_15th = (ts.astype("datetime64[D]") - ts.astype("datetime64[M]")).astype(int) < 14
    tenure_at = months_before[oc] + order_month - 10 - before_15th
    prem *= np.where((tenure_at >= tenure_months) & t_skus[osku], 1 + tenure_premium, 1.0)
    markup = rng.random(no) < markup_rate
    prem *= np.where(markup, 1 + rng.uniform(0.03, 0.25, no), 1.0)
    charged = np.round(price[osku] * (1 - tdisc / 100) * (1 - pdisc / 100) * prem, 2)
    coupon = np.where(rng.random(no) < 0.05, np.minimum(10.0, charged * qty * 0.5).round(2), 0.0)
    orders_df = pl.DataFrame(
        {
            "order_id": [f"O{i:07d}" for i in range(no)], "customer_id": cid[oc],
            "subsidiary_id": sub[oc], "sku": skus_arr[osku],
            "ordered_at": ts.astype("datetime64[us]"), "channel": channel,
            "device_os": device.tolist(), "province": province[oc],
            "quantity": qty.astype(np.int64), "list_price": price[osku], "charged_price": charged,
            "promo_id": promo.tolist(), "coupon_cny": coupon,
        },
        schema_overrides={"device_os": pl.String, "promo_id": pl.String},
    )
    return _frames(customers_df, assignments, _promotions(skus_arr[0]), orders_df)


def _promotions(first_sku: str) -> pl.DataFrame:
    """One public sitewide promo for vip/core, one public promo on ``first_sku``, one private."""
    return pl.DataFrame(
        {
            "promo_id": ["P-ALL", "P-SKU", "P-HIDDEN"],
            "sku": [None, first_sku, None],
            "starts_at": [dt.datetime(2026, 8, 1), dt.datetime(2026, 7, 1),
                          dt.datetime(2026, 7, 1)],
            "ends_at": [dt.datetime(2026, 8, 31, 23, 59, 59), dt.datetime(2026, 9, 30, 23, 59, 59),
                        dt.datetime(2026, 12, 31)],
            "discount_pct": [10.0, 20.0, 15.0],
            "eligible_tiers": ["vip,core", None, None],
            "public": [True, True, False],
        },
        schema_overrides={"sku": pl.String},
    )


def _frames(customers_df: pl.DataFrame, assignments: pl.DataFrame, promos: pl.DataFrame,
            orders_df: pl.DataFrame) -> dict[str, pl.LazyFrame]:
    """The contract frames around the generated ones (plus late orders to ignore)."""
    # October orders (after the period) with an absurd premium: must be ignored.
    late = orders_df.head(50).with_columns(
        ("L" + pl.col("order_id")).alias("order_id"),
        (pl.col("ordered_at") + pl.duration(days=92)).alias("ordered_at"),
        (pl.col("charged_price") * 3).alias("charged_price"),
    ).with_columns(pl.col("ordered_at").clip(upper_bound=dt.datetime(2026, 11, 15)))
    orders_df = pl.concat([orders_df, late])
    frames = {
        "subsidiaries": pl.DataFrame({"subsidiary_id": ["0310", "0110"], "name": ["SH", "BJ"],
                                      "province": ["31", "11"]}),
        "customers": customers_df,
        "tier_policy": pl.DataFrame(
            {"tier": ["vip", "core", "standard"], "rank": [3, 2, 1],
             "min_spend_12m": [20000.0, 5000.0, 0.0], "min_orders_12m": [24, 8, 0],
             "min_tenure_months": [12, 3, 0], "review_cycle_days": [90, 180, 365],
             "published_at": [dt.date(2024, 7, 1)] * 3}
        ),
        "tier_benefits": pl.DataFrame(
            {"tier": ["vip", "core", "core"],
             "benefit_type": ["discount_pct", "discount_pct", "rebate_pct"],
             "value": [10.0, 5.0, 2.0], "published": [True, True, False]}
        ),
        "tier_assignments": assignments,
        "promotions": promos,
        "orders": orders_df,
    }
    return {k: v.lazy() for k, v in frames.items()}


def ios_sku_mask(skus: int) -> np.ndarray:
    """Which skus carry the iOS premium (every third, starting at index 1)."""
    return np.arange(skus) % 3 == 1


def tenure_sku_mask(skus: int, count: int) -> np.ndarray:
    """Which skus carry the tenure premium: the first ``count`` skus not carrying the iOS one."""
    mask = np.zeros(skus, dtype=bool)
    mask[np.flatnonzero(~ios_sku_mask(skus))[:count]] = True
    return mask


def sku_ids(skus: int) -> list[str]:
    return [f"S{i:03d}" for i in range(skus)]
