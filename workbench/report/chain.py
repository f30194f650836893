"""The reports folder's hash chain, its head file, and the locks that keep it linear.

Every *chain entry* is a JSON file whose sha256 the next entry records:

* ``<period>/manifest.json`` — a published report (``kind: "report"``);
* ``.superseded/<period>-<UTC>/manifest.json`` — a report replaced by
  ``--replace``; moved, never rewritten, so its hash still holds;
* ``.pruned/<sequence>-<UTC>.json`` — a prune tombstone (``kind: "prune"``)
  listing what ``workbench prune`` deleted, with each deleted manifest's sha256,
  sequence and own link, so the chain stays walkable through deleted entries.

Entries are ordered by run order: each one carries ``sequence`` (1, 2, 3, …) and
``previous_manifest = {"path", "sha256", "sequence"}`` pointing at the entry
written just before it, whatever its period. ``chain-head.json`` in the reports
folder names the latest entry; without it, deleting the newest report would go
unnoticed. Links are resolved by sha256 (the recorded path is where the entry
was when it was linked, and is only used in messages).

Appending to the chain (read head → write entry → publish → move head) happens
under :func:`chain_lock`, an exclusive ``fcntl.flock`` on ``.locks/chain.lock``,
so two runs of *different* periods cannot fork the chain. Two runs of the *same*
period are stopped earlier, for the whole run, by :func:`period_lock`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.report.manifest import MANIFEST_FILE, read_manifest, sha256_file

HEAD_FILE = "chain-head.json"
LOCKS_DIR = ".locks"
PRUNED_DIR = ".pruned"
SUPERSEDED_DIR = ".superseded"
FAILED_DIR = ".failed"


class LockedError(Exception):
    """Another live process holds the lock."""


class UnsafeLockError(OSError):
    """A lock file is a symbolic link: opening it would write through the link."""


# ------------------------------------------------------------------------ locks
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read_holder(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextlib.contextmanager
def _flock(path: Path, what: str, *, wait: bool) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) and record the
    holder's pid, host and start time in it.

    The kernel drops a flock when its process dies, so a lock left by a killed
    run (``kill -9``, a reboot) is *stale* and is taken over silently; the pid
    in the file is only used to name the holder in the refusal, and a recorded
    pid that is no longer alive on this host is reported as stale.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_NOFOLLOW: a lock file that is a symlink would have its *target* truncated
        # and overwritten with the holder's pid (issue #15).
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError:
        if path.is_symlink():
            raise UnsafeLockError(
                f"{what}: the lock file {path} is a symbolic link (to "
                f"{os.readlink(path)}); refusing to open it — remove the link") from None
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = _read_holder(path)
            pid = holder.get("pid")
            alive = (
                isinstance(pid, int) and _pid_alive(pid)
                if holder.get("host") == socket.gethostname()
                else True
            )
            state = ("" if alive else
                     " (its recorded pid is gone: the lock is held by a child process)")
            raise LockedError(
                f"{what} is locked by pid {pid} on {holder.get('host')} since "
                f"{holder.get('started_at')}{state}; lock file {path}"
            ) from None
        # Free flock: any pid still recorded is a run that died (stale); take over.
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
            ).encode(),
            0,
        )
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def period_lock(reports_dir: Path, label: str) -> contextlib.AbstractContextManager[Path]:
    """Exclusive lock for one period's run (``.locks/<period>.lock``); raises
    :class:`LockedError` at once if another live run of the period holds it.
    """
    return _flock(Path(reports_dir) / LOCKS_DIR / f"{label}.lock", f"period {label}", wait=False)


def chain_lock(reports_dir: Path) -> contextlib.AbstractContextManager[Path]:
    """Exclusive lock on the chain (``.locks/chain.lock``); waits for the holder,
    which only holds it for the few file operations of an append.
    """
    return _flock(Path(reports_dir) / LOCKS_DIR / "chain.lock", "the report chain", wait=True)


# ------------------------------------------------------------------------ head
def read_head(reports_dir: Path) -> dict[str, Any] | None:
    """``{"path", "sha256", "sequence", "kind", "updated_at"}`` or None."""
    path = Path(reports_dir) / HEAD_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def link_to(reports_dir: Path, entry_path: Path, *, moved_to: Path | None = None) -> dict[str, Any]:
    """The link a new entry records to the chain entry at ``entry_path``
    (``moved_to``: where that file will be once the current publish step ran).
    """
    data = read_manifest(entry_path)
    where = moved_to or entry_path
    return {
        "path": where.relative_to(reports_dir).as_posix(),
        "sha256": sha256_file(entry_path),
        "sequence": int(data.get("sequence") or 0),
    }


def head_link(reports_dir: Path, *,
              moving: dict[Path, Path] | None = None) -> dict[str, Any] | None:
    """The link to the current head (None for an empty chain). ``moving`` maps
    entry files that the coming publish will move to their new place.
    """
    head = read_head(reports_dir)
    if head is None:
        return None
    path = reports_dir / head["path"]
    if not path.is_file():
        raise FileNotFoundError(
            f"the chain head {HEAD_FILE} names {head['path']}, which is missing; "
            "run `workbench verify` and repair the reports folder first"
        )
    return link_to(reports_dir, path, moved_to=(moving or {}).get(path))


def write_head(reports_dir: Path, entry_path: Path, kind: str) -> Path:
    """Point ``chain-head.json`` at ``entry_path`` (atomic rename)."""
    reports_dir = Path(reports_dir)
    data = read_manifest(entry_path)
    head = {
        "path": entry_path.relative_to(reports_dir).as_posix(),
        "sha256": sha256_file(entry_path),
        "sequence": int(data["sequence"]),
        "kind": kind,
        "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    tmp = reports_dir / f".{HEAD_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(head, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, reports_dir / HEAD_FILE)
    return reports_dir / HEAD_FILE


# --------------------------------------------------------------------- entries
@dataclass
class Entry:
    """One chain entry found on disk (or, ``kind == "pruned"``, known from a tombstone)."""

    path: str  # relative to the reports folder
    kind: str  # report | superseded | prune | pruned
    sha256: str
    sequence: int | None
    previous: dict[str, Any] | None
    period: str | None
    data: dict[str, Any]
    folder: Path | None = None  # the report folder, for report/superseded


def report_folders(reports_dir: Path) -> list[tuple[str, Path]]:
    """``(kind, folder)`` of every published and superseded report folder."""
    from workbench.periods import parse_period

    found: list[tuple[str, Path]] = []
    if not reports_dir.is_dir():
        return found
    for child in sorted(reports_dir.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            try:
                if parse_period(child.name).label == child.name:
                    found.append(("report", child))
            except ValueError:
                continue
    sup = reports_dir / SUPERSEDED_DIR
    if sup.is_dir():
        found += [("superseded", c) for c in sorted(sup.iterdir()) if c.is_dir()]
    return found


def tombstones(reports_dir: Path) -> list[Path]:
    """The prune records (tombstones) of the chain, oldest first."""
    folder = reports_dir / PRUNED_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_entry(reports_dir: Path, path: Path, kind: str) -> Entry:
    """Read one entry file; raises OSError/ValueError when it is unreadable."""
    data = read_manifest(path)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - bad file content
    period = data.get("period")
    return Entry(
        path=path.relative_to(reports_dir).as_posix(),
        kind=kind,
        sha256=sha256_file(path),
        sequence=data.get("sequence"),
        previous=data.get("previous_manifest"),
        period=period.get("label") if isinstance(period, dict) else period,
        data=data,
        folder=path.parent if kind in ("report", "superseded") else None,
    )


def superseded_destination(reports_dir: Path, label: str) -> Path:
    """Where ``--replace`` will move the current report of ``label``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = reports_dir / SUPERSEDED_DIR / f"{label}-{stamp}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = reports_dir / SUPERSEDED_DIR / f"{label}-{stamp}-{n}"
    return candidate


def publish(
    reports_dir: Path,
    staging: Path,
    final: Path,
    make_manifest: Callable[..., dict[str, Any]],
    *,
    replace: bool,
) -> Path | None:
    """Append a report to the chain and publish it, under :func:`chain_lock`.

    ``make_manifest(previous=…, sequence=…, supersedes=…)`` returns the manifest,
    which is written to ``staging/manifest.json``; then an existing ``final`` is
    moved to ``.superseded/<period>-<UTC>/`` (only with ``replace``), ``staging``
    is renamed to ``final`` and the head moves to the new manifest. Returns where
    the replaced report went (or None).
    """
    from workbench.report.intent import publish_steps, recover
    from workbench.report.manifest import write_manifest

    reports_dir = Path(reports_dir)
    with chain_lock(reports_dir):
        recover(reports_dir)  # an earlier publish killed half-way: finish or roll back
        superseded_to = None
        if final.exists():
            if not replace:
                raise FileExistsError(f"{final} already exists; pass --replace to replace it")
            superseded_to = superseded_destination(reports_dir, final.name)
        old = final / MANIFEST_FILE
        moving = {old: superseded_to / MANIFEST_FILE} if superseded_to else {}
        previous = head_link(reports_dir, moving=moving)
        head = read_head(reports_dir)
        supersedes = (
            link_to(reports_dir, old, moved_to=superseded_to / MANIFEST_FILE)
            if superseded_to is not None and old.is_file() else None
        )
        manifest = make_manifest(
            previous=previous,
            sequence=int(head["sequence"]) + 1 if head else 1,
            supersedes=supersedes,
        )
        write_manifest(manifest, staging / MANIFEST_FILE)
        publish_steps(reports_dir, staging, final, superseded_to)
    return superseded_to
