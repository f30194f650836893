"""Kaplan–Meier against a hand computation; recurring_cause on planted vs clean counts."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from workbench.sla.recurring import cause_rates, recurring_findings
from workbench.sla.survival import kaplan_meier, km_by_group, median_time


def test_kaplan_meier_matches_a_hand_computation() -> None:
    # durations (h): 2, 3+, 3, 5, 5, 8+, 9, 12+   (+ = censored)
    t = np.array([2, 3, 3, 5, 5, 8, 9, 12], dtype=float)
    e = np.array([1, 0, 1, 1, 1, 0, 1, 0], dtype=bool)
    km = kaplan_meier(t, e)
    # time 2: n=8 d=1 -> 7/8; time 3: n=7 d=1 (censored one still at risk) -> 7/8*6/7 = 3/4
    # time 5: n=5 d=2 -> 3/4*3/5 = 9/20; time 8: censored only; time 9: n=2 d=1 -> 9/40
    assert km["time"].to_list() == [2, 3, 5, 8, 9, 12]
    assert km["at_risk"].to_list() == [8, 7, 5, 3, 2, 1]
    assert km["events"].to_list() == [1, 1, 2, 0, 1, 0]
    assert km["censored"].to_list() == [0, 1, 0, 1, 0, 1]
    assert km["survival"].to_list() == pytest.approx([7 / 8, 3 / 4, 9 / 20, 9 / 20, 9 / 40, 9 / 40])
    # Greenwood variance at time 3: S^2 * (1/(8*7) + 1/(7*6))
    s = 3 / 4
    var = s**2 * (1 / 56 + 1 / 42)
    se_loglog = math.sqrt(var) / (s * abs(math.log(s)))
    low = s ** math.exp(1.959964 * se_loglog)
    assert km["ci_low"][1] == pytest.approx(low, rel=1e-4)
    assert median_time(km) == 5.0


def test_kaplan_meier_edge_cases() -> None:
    assert kaplan_meier(np.array([]), np.array([], dtype=bool)).height == 0
    km = kaplan_meier(np.array([1.0, np.nan, 4.0]), np.array([False, True, False]))
    assert km["survival"].to_list() == [1.0, 1.0] and median_time(km) is None
    times = pl.DataFrame({"severity": ["high", "high", "low"], "hours": [1.0, 2.0, 3.0], "resolved": [True, True, False]})
    curves = km_by_group(times)
    assert curves.filter(pl.col("severity") == "high")["survival"].to_list() == [0.5, 0.0]


def _known(counts: dict[tuple[str, str], int]) -> pl.DataFrame:
    rows = [{"subsidiary_id": s, "root_cause": c} for (s, c), n in counts.items() for _ in range(n)]
    return pl.DataFrame(rows)


CAUSES = ("courier_delay", "damaged_in_transit", "invoice_error", "rude_staff")


def test_recurring_cause_flags_the_planted_subsidiary_only() -> None:
    counts = {(s, cause): 10 for s in ("A", "B", "C", "D") for cause in CAUSES}
    counts[("D", "damaged_in_transit")] = 40  # planted: 40 of 70 vs 10 of 40 elsewhere
    rates = cause_rates(_known(counts), min_count=5, alpha=0.05)
    flagged = rates.filter(pl.col("flagged"))
    assert flagged.select("subsidiary_id", "root_cause").rows() == [("D", "damaged_in_transit")]
    row = flagged.row(0, named=True)
    assert row["count"] == 40 and row["n"] == 70
    assert row["rest_rate"] == pytest.approx(30 / 120) and row["group_rate"] == pytest.approx(70 / 190)
    raw = recurring_findings(rates, min_count=5, alpha=0.05, legal_basis="basis")
    assert raw["entity_id"].to_list() == ["D"] and raw["entity_type"].to_list() == ["subsidiary"]
    detail = raw["detail"][0]
    assert detail["root_cause"] == "damaged_in_transit" and detail["causes"][0]["count"] == 40


def test_recurring_cause_silent_on_clean_data_and_below_min_count() -> None:
    clean = {(s, cause): 10 for s in ("A", "B", "C", "D") for cause in CAUSES}
    assert not cause_rates(_known(clean))["flagged"].any()
    # A big relative excess that happens only 4 times is not "recurring" at min_count 5.
    small = {(s, cause): 1 for s in ("A", "B", "C", "D") for cause in CAUSES}
    small[("D", "rude_staff")] = 4
    rates = cause_rates(_known(small), min_count=5)
    assert not rates["flagged"].any() and rates["p_value"].is_null().all()
    assert recurring_findings(rates, min_count=5, alpha=0.05, legal_basis="x").height == 0
