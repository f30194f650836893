"""The month-by-month simulation of orders, tiers and grants.

Prices depend on the tier held at order time, and tiers depend on the spend those
prices produce, so the simulation walks forward one calendar month at a time:
price the month's orders with the tiers in force, aggregate spend per customer,
and at each quarter end re-evaluate every customer by the published rule. Only
per-customer monthly aggregates are kept, so memory stays bounded at any scale;
each month's orders are handed to a sink (the streaming file writer) and dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.samples._orders import (
    Demand,
    grant_table,
    month_orders,
    order_grants,
    plan_demand,
    rebate_grants,
)
from workbench.samples._tiers import (
    RuleErrors,
    TierLog,
    manual_overrides,
    quarter_end,
    write_start_rows,
)
from workbench.samples._world import (
    S_PER_DAY,
    Customers,
    Plan,
    Promotions,
    Skus,
    World,
    customer_heterogeneity,
    days_in,
    month_start,
    months,
    rng_for,
    to_s,
)


@dataclass
class Simulation:
    """What the month loop leaves behind besides the order chunks."""

    assignments: pl.DataFrame
    grants: pl.DataFrame
    order_count: int
    months: list[tuple[int, int]]


OrderSink = Callable[[pl.DataFrame], None]


@dataclass
class _Books:
    """What one month hands to the next: tiers in force, spend history, grants so far."""

    cur: np.ndarray  # tier rank per customer; everybody starts standard
    spend: np.ndarray  # (month, customer) net spend
    count: np.ndarray  # (month, customer) orders
    prev_spend: np.ndarray  # last month's spend (rebates are paid on it)
    grants: list[pl.DataFrame] = field(default_factory=list)
    order_seq: int = 0


def simulate(
    seed: int,
    cust: Customers,
    skus: Skus,
    promos: Promotions,
    plan: Plan,
    target_orders: int,
    clean: bool,
    sink: OrderSink,
) -> Simulation:
    """Walk the timeline month by month (see module docstring)."""
    rng = rng_for(seed, "orders")
    mlist = months()
    nm, n = len(mlist), cust.n
    world = World(cust, skus, promos, plan, clean)
    if clean:
        world.markup, world.coupon_p = customer_heterogeneity(rng_for(seed, "heterogeneity"), n)
    demand = plan_demand(world, mlist, target_orders)
    books = _Books(
        cur=np.ones(n, dtype=np.int64),
        spend=np.zeros((nm, n)),
        count=np.zeros((nm, n), dtype=np.int64),
        prev_spend=np.zeros(n),
    )
    log = TierLog(cust.ids)
    u_mis = rng_for(seed, "mismatch")
    errors = RuleErrors(u_mis, u_mis.random(n))
    write_start_rows(log, world.signup_s)
    for k, (y, m) in enumerate(mlist):
        _simulate_month(rng, world, demand, books, log, k, (y, m), sink)
        if m in (3, 6, 9, 12):
            books.cur = quarter_end(
                errors, world, log, books.cur, books.spend, books.count, k, (y, m), days_in(y, m)
            )
    return Simulation(log.frame(), grant_table(books.grants), books.order_seq, mlist)


def _simulate_month(
    rng: np.random.Generator,
    world: World,
    demand: Demand,
    books: _Books,
    log: TierLog,
    k: int,
    month: tuple[int, int],
    sink: OrderSink,
) -> None:
    """One month in the order its draws were designed: rebates, overrides, orders, grants."""
    m0 = to_s(month_start(*month))
    nd = days_in(*month)
    in_scope = world.signup_s < m0 + nd * S_PER_DAY
    if k > 0:
        books.grants += rebate_grants(rng, world, books.cur, books.prev_spend, m0)
    ov = manual_overrides(rng, world, log, books.cur, in_scope, month, m0, nd)
    orders = month_orders(rng, world, demand, k, m0, nd, books.cur, ov, books.order_seq)
    books.order_seq += len(orders.oc)
    sink(orders.frame)
    n = world.cust.n
    books.spend[k] = np.bincount(orders.oc, weights=orders.net, minlength=n)
    books.count[k] = np.bincount(orders.oc, minlength=n)
    books.prev_spend = books.spend[k]
    books.grants += order_grants(rng, world, orders)
    books.cur = ov.month_end(books.cur)
