"""Kaplan–Meier against a hand computation; recurring_cause and the Pareto on planted vs
clean counts."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from workbench.sla import PARAMETERS
from workbench.sla._findings import recurring_cause
from workbench.sla._recurring import (
    monthly_volumes,
    pareto,
    recurring_causes,
    window_months,
)
from workbench.sla._survival import kaplan_meier, km_by_group, median_time


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
    times = pl.DataFrame({"severity": ["high", "high", "low"], "hours": [1.0, 2.0, 3.0],
                          "resolved": [True, True, False]})
    curves = km_by_group(times)
    assert curves.filter(pl.col("severity") == "high")["survival"].to_list() == [0.5, 0.0]


MONTHS = [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1),
          dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1),
          dt.date(2026, 6, 1), dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]
CAUSES = ("courier_delay", "damaged_in_transit", "invoice_error", "rude_staff", "long_wait",
          "lost_parcel", "refund_delay", "no_callback", "wrong_address", "double_charge")


def _known(monthly: dict[tuple[str, str], list[int]]) -> pl.DataFrame:
    """One row per complaint from monthly counts per (subsidiary, cause)."""
    rows = [
        {"subsidiary_id": s, "root_cause": cause,
         "received_at": dt.datetime.combine(m, dt.time(10)) + dt.timedelta(days=j % 27)}
        for (s, cause), counts in monthly.items()
        for m, k in zip(MONTHS, counts, strict=True)
        for j in range(k)
    ]
    return pl.DataFrame(rows)


def _clean() -> dict[tuple[str, str], list[int]]:
    # 10 causes x 2 a month: every cause 10 % of the subsidiary's complaints
    return {(s, cause): [2] * 12 for s in ("A", "B", "C") for cause in CAUSES}


def test_window_months_are_the_12_ending_with_the_period() -> None:
    assert window_months(dt.date(2026, 9, 30), 12) == MONTHS


#: The declared defaults of the rule (the notebook's and a scheduled run's).
DEFAULTS = {
    k: PARAMETERS[f"recurring_{k}"].default for k in ("threshold", "min_count", "min_months_after")
}


def _pair(r: pl.DataFrame, subsidiary: str, cause: str) -> dict:
    return r.filter(
        (pl.col("subsidiary_id") == subsidiary) & (pl.col("root_cause") == cause)
    ).row(0, named=True)


def _flag(monthly: dict[tuple[str, str], list[int]], **kw) -> pl.DataFrame:
    return recurring_causes(monthly_volumes(_known(monthly), MONTHS), **{**DEFAULTS, **kw})


def test_recurring_cause_flags_a_cause_that_does_not_fall_after_its_trigger() -> None:
    m = _clean()
    m[("C", "damaged_in_transit")] = [2, 2, 2, 2, 2, 2, 12, 10, 9, 11, 10, 12]  # planted: stays up
    m[("B", "courier_delay")] = [2, 2, 2, 2, 2, 2, 12, 2, 1, 2, 2, 1]  # rectified: falls back
    m[("A", "rude_staff")] = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 14]  # too early to tell
    r = _flag(m, threshold=0.3, min_count=4, min_months_after=2)
    flagged = r.filter(pl.col("flagged")).select("subsidiary_id", "root_cause").rows()
    assert flagged == [("C", "damaged_in_transit")]
    c = _pair(r, "C", "damaged_in_transit")
    # 2026-04: 12 of 12 + 9 * 2 = 30 -> 40 %; after: 52 of 52 + 5 * 18 = 142, mean 10.4
    assert c["trigger_month"] == dt.date(2026, 4, 1) and c["trigger_count"] == 12
    assert c["trigger_share"] == pytest.approx(12 / 30)
    assert c["months_after"] == 5 and c["mean_count_after"] == pytest.approx(10.4)
    assert c["share_after"] == pytest.approx(52 / 142)
    b = _pair(r, "B", "courier_delay")
    assert b["trigger_month"] == dt.date(2026, 4, 1) and b["judged"] and not b["flagged"]
    a = _pair(r, "A", "rude_staff")
    assert a["trigger_month"] == dt.date(2026, 9, 1) and not a["judged"] and not a["flagged"]
    raw = recurring_cause(r, monthly_volumes(_known(m), MONTHS), threshold=0.3, min_count=4,
                             min_months_after=2, legal_basis="basis")
    assert raw["entity_id"].to_list() == ["C"] and raw["entity_type"].to_list() == ["subsidiary"]
    d = raw["detail"][0]
    assert d["root_cause"] == "damaged_in_transit"
    months = d["causes"][0]["months"]
    assert [x["month"] for x in months] == [f"{x:%Y-%m}" for x in MONTHS]
    assert [x["count"] for x in months] == m[("C", "damaged_in_transit")]
    assert d["causes"][0]["trigger_month"] == "2026-04"


def test_recurring_cause_silent_on_clean_data_and_below_min_count() -> None:
    assert not _flag(_clean())["flagged"].any()
    assert _flag(_clean())["trigger_month"].is_null().all()
    # a big share that is only 3 complaints a month never triggers at min_count 4
    small = {(s, cause): [1] * 12 for s in ("A", "B") for cause in CAUSES[:4]}
    small[("B", "rude_staff")] = [3] * 12
    r = _flag(small, threshold=0.3, min_count=4)
    assert not r["flagged"].any() and r["trigger_month"].is_null().all()
    assert recurring_cause(r, monthly_volumes(_known(small), MONTHS), threshold=0.3, min_count=4,
                              min_months_after=2, legal_basis="x").height == 0


def test_pareto_orders_causes_and_marks_the_vital_few() -> None:
    known = pl.DataFrame(
        {"subsidiary_id": ["A"] * 10 + ["B"] * 2,
         "root_cause": ["x"] * 5 + ["y"] * 3 + ["z", "w"] + ["x", "y"]}
    )
    p = pareto(known)
    a = p.filter(pl.col("subsidiary_id") == "A")
    assert a["root_cause"].to_list() == ["x", "y", "w", "z"]  # ties by name
    assert a["cumulative_share"].to_list() == pytest.approx([0.5, 0.8, 0.9, 1.0])
    assert a["vital_few"].to_list() == [True, True, False, False]
    assert p.filter(pl.col("subsidiary_id") == "B")["rank"].to_list() == [1, 2]
