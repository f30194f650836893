"""Audit attributes at the time of the event: grants are grouped by the tier, tenure
band and age band held when they were granted; states by those at the period end.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.tiering.conftest import D, T, assignment, customer, of
from workbench.attributes import age_band, tenure_months
from workbench.periods import parse_period
from workbench.tiering import analyze
from workbench.tiering._event_time import benefit_spells

Q3 = parse_period("2026-Q3")


def _grant(gid: str, cid: str, at, benefit_type: str = "rebate_pct", value: float = 2.0,
           amount: float = 40.0) -> dict:
    return {"grant_id": gid, "customer_id": cid, "granted_at": at,
            "benefit_type": benefit_type, "value": value, "amount_cny": amount}


def _people(*rows: tuple[str, object, int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"customer_id": c, "signup_date": s, "birth_year": b} for c, s, b in rows],
        schema={"customer_id": pl.String, "signup_date": pl.Date, "birth_year": pl.Int64},
    )


def _grants(*rows: tuple[str, object]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"customer_id": c, "granted_at": t} for c, t in rows],
        schema={"customer_id": pl.String, "granted_at": pl.Datetime("us")},
    )


# ---------------------------------------------------------------- the spells
def test_a_customer_crossing_a_tenure_band_has_one_spell_per_band() -> None:
    # A reaches 36 months on 2026-08-15; the grant of 2026-08-14 23:00 is at 35.
    people = _people(("A", D(2023, 8, 15), 1990), ("B", D(2020, 1, 1), 1990),
                     ("N", D(2026, 8, 20), None))
    s = benefit_spells(people, _grants(("A", T(2026, 8, 14, 23))), Q3, ["tenure_band"])
    assert s.rows() == [
        ("A", "24-35m", True),
        ("A", "36m+", False),
        ("B", "36m+", False),
        ("N", "0-11m", False),  # signed up in P: at risk from the signup date only
    ]
    # the same grant one day later falls in the 36m+ spell
    s = benefit_spells(people, _grants(("A", T(2026, 8, 15, 9))), Q3, ["tenure_band"])
    assert s.filter(pl.col("customer_id") == "A").rows() == [
        ("A", "24-35m", False), ("A", "36m+", True)]


def test_without_time_varying_attributes_a_customer_is_one_spell() -> None:
    people = _people(("A", D(2023, 8, 15), 1990))
    s = benefit_spells(people, _grants(("A", T(2026, 7, 1))), Q3, [])
    assert s.rows() == [("A", True)]
    s = benefit_spells(people, _grants(("A", T(2026, 7, 1))), Q3, ["age_band"])
    assert s.rows() == [("A", "35-44", True)]  # 2026 − 1990 = 36


def test_age_band_is_taken_in_the_grant_year() -> None:
    # A grant of 2025 (outside this period) by someone born 2007: 18 then, 19 in 2026.
    people = _people(("A", D(2020, 1, 1), 2007))
    s = benefit_spells(people, _grants(("A", T(2025, 12, 31))), Q3, ["age_band"])
    assert s.rows() == [("A", "18-24", True)]  # 18 in 2025, 19 in 2026: the same band
    people = _people(("Y", D(2020, 1, 1), 2008))  # 17 in 2025, 18 in 2026
    s = benefit_spells(people, _grants(("Y", T(2025, 12, 31))), Q3, ["age_band"])
    assert sorted(s.rows()) == [("Y", "0-17", True), ("Y", "18-24", False)]


def test_event_time_helpers_agree_with_the_period_end_rule() -> None:
    df = pl.DataFrame({"s": pl.date_range(D(2019, 1, 1), D(2026, 9, 30), "17d", eager=True)})
    end = parse_period("2026-Q3").end
    by_literal = df.select(tenure_months(pl.col("s"), end))["s"]
    by_column = df.with_columns(pl.lit(end).alias("at")).select(
        tenure_months(pl.col("s"), pl.col("at")))["s"]
    assert by_literal.to_list() == by_column.to_list()
    years = pl.DataFrame({"b": [1950, 1990, 2008, None], "at": [T(2026, 7, 1)] * 4})
    assert years.select(age_band(pl.col("b"), pl.col("at").dt.year())).to_series().to_list() == (
        years.select(age_band(pl.col("b"), 2026)).to_series().to_list())


# ------------------------------------------------------------ through analyze
@pytest.fixture
def crossing(make_frames):
    """A: core at grant time (core's rebate is internal-only: hidden), vip from
    2026-09-30 (vip publishes rebates up to 3 %: would not be hidden), and 35 months
    of tenure at the grant, 37 at the period end. B and C never change."""
    customers = [
        customer("A", signup_date=D(2023, 8, 15)),
        customer("B", signup_date=D(2020, 1, 1)),
        customer("C", signup_date=D(2024, 1, 10)),
    ]
    assignments = [
        assignment("A", "core", T(2026, 6, 30, 23, 59, 59)),
        assignment("A", "vip", T(2026, 9, 30, 23, 59, 59)),
        assignment("B", "core", T(2026, 6, 30, 23, 59, 59)),
        assignment("C", "core", T(2026, 6, 30, 23, 59, 59)),
    ]
    grants = [_grant("G1", "A", T(2026, 7, 10, 12))]
    return make_frames(customers=customers, tier_assignments=assignments,
                       benefit_grants=grants)


def test_grant_is_judged_and_grouped_by_grant_time_values(crossing) -> None:
    r = analyze(crossing, "2026-Q3", attributes=["tenure_band"], intersections=False,
                min_group_size=1, n_bootstrap=0)
    hidden = of(r, "hidden_benefit")
    assert hidden["entity_id"].to_list() == ["G1"]
    assert json.loads(hidden["detail"][0])["held_tier"] == "core"  # not vip (period end)
    assert r.tables["hidden_by_tier"].filter(pl.col("hidden_grants") > 0)["held_tier"].to_list(
    ) == ["core"]
    rows = r.tables["disparity"].filter(pl.col("metric") == "hidden_benefit_rate")
    counts = {g: (n, k) for g, n, k in rows.select("group", "n_group", "k_group").iter_rows()}
    # A's grant counts in 24-35m (its band when granted), not 36m+ (its band at the end);
    # A is at risk in both bands it held during P.
    assert counts == {"tenure_band=24-35m": (2, 1), "tenure_band=36m+": (2, 0)}
    # fairlearn agrees on the spell rows
    mf = rows.select("group", "rate_group_metricframe").to_dict(as_series=False)
    assert dict(zip(mf["group"], mf["rate_group_metricframe"], strict=True)) == {
        "tenure_band=24-35m": pytest.approx(0.5), "tenure_band=36m+": pytest.approx(0.0)}


def test_under_tiering_keeps_the_period_end_values(crossing) -> None:
    r = analyze(crossing, "2026-Q3", attributes=["tenure_band"], intersections=False,
                min_group_size=1, n_bootstrap=0)
    rows = r.tables["disparity"].filter(pl.col("metric") == "under_tiered_rate")
    # nobody qualifies above the lowest tier here: the population is empty, but the
    # customers are counted once each, A in 36m+ (37 months at the period end)
    assert rows["n_group"].sum() == 0
    units = _units(crossing)
    at_end = units.filter(~pl.col("benefit_spell"))
    assert at_end.height == 3
    assert at_end.group_by("tenure_band").len().sort("tenure_band").rows() == [
        ("24-35m", 1), ("36m+", 2)]
    spells = units.filter(pl.col("benefit_spell"))
    assert spells.height == 4 and spells["has_hidden_benefit"].sum() == 1


def _units(frames) -> pl.DataFrame:
    from workbench.tiering import _analysis, _tables

    policy, status, grants, _ = _analysis._judge(frames, Q3, dormant_months=6)
    return _tables.units(frames, status, grants, Q3, ("gender", "tenure_band"))
