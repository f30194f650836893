"""Complaint records from their milestones: the event log, the planted damage to it,
and the complaints table derived from it. Nothing here draws at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.samples import _config as C
from workbench.samples._reference import derived_status
from workbench.samples._world import pframe, us

FILL_EVERY_H = 54.0
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
MISSING_VARIANTS = (
    "no_ack",
    "no_resolution",
    "closed_before_resolved",
    "status_mismatch",
    "timestamp_mismatch",
)


@dataclass
class Clock:
    """Milestones of each complaint, in hours from receipt (nan or unused where absent)."""

    ack_h: np.ndarray
    dec_h: np.ndarray
    rejected: np.ndarray
    escal: np.ndarray
    e_h: np.ndarray  # escalated
    pause: np.ndarray
    s_net: np.ndarray  # waiting_customer
    p_len: np.ndarray  # pause length
    res_h: np.ndarray
    clo_h: np.ndarray
    reopen: np.ndarray
    reo_h: np.ndarray
    res2_h: np.ndarray
    clo2_h: np.ndarray
    silence: np.ndarray  # the lone progress_update of an update_gap complaint


def milestone_events(
    c: Clock, r_s: np.ndarray, chan: np.ndarray, gap_b: np.ndarray, ids: np.ndarray
) -> pl.DataFrame:
    """Every complaint's events up to ``DATA_END``, with gaps filled by progress updates.

    ``r_s`` is the receipt (epoch seconds), ``gap_b`` marks planted ``update_gap`` cases.
    """
    idx = np.arange(len(ids))
    acc = ~c.rejected
    rej, esc, pause, reopen = c.rejected, c.escal, c.pause, c.reopen
    parts = [
        (idx, c.ack_h, "acknowledged", False),
        (idx[acc], c.dec_h[acc], "accepted", False),
        (idx[rej], c.dec_h[rej], "rejected", False),
        (idx[esc], c.e_h[esc], "escalated", False),
        (idx[pause], c.s_net[pause], "waiting_customer", False),
        (idx[pause], c.s_net[pause] + c.p_len[pause], "resumed", False),
        (idx[acc], c.res_h[acc], "resolved", False),
        (idx[acc], c.clo_h[acc], "closed", False),
        (idx[reopen], c.reo_h[reopen], "reopened", False),
        (idx[reopen], c.res2_h[reopen], "resolved", False),
        (idx[reopen], c.clo2_h[reopen], "closed", False),
        (idx[gap_b], c.silence[gap_b], "progress_update", True),
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
    at_s = r_s[ev["ci"].to_numpy()] + np.round(ev["h"].to_numpy() * 3600).astype(np.int64)
    is_reg = (chan == "regulator")[ev["ci"].to_numpy()]
    return (
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


def damage_records(
    events: pl.DataFrame, ids: np.ndarray, miss: np.ndarray
) -> tuple[pl.DataFrame, dict[str, str], dict[str, list[str]]]:
    """Planted missing records: damage the service record, one variant per complaint in turn."""
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
    return events, variants, by_variant


def complaints_table(
    columns: pl.DataFrame, events: pl.DataFrame, by_variant: dict[str, list[str]]
) -> pl.DataFrame:
    """The complaints table: an extract at ``DATA_END`` derived from the events, with the
    planted table-level contradictions. ``columns`` holds what the events do not say
    (who, what, when received, root cause, and a satisfaction score ``sat``).
    """
    agg = events.group_by("complaint_id").agg(
        acknowledged_at=pl.col("at").filter(pl.col("event") == "acknowledged").min(),
        accepted_at=pl.col("at").filter(pl.col("event").is_in(["accepted", "rejected"])).min(),
        resolved_at=pl.col("at").filter(pl.col("event") == "resolved").max(),
        closed_at=pl.col("at").filter(pl.col("event") == "closed").max(),
    )
    status = derived_status(events)
    table = (
        columns.join(agg, on="complaint_id", how="left")
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
    return table.with_columns(
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
