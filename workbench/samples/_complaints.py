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
Clean mode is not affected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.samples import _config as C
from workbench.samples._calendar import nth_weekday_after, nth_workday_after
from workbench.samples._reference import ACK_LIMIT_H, RESOLVE_LIMIT_H, derived_status
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
FILL_EVERY_H = 54.0
MAX_DECISION_DAYS = 11  # clean decisions leave time to resolve within 15 days
FORCED_NEAR_MISS_DATE = dt.date(2026, 9, 20)  # a Sunday make-up workday inside 2026-Q3
NOTES = {
    "acknowledged": "已响应客户",
    "accepted": "受理",
    "rejected": "不属于受理范围，已告知客户",
    "progress_update": "进展告知客户",
    "waiting_customer": "等待客户补充材料",
    "resumed": "客户已补充材料，恢复处理",
    "escalated": "升级至区域客服经理",
    "resolved": "已处理完毕",
    "closed": "客户确认，结案",
    "reopened": "客户不满意，重新打开",
}
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
MISSING_VARIANTS = (
    "no_ack",
    "no_resolution",
    "closed_before_resolved",
    "status_mismatch",
    "timestamp_mismatch",
)


@dataclass(frozen=True)
class ComplaintsOut:
    complaints: pl.DataFrame
    events: pl.DataFrame
    planted: dict[str, list[str]]  # planted kind -> complaint ids
    missing_variants: dict[str, str]  # complaint id -> variant


def make_complaints(
    seed: int, cust: Customers, n: int, clean: bool, period: Period
) -> ComplaintsOut:
    rng = rng_for(seed, "complaints")
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
    r_s = r_s[o]

    p0, p1 = to_s(period.start), to_s(period.end)
    in_p = (r_s >= p0) & (r_s < p1)
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
    crit = sev == "critical"

    taken = np.zeros(n, dtype=bool)
    planted: dict[str, np.ndarray] = {}

    def pick(kind: str, pool: np.ndarray, k: int) -> np.ndarray:
        idx = np.flatnonzero(pool & ~taken)
        k = min(len(idx), k)
        sel = np.zeros(n, dtype=bool)
        if k:
            sel[rng.choice(idx, size=k, replace=False)] = True
        taken[sel] = True
        planted[kind] = sel
        return sel

    n_p = int(in_p.sum())
    k_rule = max(C.MIN_PLANTED, int(round(C.SLA_BREACH_RATE * n_p)))

    def before(day: str) -> np.ndarray:
        return r_s < to_s(dt.datetime.fromisoformat(day))

    # Near-misses (clean and planted alike): receipts on the 2026-09-20 make-up Sunday
    # decided on the 7th official working day, 2026-09-30 — late on a Mon–Fri calendar.
    forced = pick("near_miss", in_p & ~crit & before("2026-09-15"), 2)
    fs = np.flatnonzero(forced)
    r_s[fs] = to_s(FORCED_NEAR_MISS_DATE) + rng.integers(9 * 3600, 20 * 3600, size=len(fs))

    empty = np.zeros(n, dtype=bool)
    if clean:
        ack_b = acc_b = tricky = res_b = gap_b = miss = risk = empty
    else:
        ack_b = pick("ack_breach", in_p & ~(sev == "low"), k_rule)
        acc_pool = (
            in_p
            & ~crit
            & (
                nth_workday_after(r_s.astype("datetime64[s]").astype("datetime64[D]"), 8)
                <= np.datetime64("2026-09-30")
            )
        )
        acc_b = pick("acceptance_breach", acc_pool, k_rule)
        tricky = pick(
            "acceptance_breach_official_only",
            in_p & ~crit & before("2026-09-10"),
            max(1, k_rule // 2),
        )
        res_b = pick("resolution_breach", in_p & before("2026-09-10"), k_rule)
        gap_b = pick("update_gap", in_p & ~crit & before("2026-09-12"), k_rule)
        miss = pick(
            "missing_record",
            in_p & ~crit & before("2026-09-01"),
            max(len(MISSING_VARIANTS), int(round(C.MISSING_RECORD_RATE * n_p))),
        )
        late = in_p & ~crit & (r_s >= to_s(dt.datetime(2026, 9, 17))) & before("2026-09-29")
        # breach_risk: drawn below, once subsidiaries are known, weighted by the same
        # drivers as the natural delays before the period. This draw only keeps the
        # main stream where it was (the other rules' planted complaints stay the same).
        risk_pool = late & ~taken
        k_risk = min(
            int(risk_pool.sum()), max(C.MIN_PLANTED, int(round(C.BREACH_RISK_RATE * late.sum())))
        )
        if k_risk:
            rng.choice(np.flatnonzero(risk_pool), size=k_risk, replace=False)
        # Tricky acceptance breaches: receipt dates whose official 7th working day comes
        # before the naive one, decided in between (breach only on the official calendar).
        cand = _tricky_dates(period)
        ti = np.flatnonzero(tricky)
        if len(cand) and len(ti):
            choice = rng.integers(0, len(cand), size=len(ti))
            r_s[ti] = np.array([to_s(cand[c][0]) for c in choice]) + rng.integers(
                8 * 3600, 18 * 3600, size=len(ti)
            )
        sub_recurring = cust.sub == [s[0] for s in C.SUBSIDIARIES].index(C.RECURRING_SUBSIDIARY)
    # customers: anyone signed up by the receipt date (ids are in signup order)
    rdate = r_s.astype("datetime64[s]").astype("datetime64[D]")
    k_signed = np.searchsorted(cust.signup, rdate, side="right")
    ci = np.minimum((rng.random(n) * k_signed).astype(np.int64), k_signed - 1)
    if not clean:
        rec = (
            sub_recurring[ci]
            & (r_s >= to_s(dt.datetime(2026, 4, 1)))
            & (rng.random(n) < C.RECURRING_SHARE)
        )
        cat = np.where(rec, "delivery", cat)
        root = np.where(rec, C.RECURRING_ROOT_CAUSE, root)
        # Natural delays: their own stream, so that nothing else moves.
        rng_slow = rng_for(seed, "complaints-natural-delays")
        sub_of = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)[cust.sub[ci]]
        p_slow = slow_probability(sev, chan, cat, sub_of)
        ridx = np.flatnonzero(risk_pool)
        risk = np.zeros(n, dtype=bool)
        if k_risk:
            w = p_slow[ridx] / p_slow[ridx].sum()
            risk[rng_slow.choice(ridx, size=k_risk, replace=False, p=w)] = True
        taken |= risk
        planted["breach_risk"] = risk
        u_slow, u_esc, u_over = rng_slow.random(n), rng_slow.random(n), rng_slow.random(n)

    ack_lim = np.array([ACK_LIMIT_H[s] for s in sev], dtype=float)
    res_lim = np.array([RESOLVE_LIMIT_H[s] for s in sev], dtype=float)
    ack_h = rng.uniform(0.05, 0.85, size=n) * ack_lim
    ack_h = np.where(ack_b, ack_lim + rng.uniform(1, 20, size=n), ack_h)

    # ---- decision
    near = ~crit & (rng.random(n) < NEAR_MISS_ACCEPT_P) | forced
    kth = np.where(
        near,
        rng.choice([6, 7], size=n),
        rng.choice([1, 2, 3, 4, 5], size=n, p=[0.35, 0.3, 0.17, 0.1, 0.08]),
    )
    kth = np.where(forced, 7, kth)
    kth = np.where(gap_b, 1, kth)
    for _ in range(7):
        dd = nth_workday_after(rdate, kth)
        too_late = ((dd - rdate).astype(int) > MAX_DECISION_DAYS) & (kth > 1)
        if not too_late.any():
            break
        kth = np.where(too_late, kth - 1, kth)
    dd = nth_workday_after(rdate, kth)
    dd = np.where(acc_b, nth_workday_after(rdate, 7 + rng.integers(1, 3, size=n)), dd)
    if not clean:
        cand = dict(_tricky_dates(period))
        for i in np.flatnonzero(tricky):
            dd[i] = np.datetime64(cand[rdate[i].astype(object)], "D")
        dd = np.where(acc_b, np.minimum(dd, np.datetime64("2026-09-30")), dd)
    dec_s = dd.astype("datetime64[s]").astype(np.int64) + rng.integers(
        9 * 3600, 17 * 3600 + 1800, size=n
    )
    dec_h = (dec_s - r_s) / 3600
    dec_h = np.where(crit, ack_h + rng.uniform(0.3, 8, size=n), dec_h)
    dec_h = np.maximum(dec_h, ack_h + rng.uniform(0.2, 2, size=n))
    special = ack_b | acc_b | tricky | res_b | gap_b | miss | risk | forced
    rejected = ~crit & ~special & (rng.random(n) < REJECT_P)
    # Before the period (planted mode only): some complaints are resolved late, more
    # often for the drivers in ``slow_probability`` — history a breach model can learn.
    slow = (r_s < p0) & ~rejected & (u_slow < p_slow) if not clean else empty

    # ---- resolution (net hours from receipt)
    room = np.maximum(0.0, 0.95 * res_lim - dec_h - 1)
    t_net = dec_h + 1 + rng.beta(1.3, 2.5, size=n) * room
    t_net = np.where(crit, dec_h + 1 + rng.random(n) * np.maximum(0.0, 0.9 * 72 - dec_h - 1), t_net)
    nm_res = ~crit & (rng.random(n) < NEAR_MISS_RESOLVE_P)
    t_net = np.where(
        nm_res, np.maximum(dec_h + 1, rng.uniform(0.93, 0.985, size=n) * res_lim), t_net
    )
    t_net = np.where(
        res_b,
        np.maximum(
            dec_h + 1,
            res_lim * np.where(crit, rng.uniform(1.3, 2.5, size=n), rng.uniform(1.1, 1.6, size=n)),
        ),
        t_net,
    )
    t_net = np.where(risk, 360 * rng.uniform(1.15, 1.5, size=n), t_net)
    if not clean:
        t_net = np.where(
            slow,
            np.maximum(
                dec_h + 1,
                res_lim * (SLOW_OVERRUN[0] + u_over * (SLOW_OVERRUN[1] - SLOW_OVERRUN[0])),
            ),
            t_net,
        )
    silence = np.where(gap_b, dec_h + rng.uniform(80, 110, size=n), np.nan)
    t_net = np.where(gap_b, np.maximum(t_net, silence + rng.uniform(20, 60, size=n)), t_net)
    pause = ~crit & ~rejected & ~gap_b & (rng.random(n) < PAUSE_P)
    p_len = np.where(pause, rng.uniform(6, 60, size=n), 0.0)
    s_net = dec_h + rng.uniform(0.1, 0.9, size=n) * (t_net - dec_h)
    escal = ~rejected & (
        (rng.random(n) < ESCALATE_P) | ((chan == "regulator") & (rng.random(n) < 0.35)) | risk
    )
    if not clean:
        escal = escal | (slow & (u_esc < SLOW_ESCALATE_P))
    e_net = dec_h + rng.uniform(0.05, 0.5, size=n) * (t_net - dec_h)
    e_h = np.where(pause & (e_net > s_net), e_net + p_len, e_net)
    res_h = t_net + p_len
    clo_h = res_h + rng.uniform(2, 60, size=n)
    reopen = ~crit & ~rejected & ~special & (t_net < 0.4 * res_lim) & (rng.random(n) < REOPEN_P)
    reo_h = clo_h + rng.uniform(1, 24, size=n)
    res2_h = reo_h + rng.uniform(4, 48, size=n)
    clo2_h = res2_h + rng.uniform(2, 48, size=n)

    # ---- milestone events
    idx = np.arange(n)
    acc = ~rejected
    parts = [
        (idx, ack_h, "acknowledged", False),
        (idx[acc], dec_h[acc], "accepted", False),
        (idx[rejected], dec_h[rejected], "rejected", False),
        (idx[escal], e_h[escal], "escalated", False),
        (idx[pause], s_net[pause], "waiting_customer", False),
        (idx[pause], s_net[pause] + p_len[pause], "resumed", False),
        (idx[acc], res_h[acc], "resolved", False),
        (idx[acc], clo_h[acc], "closed", False),
        (idx[reopen], reo_h[reopen], "reopened", False),
        (idx[reopen], res2_h[reopen], "resolved", False),
        (idx[reopen], clo2_h[reopen], "closed", False),
        (idx[gap_b], silence[gap_b], "progress_update", True),
    ]
    ev = pframe(
        {
            "ci": np.concatenate([p[0] for p in parts]),
            "h": np.concatenate([p[1] for p in parts]),
            "event": np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts]),
            "nofill": np.concatenate([np.full(len(p[0]), p[3]) for p in parts]),
        }
    ).sort("ci", "h")
    ev = _fill_updates(ev)
    ids = np.array([f"CP{i + 1:07d}" for i in range(n)], dtype=object)
    at_s = r_s[ev["ci"].to_numpy()] + np.round(ev["h"].to_numpy() * 3600).astype(np.int64)
    is_reg = (chan == "regulator")[ev["ci"].to_numpy()]
    events = (
        ev.with_columns(
            complaint_id=pl.Series(ids[ev["ci"].to_numpy()], dtype=pl.String),
            at=pl.Series(us(at_s)).cast(pl.Datetime("us")),
            is_reg=pl.Series(is_reg),
        )
        .filter(pl.col("at") <= C.DATA_END)
        .with_columns(
            note=pl.when((pl.col("event") == "escalated") & pl.col("is_reg"))
            .then(pl.lit("12315平台转办，升级至合规部"))
            .otherwise(pl.col("event").replace_strict(NOTES, return_dtype=pl.String))
        )
    )

    # ---- planted missing records: damage the service record
    variants: dict[str, str] = {}
    miss_idx = np.flatnonzero(miss)
    for j, i in enumerate(miss_idx):
        variants[ids[i]] = MISSING_VARIANTS[j % len(MISSING_VARIANTS)]
    by_variant = {v: [c for c, vv in variants.items() if vv == v] for v in MISSING_VARIANTS}
    events = events.filter(
        ~(pl.col("complaint_id").is_in(by_variant["no_ack"]) & (pl.col("event") == "acknowledged"))
        & ~(
            pl.col("complaint_id").is_in(by_variant["no_resolution"])
            & (pl.col("event") == "resolved")
        )
        & ~(
            pl.col("complaint_id").is_in(by_variant["status_mismatch"])
            & (pl.col("event") == "closed")
        )
    )
    cbr = by_variant["closed_before_resolved"]
    res_at = events.filter(
        pl.col("complaint_id").is_in(cbr) & (pl.col("event") == "resolved")
    ).select("complaint_id", r_at=pl.col("at"))
    events = (
        events.join(res_at, on="complaint_id", how="left")
        .with_columns(
            at=pl.when(pl.col("complaint_id").is_in(cbr) & (pl.col("event") == "closed"))
            .then(pl.col("r_at") - pl.duration(hours=3))
            .otherwise(pl.col("at"))
        )
        .drop("r_at")
        .sort("complaint_id", "at")
        .select("complaint_id", "at", "event", "note")
    )

    # ---- the complaints table: an extract at DATA_END derived from the events
    agg = events.group_by("complaint_id").agg(
        acknowledged_at=pl.col("at").filter(pl.col("event") == "acknowledged").min(),
        accepted_at=pl.col("at").filter(pl.col("event").is_in(["accepted", "rejected"])).min(),
        resolved_at=pl.col("at").filter(pl.col("event") == "resolved").max(),
        closed_at=pl.col("at").filter(pl.col("event") == "closed").max(),
    )
    status = derived_status(events)
    sub_ids = np.array([s[0] for s in C.SUBSIDIARIES], dtype=object)
    sat = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.08, 0.10, 0.20, 0.32, 0.30])
    sat = np.where(res_b | gap_b | ack_b, np.minimum(sat, rng.choice([1, 2, 3], size=n)), sat)
    table = (
        pframe(
            {
                "complaint_id": ids,
                "customer_id": cust.ids[ci],
                "subsidiary_id": sub_ids[cust.sub[ci]],
                "channel": chan,
                "category": cat,
                "severity": sev,
                "received_at": us(r_s),
                "root_cause": root,
                "sat": sat,
            }
        )
        .with_columns(pl.col("received_at").cast(pl.Datetime("us")))
        .join(agg, on="complaint_id", how="left")
        .join(status, on="complaint_id", how="left")
        .with_columns(pl.col("status").fill_null("open"))
        .with_columns(
            root_cause=pl.when(
                pl.col("resolved_at").is_not_null() | (pl.col("status") == "closed")
            ).then(pl.col("root_cause")),
            satisfaction=pl.when(pl.col("status") == "closed").then(pl.col("sat").cast(pl.Int64)),
        )
    )
    # table-level contradictions
    sm, tm = by_variant["status_mismatch"], by_variant["timestamp_mismatch"]
    closed_guess = pl.col("resolved_at") + pl.duration(hours=26)
    table = table.with_columns(
        status=pl.when(pl.col("complaint_id").is_in(sm))
        .then(pl.lit("closed"))
        .otherwise(pl.col("status")),
        closed_at=pl.when(pl.col("complaint_id").is_in(sm))
        .then(closed_guess)
        .otherwise(pl.col("closed_at")),
        acknowledged_at=pl.when(pl.col("complaint_id").is_in(tm))
        .then(pl.col("acknowledged_at") - pl.duration(hours=5))
        .otherwise(pl.col("acknowledged_at")),
    ).select(
        "complaint_id",
        "customer_id",
        "subsidiary_id",
        "channel",
        "category",
        "severity",
        "received_at",
        "acknowledged_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "status",
        "root_cause",
        "satisfaction",
    )
    return ComplaintsOut(
        table,
        events,
        {k: sorted(str(ids[i]) for i in np.flatnonzero(v)) for k, v in planted.items()},
        variants,
    )


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


def _fill_updates(ev: pl.DataFrame) -> pl.DataFrame:
    """Insert evenly spaced ``progress_update`` events into every open gap > FILL_EVERY_H."""
    opens = {"resolved": False, "rejected": False, "closed": False, "reopened": True}
    g = ev.with_columns(
        prev=pl.col("h").shift(1).over("ci").fill_null(0.0),
        o=pl.col("event").replace_strict(opens, default=None, return_dtype=pl.Boolean),
    ).with_columns(open_after=pl.col("o").forward_fill().over("ci").fill_null(True))
    g = g.with_columns(open_before=pl.col("open_after").shift(1).over("ci").fill_null(True))
    g = g.with_columns(gap=pl.col("h") - pl.col("prev"))
    need = g.filter(pl.col("open_before") & ~pl.col("nofill") & (pl.col("gap") > FILL_EVERY_H))
    nfill = np.ceil(need["gap"].to_numpy() / FILL_EVERY_H).astype(np.int64) - 1
    rep = np.repeat(np.arange(need.height), nfill)
    j = (
        np.concatenate([np.arange(1, k + 1) for k in nfill])
        if len(nfill)
        else np.array([], dtype=np.int64)
    )
    prev = need["prev"].to_numpy()[rep]
    gap = need["gap"].to_numpy()[rep]
    fills = pframe(
        {
            "ci": need["ci"].to_numpy()[rep],
            "h": prev + gap * j / (nfill[rep] + 1),
            "event": np.full(len(rep), "progress_update", dtype=object),
            "nofill": np.zeros(len(rep), dtype=bool),
        }
    )
    return pl.concat([ev, fills.cast(ev.schema)]).sort("ci", "h")
