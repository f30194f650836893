"""Hand-made contract frames for the pricing tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from workbench.contract import TABLES

T = dt.datetime
D = dt.date

BENEFITS = [
    {"tier": "vip", "benefit_type": "discount_pct", "value": 10.0, "published": True},
    {"tier": "core", "benefit_type": "discount_pct", "value": 5.0, "published": True},
    {"tier": "staff", "benefit_type": "discount_pct", "value": 20.0, "published": False},
]


def order(oid: str, **kw: Any) -> dict[str, Any]:
    row = {
        "order_id": oid,
        "customer_id": "C1",
        "subsidiary_id": "S1",
        "sku": "A",
        "ordered_at": T(2026, 8, 1, 12),
        "channel": "app",
        "device_os": "ios",
        "province": "31",
        "quantity": 1,
        "list_price": 100.0,
        "charged_price": 100.0,
        "promo_id": None,
        "coupon_cny": 0.0,
    }
    row.update(kw)
    return row


def promo(pid: str, **kw: Any) -> dict[str, Any]:
    row = {
        "promo_id": pid,
        "sku": None,
        "starts_at": T(2026, 8, 1),
        "ends_at": T(2026, 8, 10, 23, 59, 59),
        "discount_pct": 10.0,
        "eligible_tiers": None,
        "public": True,
    }
    row.update(kw)
    return row


def frames(
    orders: list[dict],
    *,
    promotions: list[dict] = (),
    assignments: list[dict] | None = None,
    benefits: list[dict] = BENEFITS,
) -> dict[str, pl.LazyFrame]:
    """Contract LazyFrames (contract dtypes) around the given rows."""
    if assignments is None:
        assignments = [
            {
                "customer_id": "C1",
                "tier": "standard",
                "assigned_at": T(2026, 1, 1),
                "method": "rule",
                "reason": None,
            }
        ]
    rows = {
        "subsidiaries": [{"subsidiary_id": "S1", "name": "s", "province": "31"}],
        "customers": [
            {
                "customer_id": c,
                "subsidiary_id": "S1",
                "customer_type": "individual",
                "uscc": None,
                "signup_date": D(2020, 1, 15),
                "province": "31",
                "gender": "f",
                "birth_year": 1990,
            }
            for c in sorted({o["customer_id"] for o in orders} | {"C1"})
        ],
        "tier_policy": [
            {
                "tier": t,
                "rank": r,
                "min_spend_12m": 0.0,
                "min_orders_12m": 0,
                "min_tenure_months": 0,
                "review_cycle_days": 365,
                "published_at": D(2024, 1, 1),
            }
            for t, r in (("vip", 3), ("core", 2), ("standard", 1), ("staff", 0))
        ],
        "tier_benefits": list(benefits),
        "tier_assignments": assignments,
        "promotions": list(promotions),
        "orders": orders,
    }
    return {name: pl.DataFrame(r, schema=TABLES[name].schema).lazy() for name, r in rows.items()}
