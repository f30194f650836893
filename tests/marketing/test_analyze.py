"""The marketing analysis end to end: every rule on planted violations (the sample's
ground truth, exactly) and on clean data (nothing), not evaluated without its tables,
bad input with some of them, no look-ahead, and evidence without text or recipients."""

from __future__ import annotations

import ast
import importlib.resources
import inspect
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.marketing.conftest import PERIOD, T, consent, frames, message, of, request
from workbench import marketing, sources
from workbench.contract import FINDINGS_SCHEMA, TABLES, rules_for
from workbench.findings import make_findings
from workbench.marketing import _findings as builders
from workbench.params import ParameterSet

RULE_CODES = [r.code for r in rules_for("marketing")]


def _run(folder: Path) -> Any:
    return marketing.analyze(sources.load(folder, tables=marketing.TABLES), PERIOD)


@pytest.fixture(scope="module")
def planted_result(planted: tuple[Path, dict[str, Any]]) -> Any:
    return _run(planted[0])


@pytest.mark.parametrize("rule", RULE_CODES)
def test_every_rule_finds_exactly_the_planted_violations(planted, planted_result,
                                                         rule: str) -> None:
    truth = planted[1]["rules"][rule]
    assert len(truth["entity_ids"]) >= 2, "the tiny sample plants every rule"
    got = sorted(of(planted_result, rule)["entity_id"].to_list())
    assert got == truth["entity_ids"]
    assert set(of(planted_result, rule)["entity_type"]) == {truth["entity_type"]}


def test_clean_data_raises_nothing(clean: tuple[Path, dict[str, Any]]) -> None:
    result = _run(clean[0])
    assert result.findings.height == 0
    assert result.metrics["evaluated"] and result.metrics["messages"] > 0
    assert result.metrics["consent_coverage"] == 1.0


def test_a_source_without_the_tables_is_not_evaluated(tmp_path: Path, clean) -> None:
    for name in ("subsidiaries", "customers"):
        (tmp_path / f"{name}.parquet").write_bytes((clean[0] / f"{name}.parquet").read_bytes())
    loaded = sources.load(tmp_path, tables=marketing.TABLES)
    assert set(loaded) == {"subsidiaries", "customers"}
    result = marketing.analyze(loaded, PERIOD)
    assert result.findings.height == 0 and result.findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert result.metrics["evaluated"] is False
    assert "未评估" in result.metrics["note"]["zh"] and result.tables == {}


def test_frames_with_some_of_the_tables_are_bad_input() -> None:
    f = frames()
    del f["consents"]
    with pytest.raises(ValueError, match=r"the frames lack \['consents'\]"):
        marketing.analyze(f, PERIOD)


def _before_end(lf: pl.LazyFrame, column: str) -> pl.LazyFrame:
    return lf.filter(pl.col(column) < T(2026, 10, 1))


def test_no_look_ahead(planted: tuple[Path, dict[str, Any]], planted_result) -> None:
    """Dropping every row dated after the period (and every later withdrawal or
    completion) changes no finding: nothing after the end of P is used."""
    f = sources.load(planted[0], tables=marketing.TABLES)
    assert f["marketing_messages"].filter(pl.col("sent_at") >= T(2026, 10, 1)).collect().height
    end = T(2026, 10, 1)
    cut = {
        **f,
        "marketing_messages": _before_end(f["marketing_messages"], "sent_at"),
        "consents": _before_end(f["consents"], "granted_at").with_columns(
            withdrawn_at=pl.when(pl.col("withdrawn_at") < end).then(pl.col("withdrawn_at"))),
        "privacy_requests": _before_end(f["privacy_requests"], "received_at").with_columns(
            completed_at=pl.when(pl.col("completed_at") < end).then(pl.col("completed_at")),
            outcome=pl.when(pl.col("completed_at") < end).then(pl.col("outcome"))
            .otherwise(pl.lit("pending"))),
    }
    again = marketing.analyze(cut, PERIOD)
    assert again.findings.equals(planted_result.findings)


def test_evidence_quotes_no_text_and_no_recipient(planted, planted_result) -> None:
    msgs = pl.read_parquet(planted[0] / "marketing_messages.parquet")
    customers = set(msgs["customer_id"])
    texts = [t for t in msgs["content"].unique().to_list() if len(t) > 12]
    for row in planted_result.findings.iter_rows(named=True):
        detail = json.loads(row["detail"])
        assert detail["legal_basis"] and "severity_basis" in detail
        flat = row["detail"]
        assert not any(c in flat for c in customers), row["entity_id"]
        assert not any(t in flat for t in texts), row["entity_id"]
    assert "content" not in planted_result.tables["messages"].columns
    assert "customer_id" not in planted_result.tables["messages"].columns


def test_findings_are_what_make_findings_makes(planted_result) -> None:
    """The vectorised contract step gives make_findings' ids, columns and evidence."""
    raw = [builders.refusal_without_reason(pl.DataFrame({
        "request_id": ["Q1", "Q2"], "subsidiary_id": ["S1", "S2"], "kind": ["copy", "delete"],
        "received_at": [T(2026, 7, 1)] * 2, "refused_at": [T(2026, 7, 3)] * 2,
        "reason_given": [False, False]}))]
    fast = builders.contract_findings(raw, PERIOD)
    slow = make_findings(raw[0].with_columns(pl.col("detail").struct.json_encode()),
                         analysis="marketing", period=PERIOD)
    assert fast.drop("detail").equals(slow.drop("detail"))
    assert [json.loads(d) for d in fast["detail"]] == [json.loads(d) for d in slow["detail"]]
    assert planted_result.findings["finding_id"].is_unique().all()


def test_a_message_after_a_withdrawal_says_so_and_is_high() -> None:
    f = frames(marketing_messages=[message("M1", "【云铺】【广告】满299减50，回T退订"),
                                   message("M2", "【云铺】【广告】满299减50，回T退订",
                                           customer="C2")],
               consents=[consent("K1", withdrawn=T(2026, 7, 1))])
    result = marketing.analyze(f, PERIOD)
    found = {r["entity_id"]: r for r in of(result, "marketing_without_consent")
             .iter_rows(named=True)}
    after = json.loads(found["M1"]["detail"])
    assert after["after_withdrawal"] and after["withdrawn_at"] == "2026-07-01T00:00:00"
    assert after["withdrawn_consent_id"] == "K1" and found["M1"]["severity"] == "high"
    never = json.loads(found["M2"]["detail"])
    assert never["consent_state"] == "none" and found["M2"]["severity"] == "medium"


def test_a_service_labelled_advertisement_is_commercial_and_more_severe() -> None:
    text = "【云铺】感谢您的购买！新会员专享：沙发第二件半价，本月有效"
    f = frames(marketing_messages=[message("M1", text, purpose="service"),
                                   message("M2", "【云铺】您的订单已发货", purpose="service")],
               consents=[consent("K1")])
    result = marketing.analyze(f, PERIOD)
    assert of(result, "ad_unlabelled")["entity_id"].to_list() == ["M1"]
    assert of(result, "ad_unlabelled")["severity"].to_list() == ["high"]
    detail = json.loads(of(result, "ad_unlabelled")["detail"][0])
    assert detail["commercial_because"] == "content" and "discount" in detail["signals"]
    assert set(of(result, "no_opt_out")["entity_id"]) == {"M1"}
    assert result.metrics["commercial_by_content"] == 1


def test_calls_are_judged_for_terms_and_consent_but_not_labels() -> None:
    script = "您好，我们的净化器是市面上最有效的，今天下单打八折"
    f = frames(marketing_messages=[message("M1", script, channel="call")])
    result = marketing.analyze(f, PERIOD)
    assert {r: of(result, r).height for r in RULE_CODES} == {
        "ad_unlabelled": 0, "absolute_term": 1, "no_opt_out": 0,
        "marketing_without_consent": 1, "privacy_request_overdue": 0,
        "refusal_without_reason": 0}
    assert json.loads(of(result, "absolute_term")["detail"][0])["terms"] == ["最有效"]


def test_requests_in_the_analysis() -> None:
    f = frames(privacy_requests=[
        request("R1", received=T(2026, 7, 1, 9)),
        request("R2", received=T(2026, 7, 1, 9), completed=T(2026, 7, 3), outcome="refused",
                reason="无"),
        request("R3", received=T(2026, 7, 1, 9), completed=T(2026, 7, 3))])
    result = marketing.analyze(f, PERIOD)
    assert of(result, "privacy_request_overdue")["entity_id"].to_list() == ["R1"]
    assert of(result, "refusal_without_reason")["entity_id"].to_list() == ["R2"]
    detail = json.loads(of(result, "privacy_request_overdue")["detail"][0])
    assert detail["still_open_at_period_end"] and detail["deadline"] == "2026-07-22"
    assert detail["policy_version"] == "2021.1" and "15个工作日" in detail["legal_basis"]
    m = result.metrics
    # a refusal in time is an answer in time (its missing reason is its own finding)
    assert (m["requests_met"], m["requests_overdue"], m["on_time_share"]) == (2, 1, 0.666667)
    assert (m["refusals"], m["refusals_without_reason"]) == (1, 1)


def test_the_package_has_the_shape_of_every_analysis() -> None:
    assert {"ANALYSIS", "TABLES", "PARAMETERS", "PUBLISHED", "analyze"} <= set(marketing.__all__)
    assert marketing.ANALYSIS == "marketing" and set(marketing.TABLES) <= set(TABLES)
    assert isinstance(marketing.PARAMETERS, ParameterSet)
    assert marketing.analyze.parameters is marketing.PARAMETERS
    assert list(inspect.signature(marketing.analyze).parameters)[:2] == ["frames", "period"]
    folder = importlib.resources.files(marketing)
    files = {p.name for p in folder.iterdir() if p.name.endswith(".py")}
    assert {"__init__.py", "_analysis.py", "_findings.py", "_figures.py"} <= files
    tree = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    own = [n for n in tree.body[1:] if not isinstance(n, ast.Import | ast.ImportFrom)
           and not (isinstance(n, ast.Assign) and [t.id for t in n.targets] == ["__all__"])]
    assert own == []
    for f in files:
        assert len((folder / f).read_text(encoding="utf-8").splitlines()) <= 600, f


def test_tables_figures_and_metrics(planted_result) -> None:
    assert set(planted_result.figures) == {"rules_by_subsidiary", "commercial_mix",
                                           "consent_by_channel", "absolute_terms",
                                           "requests_by_kind"}
    by_sub = planted_result.tables["by_subsidiary"]
    for rule in ("ad_unlabelled", "absolute_term", "no_opt_out", "marketing_without_consent"):
        assert by_sub[rule].sum() == planted_result.metrics[rule]
    assert planted_result.tables["terms"]["messages"].sum() >= planted_result.metrics[
        "absolute_term"]
    assert planted_result.metrics["evaluated"] is True
