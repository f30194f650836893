"""Publishing survives a crash at any step (issue #15 item 3): fault injection at each
step of :func:`workbench.report.intent.publish_steps`, then recovery, verify and the
next period — never a fork, never a lost current report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.conftest import publish_fake
from workbench.report import intent
from workbench.report.chain import read_head
from workbench.report.prune import prune_reports
from workbench.report.verify import verify_reports

STEPS = ["intent", "supersede", "rename", "head", "done"]


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no except/finally of the code under test
    that catches Exception."""


def _crash_at(monkeypatch, step: str) -> None:
    def hook(name: str) -> None:
        if name == step:
            raise Killed(step)
    monkeypatch.setattr(intent, "_STEP_HOOK", hook)


def _sequences(out: Path) -> list[int]:
    return [int(line.split()[0]) for line in verify_reports(out).chain]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("replace", [False, True])
def test_a_crash_at_any_step_is_finished_or_rolled_back(tmp_path, monkeypatch, step, replace):
    out = tmp_path / "reports"
    publish_fake(out, "2026-Q2")
    if replace:
        publish_fake(out, "2026-Q3", {"findings.csv": "old Q3\n"})
    if step == "supersede" and not replace:
        pytest.skip("nothing is superseded without --replace")
    _crash_at(monkeypatch, step)
    with pytest.raises(Killed):
        publish_fake(out, "2026-Q3", {"findings.csv": "new Q3\n"}, replace=replace)
    monkeypatch.setattr(intent, "_STEP_HOOK", None)
    # the process is gone; its staging folder may be left behind
    for staging in out.glob(".staging-*"):
        os.rename(staging, staging.with_name(".staging-2026-Q3-999999999"))
    pending = verify_reports(out)
    if intent.read_intent(out) is not None:  # verify names the interrupted publish
        assert not pending.ok and any("interrupted publish" in p for p in pending.problems)
    result = prune_reports(out, keep_years=50)  # recovery runs under the chain lock
    assert intent.read_intent(out) is None
    assert not list(out.glob(".staging-*"))
    check = verify_reports(out)
    assert check.ok, check.render()
    q3 = (out / "2026-Q3" / "findings.csv")
    finished = step in ("head", "done")
    if finished:
        assert q3.read_text() == "new Q3\n"
    elif replace:
        assert q3.read_text() == "old Q3\n"  # the current report is back
    else:
        assert not q3.exists()
    # the next run appends without a fork: sequences strictly decreasing from the head
    publish_fake(out, "2026-Q4")
    seqs = _sequences(out)
    assert seqs == sorted(set(seqs), reverse=True), seqs
    assert read_head(out)["sequence"] == seqs[0]
    assert verify_reports(out).ok
    assert result is not None


def test_verify_reports_a_killed_runs_staging_and_prune_removes_it(tmp_path):
    out = tmp_path / "reports"
    publish_fake(out, "2026-Q2")
    dead = out / ".staging-2026-Q3-999999999"
    (dead / ".parts").mkdir(parents=True)
    (dead / "findings.csv").write_text("unchecked\n")
    alive = out / f".staging-2026-Q3-{os.getpid()}"  # a run in progress: left alone
    alive.mkdir()
    warned = verify_reports(out)
    assert any(dead.name in w and "killed" in w for w in warned.warnings)
    assert not any(alive.name in w for w in warned.warnings)
    result = prune_reports(out, keep_years=50)
    assert result.staging_removed == [dead.name] and not dead.exists() and alive.exists()
