"""Per-period lock (one run of a period at a time) and the chain lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from workbench.report import ReportError, run_report
from workbench.report.chain import LOCKS_DIR, LockedError, period_lock

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from workbench.report.chain import period_lock
    with period_lock(Path(sys.argv[1]), "2026-Q3"):
        print("locked", flush=True)
        time.sleep(60)
""")


@pytest.fixture
def holder(tmp_path):
    """Another process holding the 2026-Q3 lock."""
    out = tmp_path / "reports"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield out, proc
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_a_second_run_of_the_same_period_is_refused(holder, fake_source, notebooks):
    out, proc = holder
    locked = rf"another run of 2026-Q3 is in progress.*pid {proc.pid}"
    with pytest.raises(ReportError, match=locked):
        run_report(fake_source, "2026-Q3", out, notebooks_dir=notebooks())
    assert not (out / "2026-Q3").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_another_period_is_not_blocked(holder):
    out, _ = holder
    with period_lock(out, "2026-Q2") as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_the_lock_of_a_killed_run_is_stale_and_taken_over(holder):
    out, proc = holder
    with pytest.raises(LockedError), period_lock(out, "2026-Q3"):
        pass
    proc.kill()
    proc.wait()
    lock = out / LOCKS_DIR / "2026-Q3.lock"
    assert json.loads(lock.read_text())["pid"] == proc.pid  # left behind by the killed run
    with period_lock(out, "2026-Q3"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert lock.read_text() == ""  # released cleanly


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    """Issue #15: opening the lock through a symlink truncated the link's target."""
    from workbench.report import chain

    target = tmp_path / "precious.txt"
    target.write_text("do not truncate me\n", encoding="utf-8")
    locks = tmp_path / "reports" / chain.LOCKS_DIR
    locks.mkdir(parents=True)
    (locks / "2026-Q3.lock").symlink_to(target)
    with pytest.raises(chain.UnsafeLockError, match="is a symbolic link"):
        with chain.period_lock(tmp_path / "reports", "2026-Q3"):
            pass
    assert target.read_text(encoding="utf-8") == "do not truncate me\n"
