"""Receivables of the enterprise customers: invoices and how they were paid.

Default is an event, not a trait. Each enterprise has a monthly hazard of
entering financial distress: registry risk (z, abnormal list, penalties,
knock-outs) plus a hidden persistent trait nobody observes directly. Distress
spells last a few months (geometric); invoices due in a distressed month are
paid very late or not at all with high probability, others only rarely. So
past payment behaviour and the registry predict the next 12 months, but
whether a spell starts (and when) is mostly chance: a good scorecard reaches
an out-of-time AUC near 0.8, not 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._world import Customers, months, pframe, rng_for


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1 / (1 + np.exp(-x))


def receivables(
    seed: int,
    rng: np.random.Generator,
    cust: Customers,
    ent: np.ndarray,
    z: np.ndarray,
    codes: np.ndarray,
    events: pl.DataFrame,
    ever_abnormal: np.ndarray,
    knocked: np.ndarray,
) -> pl.DataFrame:
    """The ``receivables`` table: monthly invoices, paid late or not at all in distress.

    ``ent``, ``z`` and ``codes`` are the enterprises' customer positions, latent risk
    scores and usccs; ``rng`` is the registry's stream, continued.
    """
    e = len(ent)
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
    m_start = np.array([np.datetime64(dt.date(y, m, 1)) for y, m in _receivable_months()])
    distress = _distress_months(seed, rng, cust, ent, hazard_logit, m_start)
    ii, issued, amount, due = _draw_invoices(rng, cust, ent, m_start)
    # The month the invoice falls due decides whether distress hits it.
    n_m = len(m_start)
    due_m = due.astype("datetime64[M]").astype(int) - m_start[0].astype("datetime64[M]").astype(int)
    in_distress = distress[ii, np.clip(due_m, 0, n_m - 1)]
    # Riskier payers are mildly late more often (signal in share/mean days late);
    # the same risk terms as the hazard, on a base of their own.
    mild_logit = hazard_logit - C.DISTRESS_BASE_LOGIT + C.MILD_LATE_BASE_LOGIT
    paid, unpaid, paid_amt = _draw_payments(rng, in_distress, mild_logit[ii], issued, due, amount)
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
    return rec


def _distress_months(
    seed: int,
    rng: np.random.Generator,
    cust: Customers,
    ent: np.ndarray,
    hazard_logit: np.ndarray,
    m_start: np.ndarray,
) -> np.ndarray:
    """Which (firm, timeline month) is in a distress spell: a Markov chain with scars."""
    e, n_m = len(ent), len(m_start)
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
        start = u_start[:, m] < sigmoid(logit)
        distress[:, m] = start | ((distress[:, m - 1] & stay[:, m]) if m else False)
        scarred |= distress[:, m]
    return distress[:, burn:]


def _draw_invoices(
    rng: np.random.Generator, cust: Customers, ent: np.ndarray, m_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Invoices in most months after signup: firm position, issue date, amount, due date."""
    e, n_m = len(ent), len(m_start)
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
    return ii, issued, amount, due


def _draw_payments(
    rng: np.random.Generator,
    in_distress: np.ndarray,
    mild_logit: np.ndarray,
    issued: np.ndarray,
    due: np.ndarray,
    amount: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Payment date, whether unpaid at ``DATA_END``, and amount paid for each invoice."""
    data_end = np.datetime64(C.DATA_END.date())
    nr = len(due)
    delay = np.clip(rng.normal(-1, 6, size=nr), -25, 45)
    delay = np.where(rng.random(nr) < 0.05, rng.uniform(20, 80, size=nr), delay)
    sloppy = rng.random(nr) < sigmoid(mild_logit)
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
    return paid, unpaid, paid_amt


def _receivable_months() -> list[tuple[int, int]]:
    """The order timeline's months, preceded by ``RECEIVABLES_HISTORY_MONTHS`` more:
    enterprise customers were invoiced before the CRM's order extract begins.
    """
    first_y, first_m = months()[0]
    index = first_y * 12 + first_m - 1 - int(C.RECEIVABLES_HISTORY_MONTHS)
    extra = [(i // 12, i % 12 + 1) for i in range(index, first_y * 12 + first_m - 1)]
    return extra + months()
