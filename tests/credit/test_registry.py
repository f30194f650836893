from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import polars as pl
import pytest

from workbench.credit import analyze, registry_facts
from workbench.credit._registry import required_report_year
from workbench.periods import parse_period

D = dt.date
X1, X2, LATE = D(2026, 6, 30), D(2026, 9, 30), D(2026, 11, 15)  # two extracts in, one after Q3
Q3 = parse_period("2026-Q3")
UNREACHABLE = "通过登记的住所或者经营场所无法联系"  # a statutory abnormal-list reason


def facts(
    rf: SimpleNamespace, snaps: list[dict], events: list[dict], period: str = "2026-Q3"
) -> dict[str, dict]:
    s = rf.frame("registry_snapshots", snaps)
    e = rf.frame("registry_events", events)
    usccs = sorted({r["uscc"] for r in snaps} | {r["uscc"] for r in events})
    df = registry_facts(s, e, usccs, parse_period(period))
    return {r["uscc"]: r for r in df.iter_rows(named=True)}


def test_knockout_statuses_and_serious_illegal_list(rf: SimpleNamespace) -> None:
    f = facts(
        rf,
        [
            *(rf.snap(u, X1) for u in "ABCDE"),
            rf.snap("A", X2, "revoked"),
            rf.snap("B", X2, "cancelled"),
            rf.snap("C", X2),
            rf.snap("D", X2),
            rf.snap("E", X2, "suspended"),
        ],
        [
            rf.event("C", D(2026, 8, 1), "serious_illegal_in", reason="提交虚假材料取得登记"),
            rf.event("D", D(2026, 1, 5), "serious_illegal_in"),
            rf.event("D", D(2026, 7, 5), "serious_illegal_out"),
        ],
    )
    assert {u for u, r in f.items() if r["knockout"]} == {"A", "B", "C"}
    assert f["C"]["serious_illegal_reason"] == "提交虚假材料取得登记"
    assert not f["E"]["knockout"]  # suspended lowers the grade, it is not a knock-out


def test_no_look_ahead_after_the_period_end(rf: SimpleNamespace) -> None:
    f = facts(
        rf,
        [
            rf.snap("A", X1), rf.snap("A", X2), rf.snap("A", LATE, "revoked"),
            rf.snap("B", X1), rf.snap("B", X2), rf.snap("B", LATE),
            rf.snap("C", X1, last_annual_report_year=2024),
            rf.snap("C", X2, last_annual_report_year=2024),
            rf.snap("C", LATE, last_annual_report_year=2025),  # filed in October
        ],
        [
            rf.event("B", D(2026, 10, 1), "serious_illegal_in"),
            rf.event("A", D(2026, 10, 20), "abnormal_list_in"),
            rf.event("B", D(2026, 10, 1), "admin_penalty", amount_cny=5000.0),
        ],
    )
    assert all(r["snapshot_date"] == X2 for r in f.values())
    assert not f["A"]["knockout"] and not f["A"]["registry_change"]
    assert not f["B"]["knockout"] and f["B"]["penalties_36m"] == 0
    assert f["A"]["abnormal_days"] == 0
    assert f["C"]["annual_report_overdue"]  # the October filing is not yet known


def test_change_compares_the_latest_extract_with_the_one_before(rf: SimpleNamespace) -> None:
    f = facts(
        rf,
        [
            rf.snap("S", X1), rf.snap("S", X2, "suspended"),
            rf.snap("N", X1), rf.snap("N", X2),
            rf.snap("O", X1), rf.snap("O", X2),
            rf.snap("Q", X1), rf.snap("Q", X2),
            rf.snap("ONE", X2),
        ],
        [
            rf.event("N", D(2026, 7, 10), "abnormal_list_in", reason=UNREACHABLE),
            rf.event("O", D(2026, 1, 10), "abnormal_list_in"),
            rf.event("O", D(2026, 8, 10), "abnormal_list_out"),
            rf.event("Q", D(2026, 1, 10), "abnormal_list_in"),  # listed at both extracts
            rf.event("ONE", D(2026, 7, 10), "abnormal_list_in"),
        ],
    )
    changed = {u for u, r in f.items() if r["registry_change"]}
    assert changed == {"S", "N", "O"}
    assert (f["S"]["status_before"], f["S"]["status"]) == ("active", "suspended")
    assert (f["N"]["abnormal_before"], f["N"]["abnormal"]) == (False, True)
    assert (f["O"]["abnormal_before"], f["O"]["abnormal"]) == (True, False)
    assert f["ONE"]["snapshot_date_before"] is None


def test_membership_is_taken_at_each_extract_date_inclusive(rf: SimpleNamespace) -> None:
    f = facts(
        rf,
        [rf.snap("A", X1), rf.snap("A", X2), rf.snap("B", X1), rf.snap("B", X2)],
        [
            rf.event("A", X2, "serious_illegal_in"),  # on the extract date: counts
            rf.event("B", X1, "abnormal_list_in"),
            rf.event("B", X1, "abnormal_list_out"),  # same day: the later row decides
        ],
    )
    assert f["A"]["knockout"] and f["A"]["registry_change"]
    assert not f["B"]["abnormal"] and not f["B"]["abnormal_before"]


def test_abnormal_days_reasons_and_36_month_counts(rf: SimpleNamespace) -> None:
    f = facts(
        rf,
        [rf.snap("A", X2)],
        [
            rf.event("A", D(2026, 1, 1), "abnormal_list_in", reason="未按照规定期限公示年度报告"),
            rf.event("A", D(2026, 3, 1), "abnormal_list_out"),
            rf.event("A", D(2026, 9, 1), "abnormal_list_in", reason=UNREACHABLE),
            # 36 months + 1 day before the end: outside the window
            rf.event("A", D(2023, 9, 30), "admin_penalty", amount_cny=1000.0),
            rf.event("A", D(2023, 10, 1), "admin_penalty", amount_cny=2000.0),
            rf.event("A", D(2026, 9, 30), "admin_penalty", amount_cny=3000.0),
            rf.event("A", D(2025, 5, 1), "spot_check_fail"),
            rf.event("A", D(2025, 5, 2), "equity_pledge", amount_cny=1e6),
            rf.event("A", D(2025, 5, 3), "chattel_mortgage", amount_cny=1e5),
            rf.event("A", D(2025, 5, 4), "lawsuit", amount_cny=5e4),
        ],
    )["A"]
    assert f["abnormal_days"] == 59 + 30  # Jan 1 – Mar 1, then Sep 1 – Sep 30 inclusive
    assert f["abnormal_reasons"] == ["未按照规定期限公示年度报告", UNREACHABLE]
    assert f["abnormal"] and f["abnormal_since"] == D(2026, 9, 1)
    assert (f["penalties_36m"], f["penalty_amount_cny_36m"]) == (2, 5000.0)
    assert (f["spot_check_fails_36m"], f["equity_pledges_36m"], f["chattel_mortgages_36m"],
            f["lawsuits_36m"]) == (1, 1, 1, 1)
    assert f["years_established"] == pytest.approx((D(2026, 9, 30) - D(2015, 3, 1)).days / 365.25)


@pytest.mark.parametrize(
    ("period", "last_year", "overdue"),
    [
        ("2026-06", 2024, True),  # end 30 June 24:00: the 2025 report was due
        ("2026-06", 2025, False),
        ("2026-05", 2024, False),  # before 30 June only the 2024 report is required
        ("2026-05", 2023, True),
        ("2026-Q2", 2024, True),
        ("2026-Q3", None, True),
    ],
)
def test_annual_report_30_june_boundary(
    rf: SimpleNamespace, period: str, last_year: int | None, overdue: bool
) -> None:
    f = facts(rf, [rf.snap("A", D(2026, 5, 15), last_annual_report_year=last_year)], [], period)
    assert f["A"]["annual_report_overdue"] is overdue


def test_only_active_enterprises_must_file(rf: SimpleNamespace) -> None:
    f = facts(rf, [rf.snap("A", X2, "suspended", last_annual_report_year=None)], [])
    assert not f["A"]["annual_report_overdue"]


def test_required_year() -> None:
    assert required_report_year(D(2026, 7, 1)) == 2025
    assert required_report_year(D(2026, 6, 30)) == 2024
    assert required_report_year(D(2027, 1, 1)) == 2025


# ------------------------------------------------------------------ findings
VALID = "91110000600037341L"


def _frames(
    rf: SimpleNamespace, snaps: list[dict], events: list[dict], usccs: list[str]
) -> dict[str, pl.LazyFrame]:
    customers = [
        {"customer_id": f"C{i}", "subsidiary_id": "S1", "customer_type": "enterprise", "uscc": u,
         "signup_date": D(2024, 1, 1)}
        for i, u in enumerate(usccs)
    ]
    receivables = [
        {"invoice_id": f"I{i}", "customer_id": f"C{i}", "issued_at": D(2026, 8, 1),
         "due_date": D(2026, 9, 1), "amount_cny": 1000.0, "paid_at": None, "paid_amount_cny": 0.0}
        for i in range(len(usccs))
    ]
    return {
        "customers": rf.frame("customers", customers),
        "registry_snapshots": rf.frame("registry_snapshots", snaps),
        "registry_events": rf.frame("registry_events", events),
        "receivables": rf.frame("receivables", receivables),
    }


def test_findings_cite_their_basis_and_evidence(rf: SimpleNamespace) -> None:
    from stdnum.cn import uscc as stdnum_uscc

    a = VALID
    b = "91310115MA0683450T"
    first17 = a[:16] + "2"
    bad_org = first17 + stdnum_uscc.calc_check_digit(first17)
    frames = _frames(
        rf,
        [
            rf.snap(a, X1),
            rf.snap(a, X2, "revoked"),
            rf.snap(b, X1),
            rf.snap(b, X2, last_annual_report_year=2023),
        ],
        [],
        [a, b, bad_org],
    )
    res = analyze(frames, Q3)
    by = {(r["rule"], r["entity_id"]): r for r in res.findings.iter_rows(named=True)}
    assert set(by) == {
        ("registry_knockout", a), ("registry_change", a), ("annual_report_overdue", b),
        ("invalid_uscc", bad_org),
    }
    ko = json.loads(by[("registry_knockout", a)]["detail"])
    assert ko["status"] == "revoked" and "企业信息公示暂行条例" in ko["legal_basis"]
    assert ko["registry_basis"] and ko["extract_date"] == "2026-09-30"
    ch = json.loads(by[("registry_change", a)]["detail"])
    assert ch["changes"] == {"status": {"before": "active", "after": "revoked"}}
    assert by[("registry_change", a)]["severity"] == "high"
    od = json.loads(by[("annual_report_overdue", b)]["detail"])
    assert (od["last_annual_report_year"], od["required_year"]) == (2023, 2025)
    inv = json.loads(by[("invalid_uscc", bad_org)]["detail"])
    assert inv["check"] == "org_code_check" and inv["in_registry"] is False
    assert by[("invalid_uscc", bad_org)]["subsidiary_id"] == "S1"
    assert by[("invalid_uscc", bad_org)]["amount_cny"] == 1000.0  # outstanding at stake
    # Too few customers for a scorecard: everyone is still graded, knock-outs rejected.
    grades = {r["uscc"]: r for r in res.tables["credit_grades"].iter_rows(named=True)}
    assert grades[a]["grade"] == "reject" and grades[bad_org]["grade"] == "reject"
    assert grades[b]["grade"] == "BB" and grades[b]["score"] is None
    assert "scorecard" not in res.tables and res.tables["notes"].height
    assert res.metrics["scorecard_developed"] is False and res.metrics["oot_auc"] is None
