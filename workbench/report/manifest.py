"""The report manifest (what ran, on what, producing what) and ``workbench verify``.

Every published report folder ``reports/<period>/`` holds a ``manifest.json``
(keys sorted) with:

``manifest_version``, ``period`` (label, start, end), ``parameters``,
``source`` (uri and the sha256/bytes of every input file), ``packages``
(versions), ``code`` (git commit, dirty flag, workbench version), ``outputs``
(sha256 of every other file in the folder), ``analyses`` (status, seconds,
findings per notebook), ``previous_manifest`` (path relative to the reports
folder and sha256 of the latest earlier period's manifest, or null) and
``created_at`` (UTC).

:func:`verify_reports` re-hashes every period folder against its manifest and
checks that each ``previous_manifest`` link still matches the file it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.periods import Period, parse_period

MANIFEST_VERSION = 1
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
    package version."""
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
    the manifest itself."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_FILE
    }


def _period_folders(reports_dir: Path) -> list[tuple[Period, Path]]:
    found = []
    if not reports_dir.is_dir():
        return found
    for child in reports_dir.iterdir():
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            period = parse_period(child.name)
        except ValueError:
            continue
        if period.label == child.name:
            found.append((period, child))
    return sorted(found, key=lambda pf: (pf[0].start, pf[0].end, pf[0].label))


def previous_manifest(reports_dir: str | Path, period: Period | str) -> dict[str, str] | None:
    """Link to the latest manifest of another period that precedes ``period``.

    Periods are ordered by (start, end). Returns ``{"path", "sha256"}`` with the
    path relative to ``reports_dir``, or None when there is none.
    """
    p = period if isinstance(period, Period) else parse_period(period)
    earlier = [
        folder
        for q, folder in _period_folders(Path(reports_dir))
        if q.label != p.label and (q.start, q.end) < (p.start, p.end)
        and (folder / MANIFEST_FILE).is_file()
    ]
    if not earlier:
        return None
    path = earlier[-1] / MANIFEST_FILE
    return {"path": f"{earlier[-1].name}/{MANIFEST_FILE}", "sha256": sha256_file(path)}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def build_manifest(
    *,
    period: Period,
    parameters: Mapping[str, Any],
    source_uri: str,
    input_files: Mapping[str, str | Path],
    folder: str | Path,
    analyses: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, str] | None,
    created_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble the manifest of a report whose outputs are already in ``folder``."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "parameters": dict(parameters),
        "source": {
            "uri": source_uri,
            "input_files": {t: file_entry(p) for t, p in sorted(input_files.items())},
        },
        "packages": package_versions(),
        "code": code_version(),
        "outputs": output_hashes(folder),
        "analyses": {k: dict(v) for k, v in analyses.items()},
        "previous_manifest": dict(previous) if previous else None,
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
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------ verify
@dataclass
class VerifyResult:
    """Outcome of :func:`verify_reports`: ``ok`` when no problem was found."""

    reports_dir: Path
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        lines = [f"verified {len(self.checked)} report(s) in {self.reports_dir}"]
        lines += [f"  ok  {name}" for name in self.checked if not self._bad(name)]
        lines += [f"  BAD {p}" for p in self.problems]
        lines.append("ok" if self.ok else f"{len(self.problems)} problem(s)")
        return "\n".join(lines)

    def _bad(self, name: str) -> bool:
        return any(p.startswith(f"{name}:") for p in self.problems)


def verify_reports(reports_dir: str | Path) -> VerifyResult:
    """Re-hash every ``<period>/`` folder against its manifest and check the links
    to previous manifests. Hidden folders (staging, failed, superseded) are skipped."""
    reports_dir = Path(reports_dir)
    result = VerifyResult(reports_dir)
    if not reports_dir.is_dir():
        result.problems.append(f"{reports_dir}: no such folder")
        return result
    for _, folder in _period_folders(reports_dir):
        name = folder.name
        result.checked.append(name)
        mpath = folder / MANIFEST_FILE
        if not mpath.is_file():
            result.problems.append(f"{name}: no {MANIFEST_FILE}")
            continue
        try:
            manifest = read_manifest(mpath)
        except (OSError, ValueError) as exc:
            result.problems.append(f"{name}: {MANIFEST_FILE} is unreadable ({exc})")
            continue
        if manifest.get("period", {}).get("label") != name:
            result.problems.append(
                f"{name}: manifest is for period {manifest.get('period', {}).get('label')!r}"
            )
        expected: dict[str, str] = manifest.get("outputs") or {}
        actual = output_hashes(folder)
        for fname, digest in sorted(expected.items()):
            if fname not in actual:
                result.problems.append(f"{name}: {fname} is missing")
            elif actual[fname] != digest:
                result.problems.append(f"{name}: {fname} has changed (sha256 differs)")
        for fname in sorted(set(actual) - set(expected)):
            result.problems.append(f"{name}: {fname} is not in the manifest")
        prev = manifest.get("previous_manifest")
        if prev:
            target = reports_dir / prev["path"]
            if not target.is_file():
                result.problems.append(f"{name}: previous manifest {prev['path']} is missing")
            elif sha256_file(target) != prev["sha256"]:
                result.problems.append(
                    f"{name}: previous manifest {prev['path']} has changed since this report"
                )
    return result
