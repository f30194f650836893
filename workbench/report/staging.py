"""Staging folders of runs that were killed: found by verify, removed by prune.

A run stages its report in ``.staging-<period>-<pid>/`` and removes it whatever
happens — unless the process is killed. Such a folder holds notebooks and exports
that never passed the privacy check (5–50 MB each), so it must not stay unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

STAGING_PREFIX = ".staging-"
_PID = re.compile(r"-(\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_staging(reports_dir: Path) -> list[Path]:
    """Staging folders whose run (the pid in the name) is no longer alive."""
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        return []
    out = []
    for child in sorted(reports_dir.iterdir()):
        if not (child.is_dir() and child.name.startswith(STAGING_PREFIX)):
            continue
        m = _PID.search(child.name)
        if m is None or not _alive(int(m.group(1))):
            out.append(child)
    return out


def remove_stale_staging(reports_dir: Path) -> list[str]:
    """Delete :func:`stale_staging` folders; their names."""
    gone = []
    for folder in stale_staging(reports_dir):
        shutil.rmtree(folder, ignore_errors=True)
        gone.append(folder.name)
    return gone
