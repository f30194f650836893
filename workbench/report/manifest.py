"""The report manifest: what ran, on what, producing what, and its place in the chain.

Every published report folder ``reports/<period>/`` holds a ``manifest.json``
(keys sorted) with:

``manifest_version``, ``kind`` (``"report"``), ``sequence`` (the run's position
in the reports folder's hash chain, 1 for the first), ``period`` (label, start,
end), ``parameters`` (including ``lang``), ``source`` (uri and the sha256/bytes
of every input file), ``packages`` (versions), ``code`` (git commit, dirty flag,
workbench version), ``outputs`` (sha256 of every other file in the folder),
``analyses`` (status, seconds, findings per notebook), ``previous_manifest``
(the chain link: path relative to the reports folder, sha256 and sequence of
the entry written just before this one, by run order, whatever its period —
null for the first), ``supersedes`` (the report this one replaced, or null) and
``created_at`` (UTC).

The chain itself (head file, locks, tombstones) is :mod:`workbench.report.chain`;
``workbench verify`` is :mod:`workbench.report.verify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.periods import Period

MANIFEST_VERSION = 2
MANIFEST_FILE = "manifest.json"

#: Distributions whose versions a manifest records (plus ``python``).
PACKAGES: tuple[str, ...] = (
    "polars",
    "pyarrow",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "fairlearn",
    "plotly",
    "papermill",
    "nbconvert",
    "python-stdnum",
    "chinesecalendar",
    "duckdb",
)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: str | Path) -> dict[str, Any]:
    """``{"path", "sha256", "bytes"}`` of one input file (absolute path)."""
    p = Path(path).resolve()
    return {"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`PACKAGES` (null when not installed) and python."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return out


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(root: str | Path | None = None) -> dict[str, Any]:
    """The code that ran: git commit and dirty flag of the checkout holding the
    ``workbench`` package (null/false when it is not a git checkout), and the
    package version.
    """
    import workbench

    root = Path(root) if root else Path(workbench.__file__).resolve().parent.parent
    commit = dirty = None
    top = _git(root, "rev-parse", "--show-toplevel")
    # A wheel installed into a venv inside some checkout is not that checkout.
    if top is not None and Path(top).resolve() == root.resolve():
        commit = _git(root, "rev-parse", "HEAD")
        status = _git(root, "status", "--porcelain")
        dirty = bool(status) if status is not None else None
    return {
        "git_commit": commit,
        "git_dirty": bool(dirty),
        "workbench_version": workbench.__version__,
    }


def output_hashes(folder: str | Path) -> dict[str, str]:
    """sha256 of every file in ``folder`` (recursively, POSIX relative names) except
    the manifest itself.
    """
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_FILE
    }


def utc_now() -> dt.datetime:
    """The current UTC time, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def build_manifest(
    *,
    period: Period,
    parameters: Mapping[str, Any],
    source_uri: str,
    input_files: Mapping[str, str | Path | Mapping[str, Any]],
    folder: str | Path,
    analyses: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, Any] | None,
    sequence: int = 1,
    supersedes: Mapping[str, Any] | None = None,
    created_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble the manifest of a report whose outputs are already in ``folder``."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "kind": "report",
        "sequence": int(sequence),
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "parameters": dict(parameters),
        "source": {
            "uri": source_uri,
            # an entry already made (hashed when the run read the input) is kept as is
            "input_files": {t: dict(p) if isinstance(p, Mapping) else file_entry(p)
                            for t, p in sorted(input_files.items())},
        },
        "packages": package_versions(),
        "code": code_version(),
        "outputs": output_hashes(folder),
        "analyses": {k: dict(v) for k, v in analyses.items()},
        "previous_manifest": dict(previous) if previous else None,
        "supersedes": dict(supersedes) if supersedes else None,
        "created_at": (created_at or utc_now()).isoformat().replace("+00:00", "Z"),
    }


def write_manifest(manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``manifest`` as UTF-8 JSON with sorted keys."""
    path = Path(path)
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A ``manifest.json`` (or any chain entry) as a dict."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
