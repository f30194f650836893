"""Tier history: the ``tier_assignments`` rows the month loop writes.

Everybody starts at the lowest tier (a migration row, or a row at signup). Within a
month, customers may get a manual override (at most one each; planted mode adds
reasonless ones); at each quarter end everybody in scope is re-evaluated by the
published rule (planted mode writes some of them wrong, or skips them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._world import S_PER_DAY, World, next_month, pframe, to_s, us

MANUAL_REASONS = (
    "客户投诉补偿，经理审批升级",
    "大客户保级，区域总监批准",
    "系统迁移数据核对后调整",
    "发现刷单套利，风控降级",
    "集团战略客户，总部批准",
)
NO_REASON_VALUES = (None, "", "  ")
NO_OVERRIDE = np.iinfo(np.int64).max  # "no manual row this month" in ``Overrides.at``
# Planted reasonless manual rows: superseded before the period (Feb), current at the
# period end (Sep, the ``frozen_manual`` customers) and after the period (Oct, a trap).
REASONLESS_MONTHS = ((2026, 2), (2026, 9), (2026, 10))


class TierLog:
    """Tier rows in the order they are written (ties keep that order when sorted)."""

    def __init__(self, customer_ids: np.ndarray) -> None:
        self.ids = customer_ids
        self.rows: list[pl.DataFrame] = []

    def add(
        self,
        idx: np.ndarray,
        at_s: np.ndarray | int,
        ranks: np.ndarray,
        method: str,
        reasons: list[str | None] | None,
    ) -> None:
        """Write one row per customer position in ``idx``."""
        if len(idx) == 0:
            return
        at = np.broadcast_to(np.asarray(at_s, dtype=np.int64), idx.shape)
        self.rows.append(
            pframe(
                {
                    "customer_id": self.ids[idx],
                    "tier": np.array([C.TIER_BY_RANK[int(r)] for r in ranks], dtype=object),
                    "assigned_at": us(at),
                    "method": [method] * len(idx),
                    "reason": reasons if reasons is not None else [None] * len(idx),
                }
            ).with_columns(pl.col("assigned_at").cast(pl.Datetime("us")))
        )

    def frame(self) -> pl.DataFrame:
        """The ``tier_assignments`` table."""
        return pl.concat(self.rows).sort("customer_id", "assigned_at", maintain_order=True)


def write_start_rows(log: TierLog, signup_s: np.ndarray) -> None:
    """Migration evaluation for customers who signed up before the timeline; nothing was
    bought through this CRM before 2024-10, so everybody starts at the lowest tier.
    """
    pre = np.flatnonzero(signup_s < to_s(C.TIMELINE_START))
    log.add(
        pre,
        to_s(dt.datetime.combine(C.TIMELINE_START.date() - dt.timedelta(days=1), C.EVAL_TIME)),
        np.ones(len(pre)),
        "rule",
        None,
    )
    later = np.flatnonzero(signup_s >= to_s(C.TIMELINE_START))
    log.add(later, signup_s[later], np.ones(len(later)), "rule", None)


@dataclass
class Overrides:
    """A month's manual rows: when each customer's takes effect and the rank it sets."""

    at: np.ndarray  # epoch seconds, NO_OVERRIDE where there is none
    rank: np.ndarray

    def rank_at(self, oc: np.ndarray, ts: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Tier rank in force for customer positions ``oc`` at times ``ts``."""
        return np.where(self.at[oc] <= ts, self.rank[oc], cur[oc])

    def month_end(self, cur: np.ndarray) -> np.ndarray:
        """Tier ranks after the month: manual rows become the current tier."""
        has_man = self.at < NO_OVERRIDE
        return np.where(has_man, self.rank, cur)


def manual_overrides(
    rng: np.random.Generator,
    world: World,
    log: TierLog,
    cur: np.ndarray,
    in_scope: np.ndarray,
    month: tuple[int, int],
    m0: int,
    nd: int,
) -> Overrides:
    """The month's manual overrides (at most one per customer), written to ``log``."""
    n = world.cust.n
    plan = world.plan
    ov = Overrides(np.full(n, NO_OVERRIDE), cur.copy())
    eligible_for_manual = (
        in_scope & (world.signup_s < m0) & ~plan.stale_early & ~plan.frozen_manual & ~plan.stale_vip
    )
    pick = np.flatnonzero(eligible_for_manual & (rng.random(n) < C.MANUAL_MONTHLY_P))
    if len(pick):
        at = m0 + S_PER_DAY + rng.integers(0, (nd - 2) * S_PER_DAY, size=len(pick))
        up = cur[pick] < 3
        new = np.where(up, cur[pick] + 1, 2)
        reasons = [MANUAL_REASONS[i] for i in rng.integers(0, 3, size=len(pick))]
        reasons = [r if u else MANUAL_REASONS[3] for r, u in zip(reasons, up, strict=True)]
        ov.at[pick], ov.rank[pick] = at, new
        order_idx = np.argsort(at, kind="stable")
        log.add(
            pick[order_idx],
            at[order_idx],
            new[order_idx],
            "manual",
            [reasons[i] for i in order_idx],
        )
    if not world.clean and month in REASONLESS_MONTHS:
        _reasonless_overrides(rng, world, log, cur, ov, in_scope, month, m0, nd)
    return ov


def _reasonless_overrides(
    rng: np.random.Generator,
    world: World,
    log: TierLog,
    cur: np.ndarray,
    ov: Overrides,
    in_scope: np.ndarray,
    month: tuple[int, int],
    m0: int,
    nd: int,
) -> None:
    """Plant manual rows without a reason; only September's are current at the period end."""
    plan = world.plan
    if month == (2026, 9):
        sel = np.flatnonzero(plan.frozen_manual & in_scope)
    else:  # superseded before the period / after it (look-ahead trap)
        pool = np.flatnonzero(
            in_scope
            & (world.signup_s < m0)
            & (ov.at == NO_OVERRIDE)
            & ~plan.stale_early
            & ~plan.stale_vip
            & ~plan.frozen_manual
        )
        sel = rng.choice(
            pool, size=min(len(pool), max(C.MIN_PLANTED, int(0.01 * world.cust.n))), replace=False
        )
        sel.sort()
    if len(sel):
        at = m0 + S_PER_DAY + rng.integers(0, (min(nd, 26) - 2) * S_PER_DAY, size=len(sel))
        new = np.where(rng.random(len(sel)) < 0.5, np.minimum(cur[sel] + 1, 3), cur[sel])
        ov.at[sel], ov.rank[sel] = at, new
        reasons = [NO_REASON_VALUES[i] for i in rng.integers(0, 3, size=len(sel))]
        log.add(sel, at, new, "manual", reasons)


@dataclass
class RuleErrors:
    """The random stream of planted rule-row errors, and each customer's fixed direction."""

    u_mis: np.random.Generator
    u_dir: np.ndarray  # < 0.5: a wrong row errs upwards where it can


def quarter_end(
    errors: RuleErrors,
    world: World,
    log: TierLog,
    cur: np.ndarray,
    spend: np.ndarray,
    count: np.ndarray,
    k: int,
    month: tuple[int, int],
    nd: int,
) -> np.ndarray:
    """Re-evaluate everybody in scope by the published rule; return the new tier ranks."""
    y, m = month
    ev_at = to_s(dt.datetime.combine(dt.date(y, m, nd), C.EVAL_TIME))
    elig = _eligible_ranks(world, spend, count, k, month)
    written = elig.copy()
    scope = world.signup_s <= ev_at
    if not world.clean:
        written, scope = _planted_rule_errors(errors, world, elig, written, scope, month)
    idx = np.flatnonzero(scope)
    log.add(idx, ev_at, written[idx], "rule", None)
    return np.where(scope, written, cur)


def _eligible_ranks(
    world: World, spend: np.ndarray, count: np.ndarray, k: int, month: tuple[int, int]
) -> np.ndarray:
    """The published rule: trailing-12-month spend and orders, and whole months of tenure."""
    lo = max(0, k - 11)
    s12 = spend[lo : k + 1].sum(axis=0)
    n12 = count[lo : k + 1].sum(axis=0)
    ny, nmo = next_month(*month)
    ten = (ny * 12 + nmo) - (world.sy * 12 + world.sm) - (world.sd > 1)
    elig = np.ones(world.cust.n, dtype=np.int64)
    for _name, r, ms, mo, mt, _ in sorted(C.TIERS, key=lambda t: t[1]):
        elig = np.where((s12 >= ms) & (n12 >= mo) & (ten >= mt), r, elig)
    return elig


def _planted_rule_errors(
    errors: RuleErrors,
    world: World,
    elig: np.ndarray,
    written: np.ndarray,
    scope: np.ndarray,
    month: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Disparity, random ±1 mistakes and skipped evaluations (stale tiers)."""
    plan, n = world.plan, world.cust.n
    written = np.where(plan.disparity & (elig >= 2), elig - 1, written)
    mis = scope & (errors.u_mis.random(n) < C.TIER_MISMATCH_RATE)
    upw = np.where(errors.u_dir < 0.5, written < 3, written <= 1)
    written = np.where(mis, np.where(upw, written + 1, written - 1), written)
    skip = np.zeros(n, dtype=bool)
    if month > (2025, 6):
        skip |= plan.stale_early
    if month == (2026, 3):
        pool = np.flatnonzero(
            scope & (written == 3) & ~plan.stale_early & ~plan.frozen_manual & ~plan.dormant
        )
        kk = min(len(pool), max(C.MIN_PLANTED, int(round(C.STALE_VIP_RATE * len(pool)))))
        sv = np.zeros(n, dtype=bool)
        sv[errors.u_mis.choice(pool, size=kk, replace=False)] = True
        plan.stale_vip = sv
    if month > (2026, 3):
        skip |= plan.stale_vip
    if month == (2026, 9):
        skip |= plan.frozen_manual
    scope &= ~skip
    return written, scope
