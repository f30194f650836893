"""Complaints and their handling events, generated as whole arrays.

Each complaint gets milestones (acknowledgement, decision, optional escalation and
``waiting_customer``…``resumed`` pause, resolution, closure, rare reopening) as
offsets in hours from receipt; gaps while the complaint is open are then filled
with ``progress_update`` events so that clean complaints never go silent for more
than 54 hours. The complaints table is derived from the events as an extract at
``DATA_END``, so it agrees with them unless a ``missing_record`` violation is planted.

Clean complaints meet every SLA, including near-misses a naive calendar gets
wrong: acceptance decisions on the 6th/7th official working day across holidays
(late on a Monday–Friday calendar) and decisions on make-up working days.

Planted mode only: complaints received before the period are resolved late with a
probability (:func:`slow_probability`, ``SLOW_LOGIT``) that depends on what is known
about them — pricing/privacy categories, 12315 regulator transfers and subsidiary
``C.SLOW_SUBSIDIARY`` slower, high severity a little slower, low faster — and late
ones are escalated more often. The planted ``breach_risk`` complaints of the period
are drawn with the same weights. These draws use their own random stream, so every
other planted complaint of the period (the five breach/record rules) is unchanged.
Clean mode is not affected. The event log and the complaints table are assembled
from the drawn milestones in :mod:`._complaint_records`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.samples import _config as C
from workbench.samples._calendar import nth_weekday_after, nth_workday_after
from workbench.samples._complaint_records import (
    MISSING_VARIANTS,
    Clock,
    complaints_table,
    damage_records,
    milestone_events,
)
from workbench.samples._reference import ACK_LIMIT_H, RESOLVE_LIMIT_H
from workbench.samples._world import Customers, pframe, rng_for, to_s, us

SEVERITIES = np.array(["critical", "high", "medium", "low"], dtype=object)
SEVERITY_P = (0.05, 0.20, 0.45, 0.30)
CHANNELS = np.array(["hotline", "app", "web", "email", "store", "regulator"], dtype=object)
CHANNEL_P = (0.35, 0.20, 0.15, 0.10, 0.10, 0.10)
ROOT_CAUSES: dict[str, tuple[str, ...]] = {
    "quality": (
        "manufacturing_defect",
        "wrong_specification",
        "counterfeit_suspected",
        "short_shelf_life",
    ),
    "delivery": ("courier_delay", "damaged_in_transit", "wrong_address", "lost_parcel"),
    "billing": ("double_charge", "invoice_error", "refund_delay"),
    "service": ("rude_staff", "no_callback", "long_wait", "misleading_advice"),
    "privacy": ("marketing_without_consent", "data_disclosure"),
    "pricing": ("price_changed_after_order", "promotion_not_applied", "price_higher_than_shown"),
}
CATEGORY_P = {
    "quality": 0.25,
    "delivery": 0.30,
    "billing": 0.12,
    "service": 0.18,
    "privacy": 0.05,
    "pricing": 0.10,
}
REJECT_P = 0.07
PAUSE_P = 0.15
ESCALATE_P = 0.10
REOPEN_P = 0.02
NEAR_MISS_ACCEPT_P = 0.20  # decision on the 6th/7th official working day
NEAR_MISS_RESOLVE_P = 0.10  # resolution at 93–98.5 % of the limit
MAX_DECISION_DAYS = 11  # clean decisions leave time to resolve within 15 days
FORCED_NEAR_MISS_DATE = dt.date(2026, 9, 20)  # a Sunday make-up workday inside 2026-Q3
# Natural resolution delays before the period (planted mode): logit of being late.
SLOW_LOGIT = {
    "base": -3.2,
    "category_pricing_privacy": 1.6,
    "channel_regulator": 1.7,
    "subsidiary_slow": 1.4,
    "severity_high": 0.5,
    "severity_low": -0.6,
}
SLOW_OVERRUN = (1.08, 1.7)  # a late resolution takes this multiple of the limit
SLOW_ESCALATE_P = 0.5  # late complaints are escalated this often (others: ESCALATE_P)


@dataclass(frozen=True)
class ComplaintsOut:
    complaints: pl.DataFrame
    events: pl.DataFrame
    planted: dict[str, list[str]]  # planted kind -> complaint ids
    missing_variants: dict[str, str]  # complaint id -> variant


def make_complaints(
    seed: int, cust: Customers, n: int, clean: bool, period: Period
) -> ComplaintsOut:
    """Complaints and their events (see the module docstring)."""
    rng = rng_for(seed, "complaints")
    r_s = _draw_receipts(rng, n)
    p0, p1 = to_s(period.start), to_s(period.end)
    in_p = (r_s >= p0) & (r_s < p1)
    d = _Draft(n, clean, r_s, *_draw_kinds(rng, n))
    _plant_near_misses(rng, d, in_p)
    if not clean:
        risk_pool, k_risk = _plant_sla_cases(rng, d, in_p, period)
    # customers: anyone signed up by the receipt date (ids are in signup order)
    rdate = d.r_s.astype("datetime64[s]").astype("datetime64[D]")
    k_signed = np.searchsorted(cust.signup, rdate, side="right")
    ci = np.minimum((rng.random(n) * k_signed).astype(np.int64), k_signed - 1)
    slow = None
    if not clean:
        slow = _plant_recurring_and_risk(seed, rng, cust, d, ci, risk_pool, k_risk)
    ack_h, dec_h = _decision_hours(rng, d, rdate, period)
    clock = _handling_hours(rng, d, ack_h, dec_h, p0, slow)
    ids = np.array([f"CP{i + 1:07d}" for i in range(n)], dtype=object)
    events = milestone_events(clock, d.r_s, d.chan, d.gap_b, ids)
    events, variants, by_variant = damage_records(events, ids, d.miss)
    table = complaints_table(_complaint_columns(rng, d, cust, ci, ids), events, by_variant)
    return ComplaintsOut(
        table,
        events,
        {k: sorted(str(ids[i]) for i in np.flatnonzero(v)) for k, v in d.planted.items()},
        variants,
    )


def _draw_receipts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Receipt times (epoch seconds, sorted): busier after 双11, 618 and around New Year."""
    first = C.TIMELINE_START.date()
    ndays = (C.DATA_END.date() - first).days + 1
    days = np.datetime64(first, "D") + np.arange(ndays)
    w = np.ones(ndays)
    md = [(d.astype(object).month, d.astype(object).day) for d in days]
    for i, (mo, dd) in enumerate(md):
        if mo == 11 and dd >= 12 or mo == 12 and dd <= 5:
            w[i] = 1.6  # after 双11
        elif mo == 6 and 19 <= dd <= 30:
            w[i] = 1.3
        elif mo in (1, 2):
            w[i] = 1.2
    rday = days[rng.choice(ndays, size=n, p=w / w.sum())]
    hour = rng.choice(24, size=n, p=_hour_p())
    r_s = (
        rday.astype("datetime64[s]").astype(np.int64) + hour * 3600 + rng.integers(0, 3600, size=n)
    )
    o = np.argsort(r_s, kind="stable")
    return r_s[o]


def _draw_kinds(
    rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Severity, channel, category and root cause of each complaint."""
    sev = rng.choice(SEVERITIES, size=n, p=SEVERITY_P)
    chan = rng.choice(CHANNELS, size=n, p=CHANNEL_P)
    cats = list(CATEGORY_P)
    cat = rng.choice(np.array(cats, dtype=object), size=n, p=list(CATEGORY_P.values()))
    root = np.array(
        [
            ROOT_CAUSES[c][int(u * len(ROOT_CAUSES[c]))]
            for c, u in zip(cat, rng.random(n), strict=True)
        ],
        dtype=object,
    )
    return sev, chan, cat, root


@dataclass
class _Draft:
    """Per-complaint arrays the generation steps share, and the planted cases so far."""

    n: int
    clean: bool
    r_s: np.ndarray  # receipt, epoch seconds (planting moves some)
    sev: np.ndarray
    chan: np.ndarray
    cat: np.ndarray
    root: np.ndarray
    crit: np.ndarray = field(init=False)
    taken: np.ndarray = field(init=False)  # already planted with something
    planted: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> mask
    # planted masks (all False in clean mode, except the near-misses)
    forced: np.ndarray = field(init=False)
    ack_b: np.ndarray = field(init=False)
    acc_b: np.ndarray = field(init=False)
    tricky: np.ndarray = field(init=False)
    res_b: np.ndarray = field(init=False)
    gap_b: np.ndarray = field(init=False)
    miss: np.ndarray = field(init=False)
    risk: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.crit = self.sev == "critical"
        self.taken = np.zeros(self.n, dtype=bool)
        empty = np.zeros(self.n, dtype=bool)
        self.forced = self.ack_b = self.acc_b = self.tricky = empty
        self.res_b = self.gap_b = self.miss = self.risk = empty

    def pick(self, rng: np.random.Generator, kind: str, pool: np.ndarray, k: int) -> np.ndarray:
        """Plant ``kind`` on up to ``k`` complaints of ``pool`` not planted with anything yet."""
        idx = np.flatnonzero(pool & ~self.taken)
        k = min(len(idx), k)
        sel = np.zeros(self.n, dtype=bool)
        if k:
            sel[rng.choice(idx, size=k, replace=False)] = True
        self.taken[sel] = True
        self.planted[kind] = sel
        return sel

    def before(self, day: str) -> np.ndarray:
        """Received before midnight starting ``day`` (ISO date)."""
        return self.r_s < to_s(dt.datetime.fromisoformat(day))


def _plant_near_misses(rng: np.random.Generator, d: _Draft, in_p: np.ndarray) -> None:
    """Near-misses (clean and planted alike): receipts on the 2026-09-20 make-up Sunday
    decided on the 7th official working day, 2026-09-30 — late on a Mon–Fri calendar.
    """
    d.forced = d.pick(rng, "near_miss", in_p & ~d.crit & d.before("2026-09-15"), 2)
    fs = np.flatnonzero(d.forced)
    d.r_s[fs] = to_s(FORCED_NEAR_MISS_DATE) + rng.integers(9 * 3600, 20 * 3600, size=len(fs))


def _plant_sla_cases(
    rng: np.random.Generator, d: _Draft, in_p: np.ndarray, period: Period
) -> tuple[np.ndarray, int]:
    """Plant the breach and record rules in the period (planted mode); return the pool and
    number of ``breach_risk`` complaints, which are drawn once subsidiaries are known.
    """
    r_s, crit, before = d.r_s, d.crit, d.before
    n_p = int(in_p.sum())
    k_rule = max(C.MIN_PLANTED, int(round(C.SLA_BREACH_RATE * n_p)))
    d.ack_b = d.pick(rng, "ack_breach", in_p & ~(d.sev == "low"), k_rule)
    acc_pool = (
        in_p
        & ~crit
        & (
            nth_workday_after(r_s.astype("datetime64[s]").astype("datetime64[D]"), 8)
            <= np.datetime64("2026-09-30")
        )
    )
    d.acc_b = d.pick(rng, "acceptance_breach", acc_pool, k_rule)
    d.tricky = d.pick(
        rng,
        "acceptance_breach_official_only",
        in_p & ~crit & before("2026-09-10"),
        max(1, k_rule // 2),
    )
    d.res_b = d.pick(rng, "resolution_breach", in_p & before("2026-09-10"), k_rule)
    d.gap_b = d.pick(rng, "update_gap", in_p & ~crit & before("2026-09-12"), k_rule)
    d.miss = d.pick(
        rng,
        "missing_record",
        in_p & ~crit & before("2026-09-01"),
        max(len(MISSING_VARIANTS), int(round(C.MISSING_RECORD_RATE * n_p))),
    )
    late = in_p & ~crit & (r_s >= to_s(dt.datetime(2026, 9, 17))) & before("2026-09-29")
    # breach_risk: drawn below, once subsidiaries are known, weighted by the same
    # drivers as the natural delays before the period. This draw only keeps the
    # main stream where it was (the other rules' planted complaints stay the same).
    risk_pool = late & ~d.taken
    k_risk = min(
        int(risk_pool.sum()), max(C.MIN_PLANTED, int(round(C.BREACH_RISK_RATE * late.sum())))
    )
    if k_risk:
        rng.choice(np.flatnonzero(risk_pool), size=k_risk, replace=False)
    # Tricky acceptance breaches: receipt dates whose official 7th working day comes
    # before the naive one, decided in between (breach only on the official calendar).
    cand = _tricky_dates(period)
    ti = np.flatnonzero(d.tricky)
    if len(cand) and len(ti):
        choice = rng.integers(0, len(cand), size=len(ti))
        r_s[ti] = np.array([to_s(cand[c][0]) for c in choice]) + rng.integers(
            8 * 3600, 18 * 3600, size=len(ti)
        )
    return risk_pool, k_risk


@dataclass
class _Slow:
    """Planted natural delays before the period: probability and their own uniform draws."""

    p: np.ndarray  # slow_probability of each complaint
    u_slow: np.ndarray  # late if below p
    u_esc: np.ndarray  # escalated if late and below SLOW_ESCALATE_P
    u_over: np.ndarray  # where in SLOW_OVERRUN the resolution falls


def _plant_recurring_and_risk(
    seed: int,
    rng: np.random.Generator,
    cust: Customers,
    d: _Draft,
    ci: np.ndarray,
    risk_pool: np.ndarray,
    k_risk: int,
) -> _Slow:
    """The recurring root cause in one subsidiary, the weighted ``breach_risk`` draw, and
    the natural delays' uniforms (planted mode; the last two from their own stream).
    """
    n = d.n
    sub_recurring = cust.sub == [s[0] for s in C.SUBSIDIARIES].index(C.RECURRING_SUBSIDIARY)
    rec = (
        sub_recurring[ci]
        & (d.r_s >= to_s(dt.datetime(2026, 4, 1)))
        & (rng.random(n) < C.RECURRING_SHARE)
    )
    d.cat = np.where(rec, "delivery", d.cat)
    d.root = np.where(rec, C.RECURRING_ROOT_CAUSE, d.root)
    # Natural delays: their own stream, so that nothing else moves.
    rng_slow = rng_for(seed, "complaints-natural-delays")
    sub_of = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)[cust.sub[ci]]
    p_slow = slow_probability(d.sev, d.chan, d.cat, sub_of)
    ridx = np.flatnonzero(risk_pool)
    risk = np.zeros(n, dtype=bool)
    if k_risk:
        w = p_slow[ridx] / p_slow[ridx].sum()
        risk[rng_slow.choice(ridx, size=k_risk, replace=False, p=w)] = True
    d.taken |= risk
    d.planted["breach_risk"] = risk
    d.risk = risk
    return _Slow(p_slow, rng_slow.random(n), rng_slow.random(n), rng_slow.random(n))


def _decision_hours(
    rng: np.random.Generator, d: _Draft, rdate: np.ndarray, period: Period
) -> tuple[np.ndarray, np.ndarray]:
    """Hours from receipt to acknowledgement and to the accept/reject decision."""
    n, crit = d.n, d.crit
    ack_lim = np.array([ACK_LIMIT_H[s] for s in d.sev], dtype=float)
    ack_h = rng.uniform(0.05, 0.85, size=n) * ack_lim
    ack_h = np.where(d.ack_b, ack_lim + rng.uniform(1, 20, size=n), ack_h)
    near = ~crit & (rng.random(n) < NEAR_MISS_ACCEPT_P) | d.forced
    kth = np.where(
        near,
        rng.choice([6, 7], size=n),
        rng.choice([1, 2, 3, 4, 5], size=n, p=[0.35, 0.3, 0.17, 0.1, 0.08]),
    )
    kth = np.where(d.forced, 7, kth)
    kth = np.where(d.gap_b, 1, kth)
    for _ in range(7):
        dd = nth_workday_after(rdate, kth)
        too_late = ((dd - rdate).astype(int) > MAX_DECISION_DAYS) & (kth > 1)
        if not too_late.any():
            break
        kth = np.where(too_late, kth - 1, kth)
    dd = nth_workday_after(rdate, kth)
    dd = np.where(d.acc_b, nth_workday_after(rdate, 7 + rng.integers(1, 3, size=n)), dd)
    if not d.clean:
        cand = dict(_tricky_dates(period))
        for i in np.flatnonzero(d.tricky):
            dd[i] = np.datetime64(cand[rdate[i].astype(object)], "D")
        dd = np.where(d.acc_b, np.minimum(dd, np.datetime64("2026-09-30")), dd)
    dec_s = dd.astype("datetime64[s]").astype(np.int64) + rng.integers(
        9 * 3600, 17 * 3600 + 1800, size=n
    )
    dec_h = (dec_s - d.r_s) / 3600
    dec_h = np.where(crit, ack_h + rng.uniform(0.3, 8, size=n), dec_h)
    dec_h = np.maximum(dec_h, ack_h + rng.uniform(0.2, 2, size=n))
    return ack_h, dec_h


def _handling_hours(
    rng: np.random.Generator,
    d: _Draft,
    ack_h: np.ndarray,
    dec_h: np.ndarray,
    p0: int,
    slow: _Slow | None,
) -> Clock:
    """Rejection, resolution, pause, escalation, closure and reopening of each complaint."""
    n, crit = d.n, d.crit
    special = d.ack_b | d.acc_b | d.tricky | d.res_b | d.gap_b | d.miss | d.risk | d.forced
    rejected = ~crit & ~special & (rng.random(n) < REJECT_P)
    # Before the period (planted mode only): some complaints are resolved late, more
    # often for the drivers in ``slow_probability`` — history a breach model can learn.
    late = (d.r_s < p0) & ~rejected & (slow.u_slow < slow.p) if slow is not None else None
    res_lim = np.array([RESOLVE_LIMIT_H[s] for s in d.sev], dtype=float)
    t_net, silence = _net_resolution_hours(rng, d, dec_h, res_lim, late, slow)
    pause = ~crit & ~rejected & ~d.gap_b & (rng.random(n) < PAUSE_P)
    p_len = np.where(pause, rng.uniform(6, 60, size=n), 0.0)
    s_net = dec_h + rng.uniform(0.1, 0.9, size=n) * (t_net - dec_h)
    escal = ~rejected & (
        (rng.random(n) < ESCALATE_P) | ((d.chan == "regulator") & (rng.random(n) < 0.35)) | d.risk
    )
    if slow is not None:
        escal = escal | (late & (slow.u_esc < SLOW_ESCALATE_P))
    e_net = dec_h + rng.uniform(0.05, 0.5, size=n) * (t_net - dec_h)
    e_h = np.where(pause & (e_net > s_net), e_net + p_len, e_net)
    res_h = t_net + p_len
    clo_h = res_h + rng.uniform(2, 60, size=n)
    reopen = ~crit & ~rejected & ~special & (t_net < 0.4 * res_lim) & (rng.random(n) < REOPEN_P)
    reo_h = clo_h + rng.uniform(1, 24, size=n)
    res2_h = reo_h + rng.uniform(4, 48, size=n)
    clo2_h = res2_h + rng.uniform(2, 48, size=n)
    return Clock(
        ack_h,
        dec_h,
        rejected,
        escal,
        e_h,
        pause,
        s_net,
        p_len,
        res_h,
        clo_h,
        reopen,
        reo_h,
        res2_h,
        clo2_h,
        silence,
    )


def _net_resolution_hours(
    rng: np.random.Generator,
    d: _Draft,
    dec_h: np.ndarray,
    res_lim: np.ndarray,
    late: np.ndarray | None,
    slow: _Slow | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Resolution time net of pauses (on time, near-miss, or planted late), and the
    ``update_gap`` silence.
    """
    n, crit = d.n, d.crit
    room = np.maximum(0.0, 0.95 * res_lim - dec_h - 1)
    t_net = dec_h + 1 + rng.beta(1.3, 2.5, size=n) * room
    t_net = np.where(crit, dec_h + 1 + rng.random(n) * np.maximum(0.0, 0.9 * 72 - dec_h - 1), t_net)
    nm_res = ~crit & (rng.random(n) < NEAR_MISS_RESOLVE_P)
    t_net = np.where(
        nm_res, np.maximum(dec_h + 1, rng.uniform(0.93, 0.985, size=n) * res_lim), t_net
    )
    t_net = np.where(
        d.res_b,
        np.maximum(
            dec_h + 1,
            res_lim * np.where(crit, rng.uniform(1.3, 2.5, size=n), rng.uniform(1.1, 1.6, size=n)),
        ),
        t_net,
    )
    t_net = np.where(d.risk, 360 * rng.uniform(1.15, 1.5, size=n), t_net)
    if slow is not None:
        t_net = np.where(
            late,
            np.maximum(
                dec_h + 1,
                res_lim * (SLOW_OVERRUN[0] + slow.u_over * (SLOW_OVERRUN[1] - SLOW_OVERRUN[0])),
            ),
            t_net,
        )
    silence = np.where(d.gap_b, dec_h + rng.uniform(80, 110, size=n), np.nan)
    t_net = np.where(d.gap_b, np.maximum(t_net, silence + rng.uniform(20, 60, size=n)), t_net)
    return t_net, silence


def _complaint_columns(
    rng: np.random.Generator, d: _Draft, cust: Customers, ci: np.ndarray, ids: np.ndarray
) -> pl.DataFrame:
    """What the complaints table says beyond its events, with a satisfaction score that
    is lower for planted breaches (shown only for closed complaints).
    """
    n = d.n
    sub_ids = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)
    sat = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.08, 0.10, 0.20, 0.32, 0.30])
    sat = np.where(d.res_b | d.gap_b | d.ack_b, np.minimum(sat, rng.choice([1, 2, 3], size=n)), sat)
    return pframe(
        {
            "complaint_id": ids,
            "customer_id": cust.ids[ci],
            "subsidiary_id": sub_ids[cust.sub[ci]],
            "channel": d.chan,
            "category": d.cat,
            "severity": d.sev,
            "received_at": us(d.r_s),
            "root_cause": d.root,
            "sat": sat,
        }
    ).with_columns(pl.col("received_at").cast(pl.Datetime("us")))


def slow_probability(
    sev: np.ndarray, chan: np.ndarray, cat: np.ndarray, sub: np.ndarray
) -> np.ndarray:
    """Probability that a complaint is resolved late (planted mode, before the period),
    from what is known about it on receipt: logistic in ``SLOW_LOGIT``'s effects.
    """
    z = np.full(len(sev), SLOW_LOGIT["base"])
    z += np.isin(cat, ("pricing", "privacy")) * SLOW_LOGIT["category_pricing_privacy"]
    z += (chan == "regulator") * SLOW_LOGIT["channel_regulator"]
    z += (sub == C.SLOW_SUBSIDIARY) * SLOW_LOGIT["subsidiary_slow"]
    z += (sev == "high") * SLOW_LOGIT["severity_high"] + (sev == "low") * SLOW_LOGIT["severity_low"]
    return 1.0 / (1.0 + np.exp(-z))


def _hour_p() -> np.ndarray:
    w = np.array(
        [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5]
    )
    return w / w.sum()


def _tricky_dates(period: Period) -> list[tuple[dt.date, dt.date]]:
    """(receipt date, decision date) pairs in ``period`` where a decision is late on the
    official calendar (make-up workdays count) yet on time on a naive Monday–Friday
    calendar, with or without official holidays.
    """
    start, last = period.start.date(), period.last_day
    ds = np.arange(np.datetime64(start), np.datetime64(last) + 1)
    off = nth_workday_after(ds, 7)
    naive = np.minimum(nth_weekday_after(ds, 7, False), nth_weekday_after(ds, 7, True))
    out = []
    for d, o_, nv in zip(ds, off, naive, strict=True):
        dec = o_ + 1
        while dec.astype(object).weekday() >= 5:
            dec += 1
        if dec <= nv and dec <= np.datetime64(last):
            out.append((d.astype(object), dec.astype(object)))
    return out
