"""workbench/money.py: totals per kind, each thing once, breakdowns never in a total —
on findings with planted double counts whose right totals are known."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.contract import AMOUNT_KINDS, RULES
from workbench.findings import make_findings
from workbench.money import TOTAL_RULES, money_by, money_totals, rule_money


def _mk(analysis: str, rows: list[tuple]) -> pl.DataFrame:
    rule, et, eid, sub, amount = zip(*rows, strict=True)
    return make_findings(
        pl.DataFrame({"rule": rule, "severity": ["low"] * len(rows), "entity_type": et,
                      "entity_id": eid, "subsidiary_id": sub, "amount_cny": amount},
                     schema_overrides={"amount_cny": pl.Float64, "subsidiary_id": pl.String}),
        analysis=analysis, period="2026-Q3")


def planted() -> pl.DataFrame:
    """Findings whose right totals are: overcharge 10.40 (orders O1, O2; the group
    amounts are a breakdown), benefit 30.00 (grants; the tier group is a breakdown),
    discount 2.50, exposure 1,500.00 (enterprise E1 with three alerts counts 1,000
    once, E2 500 once); S1 holds O1, G1, E1; S2 holds O2, G2, P1, E2.
    """
    return pl.concat([
        _mk("tiering", [
            ("hidden_benefit", "grant", "G1", "S1", 10.0),
            ("hidden_benefit", "grant", "G2", "S2", 20.0),
            ("tier_disparity", "group", "gender=f", None, 999.0),  # breakdown
            ("stale_tier", "customer", "C1", "S1", None),
        ]),
        _mk("pricing", [
            ("unexplained_premium", "order", "O1", "S1", 6.4),
            ("unexplained_premium", "order", "O2", "S2", 4.0),
            ("unpublished_promotion", "order", "O2", "S2", 2.5),  # same order, other kind
            ("price_disparity", "group", "device_os=ios", None, 6.4),  # breakdown
            ("price_disparity", "group", "tenure_band=36m+", None, 4.0),  # breakdown
        ]),
        _mk("sla", [("ack_breach", "complaint", "K1", "S1", None)]),
        _mk("credit", [
            ("registry_knockout", "enterprise", "E1", "S1", 1000.0),
            ("registry_change", "enterprise", "E1", "S1", 1000.0),
            ("annual_report_overdue", "enterprise", "E1", "S1", 1000.0),
            ("invalid_uscc", "enterprise", "E2", "S2", 500.0),
        ]),
    ])


RIGHT = {"overcharge": 10.4, "benefit": 30.0, "discount": 2.5, "exposure": 1500.0}


def test_totals_count_each_thing_once_per_kind_and_leave_breakdowns_out() -> None:
    f = planted()
    assert money_totals(f) == RIGHT
    # what the old one-number total gave: every amount added across kinds and rules
    naive = float(f["amount_cny"].fill_null(0.0).sum())
    assert naive == pytest.approx(4_552.3)
    assert list(money_totals(f)) == list(AMOUNT_KINDS)


def test_totals_are_independent_of_order_and_of_duplicated_alerts() -> None:
    f = planted()
    assert money_totals(f.sample(fraction=1.0, shuffle=True, seed=3)) == RIGHT
    more = _mk("credit", [("registry_change", "enterprise", "E2", "S2", 500.0)])
    assert money_totals(pl.concat([f, more])) == RIGHT  # E2's second alert adds nothing


def test_disagreeing_amounts_on_one_thing_count_the_largest_never_the_sum() -> None:
    f = pl.concat([
        _mk("credit", [("registry_knockout", "enterprise", "E9", "S1", 300.0)]),
        _mk("credit", [("registry_change", "enterprise", "E9", "S1", 250.0)]),
    ])
    assert money_totals(f)["exposure"] == 300.0


def test_no_money_gives_zero_per_kind() -> None:
    f = planted()
    assert money_totals(f.head(0)) == dict.fromkeys(AMOUNT_KINDS, 0.0)
    sla = f.filter(pl.col("analysis") == "sla")
    assert money_totals(sla) == dict.fromkeys(AMOUNT_KINDS, 0.0)


def test_money_by_subsidiary_adds_up_to_the_totals() -> None:
    f = planted()
    by = money_by(f, ["subsidiary_id"])
    assert by.columns == ["subsidiary_id", *AMOUNT_KINDS]
    rows = {r[0]: r[1:] for r in by.rows()}
    assert rows == {
        "S1": (6.4, 10.0, 0.0, 1000.0),
        "S2": (4.0, 20.0, 2.5, 500.0),
        None: (0.0, 0.0, 0.0, 0.0),  # the group findings: breakdowns only
    }
    for kind in AMOUNT_KINDS:
        assert round(by[kind].sum(), 2) == RIGHT[kind]


def test_money_by_rule_and_by_analysis() -> None:
    f = planted()
    by = {(a, r): v for a, r, *v in money_by(f, ["analysis", "rule"]).rows()}
    assert by[("credit", "registry_knockout")] == [0.0, 0.0, 0.0, 1000.0]
    assert by[("pricing", "price_disparity")] == [0.0, 0.0, 0.0, 0.0]  # breakdown
    per = {a: dict(zip(AMOUNT_KINDS, v, strict=True))
           for a, *v in money_by(f, ["analysis"]).rows()}
    assert per["pricing"] == {"overcharge": 10.4, "benefit": 0.0, "discount": 2.5,
                              "exposure": 0.0}
    with pytest.raises(ValueError, match="at least one column"):
        money_by(f, [])


def test_rule_money_shows_each_rule_with_its_kind_and_marks_breakdowns() -> None:
    rules = {r["rule"]: r for r in rule_money(planted()).iter_rows(named=True)}
    assert rules["price_disparity"] == {
        "analysis": "pricing", "rule": "price_disparity", "findings": 2,
        "amount_kind": "overcharge", "amount_cny": 10.4, "in_total": False}
    assert rules["registry_change"]["amount_cny"] == 1000.0
    assert rules["ack_breach"]["amount_kind"] is None and rules["ack_breach"]["amount_cny"] is None
    assert rules["stale_tier"]["amount_cny"] is None  # no money: "—", never ¥0
    # the in-total rules' amounts add up to the totals (E1 is in three rules: the
    # per-rule view shows it in each, the total once)
    in_total = [r for r in rules.values() if r["in_total"]]
    assert {r["rule"] for r in in_total} <= set(TOTAL_RULES)
    assert sum(r["amount_cny"] for r in in_total if r["amount_kind"] == "benefit") == 30.0
    assert set(TOTAL_RULES) == {c for c, r in RULES.items() if r.in_total}
