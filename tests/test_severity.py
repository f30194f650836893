"""The severity policy: packaged YAML covers every rule, thresholds at their edges,
bad files name file and key, and the expression and the scalar form agree."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import polars as pl
import pytest
import yaml

from workbench.contract import RULES
from workbench.severity import (
    LEVELS,
    SeverityPolicyError,
    load_policy,
    severity,
    severity_evidence,
    severity_inputs,
    severity_value,
)

POLICY = load_policy()


def _expr(rule: str, **inputs: object) -> str:
    """The expression form evaluated on one row (the scalar form must agree)."""
    cols = {k: [v] for k, v in inputs.items()}
    df = pl.DataFrame(cols) if cols else pl.DataFrame({"_": [0]})
    out = df.select(severity(rule, **{k: pl.col(k) for k in inputs}).alias("s"))
    return out["s"][0]


def both(rule: str, **inputs: object) -> str:
    a, b = severity_value(rule, **inputs), _expr(rule, **inputs)
    assert a == b, (rule, inputs, a, b)
    return a


# --------------------------------------------------------------------------- policy file


def test_packaged_policy_covers_every_rule_code_and_nothing_else() -> None:
    assert set(POLICY.rules) == set(RULES)
    for code, entry in POLICY.rules.items():
        assert entry.gravity in LEVELS and entry.why
        for name, steps in entry.inputs.items():
            assert entry.describes[name]
            assert all(s.why for s in steps), (code, name)


def test_policy_source_and_version_are_in_the_evidence() -> None:
    df = pl.DataFrame({"x": [5.0]})
    got = df.select(severity_evidence("unpublished_promotion", discount_cny=pl.col("x"))).item()
    assert got["discount_cny"] == 5.0
    assert got["policy"] == f"workbench/severity_policy.yaml v{POLICY.version}"


def _write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "sev.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


def _packaged_doc() -> dict:
    text = (Path(__file__).parents[1] / "workbench" / "severity_policy.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (lambda d: d["rules"].pop("stale_tier"), "rules", "no entry for rule(s) stale_tier"),
        (lambda d: d["rules"].__setitem__("no_such_rule", {"gravity": "low", "why": "x"}),
         "rules.no_such_rule", "not a rule code"),
        (lambda d: d["rules"]["stale_tier"].__setitem__("gravity", "severe"),
         "rules.stale_tier.gravity", "'severe' is not one of"),
        (lambda d: d["rules"]["unexplained_premium"]["inputs"]["premium"]["steps"][0]
         .__setitem__("at_least", "ten"),
         "rules.unexplained_premium.inputs.premium.steps[0].at_least", "expected a number"),
        (lambda d: d["rules"]["unexplained_premium"]["inputs"]["premium"]["steps"][0]
         .__setitem__("below", 0.5),
         "rules.unexplained_premium.inputs.premium.steps[0]", "exactly one test"),
        (lambda d: d["rules"]["stale_tier"]["inputs"]["cycles_elapsed"]["steps"][0]
         .__setitem__("shift", 3),
         "rules.stale_tier.inputs.cycles_elapsed.steps[0].shift", "expected ±1 or ±2"),
        (lambda d: d["rules"]["stale_tier"]["inputs"]["cycles_elapsed"]["steps"][0]
         .pop("why"),
         "rules.stale_tier.inputs.cycles_elapsed.steps[0].why", "required key is missing"),
        (lambda d: d["rules"]["price_disparity"].__setitem__("ceiling", "low"),
         "rules.price_disparity.floor", "above ceiling"),
        (lambda d: d.pop("version"), "version", "required key is missing"),
    ],
)
def test_a_bad_policy_names_file_and_key(tmp_path: Path, edit, key: str, problem: str) -> None:
    doc = _packaged_doc()
    edit(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(SeverityPolicyError) as err:
        load_policy(path)
    msg = str(err.value)
    assert msg.startswith(f"severity policy file {path}: {key}:"), msg
    assert problem in msg


def test_missing_and_invalid_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SeverityPolicyError, match=r"sev\.yaml: not found"):
        load_policy(tmp_path / "sev.yaml")
    (tmp_path / "bad.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(SeverityPolicyError, match=r"bad\.yaml: not valid YAML"):
        load_policy(tmp_path / "bad.yaml")


def test_a_modified_policy_is_used_when_given(tmp_path: Path) -> None:
    doc = _packaged_doc()
    doc["rules"]["dormant_top_tier"]["gravity"] = "high"
    policy = load_policy(_write(tmp_path, doc))
    assert severity_value("dormant_top_tier", policy=policy) == "high"
    assert severity_value("dormant_top_tier") == "low"


def test_inputs_must_match_the_policy() -> None:
    assert severity_inputs("unexplained_premium") == ("premium", "excess_cny")
    with pytest.raises(TypeError, match=r"missing \['excess_cny'\]"):
        severity("unexplained_premium", premium=pl.col("p"))
    with pytest.raises(TypeError, match=r"unknown \['typo'\]"):
        severity_value("stale_tier", cycles_elapsed=3, typo=1)
    with pytest.raises(KeyError, match="no entry for rule 'nope'"):
        severity_inputs("nope")


# --------------------------------------------------------------------------- thresholds


def test_every_rule_without_inputs_is_its_gravity() -> None:
    for code, entry in POLICY.rules.items():
        if not entry.inputs:
            assert both(code) == entry.gravity


def test_null_inputs_match_no_step() -> None:
    for code, entry in POLICY.rules.items():
        if entry.inputs:
            nulls = dict.fromkeys(entry.inputs)
            assert severity_value(code, **nulls) == entry.gravity, code
            df = pl.DataFrame({"_": [0]})
            expr = severity(code, **{k: pl.lit(None) for k in entry.inputs})
            assert df.select(expr).item() == entry.gravity, code


@pytest.mark.parametrize(
    ("premium", "excess", "expected"),
    [
        (0.10, 50.0, "high"),     # at the 10 % edge
        (0.0999, 50.0, "medium"),  # just under it
        (0.03, 50.0, "medium"),    # at the 3 % edge
        (0.0299, 50.0, "low"),     # just under it
        (0.05, 100.0, "high"),     # at the ¥100 edge
        (0.05, 99.99, "medium"),
        (0.05, 5.0, "medium"),     # at the ¥5 edge
        (0.05, 4.99, "low"),
        (0.50, 1.0, "medium"),     # ¥1 is no longer capped: +1 (premium) −1 (< ¥5)
        (0.50, 0.99, "low"),       # a tiny excess is low whatever the percentage
        (0.50, 0.40, "low"),
        (0.50, 1000.0, "high"),
    ],
)
def test_unexplained_premium_edges(premium: float, excess: float, expected: str) -> None:
    assert both("unexplained_premium", premium=premium, excess_cny=excess) == expected


@pytest.mark.parametrize(
    ("effect", "money", "customers", "expected"),
    [
        (0.02, 2000.0, 30, "high"),
        (0.0199, 2000.0, 30, "medium"),
        (0.02, 1999.0, 30, "medium"),
        (0.02, 2000.0, 29, "medium"),
        (0.005, 100.0, 5, "medium"),  # floor: a confirmed group disparity is never low
        (0.005, 32255.0, 600, "medium"),  # an all-sku premium of 0.5 % is not high
        (0.04, 32255.0, 600, "high"),
    ],
)
def test_price_disparity_edges(effect: float, money: float, customers: int,
                               expected: str) -> None:
    got = both("price_disparity", effect=effect, overcharge_cny=money, customers=customers)
    assert got == expected


@pytest.mark.parametrize(
    ("ratio", "diff", "people", "expected"),
    [
        (1.25, 0.05, 50.0, "high"),     # at the four-fifths reference 1/0.8
        (1.2499, 0.05, 50.0, "medium"),
        (1.1, 0.10, 50.0, "high"),      # at the 10-point edge
        (1.1, 0.0999, 50.0, "medium"),
        (5.1, 0.13, 116.7, "high"),     # gender=f on the sample: rate ratio 5.1
        (5.1, 0.13, 9.9, "high"),       # two raises, one lowering
        (1.3, 0.06, 9.9, "medium"),     # few people bear it
        (1.1, 0.06, 10.0, "medium"),    # at the 10-people edge: no lowering
        (1.1, 0.06, 9.99, "low"),
    ],
)
def test_tier_disparity_edges(ratio: float, diff: float, people: float, expected: str) -> None:
    got = both("tier_disparity", disparity_ratio=ratio, difference=diff, people_affected=people)
    assert got == expected


@pytest.mark.parametrize("rule", ["ack_breach", "acceptance_breach", "resolution_breach",
                                  "update_gap"])
@pytest.mark.parametrize(
    ("sev", "regulator", "ratio", "expected"),
    [
        ("critical", False, 0.1, "high"),
        ("high", False, 0.1, "high"),
        ("medium", False, 0.1, "medium"),
        ("medium", False, 0.9999, "medium"),
        ("medium", False, 1.0, "high"),   # twice the committed time
        ("low", False, 0.5, "low"),
        ("low", False, 1.0, "medium"),
        ("low", True, 0.1, "high"),       # 12315 transfer: at least high
    ],
)
def test_clock_breach_edges(rule: str, sev: str, regulator: bool, ratio: float,
                            expected: str) -> None:
    got = both(rule, complaint_severity=sev, regulator_channel=regulator, overrun_ratio=ratio)
    assert got == expected


@pytest.mark.parametrize(
    ("sev", "regulator", "hours", "expected"),
    [
        ("medium", False, 24.0, "medium"),
        ("medium", False, 23.9, "high"),
        ("low", False, 100.0, "medium"),
        ("high", False, 100.0, "high"),
        ("medium", True, 100.0, "high"),
        ("medium", False, None, "medium"),  # deadline unknown
    ],
)
def test_breach_risk_edges(sev: str, regulator: bool, hours: float | None,
                           expected: str) -> None:
    got = severity_value("breach_risk", complaint_severity=sev, regulator_channel=regulator,
                         hours_left=hours)
    assert got == expected


def test_missing_record_and_recurring_cause() -> None:
    assert both("missing_record", complaint_severity="high", regulator_channel=False) == "high"
    assert both("missing_record", complaint_severity="low", regulator_channel=False) == "medium"
    assert both("missing_record", complaint_severity="low", regulator_channel=True) == "high"
    assert both("recurring_cause", mean_count_after=10.0) == "high"
    assert both("recurring_cause", mean_count_after=9.99) == "medium"


@pytest.mark.parametrize(
    ("rule", "inputs", "expected"),
    [
        ("tier_mismatch", {"ranks_under": 2, "over_tiered": False}, "high"),
        ("tier_mismatch", {"ranks_under": 1, "over_tiered": False}, "medium"),
        ("tier_mismatch", {"ranks_under": None, "over_tiered": True}, "high"),
        ("hidden_benefit", {"not_in_schedule": True, "benefit_cny": 5.0}, "high"),
        ("hidden_benefit", {"not_in_schedule": True, "benefit_cny": 4.99}, "medium"),
        ("hidden_benefit", {"not_in_schedule": False, "benefit_cny": 499.99}, "medium"),
        ("hidden_benefit", {"not_in_schedule": False, "benefit_cny": 500.0}, "high"),
        ("hidden_benefit", {"not_in_schedule": False, "benefit_cny": 4.99}, "low"),
        ("stale_tier", {"cycles_elapsed": 2.0}, "medium"),
        ("stale_tier", {"cycles_elapsed": 1.999}, "low"),
        ("unpublished_policy", {"published_late": False}, "high"),
        ("unpublished_policy", {"published_late": True}, "medium"),
        ("unpublished_promotion", {"discount_cny": 5.0}, "medium"),
        ("unpublished_promotion", {"discount_cny": 4.99}, "low"),
        ("invalid_uscc", {"exposure_cny": 1.0}, "high"),
        ("invalid_uscc", {"exposure_cny": 0.0}, "medium"),
        ("annual_report_overdue", {"exposure_cny": 1.0}, "medium"),
        ("annual_report_overdue", {"exposure_cny": 0.99}, "low"),
        ("registry_change", {"becomes_knockout": True, "for_the_worse": True}, "high"),
        ("registry_change", {"becomes_knockout": False, "for_the_worse": True}, "medium"),
        ("registry_change", {"becomes_knockout": False, "for_the_worse": False}, "low"),
    ],
)
def test_rule_edges(rule: str, inputs: dict, expected: str) -> None:
    assert both(rule, **inputs) == expected


def test_expression_and_scalar_agree_on_a_grid() -> None:
    """Row-wise expression over many rows equals the scalar rule on each row."""
    premiums = [0.0, 0.029, 0.03, 0.0999, 0.1, 0.4]
    excesses = [0.0, 0.99, 1.0, 4.99, 5.0, 99.9, 100.0, math.inf]
    grid = list(itertools.product(premiums, excesses))
    df = pl.DataFrame(grid, schema=["p", "e"], orient="row")
    got = df.select(severity("unexplained_premium", premium=pl.col("p"),
                             excess_cny=pl.col("e")))["severity"].to_list()
    want = [severity_value("unexplained_premium", premium=p, excess_cny=e) for p, e in grid]
    assert got == want


def test_docs_show_the_current_policy() -> None:
    from workbench.severity import policy_markdown

    doc = (Path(__file__).parents[1] / "docs" / "severity.md").read_text("utf-8")
    assert policy_markdown() in doc, "docs/severity.md is stale: regenerate its policy section"


def test_tier_disparity_evidence_states_the_inputs_of_its_severity() -> None:
    """gender=f on the sample: favourable ratio 0.865 (no classic breach) but 5.1 times
    as likely to be under-tiered; the evidence says so and agrees with ``high``."""
    from workbench.tiering._findings import tier_disparity

    row = {"group": "gender=f", "metric": "under_tiered_rate", "flagged": True, "adverse": True,
           "n_group": 894, "k_group": 145, "rate_group": 145 / 894, "n_rest": 789, "k_rest": 25,
           "rate_rest": 25 / 789, "difference": 145 / 894 - 25 / 789,
           "difference_ci_low": 0.10, "difference_ci_high": 0.16,
           "ratio": (145 / 894) / (25 / 789), "ratio_ci_low": 3.5, "ratio_ci_high": 8.5,
           "favourable_ratio": 0.865, "four_fifths_breach": False,
           "disadvantage": 145 / 894 - 25 / 789, "p_value": 1e-20, "q_value": 1e-18}
    out = tier_disparity(pl.DataFrame([row]), {"four_fifths": 0.8})
    assert out["severity"].to_list() == ["high"]
    detail = out["detail"][0]
    basis = detail["severity_basis"]
    assert basis["disparity_ratio"] == pytest.approx(5.1188, abs=1e-3)
    assert basis["people_affected"] == pytest.approx(116.7)
    metric = detail["metrics"][0]
    assert metric["favourable_four_fifths_breach"] is False and metric["reference_breach"] is True
    assert severity_value("tier_disparity", **{k: basis[k] for k in
                                               severity_inputs("tier_disparity")}) == "high"
