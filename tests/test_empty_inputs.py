"""Empty inputs render, never crash (issue #15, deliverable 1): a period without
orders or complaints, or a source whose table of grants, handling events, registry
events, receivables or tier assignments is empty (or empty in the period), gives a
result from every analysis that says plainly what could not be judged
(``metrics["not_judged"]``, zh and en) instead of reading as "no problems found".

Frames are the committed sample (``data/samples``) with one table emptied or cut;
the full sample is the clean case: nothing is said to be unjudged there.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench import credit, pricing, sla, sources, tiering
from workbench.analysis import AnalysisResult
from workbench.contract import FINDINGS_SCHEMA, TABLES, rules_for

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
Q3 = (dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1))
#: Cheap settings: the notes do not depend on the resampling.
FAST: dict[str, dict[str, Any]] = {
    "tiering": {"n_bootstrap": 0},
    "pricing": {"n_permutations": 20, "n_placebo": 2, "model_check": False,
                "intersections": False},
    "sla": {},
    "credit": {},
}
MODULES = {"tiering": tiering, "pricing": pricing, "sla": sla, "credit": credit}
Frames = dict[str, pl.LazyFrame]


@pytest.fixture(scope="module")
def sample() -> Frames:
    frames = sources.load(SAMPLES)
    return {name: lf.collect().lazy() for name, lf in frames.items()}


def _empty(name: str) -> pl.LazyFrame:
    return pl.DataFrame(schema=TABLES[name].schema).lazy()


def _without(frames: Frames, *names: str) -> Frames:
    return {**frames, **{n: _empty(n) for n in names}}


def _not_in_q3(frames: Frames, table: str, column: str) -> Frames:
    start, end = Q3
    if TABLES[table].schema[column] == pl.Date:
        start, end = start.date(), end.date()  # type: ignore[assignment]
    kept = frames[table].filter(~pl.col(column).is_between(start, end, closed="left"))
    return {**frames, table: kept}


def _run(analysis: str, frames: Mapping[str, pl.LazyFrame], period: str = "2026-Q3",
         **params: Any) -> AnalysisResult:
    result = MODULES[analysis].analyze(frames, period, **{**FAST[analysis], **params})
    assert isinstance(result, AnalysisResult)
    assert result.findings.schema == pl.Schema(FINDINGS_SCHEMA)
    json.dumps(dict(result.metrics))  # metrics.json can be written
    return result


def _noted(result: AnalysisResult) -> dict[str, dict[str, Any]]:
    """Rule code -> the note that says it could not be judged (checked for shape)."""
    codes = {r.code for r in rules_for(result.analysis)}
    out: dict[str, dict[str, Any]] = {}
    for note in result.metrics["not_judged"]:
        assert set(note) == {"rules", "zh", "en"} and note["zh"] and note["en"], note
        assert set(note["rules"]) <= codes, note
        out |= {r: note for r in note["rules"]}
    return out


# ------------------------------------------------------------------ the clean case
@pytest.mark.parametrize("analysis", ["tiering", "pricing", "sla"])
def test_the_full_sample_leaves_nothing_unjudged(sample, analysis):
    assert _run(analysis, sample).metrics["not_judged"] == []


# ------------------------------------------------------------------- no orders
Case = tuple[str, Callable[[Frames], Frames], str, set[str], str]
CASES: list[Case] = [
    # analysis, frames, period, rules said to be unjudged, a word of the Chinese note
    ("pricing", lambda f: f, "2024-Q3",
     {"price_disparity", "unexplained_premium", "unpublished_promotion"}, "本期没有订单"),
    ("pricing", lambda f: _without(f, "orders"), "2026-Q3",
     {"price_disparity", "unexplained_premium", "unpublished_promotion"}, "本期没有订单"),
    ("sla", lambda f: f, "2024-Q3",
     {"ack_breach", "resolution_breach", "missing_record", "breach_risk", "recurring_cause"},
     "本期没有收到投诉"),
    ("sla", lambda f: _without(f, "complaints", "complaint_events"), "2026-Q3",
     {"ack_breach", "acceptance_breach", "update_gap", "breach_risk", "recurring_cause"},
     "本期没有收到投诉"),
    ("sla", lambda f: _without(f, "complaint_events"), "2026-Q3",
     {"ack_breach", "resolution_breach", "missing_record", "recurring_cause"}, "没有处理记录"),
    ("tiering", lambda f: _without(f, "benefit_grants"), "2026-Q3", {"hidden_benefit"},
     "本期没有权益发放记录"),
    ("tiering", lambda f: _not_in_q3(f, "benefit_grants", "granted_at"), "2026-Q3",
     {"hidden_benefit"}, "本期没有权益发放记录"),
    ("tiering", lambda f: _without(f, "tier_assignments"), "2026-Q3",
     {"manual_tier_without_reason", "stale_tier", "dormant_top_tier"}, "没有任何会员等级记录"),
    ("tiering", lambda f: _not_in_q3(f, "tier_assignments", "assigned_at"), "2026-Q3",
     {"stale_tier"}, "本期没有任何等级评定或复核记录"),
    ("tiering", lambda f: _without(f, "orders"), "2026-Q3",
     {"tier_mismatch", "tier_disparity"}, "近 12 个月没有订单"),
    ("tiering", lambda f: _without(f, "customers"), "2026-Q3",
     {"tier_mismatch", "stale_tier", "tier_disparity"}, "没有需评估的客户"),
    ("tiering", lambda f: f, "2024-Q3", {"hidden_benefit", "tier_disparity"}, "近 12 个月没有订单"),
]


@pytest.mark.parametrize(("analysis", "change", "period", "rules", "word"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_an_empty_input_is_said_plainly(sample, analysis, change, period, rules, word):
    """Before issue #15 these results had no word on what the data could not judge."""
    result = _run(analysis, change(sample), period)
    noted = _noted(result)
    assert rules <= set(noted), (sorted(noted), result.metrics["not_judged"])
    assert any(word in n["zh"] for n in result.metrics["not_judged"])


def test_no_orders_means_no_findings_and_zero_counts(sample):
    result = _run("pricing", sample, "2024-Q3")
    assert result.findings.height == 0
    assert result.metrics["orders_in_period"] == 0 and result.metrics["refund_cny"] == 0


def test_no_complaints_means_no_findings_and_no_adherence(sample):
    result = _run("sla", _without(sample, "complaints", "complaint_events"))
    assert result.findings.height == 0
    assert result.metrics["complaints_received"] == 0
    assert result.metrics["adherence_resolution"] is None  # not 100 %


# ---------------------------------------------- rules that could not be judged for size
def test_groups_too_small_to_test_are_said(sample):
    priced = _run("pricing", sample, min_group_orders=10**9)
    assert set(_noted(priced)) == {"price_disparity"}
    assert "10" in priced.metrics["not_judged"][0]["zh"]  # the size in force, not a default
    tiered = _run("tiering", sample, min_group_size=10**9)
    assert set(_noted(tiered)) == {"tier_disparity"}


def test_a_breach_risk_model_not_run_or_without_root_causes_is_said(sample):
    unrun = _run("sla", sample, with_risk=False)
    assert set(_noted(unrun)) == {"breach_risk"}
    causes = sample["complaints"].with_columns(pl.lit(None, pl.String).alias("root_cause"))
    no_causes = _run("sla", {**sample, "complaints": causes}, with_risk=False)
    assert {"recurring_cause", "breach_risk"} <= set(_noted(no_causes))


def test_tier_assignments_empty_in_the_period_still_prices(sample):
    for frames in (_without(sample, "tier_assignments"),
                   _not_in_q3(sample, "tier_assignments", "assigned_at")):
        assert _run("pricing", frames).metrics["orders_in_period"] > 0


# ------------------------------------------------------------------------- credit
@pytest.mark.parametrize("change", [
    lambda f: _without(f, "registry_events"),
    lambda f: _without(f, "receivables"),
    lambda f: _not_in_q3(f, "receivables", "issued_at"),
    lambda f: _without(f, "registry_snapshots"),
    lambda f: _without(f, "customers"),
], ids=["no-registry-events", "no-receivables", "no-receivables-in-P", "no-snapshots",
        "no-customers"])
def test_credit_runs_on_empty_inputs(sample, change):
    result = _run("credit", change(sample))
    assert "notes" in result.tables


def test_credit_without_receivables_says_why_there_is_no_scorecard(sample):
    result = _run("credit", _without(sample, "receivables"))
    assert result.metrics["scorecard_developed"] is False
    assert result.tables["notes"].height >= 1


# ---------------------------------------------------------------- one render, end to end
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_a_report_with_empty_tables_publishes_and_says_what_it_could_not_judge(tmp_path):
    from workbench.report import run_report

    src = tmp_path / "source"
    src.mkdir()
    for path in SAMPLES.glob("*.parquet"):
        shutil.copy(path, src / path.name)
    for table in ("benefit_grants", "complaint_events", "registry_events", "receivables"):
        pl.read_parquet(src / f"{table}.parquet").head(0).write_parquet(src / f"{table}.parquet")
    assignments = src / "tier_assignments.parquet"
    pl.read_parquet(assignments).filter(pl.col("assigned_at") < Q3[0]).write_parquet(assignments)
    folder = run_report(src, "2026-Q3", tmp_path / "reports")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    said = {a: metrics["analyses"][a]["headline"].get("not_judged") for a in ("tiering", "sla")}
    assert said["tiering"] and said["sla"], said
    tiering_html = (folder / "tiering.html").read_text(encoding="utf-8")
    sla_html = (folder / "sla.html").read_text(encoding="utf-8")
    assert "本期没有权益发放记录" in tiering_html
    assert "都没有处理记录" in sla_html
