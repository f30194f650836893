"""Explained price (contract definition) and the order-level rules."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.pricing.conftest import T, frames, order, promo
from workbench.periods import parse_period
from workbench.pricing import order_findings, priced_orders

Q3 = parse_period("2026-Q3")


def explained(fr, **kw) -> dict[str, float]:
    df = priced_orders(fr, Q3, **kw).collect()
    return dict(zip(df["order_id"], df["explained_price"], strict=True))


def test_promotion_window_includes_both_ends():
    fr = frames(
        [
            order("start", ordered_at=T(2026, 8, 1, 0, 0, 0), promo_id="P", charged_price=90.0),
            order("end", ordered_at=T(2026, 8, 10, 23, 59, 59), promo_id="P", charged_price=90.0),
            order("after", ordered_at=T(2026, 8, 11, 0, 0, 0), promo_id="P", charged_price=90.0),
            order(
                "before", ordered_at=T(2026, 7, 31, 23, 59, 59), promo_id="P", charged_price=90.0
            ),
        ],
        promotions=[promo("P")],
    )
    assert explained(fr) == pytest.approx(
        {"start": 90.0, "end": 90.0, "after": 100.0, "before": 100.0}
    )


def test_eligible_tiers_filter_on_the_tier_held_at_order_time():
    fr = frames(
        [order("std", promo_id="P"), order("vip", customer_id="C2", promo_id="P")],
        promotions=[promo("P", eligible_tiers="vip, core")],
        assignments=[
            {
                "customer_id": "C1",
                "tier": "standard",
                "assigned_at": T(2026, 1, 1),
                "method": "rule",
                "reason": None,
            },
            {
                "customer_id": "C2",
                "tier": "vip",
                "assigned_at": T(2026, 1, 1),
                "method": "rule",
                "reason": None,
            },
        ],
    )
    # standard: not eligible → list price; vip: 10 % tier × 10 % promotion, multiplied.
    assert explained(fr) == pytest.approx({"std": 100.0, "vip": 81.0})


def test_sku_null_promotion_applies_to_every_sku_and_sku_promotion_only_to_its_own():
    fr = frames(
        [
            order("any_a", promo_id="ALL"),
            order("any_b", sku="B", promo_id="ALL"),
            order("own", promo_id="ONLY_A"),
            order("other", sku="B", promo_id="ONLY_A"),
        ],
        promotions=[promo("ALL"), promo("ONLY_A", sku="A", discount_pct=20.0)],
    )
    assert explained(fr) == pytest.approx(
        {"any_a": 90.0, "any_b": 90.0, "own": 80.0, "other": 100.0}
    )


def test_non_public_promotion_is_not_explained_and_is_a_finding():
    fr = frames(
        [order("hidden", promo_id="H", charged_price=75.0, quantity=2)],
        promotions=[promo("H", public=False, discount_pct=25.0)],
    )
    df = priced_orders(fr, Q3).collect()
    assert df["explained_price"].item() == pytest.approx(100.0)
    assert df["is_unpublished_promo"].item()
    f = order_findings(df, tolerance=0.005)
    assert f.select("rule", "entity_id").rows() == [("unpublished_promotion", "hidden")]
    assert f["amount_cny"].item() == pytest.approx(50.0)  # the undisclosed discount given


def test_unpublished_tier_discount_is_not_explained():
    fr = frames(
        [order("o", charged_price=80.0)],
        assignments=[
            {
                "customer_id": "C1",
                "tier": "staff",
                "assigned_at": T(2026, 1, 1),
                "method": "manual",
                "reason": "x",
            }
        ],
    )
    assert explained(fr) == pytest.approx({"o": 100.0})


def test_tier_change_right_before_the_order_and_ties_take_the_later_row():
    a = [
        {
            "customer_id": "C1",
            "tier": "standard",
            "assigned_at": T(2026, 1, 1),
            "method": "rule",
            "reason": None,
        },
        {
            "customer_id": "C1",
            "tier": "vip",
            "assigned_at": T(2026, 8, 1, 11, 59, 59),
            "method": "rule",
            "reason": None,
        },
        # same instant as the order: "at or before" → counts;
        # tie with the next row → the later row wins.
        {
            "customer_id": "C1",
            "tier": "core",
            "assigned_at": T(2026, 8, 2, 12),
            "method": "rule",
            "reason": None,
        },
        {
            "customer_id": "C1",
            "tier": "vip",
            "assigned_at": T(2026, 8, 2, 12),
            "method": "manual",
            "reason": "y",
        },
        # one second after the third order: not yet held.
        {
            "customer_id": "C1",
            "tier": "standard",
            "assigned_at": T(2026, 8, 3, 12, 0, 1),
            "method": "rule",
            "reason": None,
        },
    ]
    fr = frames(
        [
            order("just_after", ordered_at=T(2026, 8, 1, 12)),
            order("tie", ordered_at=T(2026, 8, 2, 12)),
            order("before_change", ordered_at=T(2026, 8, 3, 12)),
        ],
        assignments=a,
    )
    df = priced_orders(fr, Q3).collect().sort("order_id")
    assert dict(zip(df["order_id"], df["tier"], strict=True)) == {
        "just_after": "vip",
        "tie": "vip",
        "before_change": "vip",
    }
    assert explained(fr) == pytest.approx({"just_after": 90.0, "tie": 90.0, "before_change": 90.0})


def test_orders_outside_the_period_are_ignored():
    fr = frames(
        [
            order("in", ordered_at=T(2026, 9, 30, 23, 59, 59), charged_price=150.0),
            order("after", ordered_at=T(2026, 10, 1, 0, 0, 0), charged_price=150.0),
            order("before", ordered_at=T(2026, 6, 30, 23, 59, 59), charged_price=150.0),
        ]
    )
    df = priced_orders(fr, Q3).collect()
    assert df["order_id"].to_list() == ["in"]


def test_unexplained_premium_uses_the_tolerance_and_quantity():
    fr = frames(
        [
            order("within", charged_price=100.5),
            order("above", charged_price=100.51),
            order("big", charged_price=112.0, quantity=3),
            order("cheaper", charged_price=95.0),
        ]
    )
    df = priced_orders(fr, Q3, tolerance=0.005).collect()
    f = (
        order_findings(df, tolerance=0.005)
        .filter(pl.col("rule") == "unexplained_premium")
        .sort("entity_id")
    )
    assert f["entity_id"].to_list() == ["above", "big"]
    assert f["amount_cny"].to_list() == pytest.approx([0.51, 36.0])
    assert f["severity"].to_list() == ["low", "high"]
    detail = json.loads(f.filter(pl.col("entity_id") == "big")["detail"].item())
    assert detail["explained_price"] == pytest.approx(100.0) and detail[
        "premium_pct"
    ] == pytest.approx(12.0)
