"""One month of orders and the benefit grants that go with them.

Orders are drawn per customer (Poisson, at a rate scaled to the target total),
placed on days and hours by their weights, and priced with the tier in force at
order time, the best public promotion, and (planted mode) unpublished promotions
and group premiums. Grants are rebates at month start and benefits tied to orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._tiers import Overrides
from workbench.samples._world import (
    S_PER_DAY,
    World,
    day_weights,
    next_month,
    pframe,
    to_s,
    us,
)

HOUR_W = np.array(
    [2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7, 8, 7, 4], dtype=float
)
HOUR_W /= HOUR_W.sum()
DEVICE_CODES = np.array(["ios", "android", "windows", "macos", "other"], dtype=object)
QTY = np.array([1, 2, 3, 4, 5, 6, 10])
QTY_P = np.array([0.62, 0.22, 0.09, 0.03, 0.02, 0.01, 0.01])
SUB_IDS = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)
SUB_PROV = np.array([s[2] for s in C.SUBSIDIARIES], dtype=object)


@dataclass
class Demand:
    """Expected orders per customer-month, scaled so that the timeline meets the target."""

    weights: list[np.ndarray]  # per month: relative order intensity per day
    month_factor: np.ndarray  # per month: its weight relative to an average month
    stop: np.ndarray  # per customer: month index from which it orders no more
    base: float  # orders per unit of rate and month factor

    def expected(self, world: World, k: int, m0: int, nd: int) -> np.ndarray:
        """Expected orders of each customer in month ``k`` (starting ``m0``, ``nd`` days)."""
        active = (world.signup_s < m0 + nd * S_PER_DAY) & (self.stop > k)
        return world.cust.lam * active * self.base * self.month_factor[k]


def plan_demand(world: World, mlist: list[tuple[int, int]], target_orders: int) -> Demand:
    """Scale every customer's rate so that expected orders over the timeline total the target."""
    cust = world.cust
    weights = [day_weights(y, m) for y, m in mlist]
    month_factor = np.array([w.sum() / 30.4 for w in weights])
    dormant_from = mlist.index((2026, 3))
    stop = np.where(world.plan.dormant, np.minimum(cust.churn, dormant_from), cust.churn)
    month_end_s = np.array([to_s(dt.datetime(*next_month(y, m), 1)) for y, m in mlist])
    total = 0.0
    for k in range(len(mlist)):
        active = (world.signup_s < month_end_s[k]) & (stop > k)
        total += (cust.lam * active).sum() * month_factor[k]
    return Demand(weights, month_factor, stop, target_orders / total)


@dataclass
class MonthOrders:
    """One month's orders as aligned arrays, in time order: what spend and grants need."""

    frame: pl.DataFrame  # the ``orders`` rows
    oc: np.ndarray  # customer position
    ts: np.ndarray  # epoch seconds
    ch: np.ndarray  # channel index
    rank: np.ndarray  # tier rank in force at order time
    net: np.ndarray  # charged × quantity − coupon


def month_orders(
    rng: np.random.Generator,
    world: World,
    demand: Demand,
    k: int,
    m0: int,
    nd: int,
    cur: np.ndarray,
    ov: Overrides,
    order_seq: int,
) -> MonthOrders:
    """Draw and price month ``k``'s orders; ids continue from ``order_seq``."""
    skus = world.skus
    oc, ts = _draw_times(rng, world, demand, k, m0, nd)
    sku, ch, dev, prov, qty = _draw_details(rng, world, oc)
    list_price = np.where(
        ts >= to_s(dt.datetime(2026, 1, 1)), skus.price_2026[sku], skus.price[sku]
    )
    rank = ov.rank_at(oc, ts, cur)
    best_d, best_p = _best_public_promo(world, ts, sku, rank, m0, nd)
    no = len(oc)
    use = (best_p >= 0) & (rng.random(no) < C.PROMO_USE_P)
    promo = np.where(use, best_p, -1)
    pdisc = np.where(use, best_d, 0.0)
    prem = np.ones(no)
    coupon_p: float | np.ndarray = C.COUPON_P
    if not world.clean:
        promo, pdisc, prem = _planted_price_effects(rng, world, oc, ts, sku, dev, promo, pdisc)
    elif world.markup is not None and world.coupon_p is not None:
        prem, coupon_p = world.markup[oc], world.coupon_p[oc]  # customer heterogeneity
    tdisc = np.select([rank == 3, rank == 2], [C.TIER_DISCOUNT[3], C.TIER_DISCOUNT[2]], 0.0)
    charged = np.round(list_price * (1 - tdisc / 100) * (1 - pdisc / 100) * prem, 2)
    coupon = np.where(
        rng.random(no) < coupon_p, rng.choice([5.0, 10.0, 20.0, 50.0, 100.0], size=no), 0.0
    )
    coupon = np.minimum(coupon, np.floor(0.3 * charged * qty * 100) / 100)
    ids = np.char.add("O", np.char.zfill((order_seq + 1 + np.arange(no)).astype(str), 9)).astype(
        object
    )
    cust = world.cust
    frame = pframe(
        {
            "order_id": ids,
            "customer_id": cust.ids[oc],
            "subsidiary_id": SUB_IDS[cust.sub[oc]],
            "sku": skus.ids[sku],
            "ordered_at": us(ts),
            "channel": np.array(C.CHANNELS, dtype=object)[ch],
            "device_os": dev,
            "province": prov,
            "quantity": qty.astype(np.int64),
            "list_price": list_price,
            "charged_price": charged,
            "promo_id": np.where(
                promo >= 0, world.promos.frame["promo_id"].to_numpy()[np.maximum(promo, 0)], None
            ),
            "coupon_cny": coupon,
        }
    ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us")))
    return MonthOrders(frame, oc, ts, ch, rank, charged * qty - coupon)


def _draw_times(
    rng: np.random.Generator, world: World, demand: Demand, k: int, m0: int, nd: int
) -> tuple[np.ndarray, np.ndarray]:
    """Who orders when: customer positions and epoch seconds, sorted by time then customer."""
    n = world.cust.n
    n_c = rng.poisson(demand.expected(world, k, m0, nd))
    oc = np.repeat(np.arange(n, dtype=np.int64), n_c)
    w = demand.weights[k]
    day = rng.choice(nd, size=len(oc), p=w / w.sum())
    hour = rng.choice(24, size=len(oc), p=HOUR_W)
    ts = m0 + day * S_PER_DAY + hour * 3600 + rng.integers(0, 3599, size=len(oc))
    keep = ts >= world.signup_s[oc]
    oc, ts = oc[keep], ts[keep]
    o = np.lexsort((oc, ts))
    return oc[o], ts[o]


def _draw_details(
    rng: np.random.Generator, world: World, oc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What each order is: sku, channel, device, delivery province and quantity."""
    cust, no = world.cust, len(oc)
    sku = rng.choice(len(world.skus.ids), size=no, p=world.skus.popularity)
    ch = np.where(rng.random(no) < 0.7, cust.channel[oc], rng.choice(4, size=no, p=C.CHANNEL_P))
    web_mobile = rng.random(no) < 0.12
    dev = np.where(
        ch == 0,
        cust.mobile_os[oc],
        np.where(ch == 1, np.where(web_mobile, cust.mobile_os[oc], cust.desktop_os[oc]), None),
    )
    uprov = rng.random(no)
    own = np.where(cust.province[oc] == None, SUB_PROV[cust.sub[oc]], cust.province[oc])  # noqa: E711
    prov = np.where(
        uprov < 0.03,
        None,
        np.where(
            uprov < 0.08,
            np.array(C.PROVINCES, dtype=object)[rng.integers(len(C.PROVINCES), size=no)],
            own,
        ),
    )
    qty = rng.choice(QTY, size=no, p=QTY_P) * np.where(
        cust.enterprise[oc], rng.integers(1, 4, size=no), 1
    )
    return sku, ch, dev, prov, qty


def _best_public_promo(
    world: World, ts: np.ndarray, sku: np.ndarray, rank: np.ndarray, m0: int, nd: int
) -> tuple[np.ndarray, np.ndarray]:
    """Best public promotion valid for sku, time and tier (windows inclusive): discount, index."""
    promos = world.promos
    no = len(ts)
    best_d = np.zeros(no)
    best_p = np.full(no, -1)
    overlap = np.flatnonzero(
        promos.public & (promos.start_s < m0 + nd * S_PER_DAY) & (promos.end_s >= m0)
    )
    for p in overlap:
        ok = (ts >= promos.start_s[p]) & (ts <= promos.end_s[p]) & (promos.disc[p] > best_d)
        if promos.sku_idx[p] >= 0:
            ok &= sku == promos.sku_idx[p]
        if promos.tiers[p] is not None:
            ok &= np.isin(rank, list(promos.tiers[p]))
        best_d = np.where(ok, promos.disc[p], best_d)
        best_p = np.where(ok, p, best_p)
    return best_d, best_p


def _planted_price_effects(
    rng: np.random.Generator,
    world: World,
    oc: np.ndarray,
    ts: np.ndarray,
    sku: np.ndarray,
    dev: np.ndarray,
    promo: np.ndarray,
    pdisc: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unpublished promotions, iOS and tenure premiums, and random markups (planted mode)."""
    promos, plan, no = world.promos, world.plan, len(oc)
    hidden_promo = (promo < 0) & (rng.random(no) < C.UNPUBLISHED_PROMO_RATE)
    for p in np.flatnonzero(~promos.public):
        ok = hidden_promo & (ts >= promos.start_s[p]) & (ts <= promos.end_s[p]) & (promo < 0)
        promo = np.where(ok, p, promo)
        pdisc = np.where(ok, promos.disc[p], pdisc)
    tenure_m = _months_between(world.sy[oc], world.sm[oc], world.sd[oc], ts)
    prem = np.ones(no)
    prem *= np.where((dev == "ios") & plan.ios_skus[sku], 1 + C.IOS_PREMIUM, 1.0)
    prem *= np.where(
        (tenure_m >= C.TENURE_PREMIUM_MONTHS) & plan.tenure_skus[sku],
        1 + C.TENURE_PREMIUM,
        1.0,
    )
    rnd = rng.random(no) < C.UNEXPLAINED_PREMIUM_RATE
    prem *= np.where(rnd, rng.uniform(1.03, 1.25, size=no), 1.0)
    return promo, pdisc, prem


def _months_between(sy: np.ndarray, sm: np.ndarray, sd: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whole calendar months from a signup date to each timestamp."""
    d = ts.astype("datetime64[s]").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(int) + 1970
    mo = d.astype("datetime64[M]").astype(int) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(int) + 1
    return (y * 12 + mo) - (sy * 12 + sm) - (day < sd)


# --------------------------------------------------------------------------- grants
def rebate_grants(
    rng: np.random.Generator, world: World, cur: np.ndarray, prev_spend: np.ndarray, m0: int
) -> list[pl.DataFrame]:
    """Month-start rebates on last month's spend (tier held at grant time is ``cur``)."""
    ids = world.cust.ids
    g_at = m0 + 2 * 3600
    vip = np.flatnonzero((cur == 3) & (prev_spend > 0))
    val = np.full(len(vip), 3.0)
    if not world.clean:
        val[rng.random(len(vip)) < C.HIDDEN_OVER_REBATE_RATE] = 5.0
    out = [grant_frame(ids[vip], g_at, "rebate_pct", val, np.round(prev_spend[vip] * val / 100, 2))]
    if not world.clean:
        core = np.flatnonzero((cur == 2) & world.plan.hidden_core_rebate & (prev_spend > 0))
        out.append(
            grant_frame(
                ids[core],
                g_at,
                "rebate_pct",
                np.full(len(core), 2.0),
                np.round(prev_spend[core] * 0.02, 2),
            )
        )
    return out


def order_grants(rng: np.random.Generator, world: World, o: MonthOrders) -> list[pl.DataFrame]:
    """Benefits granted with orders: free shipping, priority service, (planted) vouchers."""
    cust, oc, ts, ch, rank = world.cust, o.oc, o.ts, o.ch, o.rank
    no = len(oc)
    fs = (rank >= 2) & (ch != 2) & (rng.random(no) < C.FREE_SHIPPING_GRANT_P)
    if not world.clean:
        hid_sub = cust.sub[oc] == [s[0] for s in C.SUBSIDIARIES].index(C.HIDDEN_SUBSIDIARY)
        fs |= (rank == 1) & hid_sub & (ch != 2) & (rng.random(no) < C.HIDDEN_FREE_SHIPPING_RATE)
    out = [
        grant_frame(
            cust.ids[oc[fs]],
            ts[fs],
            "free_shipping",
            np.ones(fs.sum()),
            rng.choice([6.0, 8.0, 10.0, 12.0, 15.0], size=fs.sum()),
        )
    ]
    ps = (rank == 3) & (ch == 3)
    out.append(
        grant_frame(
            cust.ids[oc[ps]],
            ts[ps],
            "priority_service",
            np.ones(ps.sum()),
            np.full(ps.sum(), 30.0),
        )
    )
    if not world.clean:
        cv = rng.random(no) < C.HIDDEN_VOUCHER_RATE
        out.append(
            grant_frame(
                cust.ids[oc[cv]],
                ts[cv],
                "cash_voucher",
                np.ones(cv.sum()),
                rng.choice([20.0, 50.0, 100.0, 200.0], size=cv.sum()),
            )
        )
    return out


def grant_frame(
    cids: np.ndarray, at: np.ndarray | int, btype: str, value: np.ndarray, amount: np.ndarray
) -> pl.DataFrame:
    """``benefit_grants`` rows (without grant ids) for one benefit type."""
    at_arr = np.broadcast_to(np.asarray(at, dtype=np.int64), (len(cids),))
    return pframe(
        {
            "customer_id": np.asarray(cids, dtype=object),
            "granted_at": us(at_arr),
            "benefit_type": [btype] * len(cids),
            "value": np.asarray(value, dtype=float),
            "amount_cny": np.asarray(amount, dtype=float),
        }
    ).with_columns(pl.col("granted_at").cast(pl.Datetime("us")))


def grant_table(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The ``benefit_grants`` table: every grant in time order, numbered."""
    g = pl.concat([x for x in parts if x.height]).sort("granted_at", "customer_id", "benefit_type")
    g = g.with_columns(
        grant_id=pl.format("G{}", pl.int_range(1, g.height + 1).cast(pl.String).str.zfill(9))
    ).select("grant_id", "customer_id", "granted_at", "benefit_type", "value", "amount_cny")
    return g
