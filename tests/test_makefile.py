"""What ``make report`` runs (the README's first command)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(("source", "replaces"), [(None, True), ("/data/crm", False)])
def test_make_report_replaces_only_the_samples_report(source, replaces):
    """Issue #15: ``make report`` always passed --replace, so pointing it at a live
    source silently superseded that source's published report."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[1]
    args = ["make", "-n", "-s", "report"] + ([f"SOURCE={source}"] if source else [])
    text = subprocess.run(args, cwd=root, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in text.splitlines() if "workbench report" in ln)
    assert ("--replace" in line) == replaces and "--period latest" in line
