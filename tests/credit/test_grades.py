from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from workbench.config import ConfigError
from workbench.contract import CREDIT_GRADES_SCHEMA
from workbench.credit._grades import assign_grades as grade
from workbench.credit._grades import (
    band_thresholds,
    load_policy,
    migration_matrix,
    rescale,
    worse,
)

POLICY = load_policy()


def _scored(**cols: list) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "customer_id": [f"C{i}" for i in range(n)],
        "uscc": [f"U{i}" for i in range(n)],
        "score": [650.0] * n,
        "pd": [0.004] * n,
        "score_reasons": [["late (−10 pts)"]] * n,
    }
    base.update(cols)
    return pl.DataFrame(base)


def test_default_policy() -> None:
    assert [(b.grade, b.payment_terms_days, b.credit_limit_cny) for b in POLICY.bands] == [
        ("AAA", 60, 10_000_000), ("AA", 45, 5_000_000), ("A", 30, 2_000_000),
        ("BBB", 15, 1_000_000), ("BB", 0, 500_000),
    ]
    assert POLICY.table().height == len(POLICY.bands) + len(POLICY.reject_when) + len(POLICY.caps)


def _pd(score: float, scaling: dict[str, float]) -> float:
    """The PD (bad share) of a score under a scaling: odds good:bad → 1 / (1 + odds)."""
    odds = scaling["base_odds"] * 2 ** ((score - scaling["base_score"]) / scaling["pdo"])
    return 1 / (1 + odds)


#: The PD bound of each band as the policy's comments state it (a 1-2-5-10 % ladder).
PD_BOUNDS = {"AAA": 0.01, "AA": 0.02, "A": 0.05, "BBB": 0.10}


def test_bands_are_the_stated_pd_bounds() -> None:
    """Each band's min_score is the score of its PD bound (rounded up to 0.01 point),
    so every score in the band has a PD within the bound, and the bounds rise."""
    bands = {b.grade: b.min_score for b in POLICY.bands}
    assert list(bands)[:-1] == list(PD_BOUNDS) and bands["BB"] == float("-inf")
    for g, bound in PD_BOUNDS.items():
        assert _pd(bands[g], POLICY.scaling) <= bound < _pd(bands[g] - 0.01, POLICY.scaling)
    assert list(PD_BOUNDS.values()) == sorted(PD_BOUNDS.values())


@pytest.mark.parametrize(
    ("score", "grade"),
    [(700.0, "AAA"), (619.72, "AAA"), (619.71, "AA"), (599.42, "AA"), (599.41, "A"),
     (572.09, "A"), (572.08, "BBB"), (550.53, "BBB"), (550.52, "BB"), (100.0, "BB"),
     (None, "BB")],
)
def test_score_bands(score: float | None, grade: str) -> None:
    out = grade_one(score=[score])
    assert out["grade"] == grade
    band = next(b for b in POLICY.bands if b.grade == grade)
    assert (out["payment_terms_days"], out["credit_limit_cny"]) == (
        band.payment_terms_days, band.credit_limit_cny)


def grade_one(**cols: list) -> dict:
    return grade(_scored(**cols), POLICY).row(0, named=True)


@pytest.mark.parametrize("condition", ["registry_knockout", "invalid_uscc", "not_in_registry"])
def test_knockouts_and_unverified_identity_are_rejected(condition: str) -> None:
    out = grade_one(score=[700.0], **{condition: [True]})
    assert (out["grade"], out["credit_limit_cny"], out["payment_terms_days"]) == ("reject", 0.0, 0)
    assert out["reasons"].startswith(POLICY.reject_when[condition])


@pytest.mark.parametrize(
    ("condition", "cap"),
    [("suspended", "BB"), ("moved_out", "BBB"), ("abnormal_list", "BBB"),
     ("annual_report_overdue", "A")],
)
def test_caps(condition: str, cap: str) -> None:
    out = grade_one(score=[700.0], **{condition: [True]})
    assert out["grade"] == cap and out["band_grade"] == "AAA"
    assert out["reasons"].split("; ")[0].startswith(f"capped at {cap}")
    assert out["reasons"].endswith("late (−10 pts)")  # score reasons follow policy reasons
    low = grade_one(score=[100.0], **{condition: [True]})
    assert low["grade"] == "BB"  # a cap never raises a grade


def test_output_schema() -> None:
    out = grade(_scored(score=[650.0, 560.0]), POLICY)
    assert out.select(list(CREDIT_GRADES_SCHEMA)).schema == pl.Schema(CREDIT_GRADES_SCHEMA)


def test_bands_follow_the_scaling() -> None:
    same_odds = rescale(640, POLICY.scaling, {"base_score": 500, "base_odds": 50, "pdo": 40})
    assert same_odds == pytest.approx(580.0)
    t = band_thresholds(POLICY, base_score=500, base_odds=50, pdo=40)
    assert t[0] == pytest.approx(500 + 2 * (619.72 - 600)) and t[-1] == float("-inf")
    # Same odds, same grade: PD 0.9 % is AAA and PD 1.1 % is AA under either scaling.
    other = {"base_score": 500, "base_odds": 50, "pdo": 40}
    for pd_, expected in ((0.009, "AAA"), (0.011, "AA")):
        odds = (1 - pd_) / pd_
        score = 500 + 40 * math.log2(odds / 50)
        assert _pd(score, other) == pytest.approx(pd_)
        out = grade(_scored(score=[score]), POLICY, base_score=500, base_odds=50, pdo=40)
        assert out["grade"].item() == expected


def test_worse() -> None:
    assert worse("AAA", "BB") == "BB" and worse("reject", "AA") == "reject"


def test_bad_policy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "scaling: {base_score: 600, base_odds: 50, pdo: 20}\n"
        "bands:\n  - {grade: AA, min_score: 600, payment_terms_days: 30, credit_limit_cny: 1}\n"
        "  - {grade: AAA, min_score: null, payment_terms_days: 0, credit_limit_cny: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=f"credit policy file {path}: bands: grades out of order"):
        load_policy(path)
    path.write_text("scaling: {base_score: 600}\nbands: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bands: expected at least 1 item"):
        load_policy(path)


BANDS = (
    "bands:\n  - {grade: AA, min_score: 600, payment_terms_days: 30, credit_limit_cny: 1}\n"
    "  - {grade: BB, min_score: null, payment_terms_days: 0, credit_limit_cny: 1}\n"
)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("scaling: {base_score: 600, base_odds: 50}\n" + BANDS,
         "scaling.pdo: required key is missing"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: -2}\n" + BANDS,
         "scaling.pdo: expected a positive number, got -2"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n"
         + BANDS.replace("payment_terms_days: 30", "payment_terms_days: soon"),
         "bands[0].payment_terms_days: expected an integer ≥ 0, got 'soon'"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS.replace("AA,", "AAAA,"),
         "bands[0].grade: 'AAAA' is not one of"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS.replace("null", "500"),
         "bands[1].min_score: the last band takes everyone else"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS
         + "caps: {suspended: {grade: A}}\n",
         "caps.suspended.grade: 'A' is not one of ['AA', 'BB']"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS
         + "reject_when: {revokd: typo}\n",
         "reject_when.revokd: unknown key"),
        ("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS + "bonus: 1\n",
         "bonus: unknown key"),
        ("bands: [\n", "not valid YAML"),
    ],
)
def test_policy_errors_name_the_file_and_key(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"credit policy file {path}: ")
    assert where in str(info.value)


def test_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="credit policy file .*nope.yaml: not found"):
        load_policy(tmp_path / "nope.yaml")


def test_a_valid_small_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("scaling: {base_score: 600, base_odds: 50, pdo: 20}\n" + BANDS
                    + "caps: {suspended: {grade: BB}}\n", encoding="utf-8")
    policy = load_policy(path)
    assert [b.grade for b in policy.bands] == ["AA", "BB"]
    assert policy.caps == {"suspended": ("BB", "suspended")} and policy.reject_when == {}
    assert policy.reject.grade == "reject" and policy.source == str(path)


def test_migration_matrix() -> None:
    prev = pl.DataFrame({"customer_id": ["a", "b", "c"], "grade": ["AAA", "BB", "A"]})
    cur = pl.DataFrame({"customer_id": ["a", "b", "c", "d"], "grade": ["AA", "BB", "reject", "A"]})
    m = migration_matrix(prev, cur)
    cell = {(r["previous"], g): r[g] for r in m.iter_rows(named=True) for g in m.columns[1:]}
    assert cell[("AAA", "AA")] == 1 and cell[("BB", "BB")] == 1
    assert cell[("A", "reject")] == 1 and cell[("new", "A")] == 1
    assert sum(cell.values()) == 4


def test_pd_master_scale_of_the_policy() -> None:
    """Each band's PD range follows from its min_score under the policy scaling; the
    min_scores are rounded up, so each upper PD is just under the 1-2-5-10 % ladder."""
    from workbench.credit._grades import load_policy, pd_bands, score_pd

    bands = pd_bands(load_policy())
    assert bands["grade"].to_list() == ["AAA", "AA", "A", "BBB", "BB"]
    highs = bands["pd_high"].to_list()
    for got, bound in zip(highs, [0.01, 0.02, 0.05, 0.10, 1.0], strict=True):
        assert got <= bound and got == pytest.approx(bound, abs=5e-5)
    assert bands["pd_low"].to_list() == [0.0, *highs[:-1]]
    scaling = {"base_score": 600, "base_odds": 50, "pdo": 20}
    assert score_pd(620, scaling) == pytest.approx(1 / 101)  # odds 100
    assert score_pd(float("-inf"), scaling) == 1.0


def test_score_bands_match_assign_grades() -> None:
    import numpy as np
    import polars as pl

    from workbench.credit._grades import assign_grades, load_policy, score_bands

    policy = load_policy()
    scores = np.r_[np.linspace(500, 680, 181), np.nan]
    scored = pl.DataFrame({
        "customer_id": [str(i) for i in range(len(scores))],
        "uscc": ["u"] * len(scores),
        "score": pl.Series(scores).fill_nan(None), "pd": [0.1] * len(scores),
        "score_reasons": [[] for _ in scores],
    })
    got = score_bands(scores, policy)
    want = assign_grades(scored, policy)["band_grade"].to_list()
    assert got[:-1] == want[:-1] and got[-1] is None
    # Same odds, same band under another scaling.
    other = score_bands(500 + (scores - 600) * 2, policy, base_score=500, base_odds=50, pdo=40)
    assert other == got
