"""The pricing package's shape: declared parameters, the result, headline metrics."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.pricing.conftest import T, frames, order, promo
from workbench.analysis import AnalysisResult
from workbench.params import ParameterError
from workbench.pricing import (
    ANALYSIS,
    DEFAULT_ATTRIBUTES,
    PARAMETERS,
    PUBLISHED,
    TABLES,
    analyze,
    order_units,
)

FAST = {"n_permutations": 20, "n_placebo": 4, "model_check": False}
HEADLINES = ("orders_in_period", "price_disparity_groups", "group_overcharge_cny",
             "unexplained_premium_orders", "overcharge_cny", "unpublished_promotion_orders")


@pytest.fixture(scope="module")
def small():
    orders = [
        order("O1", charged_price=110.0, quantity=2),  # +10 % on 2 units: 20.00 unexplained
        order("O2", charged_price=90.0, promo_id="P2"),  # unannounced 10 %: 10.00 hidden
        order("O3", charged_price=100.3),  # 0.3 %: within the tolerance
        order("O4", customer_id="C2", charged_price=105.5),  # 5.50 unexplained
        order("O5", charged_price=200.0, ordered_at=T(2026, 10, 2)),  # after the period
    ]
    fr = frames(orders, promotions=[promo("P2", public=False)])
    return analyze(fr, "2026-Q3", intersections=False, **FAST)


def test_result_is_the_one_result_type(small):
    assert isinstance(small, AnalysisResult)
    assert small.analysis == ANALYSIS == "pricing" and small.published == PUBLISHED == ("refunds",)
    assert set(TABLES) == {"subsidiaries", "customers", "tier_policy", "tier_benefits",
                           "tier_assignments", "promotions", "orders"}
    assert {"groups", "flagged", "sku_effects", "orders", "refunds"} <= set(small.tables)


def test_metrics_match_a_hand_count(small):
    m = small.metrics
    assert {k: m[k] for k in HEADLINES} == {
        "orders_in_period": 4, "price_disparity_groups": 0, "group_overcharge_cny": 0.0,
        "unexplained_premium_orders": 2, "overcharge_cny": 25.5, "unpublished_promotion_orders": 1,
    }
    assert m["customers_in_period"] == 2 and m["unpublished_promotion_cny"] == 10.0
    assert m["refund_customers"] == 2 and m["refund_cny"] == 25.5


def test_metrics_and_parameters_are_plain_json(small):
    for value in (*small.metrics.values(), *small.parameters.values()):
        assert type(value) in (int, float, str, bool, list, type(None)), value
    assert json.loads(json.dumps(dict(small.metrics))) == dict(small.metrics)
    assert list(small.parameters) == list(PARAMETERS.names())
    assert small.parameters["attributes"] == list(DEFAULT_ATTRIBUTES)
    assert small.parameters["n_permutations"] == 20 and small.parameters["tolerance"] == 0.005


def test_metrics_on_synthetic_data_match_an_independent_count():
    from workbench.pricing._synthetic import synthetic_frames

    fr = synthetic_frames(seed=1, customers=600, orders=8000, ios_premium=0.04)
    res = analyze(fr, "2026-Q3", intersections=False, attributes=["device_os", "gender"], **FAST)
    in_q3 = fr["orders"].filter(pl.col("ordered_at").is_between(T(2026, 7, 1), T(2026, 10, 1),
                                                                 closed="left")).collect()
    u = order_units(fr, "2026-Q3")
    above = u.filter(pl.col("charged_price") / pl.col("explained_price") - 1 > 0.005 + 1e-12)
    m = res.metrics
    assert m["orders_in_period"] == in_q3.height
    assert m["customers_in_period"] == in_q3["customer_id"].n_unique()
    assert m["unexplained_premium_orders"] == above.height
    assert m["overcharge_cny"] == pytest.approx(
        float(((above["charged_price"] - above["explained_price"]) * above["quantity"]).sum()),
        abs=0.01 * above.height)
    flagged = res.findings.filter(pl.col("rule") == "price_disparity")["entity_id"].to_list()
    assert m["price_disparity_groups"] == len(flagged)
    # Group amounts break the order-level overcharge down; they never exceed it.
    assert m["group_overcharge_cny"] == m["attributed_overcharge_cny"] <= m["overcharge_cny"]
    assert m["attributed_overcharge_cny"] + m["unattributed_overcharge_cny"] == pytest.approx(
        m["overcharge_cny"], abs=0.005)


@pytest.mark.parametrize(("params", "message"), [
    ({"attributes": ["device_os", "shoe_size"]}, "parameter attributes must be a list"),
    ({"attributes": []}, "parameter attributes"),
    ({"alpha": 1.0}, "parameter alpha must be a number in \\(0, 1\\)"),
    ({"window_days": 0}, "parameter window_days"),
    ({"n_permutations": 1.5}, "parameter n_permutations must be an integer"),
    ({"intersections": 1}, "parameter intersections must be true or false"),
])
def test_bad_parameters_are_refused_before_any_data_is_read(params, message):
    with pytest.raises(ParameterError, match=message):
        analyze({}, "2026-Q3", **params)


def test_a_list_of_attributes_is_accepted_and_deduplicated(small):
    fr = frames([order("O1", charged_price=110.0)])
    res = analyze(fr, "2026-Q3", attributes=["device_os", "device_os"], intersections=False,
                  **FAST)
    assert res.tables["groups"]["attribute"].unique().to_list() in ([], ["device_os"])
    assert res.parameters["attributes"] == ["device_os", "device_os"]
