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
    write_findings,
)


def _raw(**overrides: list) -> pl.DataFrame:
    data = {
        "rule": ["stale_tier", "tier_mismatch"],
        "severity": ["low", "medium"],
        "entity_type": ["customer", "customer"],
        "entity_id": ["C2", "C1"],
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
        ({"entity_id": ["C1", "C1"], "rule": ["stale_tier", "stale_tier"]}, "share a finding_id"),
        ({"entity_id": ["C1", ""]}, "no entity_id"),
    ],
)
def test_make_findings_rejects_bad_rows(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_findings(_raw(**overrides), analysis="tiering", period="2026-Q3")


def test_round_trip(tmp_path) -> None:
    out = make_findings(_raw(), analysis="tiering", period="2026-Q3")
    path = write_findings(out, tmp_path / "f" / "findings.parquet")
    assert read_findings(path).equals(out)
    assert empty_findings().height == 0
    assert make_findings(_raw().head(0), analysis="tiering", period="2026-Q3").height == 0
