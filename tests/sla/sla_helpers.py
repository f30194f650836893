"""Hand-made complaints for the SLA tests.

``build(complaints, events)`` returns contract-shaped LazyFrames. Each complaint is a
dict with at least ``complaint_id`` and ``received_at``; the summary columns of the
complaints table (acknowledged_at, accepted_at, resolved_at, closed_at, status) are
derived from its events as an extract taken after everything, unless given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from workbench.contract import TABLES
from workbench.sla._records import STATE_AFTER

D = dt.datetime
Build = Callable[..., dict[str, pl.LazyFrame]]

DEFAULTS: dict[str, Any] = {
    "customer_id": "U1",
    "subsidiary_id": "S1",
    "channel": "hotline",
    "category": "quality",
    "severity": "medium",
    "root_cause": None,
    "satisfaction": None,
}
_DERIVED = ("acknowledged_at", "accepted_at", "resolved_at", "closed_at", "status")


def _derive(cid: str, events: list[tuple[str, dt.datetime, str]]) -> dict[str, Any]:
    ev = sorted((at, e) for c, at, e in events if c == cid)
    first = lambda names: min((at for at, e in ev if e in names), default=None)  # noqa: E731
    last = lambda name: max((at for at, e in ev if e == name), default=None)  # noqa: E731
    status = "open"
    for _, e in ev:
        status = STATE_AFTER[e] or status
    return {
        "acknowledged_at": first({"acknowledged"}),
        "accepted_at": first({"accepted", "rejected"}),
        "resolved_at": last("resolved"),
        "closed_at": last("closed"),
        "status": status,
    }


def build(
    complaints: list[dict[str, Any]], events: list[tuple[str, dt.datetime, str]]
) -> dict[str, pl.LazyFrame]:
    """Contract frames from complaint dicts and ``(complaint_id, at, event)`` tuples."""
    rows = []
    for c in complaints:
        row = {**DEFAULTS, **_derive(c["complaint_id"], events), **c}
        rows.append(row)
    cschema = TABLES["complaints"].schema
    comp = pl.DataFrame(rows).select(list(cschema)).cast(cschema)  # type: ignore[arg-type]
    eschema = TABLES["complaint_events"].schema
    ev = pl.DataFrame(
        {
            "complaint_id": [e[0] for e in events],
            "at": [e[1] for e in events],
            "event": [e[2] for e in events],
            "note": [None] * len(events),
        },
        schema=eschema,
    )
    subs = pl.DataFrame(
        {"subsidiary_id": sorted(comp["subsidiary_id"].unique().to_list())}
    ).with_columns(name=pl.lit("x"), province=pl.lit("31"))
    return {"complaints": comp.lazy(), "complaint_events": ev.lazy(), "subsidiaries": subs.lazy()}
