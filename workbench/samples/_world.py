"""Customers, skus, promotions, and the month-by-month simulation of orders, tiers and grants.

Prices depend on the tier held at order time, and tiers depend on the spend those
prices produce, so the simulation walks forward one calendar month at a time:
price the month's orders with the tiers in force, aggregate spend per customer,
and at each quarter end re-evaluate every customer by the published rule. Only
per-customer monthly aggregates are kept, so memory stays bounded at any scale;
each month's orders are handed to a sink (the streaming file writer) and dropped.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.samples import _config as C

S_PER_DAY = 86_400


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent stream per component, so one part's draws never shift another's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def to_s(moment: dt.datetime | dt.date) -> int:
    """Seconds since the epoch of a naive local datetime (or midnight of a date)."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds())


def pframe(data: dict[str, object]) -> pl.DataFrame:
    """A frame from numpy arrays and lists; object arrays and lists are strings (or null)."""
    cols = []
    for name, v in data.items():
        if isinstance(v, list) or (isinstance(v, np.ndarray) and v.dtype == object):
            cols.append(pl.Series(name, list(v), dtype=pl.String))
        else:
            cols.append(pl.Series(name, v))
    return pl.DataFrame(cols)


def us(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds → datetime64[us] (the resolution polars and the contract use)."""
    return (np.asarray(seconds, dtype=np.int64) * 1_000_000).astype("datetime64[us]")


def months() -> list[tuple[int, int]]:
    """Calendar months of the order timeline, 2024-10 … 2026-11."""
    out, y, m = [], C.TIMELINE_START.year, C.TIMELINE_START.month
    while (y, m) <= (C.DATA_END.year, C.DATA_END.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_start(y: int, m: int) -> dt.datetime:
    return dt.datetime(y, m, 1)


def _next_month(y: int, m: int) -> tuple[int, int]:
    return (y + 1, 1) if m == 12 else (y, m + 1)


def _days_in(y: int, m: int) -> int:
    ny, nm = _next_month(y, m)
    last = (dt.date(ny, nm, 1) - dt.timedelta(days=1)).day
    if (y, m) == (C.DATA_END.year, C.DATA_END.month):
        return C.DATA_END.day
    return last


# --------------------------------------------------------------------------- customers
@dataclass
class Customers:
    """Customer attributes as aligned numpy arrays (index = position in ``ids``)."""

    ids: np.ndarray
    sub: np.ndarray  # index into SUBSIDIARIES
    enterprise: np.ndarray
    signup: np.ndarray  # datetime64[D]
    province: np.ndarray  # object, None allowed
    gender: np.ndarray  # object, None allowed
    birth_year: np.ndarray  # float with nan
    lam: np.ndarray  # relative order rate
    churn: np.ndarray  # month index from which the customer stops ordering
    channel: np.ndarray
    mobile_os: np.ndarray
    desktop_os: np.ndarray
    uscc: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    @property
    def n(self) -> int:
        return len(self.ids)

    def frame(self) -> pl.DataFrame:
        return pframe(
            {
                "customer_id": self.ids,
                "subsidiary_id": np.array([C.SUBSIDIARIES[i][0] for i in range(6)])[self.sub],
                "customer_type": np.where(self.enterprise, "enterprise", "individual"),
                "uscc": self.uscc,
                "signup_date": self.signup,
                "province": self.province,
                "gender": self.gender,
                "birth_year": self.birth_year,
            }
        ).with_columns(
            pl.col("signup_date").cast(pl.Date),
            pl.col("birth_year").cast(pl.Int64, strict=False),
        )


def make_customers(seed: int, n: int, clean: bool) -> Customers:
    """Customers sorted by signup date, so ids grow with time as in a real CRM."""
    rng = rng_for(seed, "customers")
    mlist = months()
    shares = np.array([s[3] for s in C.SUBSIDIARIES])
    sub = rng.choice(6, size=n, p=shares / shares.sum())
    enterprise = rng.random(n) < C.ENTERPRISE_SHARE
    # Signup month: before the timeline uniformly from SIGNUP_EARLIEST, else during it.
    before = rng.random(n) < C.SHARE_SIGNED_UP_BEFORE
    first = C.SIGNUP_EARLIEST.year * 12 + C.SIGNUP_EARLIEST.month - 1
    tl0 = C.TIMELINE_START.year * 12 + C.TIMELINE_START.month - 1
    tl1 = C.DATA_END.year * 12 + C.DATA_END.month - 1
    mi = np.where(before, rng.integers(first, tl0, size=n), rng.integers(tl0, tl1 + 1, size=n))
    # Days 2..28 only: whole-month tenure then agrees whether one counts to the end
    # instant of a period or to its last day (documented in the ground truth).
    day = rng.integers(2, 29, size=n)
    day = np.where(mi == tl1, np.minimum(day, C.DATA_END.day - 5), day)
    signup = np.array(
        [dt.date(int(v) // 12, int(v) % 12 + 1, int(d)) for v, d in zip(mi, day, strict=True)],
        dtype="datetime64[D]",
    )
    order = np.lexsort((rng.random(n), signup))
    sub, enterprise, signup = sub[order], enterprise[order], signup[order]
    ids = np.array([f"C{i + 1:07d}" for i in range(n)], dtype=object)

    sub_prov = np.array([s[2] for s in C.SUBSIDIARIES], dtype=object)[sub]
    other = np.array(C.PROVINCES, dtype=object)[rng.integers(len(C.PROVINCES), size=n)]
    u = rng.random(n)
    province = np.where(
        enterprise,
        np.where(u < 0.95, sub_prov, other),
        np.where(u < 0.85, sub_prov, np.where(u < 0.97, other, None)),
    )
    gender = np.where(enterprise, None, np.where(rng.random(n) < 0.52, "f", "m")).astype(object)
    age = np.clip(rng.normal(39, 13, size=n), 18, 80)
    birth_year = np.minimum(
        np.round(2026 - age), signup.astype("datetime64[Y]").astype(int) + 1970 - 18
    )
    birth_year = np.where(enterprise, np.nan, birth_year)

    lam = rng.lognormal(0.0, 0.9, size=n) * np.where(enterprise, 1.6, 1.0)
    # Churn month (index into the timeline); clean data never churns a customer inside the
    # trailing year of 2026-Q3 in a way that could leave a top-tier customer dormant.
    nm = len(mlist)
    churn = np.where(rng.random(n) < C.CHURN_P, rng.integers(1, nm, size=n), nm + 1)
    if clean:
        i_2510 = mlist.index((2025, 10))
        i_2608 = mlist.index((2026, 8))
        bad = (churn > i_2510) & (churn < i_2608)
        churn = np.where(bad, np.where(rng.random(n) < 0.5, i_2510, i_2608), churn)
    channel = rng.choice(4, size=n, p=C.CHANNEL_P)
    mobile_os = rng.choice(
        np.array(["ios", "android", "other"], dtype=object), size=n, p=[0.42, 0.56, 0.02]
    )
    desktop_os = rng.choice(
        np.array(["windows", "macos", "other"], dtype=object), size=n, p=[0.7, 0.25, 0.05]
    )
    return Customers(
        ids,
        sub,
        enterprise,
        signup,
        province,
        gender,
        birth_year,
        lam,
        churn,
        channel,
        mobile_os,
        desktop_os,
    )


# ------------------------------------------------------------------------------ skus
@dataclass
class Skus:
    ids: np.ndarray
    price: np.ndarray  # list price before 2026
    price_2026: np.ndarray  # list price from 2026-01-01 (some skus re-priced)
    popularity: np.ndarray


def make_skus(seed: int, n: int) -> Skus:
    rng = rng_for(seed, "skus")
    raw = rng.lognormal(np.log(160), 1.25, size=n)
    price = np.clip(np.round(raw), 11, 20_000) - 0.01
    repriced = rng.random(n) < 0.15
    price_2026 = np.where(repriced, np.round(price * 1.05, 0) - 0.01, price)
    pop = 1.0 / np.arange(1, n + 1) ** 0.8
    pop = rng.permutation(pop)
    return Skus(
        np.array([f"SKU{10001 + i}" for i in range(n)], dtype=object),
        price,
        price_2026,
        pop / pop.sum(),
    )


# ------------------------------------------------------------------------ promotions
@dataclass
class Promotions:
    frame: pl.DataFrame  # contract columns
    start_s: np.ndarray
    end_s: np.ndarray
    sku_idx: np.ndarray  # -1 = every sku
    disc: np.ndarray
    tiers: list[frozenset[int] | None]
    public: np.ndarray


def make_promotions(seed: int, skus: Skus) -> Promotions:
    """Public campaigns (618, 双11, 双12, 年货节, National Day, member days, weekly sku deals)
    and two internal, never-announced promotions.
    """
    rng = rng_for(seed, "promotions")
    rows: list[tuple[str, int, dt.datetime, dt.datetime, float, str | None, bool]] = []

    def add(
        pid: str,
        sku: int,
        s: dt.datetime,
        e: dt.datetime,
        d: float,
        tiers: str | None,
        public: bool = True,
    ) -> None:
        rows.append((pid, sku, s, e, d, tiers, public))

    end_of = lambda d: dt.datetime.combine(d, dt.time(23, 59, 59))  # noqa: E731
    for y in (2024, 2025, 2026):
        if y >= 2025:
            add(f"PR{y}-618", -1, dt.datetime(y, 6, 1), end_of(dt.date(y, 6, 18)), 10.0, None)
            add(f"PR{y}-NEWYEAR", -1, dt.datetime(y, 1, 10), end_of(dt.date(y, 1, 25)), 8.0, None)
        add(f"PR{y}-1111", -1, dt.datetime(y, 10, 20), end_of(dt.date(y, 11, 11)), 15.0, None)
        add(f"PR{y}-1212", -1, dt.datetime(y, 12, 12), end_of(dt.date(y, 12, 12)), 8.0, None)
        add(f"PR{y}-NATDAY", -1, dt.datetime(y, 10, 1), end_of(dt.date(y, 10, 7)), 6.0, "vip,core")
    for y, m in months():
        add(
            f"PR{y}{m:02d}-MEMBERDAY",
            -1,
            dt.datetime(y, m, 8),
            end_of(dt.date(y, m, 8)),
            5.0,
            "vip",
        )
    week = dt.datetime(2024, 9, 30)
    k = 0
    while week < C.DATA_END:
        for sku in rng.choice(len(skus.ids), size=3, replace=False, p=skus.popularity):
            k += 1
            add(
                f"PRW{k:05d}",
                int(sku),
                week,
                end_of((week + dt.timedelta(days=6)).date()),
                float(rng.choice([15.0, 20.0, 25.0])),
                None,
            )
        week += dt.timedelta(days=7)
    add(
        "PR-INT-STAFF",
        -1,
        dt.datetime(2024, 10, 1),
        end_of(dt.date(2026, 12, 31)),
        25.0,
        None,
        False,
    )
    add("PR-INT-B2B", -1, dt.datetime(2025, 1, 1), end_of(dt.date(2026, 12, 31)), 18.0, None, False)
    rank = {name: r for name, r, *_ in C.TIERS}
    frame = pl.DataFrame(
        {
            "promo_id": [r[0] for r in rows],
            "sku": [None if r[1] < 0 else skus.ids[r[1]] for r in rows],
            "starts_at": [r[2] for r in rows],
            "ends_at": [r[3] for r in rows],
            "discount_pct": [r[4] for r in rows],
            "eligible_tiers": [r[5] for r in rows],
            "public": [r[6] for r in rows],
        },
        schema={
            "promo_id": pl.String,
            "sku": pl.String,
            "starts_at": pl.Datetime("us"),
            "ends_at": pl.Datetime("us"),
            "discount_pct": pl.Float64,
            "eligible_tiers": pl.String,
            "public": pl.Boolean,
        },
    )
    return Promotions(
        frame,
        np.array([to_s(r[2]) for r in rows]),
        np.array([to_s(r[3]) for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[4] for r in rows]),
        [None if r[5] is None else frozenset(rank[t] for t in r[5].split(",")) for r in rows],
        np.array([r[6] for r in rows]),
    )


# ---------------------------------------------------------------------- day weights
def day_weights(y: int, m: int) -> np.ndarray:
    """Relative order intensity per day: 618, 双11, 双12, weekends, holidays."""
    from workbench.samples._calendar import CAL_START, workday_table

    work, _ = workday_table()
    nd = _days_in(y, m)
    w = np.ones(nd)
    for i in range(nd):
        d = dt.date(y, m, i + 1)
        wd = d.weekday()
        if wd >= 5:
            w[i] *= 1.15
        is_work = work[(d - CAL_START).days]
        if not is_work and wd < 5:  # official holiday
            w[i] *= 0.55 if m in (1, 2) else 1.2
        if m == 6 and d.day <= 18:
            w[i] *= 1.6 if d.day < 18 else 3.0
        if (m == 10 and d.day >= 20) or (m == 11 and d.day <= 11):
            w[i] *= 1.8 if (m, d.day) != (11, 11) else 5.0
        if (m, d.day) == (12, 12):
            w[i] *= 1.8
    return w


HOUR_W = np.array(
    [2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7, 8, 7, 4], dtype=float
)
HOUR_W /= HOUR_W.sum()
DEVICE_CODES = np.array(["ios", "android", "windows", "macos", "other"], dtype=object)
QTY = np.array([1, 2, 3, 4, 5, 6, 10])
QTY_P = np.array([0.62, 0.22, 0.09, 0.03, 0.02, 0.01, 0.01])
MANUAL_REASONS = (
    "客户投诉补偿，经理审批升级",
    "大客户保级，区域总监批准",
    "系统迁移数据核对后调整",
    "发现刷单套利，风控降级",
    "集团战略客户，总部批准",
)
NO_REASON_VALUES = (None, "", "  ")


# ------------------------------------------------------------------------ simulation
@dataclass
class Plan:
    """Customer sets planted before simulation (all empty for clean data)."""

    disparity: np.ndarray  # bool: female individual systematically under-tiered
    stale_early: np.ndarray  # bool: re-evaluations stop after 2025-Q2
    frozen_manual: np.ndarray  # bool: reasonless manual row in Sep 2026, skipped at 2026-Q3
    dormant: np.ndarray  # bool: stops ordering in March 2026
    hidden_core_rebate: np.ndarray  # bool: gets the internal-only core rebate
    ios_skus: np.ndarray  # bool per sku
    tenure_skus: np.ndarray  # bool per sku
    stale_vip: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def make_plan(seed: int, cust: Customers, skus: Skus, clean: bool) -> Plan:
    rng = rng_for(seed, "plan")
    n = cust.n
    none = np.zeros(n, dtype=bool)
    if clean:
        z = np.zeros(len(skus.ids), dtype=bool)
        return Plan(
            none, none.copy(), none.copy(), none.copy(), none.copy(), z, z.copy(), none.copy()
        )
    early = cust.signup < np.datetime64("2025-01-01")
    female = cust.gender == "f"
    disparity = female & (rng.random(n) < C.TIER_DISPARITY_RATE)

    def pick(pool: np.ndarray, rate: float, taken: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(pool & ~taken)
        k = min(len(idx), max(C.MIN_PLANTED, int(round(rate * n))))
        out = np.zeros(n, dtype=bool)
        out[rng.choice(idx, size=k, replace=False)] = True
        return out

    taken = disparity.copy()
    stale_early = pick(early, C.STALE_RATE, taken)
    taken |= stale_early
    active = cust.churn > len(months())
    heavy = cust.lam >= np.quantile(cust.lam, 0.9)
    dormant = pick(early & heavy & active, C.DORMANT_RATE, taken)
    taken |= dormant
    frozen = pick(cust.signup < np.datetime64("2026-06-01"), C.MANUAL_NO_REASON_RATE, taken)
    hidden_sub = cust.sub == [s[0] for s in C.SUBSIDIARIES].index(C.HIDDEN_SUBSIDIARY)
    hidden_core_rebate = hidden_sub & (rng.random(n) < C.HIDDEN_CORE_REBATE_RATE)
    ns = len(skus.ids)
    ios_skus = rng.random(ns) < C.IOS_PREMIUM_SKU_SHARE
    tenure_skus = rng.random(ns) < C.TENURE_PREMIUM_SKU_SHARE
    return Plan(
        disparity,
        stale_early,
        frozen,
        dormant,
        hidden_core_rebate,
        ios_skus,
        tenure_skus,
        np.zeros(n, dtype=bool),
    )


@dataclass
class Simulation:
    """What the month loop leaves behind besides the order chunks."""

    assignments: pl.DataFrame
    grants: pl.DataFrame
    order_count: int
    months: list[tuple[int, int]]


OrderSink = Callable[[pl.DataFrame], None]


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
    sub_ids = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)
    sub_prov = np.array([s[2] for s in C.SUBSIDIARIES], dtype=object)
    signup_s = cust.signup.astype("datetime64[s]").astype(np.int64)
    sy = cust.signup.astype("datetime64[Y]").astype(int) + 1970
    sm = cust.signup.astype("datetime64[M]").astype(int) % 12 + 1
    sd = (cust.signup - cust.signup.astype("datetime64[M]")).astype(int) + 1
    nonpublic = np.flatnonzero(~promos.public)

    # Expected orders per customer-month, scaled to the target total.
    weights = [day_weights(y, m) for y, m in mlist]
    month_factor = np.array([w.sum() / 30.4 for w in weights])
    dormant_from = mlist.index((2026, 3))
    stop = np.where(plan.dormant, np.minimum(cust.churn, dormant_from), cust.churn)
    month_end_s = np.array([to_s(dt.datetime(*_next_month(y, m), 1)) for y, m in mlist])
    total = 0.0
    for k in range(nm):
        active = (signup_s < month_end_s[k]) & (stop > k)
        total += (cust.lam * active).sum() * month_factor[k]
    base = target_orders / total

    cur = np.ones(n, dtype=np.int64)  # everybody starts standard (migration row / signup row)
    spend = np.zeros((nm, n))
    count = np.zeros((nm, n), dtype=np.int64)
    rows: list[pl.DataFrame] = []
    grants: list[pl.DataFrame] = []
    u_mis = rng_for(seed, "mismatch")
    u_dir = u_mis.random(n)

    def tier_rows(
        idx: np.ndarray,
        at_s: np.ndarray | int,
        ranks: np.ndarray,
        method: str,
        reasons: list[str | None] | None,
    ) -> None:
        if len(idx) == 0:
            return
        at = np.broadcast_to(np.asarray(at_s, dtype=np.int64), idx.shape)
        rows.append(
            pframe(
                {
                    "customer_id": cust.ids[idx],
                    "tier": np.array([C.TIER_BY_RANK[int(r)] for r in ranks], dtype=object),
                    "assigned_at": us(at),
                    "method": [method] * len(idx),
                    "reason": reasons if reasons is not None else [None] * len(idx),
                }
            ).with_columns(pl.col("assigned_at").cast(pl.Datetime("us")))
        )

    # Migration evaluation for customers who signed up before the timeline; nothing was
    # bought through this CRM before 2024-10, so everybody starts at the lowest tier.
    pre = np.flatnonzero(signup_s < to_s(C.TIMELINE_START))
    tier_rows(
        pre,
        to_s(dt.datetime.combine(C.TIMELINE_START.date() - dt.timedelta(days=1), C.EVAL_TIME)),
        np.ones(len(pre)),
        "rule",
        None,
    )
    later = np.flatnonzero(signup_s >= to_s(C.TIMELINE_START))
    tier_rows(later, signup_s[later], np.ones(len(later)), "rule", None)

    order_seq = 0
    prev_spend = np.zeros(n)
    for k, (y, m) in enumerate(mlist):
        m0 = to_s(_month_start(y, m))
        nd = _days_in(y, m)
        in_scope = signup_s < m0 + nd * S_PER_DAY
        # ---- month-start rebates on last month's spend (tier held at grant time = cur)
        if k > 0:
            g_at = m0 + 2 * 3600
            vip = np.flatnonzero((cur == 3) & (prev_spend > 0))
            val = np.full(len(vip), 3.0)
            if not clean:
                val[rng.random(len(vip)) < C.HIDDEN_OVER_REBATE_RATE] = 5.0
            grants.append(
                _grant_frame(
                    cust.ids[vip], g_at, "rebate_pct", val, np.round(prev_spend[vip] * val / 100, 2)
                )
            )
            if not clean:
                core = np.flatnonzero((cur == 2) & plan.hidden_core_rebate & (prev_spend > 0))
                grants.append(
                    _grant_frame(
                        cust.ids[core],
                        g_at,
                        "rebate_pct",
                        np.full(len(core), 2.0),
                        np.round(prev_spend[core] * 0.02, 2),
                    )
                )
        # ---- manual overrides this month (at most one per customer), then the month's tier map
        man_at = np.full(n, np.iinfo(np.int64).max)
        man_rank = cur.copy()
        eligible_for_manual = (
            in_scope & (signup_s < m0) & ~plan.stale_early & ~plan.frozen_manual & ~plan.stale_vip
        )
        pick = np.flatnonzero(eligible_for_manual & (rng.random(n) < C.MANUAL_MONTHLY_P))
        if len(pick):
            at = m0 + S_PER_DAY + rng.integers(0, (nd - 2) * S_PER_DAY, size=len(pick))
            up = cur[pick] < 3
            new = np.where(up, cur[pick] + 1, 2)
            reasons = [MANUAL_REASONS[i] for i in rng.integers(0, 3, size=len(pick))]
            reasons = [r if u else MANUAL_REASONS[3] for r, u in zip(reasons, up, strict=True)]
            man_at[pick], man_rank[pick] = at, new
            order_idx = np.argsort(at, kind="stable")
            tier_rows(
                pick[order_idx],
                at[order_idx],
                new[order_idx],
                "manual",
                [reasons[i] for i in order_idx],
            )
        if not clean and (y, m) in ((2026, 2), (2026, 9), (2026, 10)):
            if (y, m) == (2026, 9):
                sel = np.flatnonzero(plan.frozen_manual & in_scope)
            else:  # superseded before the period / after it (look-ahead trap)
                pool = np.flatnonzero(
                    in_scope
                    & (signup_s < m0)
                    & (man_at == np.iinfo(np.int64).max)
                    & ~plan.stale_early
                    & ~plan.stale_vip
                    & ~plan.frozen_manual
                )
                sel = rng.choice(
                    pool, size=min(len(pool), max(C.MIN_PLANTED, int(0.01 * n))), replace=False
                )
                sel.sort()
            if len(sel):
                at = m0 + S_PER_DAY + rng.integers(0, (min(nd, 26) - 2) * S_PER_DAY, size=len(sel))
                new = np.where(rng.random(len(sel)) < 0.5, np.minimum(cur[sel] + 1, 3), cur[sel])
                man_at[sel], man_rank[sel] = at, new
                reasons = [NO_REASON_VALUES[i] for i in rng.integers(0, 3, size=len(sel))]
                tier_rows(sel, at, new, "manual", reasons)

        # ---- the month's orders
        active = (signup_s < m0 + nd * S_PER_DAY) & (stop > k)
        n_c = rng.poisson(cust.lam * active * base * month_factor[k])
        oc = np.repeat(np.arange(n, dtype=np.int64), n_c)
        w = weights[k]
        day = rng.choice(nd, size=len(oc), p=w / w.sum())
        hour = rng.choice(24, size=len(oc), p=HOUR_W)
        ts = m0 + day * S_PER_DAY + hour * 3600 + rng.integers(0, 3599, size=len(oc))
        keep = ts >= signup_s[oc]
        oc, ts = oc[keep], ts[keep]
        o = np.lexsort((oc, ts))
        oc, ts = oc[o], ts[o]
        no = len(oc)
        sku = rng.choice(len(skus.ids), size=no, p=skus.popularity)
        ch = np.where(rng.random(no) < 0.7, cust.channel[oc], rng.choice(4, size=no, p=C.CHANNEL_P))
        web_mobile = rng.random(no) < 0.12
        dev = np.where(
            ch == 0,
            cust.mobile_os[oc],
            np.where(ch == 1, np.where(web_mobile, cust.mobile_os[oc], cust.desktop_os[oc]), None),
        )
        uprov = rng.random(no)
        own = np.where(cust.province[oc] == None, sub_prov[cust.sub[oc]], cust.province[oc])  # noqa: E711
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
        list_price = np.where(
            ts >= to_s(dt.datetime(2026, 1, 1)), skus.price_2026[sku], skus.price[sku]
        )
        rank = np.where(man_at[oc] <= ts, man_rank[oc], cur[oc])
        # best public promotion valid for sku, time and tier (windows inclusive)
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
        use = (best_p >= 0) & (rng.random(no) < C.PROMO_USE_P)
        promo = np.where(use, best_p, -1)
        pdisc = np.where(use, best_d, 0.0)
        prem = np.ones(no)
        if not clean:
            hidden_promo = (promo < 0) & (rng.random(no) < C.UNPUBLISHED_PROMO_RATE)
            for p in nonpublic:
                ok = (
                    hidden_promo & (ts >= promos.start_s[p]) & (ts <= promos.end_s[p]) & (promo < 0)
                )
                promo = np.where(ok, p, promo)
                pdisc = np.where(ok, promos.disc[p], pdisc)
            tenure_m = _months_between(sy[oc], sm[oc], sd[oc], ts)
            prem *= np.where((dev == "ios") & plan.ios_skus[sku], 1 + C.IOS_PREMIUM, 1.0)
            prem *= np.where(
                (tenure_m >= C.TENURE_PREMIUM_MONTHS) & plan.tenure_skus[sku],
                1 + C.TENURE_PREMIUM,
                1.0,
            )
            rnd = rng.random(no) < C.UNEXPLAINED_PREMIUM_RATE
            prem *= np.where(rnd, rng.uniform(1.03, 1.25, size=no), 1.0)
        tdisc = np.select([rank == 3, rank == 2], [C.TIER_DISCOUNT[3], C.TIER_DISCOUNT[2]], 0.0)
        charged = np.round(list_price * (1 - tdisc / 100) * (1 - pdisc / 100) * prem, 2)
        coupon = np.where(
            rng.random(no) < C.COUPON_P, rng.choice([5.0, 10.0, 20.0, 50.0, 100.0], size=no), 0.0
        )
        coupon = np.minimum(coupon, np.floor(0.3 * charged * qty * 100) / 100)
        ids = np.char.add(
            "O", np.char.zfill((order_seq + 1 + np.arange(no)).astype(str), 9)
        ).astype(object)
        order_seq += no
        frame = pframe(
            {
                "order_id": ids,
                "customer_id": cust.ids[oc],
                "subsidiary_id": sub_ids[cust.sub[oc]],
                "sku": skus.ids[sku],
                "ordered_at": us(ts),
                "channel": np.array(C.CHANNELS, dtype=object)[ch],
                "device_os": dev,
                "province": prov,
                "quantity": qty.astype(np.int64),
                "list_price": list_price,
                "charged_price": charged,
                "promo_id": np.where(
                    promo >= 0, promos.frame["promo_id"].to_numpy()[np.maximum(promo, 0)], None
                ),
                "coupon_cny": coupon,
            }
        ).with_columns(pl.col("ordered_at").cast(pl.Datetime("us")))
        sink(frame)
        spend[k] = np.bincount(oc, weights=charged * qty - coupon, minlength=n)
        count[k] = np.bincount(oc, minlength=n)
        prev_spend = spend[k]

        # ---- grants tied to orders
        fs = (rank >= 2) & (ch != 2) & (rng.random(no) < C.FREE_SHIPPING_GRANT_P)
        if not clean:
            hid_sub = cust.sub[oc] == [s[0] for s in C.SUBSIDIARIES].index(C.HIDDEN_SUBSIDIARY)
            fs |= (rank == 1) & hid_sub & (ch != 2) & (rng.random(no) < C.HIDDEN_FREE_SHIPPING_RATE)
        grants.append(
            _grant_frame(
                cust.ids[oc[fs]],
                ts[fs],
                "free_shipping",
                np.ones(fs.sum()),
                rng.choice([6.0, 8.0, 10.0, 12.0, 15.0], size=fs.sum()),
            )
        )
        ps = (rank == 3) & (ch == 3)
        grants.append(
            _grant_frame(
                cust.ids[oc[ps]],
                ts[ps],
                "priority_service",
                np.ones(ps.sum()),
                np.full(ps.sum(), 30.0),
            )
        )
        if not clean:
            cv = rng.random(no) < C.HIDDEN_VOUCHER_RATE
            grants.append(
                _grant_frame(
                    cust.ids[oc[cv]],
                    ts[cv],
                    "cash_voucher",
                    np.ones(cv.sum()),
                    rng.choice([20.0, 50.0, 100.0, 200.0], size=cv.sum()),
                )
            )

        # ---- month end: manual rows become the current tier
        has_man = man_at < np.iinfo(np.int64).max
        cur = np.where(has_man, man_rank, cur)

        # ---- quarter end: re-evaluate by the published rule
        if m in (3, 6, 9, 12):
            ev_at = to_s(dt.datetime.combine(dt.date(y, m, nd), C.EVAL_TIME))
            lo = max(0, k - 11)
            s12 = spend[lo : k + 1].sum(axis=0)
            n12 = count[lo : k + 1].sum(axis=0)
            ny, nmo = _next_month(y, m)
            ten = (ny * 12 + nmo) - (sy * 12 + sm) - (sd > 1)
            elig = np.ones(n, dtype=np.int64)
            for _name, r, ms, mo, mt, _ in sorted(C.TIERS, key=lambda t: t[1]):
                elig = np.where((s12 >= ms) & (n12 >= mo) & (ten >= mt), r, elig)
            written = elig.copy()
            scope = signup_s <= ev_at
            if not clean:
                written = np.where(plan.disparity & (elig >= 2), elig - 1, written)
                mis = scope & (u_mis.random(n) < C.TIER_MISMATCH_RATE)
                upw = np.where(u_dir < 0.5, written < 3, written <= 1)
                written = np.where(mis, np.where(upw, written + 1, written - 1), written)
                skip = np.zeros(n, dtype=bool)
                if (y, m) > (2025, 6):
                    skip |= plan.stale_early
                if (y, m) == (2026, 3):
                    pool = np.flatnonzero(
                        scope
                        & (written == 3)
                        & ~plan.stale_early
                        & ~plan.frozen_manual
                        & ~plan.dormant
                    )
                    kk = min(
                        len(pool), max(C.MIN_PLANTED, int(round(C.STALE_VIP_RATE * len(pool))))
                    )
                    sv = np.zeros(n, dtype=bool)
                    sv[u_mis.choice(pool, size=kk, replace=False)] = True
                    plan.stale_vip = sv
                if (y, m) > (2026, 3):
                    skip |= plan.stale_vip
                if (y, m) == (2026, 9):
                    skip |= plan.frozen_manual
                scope &= ~skip
            idx = np.flatnonzero(scope)
            tier_rows(idx, ev_at, written[idx], "rule", None)
            cur = np.where(scope, written, cur)

    assignments = pl.concat(rows).sort("customer_id", "assigned_at", maintain_order=True)
    g = pl.concat([x for x in grants if x.height]).sort("granted_at", "customer_id", "benefit_type")
    g = g.with_columns(
        grant_id=pl.format("G{}", pl.int_range(1, g.height + 1).cast(pl.String).str.zfill(9))
    ).select("grant_id", "customer_id", "granted_at", "benefit_type", "value", "amount_cny")
    return Simulation(assignments, g, order_seq, mlist)


def _months_between(sy: np.ndarray, sm: np.ndarray, sd: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whole calendar months from a signup date to each timestamp."""
    d = ts.astype("datetime64[s]").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(int) + 1970
    mo = d.astype("datetime64[M]").astype(int) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(int) + 1
    return (y * 12 + mo) - (sy * 12 + sm) - (day < sd)


def _grant_frame(
    cids: np.ndarray, at: np.ndarray | int, btype: str, value: np.ndarray, amount: np.ndarray
) -> pl.DataFrame:
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
