"""Privacy requests: the limit as versioned policy data, on China's official working-day
calendar (holidays and make-up workdays), which requests a period judges, and
refusals without a reason."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from tests.marketing.conftest import T, frames, request
from workbench.marketing import PrivacyPolicyError, judge_requests, load_policy, refusals
from workbench.marketing._requests import DEFAULT_POLICY_PATH
from workbench.periods import parse_period
from workbench.workdays import WorkCalendar

Q3 = parse_period("2026-Q3")
CAL = WorkCalendar.official()


def judged(*rows: dict, policy=None, period=Q3) -> dict[str, dict]:
    lf = frames(privacy_requests=list(rows))["privacy_requests"]
    out = judge_requests(lf, period, policy=policy or load_policy(), calendar=CAL)
    return {r["request_id"]: r for r in out.iter_rows(named=True)}


def test_the_default_policy_is_15_working_days_for_every_kind() -> None:
    v = load_policy().versions[0]
    assert v.clock == "working_days" and set(v.limits.values()) == {15}
    assert "第四十四条至第五十条" in v.legal_basis and "15个工作日" in v.legal_basis


def test_the_deadline_counts_make_up_workdays_and_skips_holidays() -> None:
    # 2026: Sunday 20 Sept is a make-up workday, Friday 25 Sept (Mid-Autumn) a holiday.
    # Received Fri 4 Sept: 15 working days, the day itself not counted, end on Thu 24
    # Sept (a Monday–Friday count would end on Fri 25).
    got = judged(request("R1", received=T(2026, 9, 4, 10), completed=T(2026, 9, 24, 23, 59)),
                 request("R2", received=T(2026, 9, 4, 10), completed=T(2026, 9, 25, 9)))
    assert got["R1"]["deadline_at"] == T(2026, 9, 25)
    assert (got["R1"]["state"], got["R2"]["state"]) == ("met", "overdue")
    assert got["R2"]["overrun"] == 0  # late on a holiday: no working day past the deadline


def test_a_request_over_the_national_day_holiday_is_running_at_the_period_end() -> None:
    got = judged(request("R1", received=T(2026, 9, 18, 11)))
    assert got["R1"]["state"] == "running"
    assert got["R1"]["deadline_at"] > Q3.end  # 1–7 Oct off, Sat 10 Oct a make-up day


def test_open_past_the_deadline_is_overdue_and_completion_after_the_period_is_unknown() -> None:
    got = judged(request("R1", received=T(2026, 9, 1, 9), completed=T(2026, 10, 20),
                         outcome="done"))
    r = got["R1"]
    assert r["state"] == "overdue" and r["completed_at"] is None  # as known at the end of P
    assert r["overrun"] > 0 and r["elapsed"] == 15 + r["overrun"]


def test_a_request_open_since_the_previous_quarter_is_judged_when_it_falls_due() -> None:
    got = judged(request("R1", received=T(2026, 6, 22, 14)),  # due 13 July: overdue in Q3
                 request("R2", received=T(2026, 6, 1), completed=T(2026, 6, 5)),  # done in Q2
                 request("R3", received=T(2026, 5, 1)))  # overdue in Q2: reported there
    assert set(got) == {"R1"}
    assert got["R1"]["state"] == "overdue" and not got["R1"]["received_in_period"]
    q2 = judged(request("R1", received=T(2026, 6, 22, 14)), period=parse_period("2026-Q2"))
    assert q2["R1"]["state"] == "running"  # so it is reported exactly once, in Q3


def test_requests_after_the_period_are_not_read() -> None:
    assert judged(request("R1", received=T(2026, 10, 2))) == {}


def _policy(tmp_path: Path, versions: list[dict]) -> Path:
    doc = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    doc["versions"] = versions
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_per_kind_limits_calendar_days_and_effective_dates(tmp_path: Path) -> None:
    path = _policy(tmp_path, [
        {"version": "A", "effective_from": "2021-11-01", "legal_basis": "a",
         "clock": "working_days", "limits": {"default": 15}},
        {"version": "B", "effective_from": "2026-08-01", "legal_basis": "b",
         "clock": "calendar_days", "limits": {"default": 30, "delete": 10}},
    ])
    policy = load_policy(path)
    got = judged(request("R1", received=T(2026, 7, 31, 10), kind="delete"),
                 request("R2", received=T(2026, 8, 1, 10), kind="delete",
                         completed=T(2026, 8, 12)),
                 request("R3", received=T(2026, 8, 1, 10), kind="access",
                         completed=T(2026, 8, 12)), policy=policy)
    assert (got["R1"]["policy_version"], got["R1"]["clock"], got["R1"]["limit"]) == (
        "A", "working_days", 15)
    assert (got["R2"]["policy_version"], got["R2"]["limit"], got["R2"]["state"]) == (
        "B", 10, "overdue")  # 1 Aug + 10 days = 11 Aug, completed 12 Aug
    assert got["R2"]["deadline_at"] == T(2026, 8, 12)
    assert (got["R3"]["limit"], got["R3"]["state"]) == (30, "met")


def test_a_request_before_every_version_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PrivacyPolicyError, match="no version is in force for 1 request"):
        judged(request("R1", received=T(2021, 10, 1)), period=parse_period("2021-Q4"))


@pytest.mark.parametrize(
    ("versions", "key", "problem"),
    [
        ([{"version": "A", "effective_from": "2021-11-01", "legal_basis": "a",
           "clock": "hours", "limits": {"default": 15}}], "versions[0].clock", "not one of"),
        ([{"version": "A", "effective_from": "2021-11-01", "legal_basis": "a",
           "clock": "working_days", "limits": {"delete": 15}}], "versions[0].limits",
         "no limit for kind(s)"),
        ([{"version": "A", "effective_from": "2021-11-01", "legal_basis": "a",
           "clock": "working_days", "limits": {"default": 0}}], "versions[0].limits.default",
         "expected an integer ≥ 1"),
        ([{"version": "A", "effective_from": "2021-11-01", "legal_basis": "a",
           "clock": "working_days", "limits": {"default": 15}},
          {"version": "A", "effective_from": "2022-11-01", "legal_basis": "a",
           "clock": "working_days", "limits": {"default": 15}}], "versions[1].version",
         "used more than once"),
    ],
)
def test_a_bad_policy_names_file_and_key(tmp_path: Path, versions, key: str,
                                         problem: str) -> None:
    path = _policy(tmp_path, versions)
    with pytest.raises(PrivacyPolicyError) as err:
        load_policy(path)
    assert str(err.value).startswith(f"privacy request policy file {path}: {key}:")
    assert problem in str(err.value)


@pytest.mark.parametrize(("reason", "given"), [
    (None, False), ("", False), ("   ", False), ("无", False), ("N/A", False), ("-", False),
    ("无法核验申请人身份", True), ("请求涉及他人个人信息", True),
])
def test_a_refusal_without_a_reason(reason: str | None, given: bool) -> None:
    lf = frames(privacy_requests=[request("R1", received=T(2026, 7, 1), completed=T(2026, 7, 3),
                                          outcome="refused", reason=reason)])
    out = refusals(lf["privacy_requests"], Q3)
    assert out["reason_given"].to_list() == [given]


def test_only_refusals_of_the_period_count() -> None:
    rows = [request("R1", received=T(2026, 6, 1), completed=T(2026, 6, 3), outcome="refused"),
            request("R2", received=T(2026, 9, 28), completed=T(2026, 10, 2), outcome="refused"),
            request("R3", received=T(2026, 6, 28), completed=T(2026, 7, 2), outcome="refused")]
    out = refusals(frames(privacy_requests=rows)["privacy_requests"], Q3)
    assert out["request_id"].to_list() == ["R3"]


def test_states_on_an_empty_period() -> None:
    out = judge_requests(frames()["privacy_requests"], Q3, policy=load_policy(), calendar=CAL)
    assert out.height == 0 and out.schema["deadline_at"] == pl.Datetime("us")
