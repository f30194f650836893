"""Tiny hand-made contract frames for the tiering tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from workbench.contract import TABLES

D = dt.date
T = dt.datetime

#: The sample world's published policy: vip 3, core 2, standard 1.
POLICY = [
    {"tier": "vip", "rank": 3, "min_spend_12m": 20_000.0, "min_orders_12m": 24,
     "min_tenure_months": 12, "review_cycle_days": 90, "published_at": D(2024, 7, 1)},
    {"tier": "core", "rank": 2, "min_spend_12m": 5_000.0, "min_orders_12m": 8,
     "min_tenure_months": 3, "review_cycle_days": 180, "published_at": D(2024, 7, 1)},
    {"tier": "standard", "rank": 1, "min_spend_12m": 0.0, "min_orders_12m": 0,
     "min_tenure_months": 0, "review_cycle_days": 365, "published_at": D(2024, 7, 1)},
]
BENEFITS = [
    {"tier": "vip", "benefit_type": "discount_pct", "value": 10.0, "published": True},
    {"tier": "vip", "benefit_type": "rebate_pct", "value": 3.0, "published": True},
    {"tier": "core", "benefit_type": "discount_pct", "value": 5.0, "published": True},
    {"tier": "core", "benefit_type": "rebate_pct", "value": 2.0, "published": False},
]


def customer(cid: str, **kw: Any) -> dict[str, Any]:
    row = {"customer_id": cid, "subsidiary_id": "S1", "customer_type": "individual",
           "signup_date": D(2020, 1, 1), "province": "31", "gender": "f", "birth_year": 1990}
    row.update(kw)
    return row


def orders_for(cid: str, n: int, unit: float, first: dt.datetime, *, step_days: int = 7,
               quantity: int = 1, coupon: float = 0.0, prefix: str = "") -> list[dict[str, Any]]:
    """``n`` orders of ``quantity × unit`` CNY, one every ``step_days`` from ``first``."""
    return [
        {"order_id": f"{prefix}{cid}-{i}", "customer_id": cid, "subsidiary_id": "S1",
         "sku": "A", "ordered_at": first + dt.timedelta(days=step_days * i), "channel": "app",
         "device_os": None, "province": None, "quantity": quantity, "list_price": unit,
         "charged_price": unit, "promo_id": None, "coupon_cny": coupon}
        for i in range(n)
    ]


def assignment(cid: str, tier: str, at: dt.datetime, method: str = "rule",
               reason: str | None = None) -> dict[str, Any]:
    return {"customer_id": cid, "tier": tier, "assigned_at": at, "method": method,
            "reason": reason}


def build(**tables: list[dict[str, Any]]) -> dict[str, pl.LazyFrame]:
    """Contract LazyFrames; tables not given are empty (policy and benefits default
    to :data:`POLICY` and :data:`BENEFITS`, subsidiaries to S1 and S2)."""
    tables.setdefault("tier_policy", POLICY)
    tables.setdefault("tier_benefits", BENEFITS)
    tables.setdefault("subsidiaries", [
        {"subsidiary_id": "S1", "name": "one", "province": "31"},
        {"subsidiary_id": "S2", "name": "two", "province": "11"},
    ])
    out = {}
    for name, table in TABLES.items():
        rows = tables.get(name, [])
        out[name] = pl.DataFrame(rows, schema=table.schema, orient="row").lazy() if rows else (
            pl.DataFrame(schema=table.schema).lazy()
        )
    return out


def of(result: Any, rule: str) -> pl.DataFrame:
    """The findings of one rule."""
    return result.findings.filter(pl.col("rule") == rule)


@pytest.fixture
def make_frames() -> Callable[..., dict[str, pl.LazyFrame]]:
    return build
