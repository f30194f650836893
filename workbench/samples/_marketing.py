"""The optional marketing and personal-information tables of the sample (contract v1.1).

``marketing_messages``, ``consents`` and ``privacy_requests`` are drawn from their own
random stream (``rng_for(seed, "marketing")``), after every other table and from the
customers alone, so adding them changed no byte of the other tables. The reference
quarter 2026-Q3 is where the violations are planted; rows before it and after it
(to 2026-11-15) exist, and the later ones carry violations that a correct analysis
never sees (look-ahead traps).

Planted (``clean=False``): commercial messages without an advertisement label, without
an opt-out line, with an absolute term (texts: :mod:`._marketing_texts`); service-
labelled advertisements; messages to people who never consented, after a withdrawal,
on a channel or from a sender the consent does not cover, exactly at a withdrawal;
requests answered late, left open past the deadline, open since the quarter before,
answered on the official deadline's day after it (a Monday–Friday calendar would call
it on time); refusals without a reason. Hard negatives in both variants: promotion
words that look absolute but are not, transactional texts with prices, coupons already
used and links, a consent granted exactly when a message is sent, a message one second
before a withdrawal, requests running over the National Day holiday at the period end,
refusal reasons that contain 无 (无法核验身份). ``clean=True`` plants nothing, so every
marketing rule is silent for 2026-Q3.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._calendar import nth_workday_after
from workbench.samples._marketing_texts import commercial_text, service_text
from workbench.samples._world import rng_for, to_s, us

__all__ = ["Marketing", "make_marketing"]

MESSAGES_PER_CUSTOMER = 4
REQUESTS_PER_CUSTOMER = 0.03
MIN_REQUESTS = 80
MESSAGES_FROM = dt.datetime(2026, 1, 1)
REQUESTS_FROM = dt.datetime(2026, 2, 1)
CHANNELS = ("sms", "app_push", "email", "wechat", "call")
CHANNEL_P = (0.55, 0.2, 0.1, 0.1, 0.05)
PURPOSES = ("marketing", "service", "transaction")
PURPOSE_P = (0.55, 0.3, 0.15)
KINDS = ("access", "copy", "correct", "delete", "withdraw_consent", "explain", "cancel_account",
         "port")
KIND_P = (0.2, 0.1, 0.15, 0.2, 0.15, 0.05, 0.1, 0.05)
# planted rates (of commercial messages / service messages / requests / refusals)
UNLABELLED_RATE = 0.07
NO_OPT_OUT_RATE = 0.06
ABSOLUTE_RATE = 0.05
DISGUISED_RATE = 0.04  # of service/transaction messages: a promotion under that label
NO_CONSENT_SHARE = 0.03  # of customers: never a marketing consent
NARROW_SHARE = 0.06  # of customers: consent for their own subsidiary and SMS only
WITHDRAW_SHARE = 0.08  # of consenting customers: withdraw in 2026
LATE_RATE = 0.12  # of requests: answered after the limit
OPEN_RATE = 0.06  # of requests: never answered by the extract
REFUSED_RATE = 0.12
NO_REASON_RATE = 0.35  # of refusals
REASONS = ("无法核验申请人身份", "请求涉及他人个人信息", "法律规定须保存的交易记录不可删除",
           "申请材料不完整，已告知补充方式", "无法识别账号，已请其提供注册手机号")
BLANK_REASONS = (None, "", "无", " ")


@dataclass
class Marketing:
    """The three tables, and what each message's text is (by construction)."""

    messages: pl.DataFrame
    consents: pl.DataFrame
    requests: pl.DataFrame
    texts: pl.DataFrame  # message_id, built_commercial, absolute, labelled, opt_out


def _times(rng: np.random.Generator, n: int, start: dt.datetime) -> np.ndarray:
    return rng.integers(to_s(start), to_s(C.DATA_END), size=n)


# ------------------------------------------------------------------ consents
def _consents(rng: np.random.Generator, customers: pl.DataFrame,
              clean: bool) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Marketing consents (plus other purposes) and each customer's plan."""
    n = customers.height
    ids = customers["customer_id"].to_numpy()
    own = customers["subsidiary_id"].to_numpy()
    signup = customers["signup_date"].cast(pl.Datetime("us")).dt.epoch("s").to_numpy()
    u = rng.random(n)
    kind = np.where(u < NO_CONSENT_SHARE, 2, np.where(u < NO_CONSENT_SHARE + NARROW_SHARE, 1, 0))
    # granted before 2026 for most; some in the reference quarter (as-of edges)
    early = rng.integers(to_s(dt.datetime(2025, 1, 1)), to_s(dt.datetime(2025, 12, 31)), n)
    in_q3 = rng.integers(to_s(dt.datetime(2026, 7, 1)), to_s(dt.datetime(2026, 9, 1)), n)
    granted = np.maximum(np.where(rng.random(n) < 0.05, in_q3, early), signup)
    withdraw = (kind < 2) & (rng.random(n) < WITHDRAW_SHARE)
    withdrawn = np.where(withdraw, rng.integers(to_s(dt.datetime(2026, 4, 1)),
                                                to_s(C.DATA_END), n), -1)
    withdrawn = np.where(withdraw, np.maximum(withdrawn, granted + 86_400), -1)
    regrant = withdraw & (rng.random(n) < 0.3)
    regranted = np.where(regrant, withdrawn + rng.integers(86_400, 60 * 86_400, n), -1)
    profiling = rng.random(n) < 0.3
    idx = np.arange(n)

    def part(mask: np.ndarray, order: int, sub: np.ndarray, purpose: str, channel: np.ndarray,
             start: np.ndarray, end: np.ndarray) -> pl.DataFrame:
        return pl.DataFrame({
            "_c": idx[mask], "_o": np.full(int(mask.sum()), order),
            "customer_id": ids[mask].astype(str),
            "subsidiary_id": pl.Series(sub[mask].tolist(), dtype=pl.String),
            "purpose": np.full(int(mask.sum()), purpose),
            "channel": pl.Series(channel[mask].tolist(), dtype=pl.String),
            "granted_at": us(start[mask]),
            "withdrawn_at": pl.Series(us(np.maximum(end[mask], 0))).set(
                pl.Series(end[mask] < 0), None),
        })

    none = np.full(n, None, dtype=object)
    narrow = kind == 1
    df = pl.concat([
        part(kind < 2, 0, np.where(narrow, own, None), "marketing",
             np.where(narrow, "sms", None), granted, withdrawn),
        part(regrant & (regranted < to_s(C.DATA_END)), 1, none, "marketing", none, regranted,
             np.full(n, -1)),
        part((kind < 2) & profiling, 2, none, "profiling", none, granted, np.full(n, -1)),
    ]).sort("_c", "_o").drop("_c", "_o")
    df = df.with_columns(consent_id=pl.format("K{}", pl.int_range(1, df.height + 1)
                                               .cast(pl.String).str.zfill(7)))
    plan = {"kind": kind, "granted": granted, "withdrawn": withdrawn, "regranted": regranted,
            "own": own, "ids": ids}
    return df, plan


def _covered(plan: dict[str, np.ndarray], c: np.ndarray, sender: np.ndarray,
             channel: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether the plan's marketing consent covers each message (the generator's view)."""
    k, g, w, r = (plan[x][c] for x in ("kind", "granted", "withdrawn", "regranted"))
    scope = (k == 0) | ((k == 1) & (sender == plan["own"][c]) & (channel == "sms"))
    first = (t >= g) & ((w < 0) | (t < w))
    again = (r >= 0) & (t >= r)
    return (k < 2) & ((scope & first) | again)


# ------------------------------------------------------------------ messages
def _draw_messages(rng: np.random.Generator, plan: dict[str, np.ndarray], n: int,
                   clean: bool) -> dict[str, np.ndarray]:
    """Who gets what, when, from whom, and what the text should be."""
    n_c = len(plan["ids"])
    c = rng.integers(n_c, size=n)
    subs = np.array([s[0] for s in C.SUBSIDIARIES])
    sender = np.where(rng.random(n) < 0.85, plan["own"][c], subs[rng.integers(6, size=n)])
    channel = np.array(CHANNELS)[rng.choice(5, size=n, p=CHANNEL_P)]
    purpose = np.array(PURPOSES)[rng.choice(3, size=n, p=PURPOSE_P)]
    t = _times(rng, n, MESSAGES_FROM)
    disguised = (purpose != "marketing") & (rng.random(n) < (0 if clean else DISGUISED_RATE))
    commercial = (purpose == "marketing") | disguised
    if clean:  # every commercial message covered: move it to an always-covered customer
        always = np.flatnonzero((plan["kind"] == 0) & (plan["withdrawn"] < 0)
                                & (plan["granted"] < to_s(MESSAGES_FROM)))
        bad = commercial & ~_covered(plan, c, sender, channel, t)
        c[bad] = always[rng.integers(len(always), size=int(bad.sum()))]
    return {"c": c, "sender": sender, "channel": channel, "purpose": purpose, "t": t,
            "disguised": disguised, "commercial": commercial}


def _edge_messages(plan: dict[str, np.ndarray], clean: bool) -> list[tuple[int, str, int]]:
    """(customer, channel, time) at the consent edges: granted exactly then (covered),
    a second before a withdrawal (covered), exactly at a withdrawal (planted only).
    """
    start, end = to_s(dt.datetime(2026, 7, 1)), to_s(dt.datetime(2026, 10, 1))
    out: list[tuple[int, str, int]] = []
    g, w, k = plan["granted"], plan["withdrawn"], plan["kind"]
    for i in np.flatnonzero((k == 0) & (g >= start) & (g < end))[:5]:
        if w[i] < 0 or w[i] > g[i]:
            out.append((int(i), "sms", int(g[i])))
    for i in np.flatnonzero((k == 0) & (w >= start) & (w < end))[:5]:
        if w[i] - 1 >= g[i]:
            out.append((int(i), "email", int(w[i] - 1)))
        if not clean:
            out.append((int(i), "sms", int(w[i])))
    return out


def _texts(rng: np.random.Generator, d: dict[str, np.ndarray], clean: bool) -> list[tuple]:
    rows = []
    for i in range(len(d["t"])):
        sub, ch = str(d["sender"][i]), str(d["channel"][i])
        if not d["commercial"][i]:
            b = service_text(rng, sub, ch)
            rows.append((b.content, False, None, False, False))
            continue
        written = ch != "call"
        plain = d["disguised"][i]  # a service-labelled ad carries neither label nor opt-out
        label = None if (not written or plain or (not clean and rng.random() < UNLABELLED_RATE)) \
            else ("start" if rng.random() < 0.8 else "end")
        opt = written and not plain and (clean or rng.random() >= NO_OPT_OUT_RATE)
        absolute = not clean and rng.random() < ABSOLUTE_RATE
        b = commercial_text(rng, sub, ch, label=label, opt_out=opt, absolute=absolute)
        rows.append((b.content, True, b.absolute, label is not None, opt))
    return rows


def _messages(rng: np.random.Generator, plan: dict[str, np.ndarray], n: int,
              clean: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = _draw_messages(rng, plan, n, clean)
    for c, ch, t in _edge_messages(plan, clean):
        d = {k: np.append(v, x) for (k, v), x in zip(d.items(), (
            c, plan["own"][c], ch, "marketing", t, False, True), strict=True)}
    texts = _texts(rng, d, clean)
    order = np.argsort(d["t"], kind="stable")
    ids = [f"M{j + 1:08d}" for j in range(len(order))]
    messages = pl.DataFrame({
        "message_id": ids,
        "subsidiary_id": d["sender"][order].astype(str),
        "customer_id": plan["ids"][d["c"][order]].astype(str),
        "channel": d["channel"][order].astype(str),
        "sent_at": us(d["t"][order]),
        "purpose": d["purpose"][order].astype(str),
        "content": [texts[j][0] for j in order],
    })
    built = pl.DataFrame([(ids[k], *texts[j][1:]) for k, j in enumerate(order)],
                         schema={"message_id": pl.String, "built_commercial": pl.Boolean,
                                 "absolute": pl.String, "labelled": pl.Boolean,
                                 "opt_out": pl.Boolean}, orient="row")
    return messages, built


# ------------------------------------------------------------------ requests
def _work_day(day: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The n-th official working day after ``day`` (n ≥ 1; the sample's own calendar)."""
    return nth_workday_after(day.astype("datetime64[D]"), n)


def _special_requests(
    clean: bool,
) -> list[tuple[str, str, dt.datetime, dt.datetime | None, str | None]]:
    """(kind, outcome, received, completed, refusal reason) at the clock's edges.

    On the official deadline day (met); over the National Day holiday, open at the
    period end (running, not overdue); planted: open since June with its deadline in
    July (overdue in Q3 although received before it), answered the day after the
    official deadline which a Monday–Friday calendar would still call on time, open
    at the period end after its deadline and answered only in October. Refusals: one
    whose reason contains 无 (a reason); planted, two with none (null, 无).
    """
    t = dt.datetime
    rows: list[tuple[str, str, dt.datetime, dt.datetime | None, str | None]] = [
        ("delete", "done", t(2026, 9, 4, 10), t(2026, 9, 24, 16), None),
        ("cancel_account", "pending", t(2026, 9, 18, 11), None, None),
        ("access", "done", t(2026, 9, 22, 9), t(2026, 10, 13, 15), None),
        ("copy", "refused", t(2026, 8, 3, 9), t(2026, 8, 6, 11), "无法核验申请人身份"),
    ]
    if not clean:
        rows += [
            ("copy", "pending", t(2026, 6, 22, 14), None, None),
            ("correct", "done", t(2026, 9, 4, 15), t(2026, 9, 25, 10), None),
            ("withdraw_consent", "done", t(2026, 9, 1, 9), t(2026, 10, 20, 9), None),
            ("delete", "refused", t(2026, 7, 6, 9), t(2026, 7, 9, 17), None),
            ("port", "refused", t(2026, 8, 17, 10), t(2026, 8, 20, 10), "无"),
        ]
    return rows


def _requests(rng: np.random.Generator, customers: pl.DataFrame, clean: bool) -> pl.DataFrame:
    n = max(MIN_REQUESTS, int(customers.height * REQUESTS_PER_CUSTOMER))
    pick = rng.integers(customers.height, size=n)
    cust = customers["customer_id"].to_numpy()[pick].astype(object)
    cust[rng.random(n) < 0.05] = None  # requester not matched to a customer
    sub = customers["subsidiary_id"].to_numpy()[pick]
    kind = np.array(KINDS)[rng.choice(len(KINDS), size=n, p=KIND_P)]
    received = _times(rng, n, REQUESTS_FROM)
    days = rng.integers(1, 14, size=n)
    late = ~np.bool_(clean) & (rng.random(n) < LATE_RATE)
    days = np.where(late, rng.integers(16, 36, size=n), days)
    rday = us(received).astype("datetime64[D]")
    done_day = _work_day(rday, days)
    at = (done_day.astype("datetime64[s]").astype(np.int64) + rng.integers(9, 18, n) * 3600)
    never = ~np.bool_(clean) & (rng.random(n) < OPEN_RATE)
    completed = np.where(never | (at >= to_s(C.DATA_END)), -1, at)
    refused = (completed >= 0) & (rng.random(n) < REFUSED_RATE)
    blank = refused & ~np.bool_(clean) & (rng.random(n) < NO_REASON_RATE)
    reasons = [None] * n
    for i in np.flatnonzero(refused):
        reasons[i] = (BLANK_REASONS[int(rng.integers(len(BLANK_REASONS)))] if blank[i]
                      else REASONS[int(rng.integers(len(REASONS)))])
    outcome = np.where(completed < 0, "pending", np.where(refused, "refused", "done"))
    drawn = pl.DataFrame({
        "customer_id": pl.Series(cust.tolist(), dtype=pl.String),
        "subsidiary_id": sub.astype(str), "kind": kind, "received_at": us(received),
        "completed_at": pl.Series(us(np.maximum(completed, 0))).set(
            pl.Series(completed < 0), None),
        "outcome": outcome, "refusal_reason": pl.Series(reasons, dtype=pl.String),
    })
    special = _special_requests(clean)
    edges = pl.DataFrame(
        {"customer_id": pl.Series(cust[:len(special)].tolist(), dtype=pl.String),
         "subsidiary_id": sub[:len(special)].astype(str),
         "kind": [x[0] for x in special],
         "received_at": pl.Series([x[2] for x in special], dtype=pl.Datetime("us")),
         "completed_at": pl.Series([x[3] for x in special], dtype=pl.Datetime("us")),
         "outcome": [x[1] for x in special],
         "refusal_reason": pl.Series([x[4] for x in special], dtype=pl.String)})
    df = pl.concat([drawn, edges])
    df = df.sort("received_at", maintain_order=True)
    return df.with_columns(request_id=pl.format("Q{}", pl.int_range(1, df.height + 1)
                                                .cast(pl.String).str.zfill(6)))


def make_marketing(seed: int, customers: pl.DataFrame, clean: bool) -> Marketing:
    """The three optional tables for the customers of the sample (own random stream)."""
    rng = rng_for(seed, "marketing")
    consents, plan = _consents(rng, customers, clean)
    messages, built = _messages(rng, plan, customers.height * MESSAGES_PER_CUSTOMER, clean)
    requests = _requests(rng, customers, clean)
    return Marketing(messages, consents, requests, built)
