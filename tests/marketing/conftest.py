"""Fixtures of the marketing tests: tiny generated samples (planted and clean) and
hand-made frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.contract import TABLES

PERIOD = "2026-Q3"
T = dt.datetime
SENT = T(2026, 8, 1, 10)
GRANTED = T(2026, 1, 1)


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("mkt-planted")
    return out, generate(out, seed=11, scale="tiny")


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("mkt-clean")
    return out, generate(out, seed=11, scale="tiny", clean=True)


def frames(**tables: list[dict[str, Any]]) -> dict[str, pl.LazyFrame]:
    """Contract LazyFrames of the marketing analysis; tables not given are empty."""
    tables.setdefault("subsidiaries", [{"subsidiary_id": "S1", "name": "一", "province": "31"},
                                       {"subsidiary_id": "S2", "name": "二", "province": "11"}])
    tables.setdefault("customers", [
        {"customer_id": c, "subsidiary_id": "S1", "customer_type": "individual",
         "signup_date": dt.date(2024, 1, 1)} for c in ("C1", "C2", "C3")])
    out = {}
    for name in ("subsidiaries", "customers", "marketing_messages", "consents",
                 "privacy_requests"):
        schema = TABLES[name].schema
        rows = tables.get(name, [])
        full = [{c: r.get(c) for c in schema} for r in rows]
        out[name] = pl.DataFrame(full, schema=schema, orient="row").lazy()
    return out


def message(mid: str, content: str, *, sent: dt.datetime = SENT,
            customer: str = "C1", sub: str = "S1", channel: str = "sms",
            purpose: str = "marketing") -> dict[str, Any]:
    return {"message_id": mid, "subsidiary_id": sub, "customer_id": customer,
            "channel": channel, "sent_at": sent, "purpose": purpose, "content": content}


def consent(cid: str, *, customer: str = "C1", sub: str | None = None,
            channel: str | None = None, granted: dt.datetime = GRANTED,
            withdrawn: dt.datetime | None = None, purpose: str = "marketing") -> dict[str, Any]:
    return {"consent_id": cid, "customer_id": customer, "subsidiary_id": sub,
            "purpose": purpose, "channel": channel, "granted_at": granted,
            "withdrawn_at": withdrawn}


def request(rid: str, *, kind: str = "delete", received: dt.datetime,
            completed: dt.datetime | None = None, outcome: str | None = None,
            reason: str | None = None, sub: str = "S1") -> dict[str, Any]:
    if outcome is None:
        outcome = "pending" if completed is None else "done"
    return {"request_id": rid, "customer_id": "C1", "subsidiary_id": sub, "kind": kind,
            "received_at": received, "completed_at": completed, "outcome": outcome,
            "refusal_reason": reason}


def of(result: Any, rule: str) -> pl.DataFrame:
    return result.findings.filter(pl.col("rule") == rule)
