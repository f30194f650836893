"""Ground truth of the marketing rules for the reference quarter, from the written tables.

The text rules' truth is what the generator built (:mod:`._marketing_texts`: each
text knows whether it is a promotion, its label, its opt-out line and its absolute
term); consent and the privacy requests are recomputed from the written tables by a
deliberately plain reference implementation (a Python loop over each customer's
consents; the sample's own working-day table), independent of the analysis.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.samples._calendar import nth_workday_after

__all__ = ["MARKETING_NOTES", "MARKETING_RATES", "marketing_truth"]

LABEL_CHANNELS = ("sms", "app_push", "email", "wechat")  # calls: no written label or opt-out
LIMIT_WORKDAYS = 15
PLACEHOLDERS = {"无", "空", "暂无", "其他", "其它", "不予处理", "拒绝", "na", "none", "null"}

MARKETING_NOTES: dict[str, str] = {
    "ad_unlabelled": "By construction: messages sent in 2026-Q3 on SMS, app push, e-mail or "
    "WeChat that are commercial (labelled marketing, or a promotion text under a service or "
    "transaction label) and carry no 【广告】 label at the start or the end. Calls are out.",
    "absolute_term": "By construction: commercial messages of 2026-Q3 (any channel) whose "
    "promotion body uses an absolute term (全网最低, 史上最低, 第一品牌, 顶级, 最好的, 首选, "
    "国家级, 绝对, 独一无二, 销量冠军, 最佳, NO.1). Bodies with 最高立减, 最低…起, 最后一天, "
    "最佳赏味期, 国家级非物质文化遗产, 100%纯棉, 最终解释权 are hard negatives.",
    "no_opt_out": "By construction: commercial messages of 2026-Q3 on SMS, app push, e-mail or "
    "WeChat without an opt-out line (回T退订, 拒收请回复R, a settings path, an unsubscribe "
    "link). Calls are out.",
    "marketing_without_consent": "Computed: a commercial message of 2026-Q3 for which no "
    "marketing consent of the recipient, for the sender or the whole group and the channel or "
    "every channel, was granted at or before sent_at and not withdrawn by then. Granted "
    "exactly at sent_at covers; withdrawn exactly at sent_at does not. details.after_withdrawal "
    "lists those sent after a covering consent was withdrawn.",
    "privacy_request_overdue": "Computed on the official calendar (15 working days after the "
    "receipt day, receipt day not counted): requests received in 2026-Q3, or received earlier "
    "and still open on 2026-07-01 with their deadline after it, that were completed after the "
    "deadline day or are open at 2026-10-01 00:00 with the deadline passed. Completions after "
    "the period end are unknown at its end. details.naive_misses lists those a Monday–Friday "
    "calendar would call on time.",
    "refusal_without_reason": "Computed: outcome refused, completed in 2026-Q3, reason null, "
    "blank or a placeholder (无). A reason such as 无法核验申请人身份 is a reason.",
}
MARKETING_RATES: dict[str, float] = {
    "ad_unlabelled": 0.07, "absolute_term": 0.05, "no_opt_out": 0.06,
    "marketing_without_consent": 0.17, "privacy_request_overdue": 0.18,
    "refusal_without_reason": 0.35,
}


def _messages_in(t: dict[str, pl.LazyFrame], texts: pl.DataFrame, p: Period) -> pl.DataFrame:
    return (t["marketing_messages"].filter(
        (pl.col("sent_at") >= p.start) & (pl.col("sent_at") < p.end)).collect()
        .join(texts, on="message_id", how="left")
        .with_columns(commercial=(pl.col("purpose") == "marketing") | pl.col("built_commercial")))


def _consent_truth(msgs: pl.DataFrame, consents: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(without consent, of which after a withdrawal) by the contract's definition."""
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for row in consents.filter(pl.col("purpose") == "marketing").iter_rows(named=True):
        by_customer.setdefault(row["customer_id"], []).append(row)
    without, after = [], []
    for m in msgs.filter(pl.col("commercial")).iter_rows(named=True):
        covered, withdrawn = False, False
        for k in by_customer.get(m["customer_id"], []):
            scope = (k["subsidiary_id"] in (None, m["subsidiary_id"])
                     and k["channel"] in (None, m["channel"]))
            if not scope or k["granted_at"] > m["sent_at"]:
                continue
            if k["withdrawn_at"] is None or k["withdrawn_at"] > m["sent_at"]:
                covered = True
            else:
                withdrawn = True
        if not covered:
            without.append(m["message_id"])
            if withdrawn:
                after.append(m["message_id"])
    return without, after


def _deadline(received: dt.datetime, official: bool) -> dt.date:
    day = np.array([received.date()], dtype="datetime64[D]")
    if official:
        return nth_workday_after(day, LIMIT_WORKDAYS)[0].astype(dt.date)
    d, left = received.date(), LIMIT_WORKDAYS
    while left:
        d += dt.timedelta(days=1)
        left -= d.weekday() < 5
    return d


def _overdue(requests: pl.DataFrame, p: Period, official: bool = True) -> list[str]:
    out = []
    for r in requests.filter(pl.col("received_at") < p.end).iter_rows(named=True):
        done = r["completed_at"] if r["completed_at"] and r["completed_at"] < p.end else None
        due = dt.datetime.combine(_deadline(r["received_at"], official), dt.time()) + \
            dt.timedelta(days=1)
        in_scope = r["received_at"] >= p.start or (
            (done is None or done >= p.start) and due > p.start)
        late = (done is not None and done >= due) or (done is None and due <= p.end)
        if in_scope and late:
            out.append(r["request_id"])
    return out


def _blank(reason: str | None) -> bool:
    if reason is None:
        return True
    bare = re.sub(r"[\W_]+", "", reason).lower()
    return bare == "" or bare in PLACEHOLDERS


def marketing_truth(t: dict[str, pl.LazyFrame], period: Period,
                    texts: pl.DataFrame) -> dict[str, tuple[str, list[str], Any]]:
    """Each marketing rule → (entity_type, ids, details) for the reference quarter."""
    msgs = _messages_in(t, texts, period)
    c = msgs.filter(pl.col("commercial"))
    written = pl.col("channel").is_in(LABEL_CHANNELS)
    without, after = _consent_truth(msgs, t["consents"].collect())
    requests = t["privacy_requests"].collect()
    overdue = _overdue(requests, period)
    naive = set(_overdue(requests, period, official=False))
    refused = requests.filter((pl.col("outcome") == "refused")
                              & (pl.col("completed_at") >= period.start)
                              & (pl.col("completed_at") < period.end))
    no_reason = [r["request_id"] for r in refused.iter_rows(named=True)
                 if _blank(r["refusal_reason"])]
    disguised = c.filter(pl.col("purpose") != "marketing")["message_id"].to_list()
    return {
        "ad_unlabelled": ("message", c.filter(written & ~pl.col("labelled"))["message_id"]
                          .to_list(), {"service_labelled_ads": sorted(disguised)}),
        "absolute_term": ("message", c.filter(pl.col("absolute").is_not_null())["message_id"]
                          .to_list(), None),
        "no_opt_out": ("message", c.filter(written & ~pl.col("opt_out"))["message_id"]
                       .to_list(), None),
        "marketing_without_consent": ("message", without, {"after_withdrawal": sorted(after)}),
        "privacy_request_overdue": ("request", overdue,
                                    {"naive_misses": sorted(set(overdue) - naive)}),
        "refusal_without_reason": ("request", no_reason, None),
    }
