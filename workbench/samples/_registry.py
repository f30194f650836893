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
registry rules' ground truth do not depend on them. The receivables are drawn
in :mod:`._receivables`, continuing this module's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._receivables import receivables, sigmoid
from workbench.samples._uscc import corrupt_uscc, make_usccs
from workbench.samples._world import Customers, pframe, rng_for

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


def _rand_dates(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform dates in [lo, hi] (datetime64[D] arrays; hi is raised to lo if earlier)."""
    span = np.maximum((hi - lo).astype(int), 0)
    return lo + (rng.random(len(lo)) * (span + 1)).astype(int).astype("timedelta64[D]")


def make_registry(seed: int, cust: Customers, clean: bool) -> RegistryOut:
    """Usccs, registry extracts and events, and receivables for the enterprise customers."""
    rng = rng_for(seed, "registry")
    ent = np.flatnonzero(cust.enterprise)
    z = rng.normal(size=len(ent))
    sub_prov = np.array([s[2] for s in C.SUBSIDIARIES], dtype=object)[cust.sub[ent]]
    codes, uscc, registered, planted = _issue_usccs(rng, cust, ent, sub_prov, clean)
    firms = _firm_records(rng, cust, ent, z, sub_prov, codes, registered)
    log = _EventLog(codes, firms.cities)
    ever_abnormal = _history_events(rng, log, firms)
    extracts = _Extracts.all_active(len(ent))
    if not clean:
        planted.update(_plant_registry(rng, log, firms, extracts, ever_abnormal))
    events = log.frame()
    rec = receivables(
        seed, rng, cust, firms.ent, firms.z, codes, events, ever_abnormal, extracts.knocked
    )
    return RegistryOut(uscc, _snapshots(firms, extracts), events, rec, planted)


def _issue_usccs(
    rng: np.random.Generator,
    cust: Customers,
    ent: np.ndarray,
    sub_prov: np.ndarray,
    clean: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, list[str]]]:
    """True usccs, the ones customers gave (planted: some invalid, so unregistered),
    the per-customer column, and the planted invalid ones.
    """
    e = len(ent)
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
    return codes, uscc, registered, planted


@dataclass
class _Firms:
    """The enterprises' registry records, aligned by position in ``ent``."""

    ent: np.ndarray  # customer positions
    z: np.ndarray  # latent risk score
    codes: np.ndarray  # true usccs
    registered: np.ndarray  # False where the given uscc is invalid (so not in the registry)
    est: np.ndarray  # established date
    cap: np.ndarray  # registered capital (nan: unknown)
    ind_code: np.ndarray
    scope: np.ndarray
    names: np.ndarray
    cities: np.ndarray

    @property
    def reg(self) -> np.ndarray:
        """Positions of the firms found in the registry."""
        return np.flatnonzero(self.registered)


def _firm_records(
    rng: np.random.Generator,
    cust: Customers,
    ent: np.ndarray,
    z: np.ndarray,
    sub_prov: np.ndarray,
    codes: np.ndarray,
    registered: np.ndarray,
) -> _Firms:
    """Registry attributes: riskier firms are younger and smaller."""
    e = len(ent)
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
    return _Firms(ent, z, codes, registered, est, cap, ind_code, scope, names, cities)


class _EventLog:
    """Registry events in the order they are drawn, as frames."""

    def __init__(self, codes: np.ndarray, cities: np.ndarray) -> None:
        self.codes, self.cities = codes, cities
        self.parts: list[pl.DataFrame] = []

    def add(
        self,
        idx: np.ndarray,
        dates: np.ndarray,
        etype: str,
        amount: np.ndarray | None,
        authority: np.ndarray,
        reason: np.ndarray | None,
    ) -> None:
        """One event of type ``etype`` per firm position in ``idx``."""
        if len(idx) == 0:
            return
        self.parts.append(
            pframe(
                {
                    "uscc": self.codes[idx],
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

    def regulator(self, idx: np.ndarray) -> np.ndarray:
        """The local market regulator of each firm."""
        return np.char.add(self.cities[idx].astype(str), "市市场监督管理局").astype(object)

    def court(self, idx: np.ndarray) -> np.ndarray:
        """The local intermediate court of each firm."""
        return np.char.add(self.cities[idx].astype(str), "市中级人民法院").astype(object)

    def frame(self) -> pl.DataFrame:
        """The ``registry_events`` table."""
        return pl.concat(self.parts).sort("uscc", "event_date", "event_type")


def _history_events(rng: np.random.Generator, log: _EventLog, firms: _Firms) -> np.ndarray:
    """Base events (list membership never changes around the reference period);
    returns which firms were ever on the abnormal list.
    """
    z, reg = firms.z, firms.reg
    hist_lo = np.maximum(firms.est, np.datetime64("2019-01-01"))
    data_end = np.datetime64(C.DATA_END.date())
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
        auth = log.court(idx) if etype == "lawsuit" else log.regulator(idx)
        reason = (
            rng.choice(np.array(PENALTY_REASONS, dtype=object), size=len(idx))
            if etype == "admin_penalty"
            else None
        )
        log.add(idx, dates, etype, amount, auth, reason)
    abn = reg[rng.random(len(reg)) < sigmoid(1.3 * z[reg] - 2.6)]
    a_in = _rand_dates(
        rng,
        np.maximum(firms.est[abn], np.datetime64("2021-01-01")),
        np.full(len(abn), np.datetime64("2026-05-31")),
    )
    a_out = a_in + rng.integers(60, 500, size=len(abn)).astype("timedelta64[D]")
    goes_out = (a_out <= np.datetime64("2026-06-15")) & (rng.random(len(abn)) < 0.7)
    log.add(
        abn,
        a_in,
        "abnormal_list_in",
        None,
        log.regulator(abn),
        rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(abn)),
    )
    log.add(
        abn[goes_out],
        a_out[goes_out],
        "abnormal_list_out",
        None,
        log.regulator(abn[goes_out]),
        None,
    )
    ever_abnormal = np.zeros(len(firms.ent), dtype=bool)
    ever_abnormal[abn] = True
    return ever_abnormal


@dataclass
class _Extracts:
    """Status and last annual report year per (extract, firm), and the knocked-out firms."""

    status: np.ndarray
    ar: np.ndarray
    knocked: np.ndarray

    @classmethod
    def all_active(cls, e: int) -> _Extracts:
        """Every firm active, annual reports filed for 2025, nobody knocked out."""
        n_x = len(C.REGISTRY_EXTRACTS)
        return cls(
            np.full((n_x, e), "active", dtype=object),
            np.full((n_x, e), 2025.0),
            np.zeros(e, dtype=bool),
        )


class _RiskQueue:
    """Registered firms, riskiest first (with noise): planted cases are taken in turn."""

    def __init__(self, rng: np.random.Generator, firms: _Firms) -> None:
        reg, z = firms.reg, firms.z
        self.risky = reg[np.argsort(-(z[reg] + rng.normal(0, 0.7, size=len(reg))), kind="stable")]
        self.pos = 0

    def take(self, k: int) -> np.ndarray:
        """The next ``k`` firms."""
        out = self.risky[self.pos : self.pos + k]
        self.pos += k
        return out


def _q3(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Date bounds for ``k`` events inside the reference quarter 2026-Q3."""
    return np.full(k, np.datetime64("2026-07-01")), np.full(k, np.datetime64("2026-09-30"))


def _plant_registry(
    rng: np.random.Generator,
    log: _EventLog,
    firms: _Firms,
    x: _Extracts,
    ever_abnormal: np.ndarray,
) -> dict[str, list[str]]:
    """Plant knock-outs, changes, overdue annual reports and look-ahead traps."""
    e, codes = len(firms.ent), firms.codes
    queue = _RiskQueue(rng, firms)
    k_ko = max(3, int(round(C.KNOCKOUT_RATE * e)))
    k_ch = max(3, int(round(C.REGISTRY_CHANGE_RATE * e)))
    k_od = max(C.MIN_PLANTED, int(round(C.ANNUAL_REPORT_OVERDUE_RATE * e)))
    k_la = max(C.MIN_PLANTED, int(round(C.LOOKAHEAD_RATE * e)))
    knockouts = _plant_knockouts(rng, log, queue, x, k_ko)
    x.knocked[np.concatenate(knockouts)] = True
    changes = _plant_changes(rng, log, queue, x, k_ch)
    ever_abnormal[np.concatenate(changes[1:])] = True
    od = queue.take(k_od)
    late_year = rng.choice(np.array([2024.0, 2023.0, np.nan]), size=len(od), p=[0.6, 0.25, 0.15])
    x.ar[:, od] = late_year
    x.ar[2, od[: len(od) // 2]] = 2025.0  # filed in October: visible only in the later extract
    la = _plant_lookahead(rng, log, queue, x, k_la)
    return {
        "registry_knockout": sorted(codes[np.concatenate(knockouts)].tolist()),
        "registry_change": sorted(codes[np.concatenate(knockouts[1:] + changes)].tolist()),
        "annual_report_overdue": sorted(codes[od].tolist()),
        "lookahead": sorted(codes[la].tolist()),
    }


def _plant_knockouts(
    rng: np.random.Generator, log: _EventLog, queue: _RiskQueue, x: _Extracts, k_ko: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knock-outs at the 2026-09-30 extract: already before it, new since 2026-06-30, or
    put on the serious-illegal list in 2026-Q3.
    """
    ko_before, ko_change, ko_serious = (
        queue.take(k_ko // 3 + k_ko % 3),
        queue.take(k_ko // 3),
        queue.take(k_ko // 3),
    )
    x.status[:, ko_before] = rng.choice(
        np.array(["revoked", "cancelled"], dtype=object), size=len(ko_before)
    )
    x.status[1:, ko_change] = rng.choice(
        np.array(["revoked", "cancelled"], dtype=object), size=len(ko_change)
    )
    log.add(
        ko_serious,
        _rand_dates(rng, *_q3(len(ko_serious))),
        "serious_illegal_in",
        None,
        log.regulator(ko_serious),
        rng.choice(np.array(SERIOUS_REASONS, dtype=object), size=len(ko_serious)),
    )
    return ko_before, ko_change, ko_serious


def _plant_changes(
    rng: np.random.Generator, log: _EventLog, queue: _RiskQueue, x: _Extracts, k_ch: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Changes between the 2026-06-30 and 2026-09-30 extracts that are not knock-outs:
    status, abnormal list in, abnormal list out.
    """
    ch_status, ch_in, ch_out = (
        queue.take(k_ch // 3 + k_ch % 3),
        queue.take(k_ch // 3),
        queue.take(k_ch // 3),
    )
    x.status[1:, ch_status] = rng.choice(
        np.array(["suspended", "moved_out"], dtype=object), size=len(ch_status)
    )
    log.add(
        ch_in,
        _rand_dates(rng, *_q3(len(ch_in))),
        "abnormal_list_in",
        None,
        log.regulator(ch_in),
        rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(ch_in)),
    )
    pre = (
        np.full(len(ch_out), np.datetime64("2025-10-01")),
        np.full(len(ch_out), np.datetime64("2026-05-31")),
    )
    log.add(
        ch_out,
        _rand_dates(rng, *pre),
        "abnormal_list_in",
        None,
        log.regulator(ch_out),
        rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(ch_out)),
    )
    log.add(
        ch_out,
        _rand_dates(rng, *_q3(len(ch_out))),
        "abnormal_list_out",
        None,
        log.regulator(ch_out),
        None,
    )
    return ch_status, ch_in, ch_out


def _plant_lookahead(
    rng: np.random.Generator, log: _EventLog, queue: _RiskQueue, x: _Extracts, k_la: int
) -> np.ndarray:
    """Traps: knock-outs that happen only after the period (October and later)."""
    data_end = np.datetime64(C.DATA_END.date())
    la = queue.take(k_la)
    kinds = np.arange(len(la)) % 3
    x.status[2, la[kinds == 0]] = "revoked"
    l1 = la[kinds == 1]
    log.add(
        l1,
        _rand_dates(rng, np.full(len(l1), np.datetime64("2026-10-01")), np.full(len(l1), data_end)),
        "abnormal_list_in",
        None,
        log.regulator(l1),
        rng.choice(np.array(ABNORMAL_REASONS, dtype=object), size=len(l1)),
    )
    l2 = la[kinds == 2]
    log.add(
        l2,
        _rand_dates(rng, np.full(len(l2), np.datetime64("2026-10-01")), np.full(len(l2), data_end)),
        "serious_illegal_in",
        None,
        log.regulator(l2),
        rng.choice(np.array(SERIOUS_REASONS, dtype=object), size=len(l2)),
    )
    return la


def _snapshots(firms: _Firms, x: _Extracts) -> pl.DataFrame:
    """The ``registry_snapshots`` table: every registered firm at every extract date."""
    reg = firms.reg
    return (
        pl.concat(
            [
                pframe(
                    {
                        "snapshot_date": np.full(len(reg), np.datetime64(d)),
                        "uscc": firms.codes[reg],
                        "name": firms.names[reg],
                        "status": x.status[i, reg],
                        "established_date": firms.est[reg],
                        "registered_capital_cny": firms.cap[reg],
                        "industry_code": firms.ind_code[reg],
                        "business_scope": firms.scope[reg],
                        "last_annual_report_year": x.ar[i, reg],
                    }
                )
                for i, d in enumerate(C.REGISTRY_EXTRACTS)
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
