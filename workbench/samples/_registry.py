"""Enterprise registry extracts, registry events and receivables.

A latent risk score per enterprise drives everything a scorecard should find:
riskier enterprises are younger, smaller, penalised and listed more often, and
fall into payment distress more often. Default is an event, not a fixed trait:
a monthly distress hazard (registry risk, a hidden trait, new-customer and
after-a-first-spell effects, ``_config.DISTRESS_*``) starts spells of a few
months, and invoices due in a spell are paid more than 90 days late or not at
all. The chain starts ``_config.DISTRESS_BURN_IN_MONTHS`` before the timeline,
so the book is in a steady state when the data begin: about 6 % of enterprise
customers default per year. Past behaviour and the registry carry signal,
chance carries the rest, so a good scorecard reaches an out-of-time AUC of
about 0.8–0.85, not 1. Only the receivables draw from these parameters (the
burn-in from a random stream of its own); registry extracts, events and the
registry rules' ground truth do not depend on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._uscc import corrupt_uscc, make_usccs
from workbench.samples._world import Customers, months, pframe, rng_for

CITY = {"31": "上海", "11": "北京", "44": "广州", "33": "杭州", "51": "成都", "42": "武汉"}
BRANDS = (
    "华信",
    "中泰",
    "恒通",
    "鼎盛",
    "瑞丰",
    "联创",
    "宏达",
    "永辉",
    "金桥",
    "天成",
    "新锐",
    "嘉禾",
    "汇丰",
    "博远",
    "东升",
    "安达",
    "立信",
    "众合",
    "卓越",
    "开元",
    "德隆",
    "佳和",
    "明阳",
    "正源",
    "长青",
    "星河",
)
INDUSTRIES = (  # GB/T 4754 section, share, name part, scope
    ("F", 0.30, "商贸", "日用百货、电子产品、五金交电的批发与零售"),
    ("C", 0.22, "实业", "机械设备、电子元器件的制造与销售"),
    ("I", 0.10, "信息技术", "软件开发、信息系统集成服务、数据处理"),
    ("L", 0.08, "商务咨询", "企业管理咨询、市场营销策划、会议及展览服务"),
    ("E", 0.07, "建设工程", "建设工程施工、装饰装修工程"),
    ("G", 0.07, "物流", "道路货物运输、仓储服务、国内货运代理"),
    ("M", 0.06, "科技", "技术开发、技术咨询、技术转让、技术服务"),
    ("H", 0.05, "餐饮管理", "餐饮服务、食品经营"),
    ("K", 0.05, "置业", "房地产经纪、物业管理"),
)
PENALTY_REASONS = ("虚假宣传", "销售不合格产品", "未按规定明码标价", "违反广告法", "食品安全违法")
ABNORMAL_REASONS = ("通过登记的住所或者经营场所无法联系", "未按照规定期限公示年度报告")
SERIOUS_REASONS = ("被列入经营异常名录届满3年仍未履行相关义务", "提交虚假材料取得登记")


@dataclass(frozen=True)
class RegistryOut:
    uscc: np.ndarray  # per customer (None for individuals)
    snapshots: pl.DataFrame
    events: pl.DataFrame
    receivables: pl.DataFrame
    planted: dict[str, list[str]]  # planted kind -> usccs


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _rand_dates(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform dates in [lo, hi] (datetime64[D] arrays; hi is raised to lo if earlier)."""
    span = np.maximum((hi - lo).astype(int), 0)
    return lo + (rng.random(len(lo)) * (span + 1)).astype(int).astype("timedelta64[D]")


def make_registry(seed: int, cust: Customers, clean: bool) -> RegistryOut:
    rng = rng_for(seed, "registry")
    ent = np.flatnonzero(cust.enterprise)
    e = len(ent)
    z = rng.normal(size=e)
    sub_prov = np.array([s[2] for s in C.SUBSIDIARIES], dtype=object)[cust.sub[ent]]
    codes = np.array(make_usccs(rng, list(sub_prov)), dtype=object)
    planted: dict[str, list[str]] = {}
    registered = np.ones(e, dtype=bool)
    given = codes.copy()
    if not clean:
        k = min(e, max(C.MIN_PLANTED, int(round(C.INVALID_USCC_RATE * e))))
        bad = rng.choice(e, size=k, replace=False)
        for j, i in enumerate(bad):
            given[i] = corrupt_uscc(codes[i], "final" if j % 2 == 0 else "org")
        registered[bad] = False
        planted["invalid_uscc"] = sorted(given[bad].tolist())
    uscc = np.full(cust.n, None, dtype=object)
    uscc[ent] = given

    # --- registry attributes
    snap_last = np.datetime64(C.REGISTRY_EXTRACTS[1])
    age_days = np.clip(np.exp(rng.normal(2.0 - 0.45 * z, 0.55)), 1.8, 30) * 365.25
    est = snap_last - age_days.astype(int).astype("timedelta64[D]")
    est = np.minimum(est, cust.signup[ent] - np.timedelta64(30, "D"))
    cap = np.round(np.exp(rng.normal(14.2 - 0.7 * z, 1.1)) / 10_000) * 10_000
    cap = np.where(rng.random(e) < 0.03, np.nan, np.maximum(cap, 10_000))
    ind_i = rng.choice(len(INDUSTRIES), size=e, p=[i[1] for i in INDUSTRIES])
    ind_code = np.array([INDUSTRIES[i][0] for i in ind_i], dtype=object)
    ind_code = np.where(rng.random(e) < 0.02, None, ind_code)
    scope = np.array([INDUSTRIES[i][3] for i in ind_i], dtype=object)
    names = np.array(
        [
            f"{CITY.get(p, '华夏')}{BRANDS[b]}{INDUSTRIES[i][2]}有限公司"
            for p, b, i in zip(sub_prov, rng.integers(len(BRANDS), size=e), ind_i, strict=True)
        ],
        dtype=object,
    )
    cities = np.array([CITY.get(p, "") for p in sub_prov], dtype=object)

    # --- base events (history; list membership never changes around the reference period)
    ev: list[pl.DataFrame] = []
    hist_lo = np.maximum(est, np.datetime64("2019-01-01"))
    data_end = np.datetime64(C.DATA_END.date())

    def add(
        idx: np.ndarray,
        dates: np.ndarray,
        etype: str,
        amount: np.ndarray | None,
        authority: np.ndarray,
        reason: np.ndarray | None,
    ) -> None:
        if len(idx) == 0:
            return
        ev.append(
            pframe(
                {
                    "uscc": codes[idx],
                    "event_date": dates,
                    "event_type": [etype] * len(idx),
                    "amount_cny": amount if amount is not None else np.full(len(idx), np.nan),
                    "authority": authority,
                    "reason": reason
                    if reason is not None
                    else np.full(len(idx), None, dtype=object),
                }
            ).with_columns(pl.col("event_date").cast(pl.Date), pl.col("amount_cny").fill_nan(None))
        )

    def regulator(idx: np.ndarray) -> np.ndarray:
        return np.char.add(cities[idx].astype(str), "市市场监督管理局").astype(object)

    def court(idx: np.ndarray) -> np.ndarray:
        return np.char.add(cities[idx].astype(str), "市中级人民法院").astype(object)

    reg = np.flatnonzero(registered)
    for etype, base, beta, amt in (
        ("admin_penalty", 0.25, 0.8, (9.0, 1.2)),
        ("lawsuit", 0.20, 0.6, (11.0, 1.3)),
        ("spot_check_fail", 0.08, 0.8, None),
        ("equity_pledge", 0.08, 0.0, (13.0, 1.0)),
        ("chattel_mortgage", 0.08, 0.0, (12.0, 1.0)),
    ):
        cnt = rng.poisson(base * np.exp(beta * z[reg]))
        idx = np.repeat(reg, cnt)
        dates = _rand_dates(rng, hist_lo[idx], np.full(len(idx), data_end))
        amount = np.round(rng.lognormal(*amt, size=len(idx)), -2) if amt else None
        auth = court(idx) if etype == "lawsuit" else regulator(idx)
        reason = (
            rng.choice(np.array(PENALTY_REASONS, dtype=object), size=len(idx))
            if etype == "admin_penalty"
            else None
        )
        add(idx, dates, etype, amount, auth, reason)
    abn = reg[rng.random(len(reg)) < _sigmoid(1.3 * z[reg] - 2.6)]
    a_in = _rand_dates(
        rng,
        np.maximum(est[abn], np.datetime64("2021-01-01")),
        np.full(len(abn), np.datetime64("2026-05-31")),
    )
    a_out = a_in + rng.integers(60, 500, size=len(abn)).astype("timedelta64[D]")
    goes_out = (a_out <= np.datetime64("2026-06-15")) & (rng.random(len(abn)) < 0.7)
    add(
        abn,
        a_in,
        "abnormal_list_in",
        None,
        regulator(abn),
        rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(abn)),
    )
    add(abn[goes_out], a_out[goes_out], "abnormal_list_out", None, regulator(abn[goes_out]), None)
    ever_abnormal = np.zeros(e, dtype=bool)
    ever_abnormal[abn] = True

    # --- statuses and annual reports per extract
    n_x = len(C.REGISTRY_EXTRACTS)
    status = np.full((n_x, e), "active", dtype=object)
    ar = np.full((n_x, e), 2025.0)
    knocked = np.zeros(e, dtype=bool)
    if not clean:
        risky = reg[np.argsort(-(z[reg] + rng.normal(0, 0.7, size=len(reg))), kind="stable")]
        pos = 0

        def take(k: int) -> np.ndarray:
            nonlocal pos
            out = risky[pos : pos + k]
            pos += k
            return out

        k_ko = max(3, int(round(C.KNOCKOUT_RATE * e)))
        k_ch = max(3, int(round(C.REGISTRY_CHANGE_RATE * e)))
        k_od = max(C.MIN_PLANTED, int(round(C.ANNUAL_REPORT_OVERDUE_RATE * e)))
        k_la = max(C.MIN_PLANTED, int(round(C.LOOKAHEAD_RATE * e)))
        ko_before, ko_change, ko_serious = (
            take(k_ko // 3 + k_ko % 3),
            take(k_ko // 3),
            take(k_ko // 3),
        )
        status[:, ko_before] = rng.choice(
            np.array(["revoked", "cancelled"], dtype=object), size=len(ko_before)
        )
        status[1:, ko_change] = rng.choice(
            np.array(["revoked", "cancelled"], dtype=object), size=len(ko_change)
        )
        q3 = (
            np.full(len(ko_serious), np.datetime64("2026-07-01")),
            np.full(len(ko_serious), np.datetime64("2026-09-30")),
        )
        add(
            ko_serious,
            _rand_dates(rng, *q3),
            "serious_illegal_in",
            None,
            regulator(ko_serious),
            rng.choice(np.array(SERIOUS_REASONS, dtype=object), size=len(ko_serious)),
        )
        knocked[np.concatenate([ko_before, ko_change, ko_serious])] = True
        ch_status, ch_in, ch_out = take(k_ch // 3 + k_ch % 3), take(k_ch // 3), take(k_ch // 3)
        status[1:, ch_status] = rng.choice(
            np.array(["suspended", "moved_out"], dtype=object), size=len(ch_status)
        )
        q3 = (
            np.full(len(ch_in), np.datetime64("2026-07-01")),
            np.full(len(ch_in), np.datetime64("2026-09-30")),
        )
        add(
            ch_in,
            _rand_dates(rng, *q3),
            "abnormal_list_in",
            None,
            regulator(ch_in),
            rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(ch_in)),
        )
        pre = (
            np.full(len(ch_out), np.datetime64("2025-10-01")),
            np.full(len(ch_out), np.datetime64("2026-05-31")),
        )
        add(
            ch_out,
            _rand_dates(rng, *pre),
            "abnormal_list_in",
            None,
            regulator(ch_out),
            rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(ch_out)),
        )
        q3 = (
            np.full(len(ch_out), np.datetime64("2026-07-01")),
            np.full(len(ch_out), np.datetime64("2026-09-30")),
        )
        add(ch_out, _rand_dates(rng, *q3), "abnormal_list_out", None, regulator(ch_out), None)
        ever_abnormal[np.concatenate([ch_in, ch_out])] = True
        od = take(k_od)
        late_year = rng.choice(
            np.array([2024.0, 2023.0, np.nan]), size=len(od), p=[0.6, 0.25, 0.15]
        )
        ar[:, od] = late_year
        ar[2, od[: len(od) // 2]] = 2025.0  # filed in October: visible only in the later extract
        la = take(k_la)
        kinds = np.arange(len(la)) % 3
        status[2, la[kinds == 0]] = "revoked"
        l1 = la[kinds == 1]
        add(
            l1,
            _rand_dates(
                rng, np.full(len(l1), np.datetime64("2026-10-01")), np.full(len(l1), data_end)
            ),
            "abnormal_list_in",
            None,
            regulator(l1),
            rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(l1)),
        )
        l2 = la[kinds == 2]
        add(
            l2,
            _rand_dates(
                rng, np.full(len(l2), np.datetime64("2026-10-01")), np.full(len(l2), data_end)
            ),
            "serious_illegal_in",
            None,
            regulator(l2),
            rng.choice(np.array(SERIOUS_REASONS, dtype=object), size=len(l2)),
        )
        planted.update(
            registry_knockout=sorted(
                codes[np.concatenate([ko_before, ko_change, ko_serious])].tolist()
            ),
            registry_change=sorted(
                codes[np.concatenate([ko_change, ko_serious, ch_status, ch_in, ch_out])].tolist()
            ),
            annual_report_overdue=sorted(codes[od].tolist()),
            lookahead=sorted(codes[la].tolist()),
        )

    snaps = (
        pl.concat(
            [
                pframe(
                    {
                        "snapshot_date": np.full(len(reg), np.datetime64(d)),
                        "uscc": codes[reg],
                        "name": names[reg],
                        "status": status[x, reg],
                        "established_date": est[reg],
                        "registered_capital_cny": cap[reg],
                        "industry_code": ind_code[reg],
                        "business_scope": scope[reg],
                        "last_annual_report_year": ar[x, reg],
                    }
                )
                for x, d in enumerate(C.REGISTRY_EXTRACTS)
            ]
        )
        .with_columns(
            pl.col("snapshot_date").cast(pl.Date),
            pl.col("established_date").cast(pl.Date),
            pl.col("registered_capital_cny").fill_nan(None),
            pl.col("last_annual_report_year").fill_nan(None).cast(pl.Int64),
        )
        .sort("snapshot_date", "uscc")
    )
    events = pl.concat(ev).sort("uscc", "event_date", "event_type")

    # --- receivables
    # Default is an event, not a trait. Each enterprise has a monthly hazard of
    # entering financial distress: registry risk (z, abnormal list, penalties,
    # knock-outs) plus a hidden persistent trait nobody observes directly. Distress
    # spells last a few months (geometric); invoices due in a distressed month are
    # paid very late or not at all with high probability, others only rarely. So
    # past payment behaviour and the registry predict the next 12 months, but
    # whether a spell starts (and when) is mostly chance: a good scorecard reaches
    # an out-of-time AUC near 0.8, not 1.
    pen = events.filter(pl.col("event_type") == "admin_penalty").group_by("uscc").len()
    pen_map = dict(zip(pen["uscc"], pen["len"], strict=True))
    penal = np.array([pen_map.get(c, 0) for c in codes], dtype=float)
    hidden = rng.normal(size=e)
    hazard_logit = (
        C.DISTRESS_BASE_LOGIT
        + C.DISTRESS_Z_WEIGHT * z
        + 0.5 * ever_abnormal
        + 0.3 * (penal > 0)
        + 1.5 * knocked
        + C.DISTRESS_HIDDEN_SD * hidden
    )
    mlist = months()
    n_m = len(mlist)
    m_start = np.array([np.datetime64(dt.date(y, m, 1)) for y, m in mlist])
    # The firm's history predates the timeline: the chain runs ``burn`` months
    # before it (unobserved: no invoices), so spells and scars are already under
    # way at the start and the default rate does not drift upwards as the sample
    # ages. Those months draw from a stream of their own, so every receivables
    # draw below (invoices, amounts, dates) is the same whatever the burn-in.
    burn = int(C.DISTRESS_BURN_IN_MONTHS)
    month_no = m_start[0].astype("datetime64[M]").astype(int) + np.arange(-burn, n_m)
    # Whole months as a customer at each month start (negative before signup).
    tenure = month_no[None, :] - cust.signup[ent].astype("datetime64[M]").astype(int)[:, None]
    rng_burn = rng_for(seed, "receivables_distress_burn_in")
    u_start = np.concatenate([rng_burn.random((e, burn)), rng.random((e, n_m))], axis=1)
    u_stay = np.concatenate([rng_burn.random((e, burn)), rng.random((e, n_m))], axis=1)
    stay = u_stay < C.DISTRESS_PERSISTENCE
    # New to us: extra risk from signup, fading over ~6 months (none before signup).
    new_customer = np.where(tenure >= 0, np.exp(-np.maximum(tenure, 0) / 6), 0.0)
    distress = np.zeros((e, burn + n_m), dtype=bool)
    scarred = np.zeros(e, dtype=bool)  # had a distress spell before: lasting extra risk
    for m in range(burn + n_m):
        logit = hazard_logit + C.DISTRESS_SCAR * scarred + C.NEW_CUSTOMER_LOGIT * new_customer[:, m]
        start = u_start[:, m] < _sigmoid(logit)
        distress[:, m] = start | ((distress[:, m - 1] & stay[:, m]) if m else False)
        scarred |= distress[:, m]
    distress = distress[:, burn:]
    ii = np.repeat(np.arange(e), n_m)
    mm = np.tile(np.arange(n_m), e)
    keep = (cust.signup[ent][ii] <= m_start[mm] + np.timedelta64(27, "D")) & (
        rng.random(len(ii)) < 0.75
    )
    ii, mm = ii[keep], mm[keep]
    last_day = np.where(mm == n_m - 1, C.DATA_END.day, 28)
    issued = m_start[mm] + (rng.random(len(ii)) * last_day).astype(int).astype("timedelta64[D]")
    issued = np.maximum(issued, cust.signup[ent][ii])
    scale = rng.lognormal(9.3, 0.8, size=e)
    amount = np.round(rng.lognormal(np.log(scale[ii]), 0.5), 2)
    term = rng.choice([30, 45, 60, 90], size=e, p=[0.4, 0.2, 0.25, 0.15])[ii]
    due = issued + term.astype("timedelta64[D]")
    # The month the invoice falls due decides whether distress hits it.
    due_m = due.astype("datetime64[M]").astype(int) - m_start[0].astype("datetime64[M]").astype(int)
    in_distress = distress[ii, np.clip(due_m, 0, n_m - 1)]
    nr = len(ii)
    delay = np.clip(rng.normal(-1, 6, size=nr), -25, 45)
    delay = np.where(rng.random(nr) < 0.05, rng.uniform(20, 80, size=nr), delay)
    # Riskier payers are mildly late more often (signal in share/mean days late);
    # the same risk terms as the hazard, on a base of their own.
    mild_logit = hazard_logit - C.DISTRESS_BASE_LOGIT + C.MILD_LATE_BASE_LOGIT
    sloppy = rng.random(nr) < _sigmoid(mild_logit[ii])
    delay = np.where(sloppy, delay + rng.uniform(3, 25, size=nr), delay)
    severe = np.where(
        in_distress,
        rng.random(nr) < C.DISTRESS_SEVERE_SHARE,
        rng.random(nr) < C.BACKGROUND_SEVERE_SHARE,
    )
    delay = np.where(in_distress & ~severe, delay + 15, delay)
    delay = np.where(severe, rng.uniform(91, 420, size=nr), delay)
    paid = due + np.round(delay).astype(int).astype("timedelta64[D]")
    paid = np.maximum(paid, issued)
    unpaid = paid > data_end
    paid_amt = np.where(unpaid, 0.0, amount)
    partial = severe & ~unpaid & (rng.random(nr) < 0.3)
    paid_amt = np.where(partial, np.round(amount * rng.uniform(0.3, 0.9, size=nr), 2), paid_amt)
    rec = (
        pframe(
            {
                "customer_id": cust.ids[ent][ii],
                "issued_at": issued,
                "due_date": due,
                "amount_cny": amount,
                "paid_at": np.where(unpaid, np.datetime64("NaT"), paid),
                "paid_amount_cny": paid_amt,
            }
        )
        .with_columns(
            pl.col("issued_at").cast(pl.Date),
            pl.col("due_date").cast(pl.Date),
            pl.col("paid_at").cast(pl.Date),
        )
        .sort("issued_at", "customer_id", maintain_order=True)
    )
    rec = rec.with_columns(
        invoice_id=pl.format("INV{}", pl.int_range(1, rec.height + 1).cast(pl.String).str.zfill(8))
    ).select(
        "invoice_id",
        "customer_id",
        "issued_at",
        "due_date",
        "amount_cny",
        "paid_at",
        "paid_amount_cny",
    )
    return RegistryOut(uscc, snaps, events, rec, planted)
