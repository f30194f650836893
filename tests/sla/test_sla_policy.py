from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tests.sla.sla_helpers import D, build
from workbench.periods import parse_period
from workbench.sla import PolicyError, judge, load_policy
from workbench.sla import _policy as P


def test_default_policy_states_the_contract_targets() -> None:
    pol = load_policy()
    assert [v.version for v in pol.versions] == ["2020.1", "2026.1"]
    v1 = pol.versions[0]
    ack, acc, res, gap = (v1.target(n) for n in ("ack", "acceptance", "resolution", "update_gap"))
    assert {s: ack.limit_for(s) for s in ("critical", "high", "medium", "low")} == {
        "critical": 24.0, "high": 24.0, "medium": 48.0, "low": 72.0,
    }
    assert (ack.clock, acc.clock, res.clock, gap.clock) == (
        "calendar_hours", "working_days", "calendar_days", "calendar_days"
    )
    assert acc.limit_for("low") == 7 and acc.stop == ("accepted", "rejected")
    assert res.limit_for("critical") == 3 and res.limit_for("high") == 15
    assert res.pause == ("waiting_customer", "resumed") and res.restart_on == ("reopened",)
    assert res.void_on == ("rejected",)
    assert gap.kind == "gap" and gap.limit_for("medium") == 3
    assert ack.rule == "ack_breach" and res.rule == "resolution_breach"


def test_second_version_is_in_force_from_2026_04_15_and_adds_the_mediation_cap() -> None:
    pol = load_policy()
    assert pol.version_for(dt.date(2026, 4, 14)).version == "2020.1"
    v2 = pol.version_for(dt.date(2026, 4, 15))
    assert v2.version == "2026.1"
    med = v2.target("mediation")
    assert med.channels == ("regulator",) and med.limit_for("low", "regulator") == 60
    assert med.limit_for("low", "hotline") is None
    # default targets unchanged
    for name in ("ack", "acceptance", "resolution", "update_gap"):
        assert pol.versions[0].target(name).limits == v2.target(name).limits
    with pytest.raises(KeyError):
        pol.versions[0].target("mediation")


def _good() -> dict:
    return yaml.safe_load(P.DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "policy.yaml"
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_channel_override_and_custom_file(tmp_path: Path) -> None:
    doc = _good()
    doc["versions"][0]["targets"]["ack"]["channel_overrides"] = {"regulator": {"default": 12}}
    pol = load_policy(_write(tmp_path, doc))
    ack = pol.versions[0].target("ack")
    assert ack.limit_for("low", "regulator") == 12 and ack.limit_for("low", "app") == 72


def _mutate(path: list, value: object, *, delete: bool = False):
    def f(doc: dict) -> dict:
        node = doc
        for k in path[:-1]:
            node = node[k]
        if delete:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return doc

    return f


BAD_CASES = {
    "missing key": (
        _mutate(["versions", 0, "targets", "ack", "clock"], None, delete=True),
        P.MSG_MISSING_KEY,
        {"key": "versions[0].targets.ack.clock"},
    ),
    "unknown key": (
        _mutate(["versions", 0, "targets", "ack", "limt"], 3),
        P.MSG_UNKNOWN_KEY,
        {"key": "versions[0].targets.ack.limt", "allowed": ", ".join(P._TARGET_KEYS)},
    ),
    "bad clock": (
        _mutate(["versions", 1, "targets", "ack", "clock"], "business_hours"),
        P.MSG_BAD_CHOICE,
        {"key": "versions[1].targets.ack.clock", "value": "business_hours",
         "allowed": list(P.CLOCKS)},
    ),
    "negative limit": (
        _mutate(["versions", 0, "targets", "ack", "limits", "high"], -24),
        P.MSG_BAD_LIMIT,
        {"key": "versions[0].targets.ack.limits.high", "value": -24},
    ),
    "missing severity": (
        _mutate(["versions", 0, "targets", "ack", "limits"], {"critical": 24, "high": 24}),
        P.MSG_MISSING_SEVERITY,
        {"key": "versions[0].targets.ack.limits", "missing": ["medium", "low"]},
    ),
    "unknown event": (
        _mutate(["versions", 0, "targets", "resolution", "stop"], ["solved"]),
        P.MSG_BAD_CHOICE,
        {
            "key": "versions[0].targets.resolution.stop[0]",
            "value": "solved",
            "allowed": list(P.enum_codes("complaint_event")),
        },
    ),
    "unknown rule": (
        _mutate(["versions", 0, "targets", "ack", "rule"], "late_ack"),
        P.MSG_BAD_CHOICE,
        {"key": "versions[0].targets.ack.rule", "value": "late_ack", "allowed": sorted(
            r.code for r in P.RULES.values() if r.analysis == "sla")},
    ),
    "bad date": (
        _mutate(["versions", 1, "effective_from"], "15/04/2026"),
        P.MSG_WRONG_TYPE,
        {"key": "versions[1].effective_from", "expected": "an ISO date (YYYY-MM-DD)",
         "got": "15/04/2026"},
    ),
    "duplicate effective_from": (
        _mutate(["versions", 1, "effective_from"], "2020-01-01"),
        P.MSG_DUPLICATE_EFFECTIVE,
        {"key": "versions[1].effective_from", "date": "2020-01-01"},
    ),
    "schema version": (
        _mutate(["schema_version"], 2), P.MSG_BAD_SCHEMA_VERSION, {"value": 2, "expected": 1}
    ),
    "no versions": (_mutate(["versions"], []), P.MSG_NO_VERSIONS, {}),
    "pause on working days": (
        _mutate(["versions", 0, "targets", "acceptance", "pause"], ["waiting_customer", "resumed"]),
        P.MSG_UNSUPPORTED,
        {"key": "versions[0].targets.acceptance",
         "problem": "working_days clocks support neither pause, restart_on nor kind gap"},
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_policy_file_names_file_key_and_problem(tmp_path: Path, case: str) -> None:
    mutate, template, kw = BAD_CASES[case]
    path = _write(tmp_path, mutate(_good()))
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == template.format(path=path, **kw)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError, match="^" + P.MSG_FILE_NOT_FOUND.format(path=missing) + "$"):
        load_policy(missing)
    bad = _write(tmp_path, "versions: [unclosed\n")
    with pytest.raises(PolicyError) as err:
        load_policy(bad)
    assert str(err.value).startswith(f"SLA policy file {bad}: not valid YAML (")
    top = _write(tmp_path, "- just\n- a list\n")
    with pytest.raises(PolicyError) as err:
        load_policy(top)
    assert str(err.value) == P.MSG_NOT_A_MAPPING.format(path=top, got=["just", "a list"])


def test_complaint_before_every_version_is_an_error(tmp_path: Path, calendar) -> None:
    doc = _good()
    doc["versions"] = doc["versions"][1:]  # only the 2026-04-15 version
    path = _write(tmp_path, doc)
    f = build([{"complaint_id": "C1", "received_at": D(2026, 4, 2, 9)}], [])
    with pytest.raises(PolicyError) as err:
        judge(f["complaints"], f["complaint_events"], parse_period("2026-Q2"),
              policy=load_policy(path), calendar=calendar)
    assert str(err.value) == P.MSG_NOT_IN_FORCE.format(
        path=path, n=1, first="2026-04-15", examples=["C1"]
    )
