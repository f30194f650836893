"""Publishing that survives a crash at any instruction: an intent record and recovery.

Publishing a report is three renames and a write: the replaced report to
``.superseded/``, staging to the period's folder, then ``chain-head.json``. A
process killed between two of them used to leave a folder without a head (the
next run appended from the old head and forked the chain: two entries with one
sequence, verify red for good) or, with ``--replace``, no current report at all
while verify said ok. Now :func:`publish_steps` first writes
``.locks/publish-intent.json`` — what is about to move where, and the new
manifest's hash — durably (fsync, atomic rename), and removes it only when the
head points at the new manifest. :func:`recover` runs under the chain lock before
every publish and prune, and by ``workbench verify --recover``: it finishes an
interrupted publish when the new folder is in place (writes the head) and rolls
it back otherwise (puts the replaced report back, drops the staging folder). So
whatever instruction a crash hits, the next run sees either the old chain or the
new one, never a fork.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.report.manifest import MANIFEST_FILE, sha256_file

INTENT_FILE = "publish-intent.json"
#: Test hook: called with the name of each step just before it runs (fault injection).
_STEP_HOOK: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if _STEP_HOOK is not None:
        _STEP_HOOK(name)


def intent_path(reports_dir: Path) -> Path:
    """Where the intent record of the folder's publish in progress lives."""
    from workbench.report.chain import LOCKS_DIR

    return Path(reports_dir) / LOCKS_DIR / INTENT_FILE


def _write_durably(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_intent(reports_dir: Path) -> dict[str, Any] | None:
    """The pending intent record (an interrupted publish), or None."""
    path = intent_path(reports_dir)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def publish_steps(reports_dir: Path, staging: Path, final: Path,
                  superseded_to: Path | None) -> None:
    """Move ``final`` aside (``superseded_to``), ``staging`` to ``final`` and the head
    to its manifest, with an intent record around the three (caller holds the chain
    lock; ``staging/manifest.json`` is written).
    """
    from workbench.report.chain import write_head

    rel = lambda p: None if p is None else Path(p).relative_to(reports_dir).as_posix()  # noqa: E731
    intent = {"staging": rel(staging), "final": rel(final), "superseded_to": rel(superseded_to),
              "manifest_sha256": sha256_file(staging / MANIFEST_FILE)}
    _step("intent")
    _write_durably(intent_path(reports_dir), intent)
    if superseded_to is not None:
        superseded_to.parent.mkdir(parents=True, exist_ok=True)
        _step("supersede")
        os.rename(final, superseded_to)
    try:
        _step("rename")
        os.rename(staging, final)
    except OSError:
        if superseded_to is not None:
            os.rename(superseded_to, final)
        intent_path(reports_dir).unlink(missing_ok=True)
        raise
    _step("head")
    write_head(reports_dir, final / MANIFEST_FILE, "report")
    _step("done")
    intent_path(reports_dir).unlink(missing_ok=True)


def recover(reports_dir: Path) -> str | None:
    """Finish or roll back an interrupted publish (caller holds the chain lock);
    returns what was done, or None when there was nothing to do.
    """
    from workbench.report.chain import HEAD_FILE, read_head, write_head

    reports_dir = Path(reports_dir)
    intent = read_intent(reports_dir)
    if intent is None:
        return None
    final = reports_dir / intent["final"]
    staging = reports_dir / intent["staging"]
    aside = reports_dir / intent["superseded_to"] if intent.get("superseded_to") else None
    manifest = final / MANIFEST_FILE
    if manifest.is_file() and sha256_file(manifest) == intent["manifest_sha256"]:
        head = read_head(reports_dir)
        if not head or head.get("sha256") != intent["manifest_sha256"]:
            write_head(reports_dir, manifest, "report")
        done = f"finished an interrupted publish of {intent['final']} ({HEAD_FILE} written)"
    else:
        if aside is not None and aside.is_dir() and not final.exists():
            os.rename(aside, final)
        shutil.rmtree(staging, ignore_errors=True)
        done = f"rolled back an interrupted publish of {intent['final']} (nothing published)"
    intent_path(reports_dir).unlink(missing_ok=True)
    return done
