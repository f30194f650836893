from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from workbench.contract import FINDINGS_SCHEMA, RULES
from workbench.findings import (
    empty_findings,
    finding_id,
    make_findings,
    read_findings,
    validate_findings,
    write_findings,
)


def _raw(**overrides: list) -> pl.DataFrame:
    data = {
        "rule": ["stale_tier", "hidden_benefit"],
        "severity": ["low", "medium"],
        "entity_type": ["customer", "grant"],
        "entity_id": ["C2", "G1"],
        "amount_cny": [None, 12.5],
        "detail": [{"age_days": 400}, {"gap_ranks": -1}],
    }
    data.update(overrides)
    return pl.DataFrame(data)


def test_finding_id_is_the_contract_hash() -> None:
    expected = hashlib.sha256(b"sla|ack_breach|complaint|K1|2026-Q3").hexdigest()[:16]
    assert finding_id("sla", "ack_breach", "complaint", "K1", "2026-Q3") == expected


def test_make_findings_has_contract_schema_and_legal_basis() -> None:
    out = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    assert out.schema == pl.Schema(FINDINGS_SCHEMA)
    assert out["analysis"].unique().to_list() == ["tiering"]
    detail = json.loads(out.filter(pl.col("rule") == "stale_tier")["detail"][0])
    assert detail["age_days"] == 400
    assert detail["legal_basis"] == RULES["stale_tier"].legal_basis


def test_finding_ids_are_stable_and_period_specific() -> None:
    a = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    b = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    c = make_findings(_raw(), analysis="tiering", period="2026-Q2")
    assert a["finding_id"].to_list() == b["finding_id"].to_list()
    assert set(a["finding_id"]).isdisjoint(set(c["finding_id"]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rule": ["stale_tier", "price_disparity"]}, "not one of"),
        ({"severity": ["low", "urgent"]}, "'severity'"),
        ({"entity_type": ["customer", "person"]}, "'entity_type'"),
        ({"entity_id": ["C1", "C1"], "rule": ["stale_tier", "stale_tier"],
          "entity_type": ["customer", "customer"], "amount_cny": [None, None]},
         "share a finding_id"),
        ({"entity_id": ["C1", ""]}, "no entity_id"),
        # money: an amount on a rule without money, a kind that is not the rule's, a kind
        # without an amount, a negative amount, a kind outside the contract
        ({"amount_cny": [3.0, 12.5]}, r"an amount_cny without an amount_kind .*'stale_tier'"),
        ({"amount_kind": [None, "overcharge"]},
         r"1 rows have an amount_kind that is not the rule's, .*'hidden_benefit', 'overcharge'"),
        ({"amount_kind": ["benefit", "benefit"]}, r"an amount_kind without an amount_cny"),
        ({"amount_cny": [None, -0.5]}, "negative or NaN"),
        ({"amount_cny": [None, float("nan")]}, "negative or NaN"),
        ({"amount_kind": [None, "refund"]}, "an amount_kind that is not one of"),
    ],
)
def test_make_findings_rejects_bad_rows(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_findings(_raw(**overrides), analysis="tiering", period="2026-Q3")


def test_amount_kind_is_the_rules_and_null_exactly_without_money() -> None:
    out = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    kinds = dict(out.select("rule", "amount_kind").iter_rows())
    assert kinds == {"stale_tier": None, "hidden_benefit": "benefit"}
    assert list(out.columns) == list(FINDINGS_SCHEMA)
    assert out.columns.index("amount_kind") == out.columns.index("amount_cny") + 1
    # a builder may pass its own kind (the rule's), or leave it null to be filled
    own = make_findings(_raw(amount_kind=[None, "benefit"]), analysis="tiering",
                        period="2026-Q3")
    assert own.equals(out)
    # every money rule of every analysis gets its rule's kind
    for code, rule in RULES.items():
        if rule.amount_kind is None:
            continue
        raw = pl.DataFrame({"rule": [code], "severity": ["low"],
                            "entity_type": [rule.entity_type], "entity_id": ["X1"],
                            "amount_cny": [1.0]})
        got = make_findings(raw, analysis=rule.analysis, period="2026-Q3")
        assert got["amount_kind"].to_list() == [rule.amount_kind], code


def test_findings_read_back_are_checked_for_money(tmp_path) -> None:
    out = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    wrong = out.with_columns(pl.lit("exposure").alias("amount_kind"))
    with pytest.raises(ValueError, match="money rules: .*amount_kind without an amount_cny"):
        validate_findings(wrong)
    with pytest.raises(ValueError, match="lack the columns"):
        validate_findings(out.drop("amount_kind"))
    path = tmp_path / "old.parquet"
    wrong.write_parquet(path)
    with pytest.raises(ValueError, match="not the rule's"):
        read_findings(path)
    # columns in another order come back in contract order
    shuffled = out.select(list(reversed(out.columns)))
    assert validate_findings(shuffled).columns == list(FINDINGS_SCHEMA)


def test_round_trip(tmp_path) -> None:
    out = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    path = write_findings(out, tmp_path / "f" / "findings.parquet")
    assert read_findings(path).equals(out)
    assert empty_findings().height == 0
    assert make_findings(_raw().head(0), analysis="tiering", period="2026-Q3").height == 0


def test_csv_cells_that_start_like_a_formula_are_neutralised(tmp_path):
    """Issue #15: an id like ``=HYPERLINK("http://…")`` landed in findings.csv as a
    formula Excel would run; the CSV now holds it as text, the parquet as given."""
    from workbench.findings import csv_safe

    raw = pl.DataFrame({"rule": ["stale_tier"] * 5, "severity": ["low"] * 5,
                        "entity_type": ["customer"] * 5,
                        "entity_id": ['=HYPERLINK("http://x.example")', "+1", "-2", "@SUM(A1)",
                                      "C0001"]})
    findings = make_findings(raw, analysis="tiering", period="2026-Q3")
    path = tmp_path / "findings.csv"
    csv_safe(findings).write_csv(path)
    ids = pl.read_csv(path)["entity_id"].to_list()
    assert sorted(ids) == sorted(["'=HYPERLINK(\"http://x.example\")", "'+1", "'-2",
                                  "'@SUM(A1)", "C0001"])
    assert '=HYPERLINK("http://x.example")' in findings["entity_id"].to_list()
