"""Customers, skus, promotions, the planted customer sets, and shared helpers.

These are the inputs of the month-by-month simulation in :mod:`._simulate` (which
prices orders with :mod:`._orders` and writes tier rows with :mod:`._tiers`); each
part draws from its own random stream (:func:`rng_for`).
"""

from __future__ import annotations

import datetime as dt
import zlib
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


def month_start(y: int, m: int) -> dt.datetime:
    """Midnight of the first day of a month."""
    return dt.datetime(y, m, 1)


def next_month(y: int, m: int) -> tuple[int, int]:
    """The calendar month after ``(y, m)``."""
    return (y + 1, 1) if m == 12 else (y, m + 1)


def days_in(y: int, m: int) -> int:
    """Days of a month on the timeline (the last month ends at ``DATA_END``)."""
    ny, nm = next_month(y, m)
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
    """Sku ids, list prices (before and from 2026) and popularity, as aligned arrays."""

    ids: np.ndarray
    price: np.ndarray  # list price before 2026
    price_2026: np.ndarray  # list price from 2026-01-01 (some skus re-priced)
    popularity: np.ndarray


def make_skus(seed: int, n: int) -> Skus:
    """Skus with log-normal prices ending in .99 and Zipf-like popularity."""
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
    """The promotions table, plus its columns as arrays for pricing orders."""

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
    nd = days_in(y, m)
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


# ------------------------------------------------------------------------- the plan
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
    """Choose the customers and skus that carry planted tier and pricing violations."""
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
class World:
    """What the month loop reads and never changes: the generated inputs, plus each
    customer's signup date split into the parts the vector arithmetic needs.
    """

    cust: Customers
    skus: Skus
    promos: Promotions
    plan: Plan
    clean: bool
    markup: np.ndarray | None = None  # clean only: personal price factor per customer
    coupon_p: np.ndarray | None = None  # clean only: coupon probability per customer
    signup_s: np.ndarray = field(init=False)  # signup midnight, epoch seconds
    sy: np.ndarray = field(init=False)  # signup year
    sm: np.ndarray = field(init=False)  # signup month 1..12
    sd: np.ndarray = field(init=False)  # signup day of month

    def __post_init__(self) -> None:
        signup = self.cust.signup
        self.signup_s = signup.astype("datetime64[s]").astype(np.int64)
        self.sy = signup.astype("datetime64[Y]").astype(int) + 1970
        self.sm = signup.astype("datetime64[M]").astype(int) % 12 + 1
        self.sd = (signup - signup.astype("datetime64[M]")).astype(int) + 1


def customer_heterogeneity(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Clean samples: each customer's price factor (1, or 1 + a personal mark-up within
    the tolerance) and coupon probability (``C.CLEAN_*``).
    """
    low, high = C.CLEAN_MARKUP_RANGE
    marked = rng.random(n) < C.CLEAN_MARKUP_SHARE
    markup = np.where(marked, 1 + rng.uniform(low, high, size=n), 1.0)
    return markup, rng.beta(*C.CLEAN_COUPON_BETA, size=n)
