"""workbench/contract.py states the shared data contract v1.1 (never breaks it), and
docs/data-contract.md is exactly what the generator writes from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench import _contract_doc
from workbench.contract import (
    AMOUNT_KINDS,
    ANALYSES,
    CREDIT_GRADES_SCHEMA,
    ENUMS,
    FINDINGS_SCHEMA,
    OPTIONAL_TABLES,
    OUTPUT_TABLES,
    RULES,
    TABLE_NAMES,
    TABLES,
    Rule,
)
from workbench.labels import MONEY_KIND_LABELS, MONEY_KINDS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-contract.md"
SHARED = ROOT.parent / "shared" / "data-contract.md"

# The shared data contract v1.1, table by table: column names in order, "?" = nullable.
# A snapshot, so that these tests need no ../shared checkout; the last test keeps it
# in step with ../shared/data-contract.md where that file is present.
V11_TABLES = {
    "subsidiaries": "subsidiary_id name province",
    "customers": "customer_id subsidiary_id customer_type uscc? signup_date province? gender?"
    " birth_year?",
    "tier_policy": "tier rank min_spend_12m min_orders_12m min_tenure_months review_cycle_days"
    " published_at?",
    "tier_benefits": "tier benefit_type value published",
    "tier_assignments": "customer_id tier assigned_at method reason?",
    "benefit_grants": "grant_id customer_id granted_at benefit_type value amount_cny",
    "orders": "order_id customer_id subsidiary_id sku ordered_at channel device_os? province?"
    " quantity list_price charged_price promo_id? coupon_cny",
    "promotions": "promo_id sku? starts_at ends_at discount_pct eligible_tiers? public",
    "complaints": "complaint_id customer_id subsidiary_id channel category severity received_at"
    " acknowledged_at? accepted_at? resolved_at? closed_at? status root_cause? satisfaction?",
    "complaint_events": "complaint_id at event note?",
    "registry_snapshots": "snapshot_date uscc name status established_date"
    " registered_capital_cny? industry_code? business_scope? last_annual_report_year?",
    "registry_events": "uscc event_date event_type amount_cny? authority? reason?",
    "receivables": "invoice_id customer_id issued_at due_date amount_cny paid_at?"
    " paid_amount_cny",
    "marketing_messages": "message_id subsidiary_id customer_id channel sent_at purpose content",
    "consents": "consent_id customer_id subsidiary_id? purpose channel? granted_at"
    " withdrawn_at?",
    "privacy_requests": "request_id customer_id? subsidiary_id kind received_at completed_at?"
    " outcome refusal_reason?",
    "findings": "finding_id analysis rule severity entity_type entity_id subsidiary_id?"
    " amount_cny? amount_kind? detail",
    "credit_grades": "customer_id uscc score pd grade credit_limit_cny payment_terms_days reasons",
}
V11_RULES = {
    "tiering": "tier_mismatch manual_tier_without_reason hidden_benefit stale_tier"
    " unpublished_policy tier_disparity",
    "pricing": "price_disparity unexplained_premium unpublished_promotion",
    "sla": "ack_breach acceptance_breach resolution_breach update_gap missing_record breach_risk"
    " recurring_cause",
    "credit": "invalid_uscc registry_knockout registry_change annual_report_overdue",
    "marketing": "ad_unlabelled absolute_term no_opt_out marketing_without_consent"
    " privacy_request_overdue refusal_without_reason",
}
V11_ENUMS = {
    "analysis": "tiering pricing sla credit marketing",
    "finding_severity": "high medium low",
    "entity_type": "customer order grant complaint group subsidiary enterprise policy message"
    " request",
    "grade": "AAA AA A BBB BB reject",
    "amount_kind": "overcharge benefit discount exposure",
    "registry_status": "active revoked cancelled moved_out suspended",
}


def _columns(table) -> str:
    return " ".join(c.name + ("?" if c.nullable else "") for c in table.columns)


def test_committed_doc_is_what_the_generator_writes() -> None:
    assert DOC.read_text(encoding="utf-8") == _contract_doc.render(), (
        "docs/data-contract.md is stale: run `make contract-doc`"
    )


def test_generator_command_writes_and_checks(tmp_path: Path, capsys) -> None:
    out = tmp_path / "contract.md"
    assert _contract_doc.main(["--check", "--out", str(out)]) == 1
    assert _contract_doc.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == _contract_doc.render()
    assert _contract_doc.main(["--check", "--out", str(out)]) == 0
    assert "make contract-doc" in capsys.readouterr().err


def test_every_v11_input_table_is_in_the_code() -> None:
    for name, columns in V11_TABLES.items():
        if name in ("findings", "credit_grades"):
            continue
        assert _columns(TABLES[name]) == columns, name
    inputs = {n for n in V11_TABLES if n not in ("findings", "credit_grades")}
    assert set(TABLES) == inputs


def test_the_marketing_tables_are_the_optional_group() -> None:
    """v1.1: the three marketing tables are optional as a group; every other is required."""
    assert OPTIONAL_TABLES == {
        "marketing": ("marketing_messages", "consents", "privacy_requests")}
    assert TABLE_NAMES == tuple(t for t in TABLES if t not in OPTIONAL_TABLES["marketing"])
    assert list(TABLES)[-3:] == list(OPTIONAL_TABLES["marketing"])
    assert ANALYSES[-1] == "marketing"  # the report runs it on every source (issue #17)
    assert list(ENUMS["analysis"]) == list(ANALYSES)
    assert TABLES["consents"].column("channel").enum == "message_channel"
    assert list(ENUMS["message_channel"]) == ["sms", "app_push", "email", "wechat", "call"]
    assert list(ENUMS["privacy_kind"]) == ["access", "copy", "correct", "delete",
                                           "withdraw_consent", "explain", "cancel_account",
                                           "port"]
    assert list(ENUMS["privacy_outcome"]) == ["done", "refused", "pending"]


def test_the_doc_states_what_is_left_of_marketing() -> None:
    doc = _contract_doc.render()
    assert "### Marketing and personal-information tables (v1.1, optional)" in doc
    assert "#### privacy_requests — a person exercising rights under PIPL" in doc
    assert "the loader neither reads nor checks them" not in doc
    assert ("does not run it yet" in doc) is not _contract_doc.MARKETING_IN_REPORT
    # nothing of v1.1 is left: no empty "not yet implemented" list
    assert _contract_doc.MARKETING_IN_REPORT and _contract_doc.GROUP_AMOUNTS_IMPLEMENTED
    assert "Not yet implemented" not in doc and "not yet implemented" not in doc
    assert "implements contract v1 and v1.1 in full" in doc
    assert "says\nthat marketing was *not evaluated*" in doc
    assert doc.index("#### marketing_messages") > doc.index("### receivables")


def test_outputs_match_v11() -> None:
    v11 = V11_TABLES["findings"].split()
    assert _columns(OUTPUT_TABLES["findings"]) == " ".join(v11)
    assert list(FINDINGS_SCHEMA) == [c.rstrip("?") for c in v11]
    assert OUTPUT_TABLES["findings"].column("amount_kind").enum == "amount_kind"
    assert _columns(OUTPUT_TABLES["credit_grades"]) == V11_TABLES["credit_grades"]
    assert list(CREDIT_GRADES_SCHEMA) == V11_TABLES["credit_grades"].split()


def test_every_v11_rule_code_exists() -> None:
    for analysis, codes in V11_RULES.items():
        for code in codes.split():
            assert RULES[code].analysis == analysis, code
    assert {c for c in RULES if RULES[c].extension} == {"dormant_top_tier"}
    v11 = {c for codes in V11_RULES.values() for c in codes.split()}
    assert set(RULES) - v11 == {"dormant_top_tier"}


#: v1.1 rule codes of the marketing analysis and the entity each is about.
MARKETING_ENTITIES = {
    "ad_unlabelled": "message", "absolute_term": "message", "no_opt_out": "message",
    "marketing_without_consent": "message", "privacy_request_overdue": "request",
    "refusal_without_reason": "request",
}


def test_marketing_rules_name_their_entity_and_legal_basis() -> None:
    got = {r.code: r.entity_type for r in RULES.values() if r.analysis == "marketing"}
    assert got == MARKETING_ENTITIES
    basis = {r.code: r.legal_basis for r in RULES.values() if r.analysis == "marketing"}
    assert "第九条" in basis["absolute_term"] and "第十四条" in basis["ad_unlabelled"]
    assert "第四十三条" in basis["no_opt_out"]
    assert "第二十九条" in basis["marketing_without_consent"]
    assert "第十三条至第十五条" in basis["marketing_without_consent"]
    assert "第五十条" in basis["refusal_without_reason"]
    assert all(RULES[c].amount_kind is None for c in MARKETING_ENTITIES)


#: v1.1 "Money kinds": each rule's kind and whether its amounts add into the kind's
#: total (False: a breakdown of another rule's money). Every other rule has no money.
MONEY = {
    "hidden_benefit": ("benefit", True),
    "tier_disparity": ("benefit", False),
    "price_disparity": ("overcharge", False),
    "unexplained_premium": ("overcharge", True),
    "unpublished_promotion": ("discount", True),
    "invalid_uscc": ("exposure", True),
    "registry_knockout": ("exposure", True),
    "registry_change": ("exposure", True),
    "annual_report_overdue": ("exposure", True),
}


def test_every_rule_states_the_kind_of_its_money() -> None:
    got = {code: (r.amount_kind, r.in_total) for code, r in RULES.items() if r.amount_kind}
    assert got == MONEY
    assert all(not r.in_total for r in RULES.values() if r.amount_kind is None)
    assert list(ENUMS["amount_kind"]) == list(AMOUNT_KINDS) == list(MONEY_KINDS)
    assert set(MONEY_KIND_LABELS["zh"]) == set(MONEY_KIND_LABELS["en"]) == set(AMOUNT_KINDS)
    assert [MONEY_KIND_LABELS["zh"][k] for k in AMOUNT_KINDS] == [
        "多收金额", "未公示权益", "未公告优惠", "信用敞口"]


def test_a_rule_with_a_bad_money_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="amount_kind 'refund' is not one of"):
        Rule("x", "pricing", "order", "X", "X", "basis", amount_kind="refund")
    with pytest.raises(ValueError, match="in_total needs an amount_kind"):
        Rule("x", "pricing", "order", "X", "X", "basis", in_total=True)


def test_the_doc_says_how_money_is_counted() -> None:
    doc = _contract_doc.render()
    assert "**Money kinds (v1.1).**" in doc and "**How totals are counted.**" in doc
    assert "| `price_disparity` | `overcharge` | breakdown |" in doc
    assert "| `registry_change` | `exposure` | in total |" in doc
    assert "- **Money kinds.**" not in doc  # no longer listed as not implemented
    assert ("- **Group amounts.**" in doc) is not _contract_doc.GROUP_AMOUNTS_IMPLEMENTED


def test_output_enums_are_v11_less_what_is_declared_not_yet() -> None:
    for enum, codes in V11_ENUMS.items():
        planned = _contract_doc.PLANNED_CODES.get(enum, ())
        assert list(ENUMS[enum]) + list(planned) == codes.split(), enum


def test_registry_status_labels_are_the_contracts() -> None:
    assert ENUMS["registry_status"]["active"] == ("存续", "在业")
    assert ENUMS["registry_status"]["revoked"] == ("吊销",)


_ROW = re.compile(r"^\|\s*([a-z0-9_ /]+?)\s*\|\s*([^|]+?)\s*\|")


def test_the_snapshot_is_the_shared_contract() -> None:
    """Only where ../shared is checked out: catches a new shared version."""
    if not SHARED.exists():
        pytest.skip(f"{SHARED} not present; the snapshot above stands in for it")
    text = SHARED.read_text(encoding="utf-8")
    assert text.startswith(f"# Data contract (v{_contract_doc.SHARED_VERSION})")
    tables: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("### ") or line.startswith("#### "):
            current = line.lstrip("#").strip().split(" ")[0]
            tables[current] = []
        elif current and (m := _ROW.match(line)) and m[1] != "column":
            nullable = "?" if m[2].split(" ")[0].endswith("?") else ""
            tables[current] += [n.strip() + nullable for n in m[1].split("/")]
    tables = {k: v for k, v in tables.items() if v and k != "rule"}
    assert {k: " ".join(v) for k, v in tables.items()} == V11_TABLES
    rules = text.split("### rule codes", 1)[1]
    by_analysis: dict[str, list[str]] = {}
    for line in rules.splitlines()[3:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        by_analysis.setdefault(cells[0], []).extend(re.findall(r"`([a-z_]+)`", cells[1]))
    assert {k: " ".join(v) for k, v in by_analysis.items()} == V11_RULES
