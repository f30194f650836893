"""Installing Debian packages for the tests that need a real server or browser.

The PostgreSQL tests and the browser tests install what they need as root on a
fresh machine (CI). They may run at the same time in two pytest-xdist workers, and
apt refuses to run twice: every install goes through :func:`apt_install`, which
holds one file lock for the whole update + install, and also waits for dpkg's own
lock (another apt run on the machine).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / "workbench-tests-apt.lock"


def apt_install(
    packages: Sequence[str], *, done: Callable[[], bool], timeout_s: int = 900
) -> str | None:
    """Install ``packages`` unless ``done()`` is already true (checked again under the
    lock: another worker may have installed them meanwhile). None on success, else
    why not (the command and the tail of its output)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done():
            return None
        wait = ["-o", "DPkg::Lock::Timeout=600"]
        for cmd in (
            ["apt-get", *wait, "update", "-q"],
            ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages],
        ):
            try:
                run = subprocess.run(
                    cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"`{' '.join(cmd)}` failed: {exc}"
            if run.returncode:
                tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-8:])
                return f"`{' '.join(cmd)}` exited {run.returncode}:\n{tail}"
    return None if done() else f"apt-get installed {' '.join(packages)} but it is still not found"
