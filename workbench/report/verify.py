"""``workbench verify``: re-hash every report and walk the hash chain.

Checks, and the exact thing each names when it fails (an *error*, exit 1):

* every output of every report folder (published and superseded) against the
  sha256 in its manifest — ``2026-Q2: findings.parquet has changed (sha256
  differs)``, ``… is missing``, ``… is not in the manifest``;
* each manifest is for the folder's period;
* the chain: ``chain-head.json`` names an entry that exists with that sha256;
  walking ``previous_manifest`` links from the head back to sequence 1 finds
  every link's target (on disk, or listed as deleted in a prune tombstone) with
  the recorded sha256 and sequences that fall by exactly one; every entry on
  disk is reached by the walk (nothing inserted, nothing re-ordered);
* *inputs* (a **warning**, exit 0 unless ``strict``): each input file recorded in
  a current report's manifest that still exists is re-hashed. A difference means
  the source changed after the report was made — not that the report was
  tampered with — and is shown as ``input changed since the report``. Inputs
  that no longer exist are a note.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.report.chain import (
    HEAD_FILE,
    Entry,
    load_entry,
    read_head,
    report_folders,
    tombstones,
)
from workbench.report.manifest import MANIFEST_FILE, output_hashes, sha256_file


@dataclass
class VerifyResult:
    """Outcome of :func:`verify_reports`. ``ok``: no error (and, when ``strict``,
    no warning).
    """

    reports_dir: Path
    strict: bool = False
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)  # head first: "seq kind path"
    chain_sha256: list[str] = field(default_factory=list)  # head first
    head_sha256: str | None = None
    seconds: float = 0.0
    files_hashed: int = 0

    @property
    def ok(self) -> bool:
        """No problem (and, with ``strict``, no warning)."""
        return not self.problems and not (self.strict and self.warnings)

    def render(self) -> str:
        """What ``workbench verify`` prints."""
        lines = [
            (f"verified {len(self.checked)} report folder(s), {len(self.chain)} chain entries, "
             f"{self.files_hashed} files hashed in {self.reports_dir} ({self.seconds:.2f} s)")
        ]
        lines += [f"  ok   {name}" for name in self.checked if not self._bad(name)]
        lines += [f"  BAD  {p}" for p in self.problems]
        tag = "BAD " if self.strict else "WARN"
        lines += [f"  {tag} {w}" for w in self.warnings]
        lines += [f"  note {n}" for n in self.notes]
        if self.chain:
            lines.append("  chain (newest first): " + " ← ".join(self.chain))
        if self.head_sha256:
            lines.append(f"  head sha256 {self.head_sha256} (keep it outside this folder; "
                         "verify --expect-head checks against it)")
        if self.warnings and not self.strict:
            lines.append(
                f"{len(self.warnings)} warning(s) (inputs changed; --strict makes them fail)")
        failing = len(self.problems) + (len(self.warnings) if self.strict else 0)
        lines.append("ok" if self.ok else f"{failing} problem(s)")
        return "\n".join(lines)

    def _bad(self, name: str) -> bool:
        return any(p.startswith((f"{name}:", f"{name}/")) for p in self.problems)


def _check_folder(result: VerifyResult, reports_dir: Path, kind: str, folder: Path) -> Entry | None:
    name = folder.relative_to(reports_dir).as_posix()
    result.checked.append(name)
    mpath = folder / MANIFEST_FILE
    if not mpath.is_file():
        result.problems.append(f"{name}: no {MANIFEST_FILE}")
        return None
    try:
        entry = load_entry(reports_dir, mpath, kind)
    except (OSError, ValueError) as exc:
        result.problems.append(f"{name}: {MANIFEST_FILE} is unreadable ({exc})")
        return None
    label = entry.period
    if kind == "report" and label != folder.name:
        result.problems.append(f"{name}: manifest is for period {label!r}, not {folder.name!r}")
    if kind == "superseded" and not (label and folder.name.startswith(f"{label}-")):
        result.problems.append(f"{name}: manifest is for period {label!r}")
    expected: dict[str, str] = entry.data.get("outputs") or {}
    actual = output_hashes(folder)
    result.files_hashed += len(actual) + 1
    for fname, digest in sorted(expected.items()):
        if fname not in actual:
            result.problems.append(f"{name}: {fname} is missing")
        elif actual[fname] != digest:
            result.problems.append(f"{name}: {fname} has changed (sha256 differs)")
    for fname in sorted(set(actual) - set(expected)):
        result.problems.append(f"{name}: {fname} is not in the manifest")
    if kind == "report":
        _check_inputs(result, name, entry.data)
    return entry


def _check_inputs(result: VerifyResult, name: str, manifest: dict[str, Any]) -> None:
    files = (manifest.get("source") or {}).get("input_files") or {}
    for table, info in sorted(files.items()):
        path = Path(info.get("path", ""))
        if not path.is_file():
            result.warnings.append(f"{name}: input {table} ({path}) is no longer present")
            continue
        result.files_hashed += 1
        if sha256_file(path) != info.get("sha256"):
            result.warnings.append(
                f"{name}: input {table} ({path}) changed since the report (sha256 differs)"
            )


def _walk(result: VerifyResult, reports_dir: Path, entries: dict[str, Entry],
          pruned: dict[str, Entry]) -> None:
    head = None
    try:
        head = read_head(reports_dir)
    except (OSError, ValueError) as exc:
        result.problems.append(f"{HEAD_FILE}: unreadable ({exc})")
        return
    if head is None:
        if entries:
            result.problems.append(
                f"{HEAD_FILE} is missing, so the newest entry cannot be checked "
                f"({len(entries)} chain entries on disk)"
            )
        return
    seen: set[str] = set()
    sha, expected_seq = head.get("sha256"), head.get("sequence")
    result.head_sha256 = sha
    referrer, target = HEAD_FILE, head.get("path")
    broken: str | None = None  # the entry whose loss cut the walk short
    while sha:
        if sha in seen:
            result.problems.append(f"{referrer}: the chain loops back to {target}")
            break
        entry = entries.get(sha) or pruned.get(sha)
        if entry is None:
            path = reports_dir / str(target)
            if path.is_file():
                result.problems.append(
                    f"{referrer}: links to {target}, which has changed since it was linked "
                    "(sha256 differs)"
                )
            else:
                result.problems.append(f"{referrer}: links to {target}, which is missing")
            broken = str(target)
            break
        seen.add(sha)
        if entry.sequence != expected_seq:
            result.problems.append(
                f"{entry.path}: sequence {entry.sequence} where the chain expects {expected_seq} "
                f"(linked from {referrer}): the chain is out of order"
            )
        result.chain.append(f"{entry.sequence} {entry.kind} {entry.path}")
        result.chain_sha256.append(sha)
        prev = entry.previous
        if not prev:
            if entry.sequence != 1:
                result.problems.append(
                    f"{entry.path}: has no previous link but sequence {entry.sequence}: "
                    "the start of the chain is gone"
                )
            break
        referrer, target, sha = entry.path, prev.get("path"), prev.get("sha256")
        expected_seq = (entry.sequence or 0) - 1
        if prev.get("sequence") is not None and prev.get("sequence") != expected_seq:
            result.problems.append(
                f"{entry.path}: its link records sequence {prev.get('sequence')}, expected "
                f"{expected_seq}: the chain is out of order"
            )
    for sha, entry in sorted(entries.items(), key=lambda kv: kv[1].path):
        if sha in seen:
            continue
        if broken is not None and (entry.sequence or 0) < (expected_seq or 0):
            # older than the lost entry: unreachable because of it, not itself at fault
            result.notes.append(f"{entry.path}: not checked against the chain, which cannot "
                                f"reach it past the missing or changed {broken}")
        else:
            result.problems.append(
                f"{entry.path}: is not in the chain (no later entry or {HEAD_FILE} links to it)"
            )


def _leftovers(result: VerifyResult, reports_dir: Path) -> None:
    """An interrupted publish (its intent record) and staging folders of killed runs."""
    from workbench.report.intent import INTENT_FILE, read_intent
    from workbench.report.staging import stale_staging

    try:
        intent = read_intent(reports_dir)
    except (OSError, ValueError) as exc:
        result.problems.append(f"{INTENT_FILE}: unreadable ({exc})")
        intent = None
    if intent is not None:
        result.problems.append(
            f"an interrupted publish of {intent.get('final')} is pending; the next "
            "`workbench report` or `workbench prune`, or `workbench verify --recover`, "
            "finishes or rolls it back")
    for folder in stale_staging(reports_dir):
        result.warnings.append(
            f"{folder.name}: staging folder of a run that was killed (not privacy-checked); "
            "`workbench prune` removes it")


def verify_reports(reports_dir: str | Path, *, strict: bool = False,
                   expect_heads: Sequence[str] = ()) -> VerifyResult:
    """Re-hash every report folder (published and superseded), its inputs, and walk
    the chain. Staging and ``.failed/`` folders are not checked.

    ``expect_heads``: head hashes recorded *outside* the folder after earlier runs
    (mail, a second system, a WORM bucket). Each must still be in the chain walked
    from today's head: editing the newest report together with its manifest hash and
    the head, or deleting it and pointing the head back, changes or drops the hash
    an operator kept, which nothing inside the folder can forge.
    """
    started = time.perf_counter()
    reports_dir = Path(reports_dir).resolve()
    result = VerifyResult(reports_dir, strict=strict)
    if not reports_dir.is_dir():
        result.problems.append(f"{reports_dir}: no such folder")
        return result
    entries: dict[str, Entry] = {}
    pruned: dict[str, Entry] = {}
    for kind, folder in report_folders(reports_dir):
        entry = _check_folder(result, reports_dir, kind, folder)
        if entry is not None:
            entries[entry.sha256] = entry
    for path in tombstones(reports_dir):
        name = path.relative_to(reports_dir).as_posix()
        try:
            entry = load_entry(reports_dir, path, "prune")
        except (OSError, ValueError) as exc:
            result.problems.append(f"{name}: unreadable ({exc})")
            continue
        result.files_hashed += 1
        entries[entry.sha256] = entry
        for gone in entry.data.get("deleted") or []:
            if gone.get("sha256"):
                pruned[gone["sha256"]] = Entry(
                    path=gone["path"], kind="pruned", sha256=gone["sha256"],
                    sequence=gone.get("sequence"), previous=gone.get("previous_manifest"),
                    period=gone.get("period"), data=gone,
                )
        deleted = ", ".join(g["path"] for g in entry.data.get("deleted") or []) or "nothing"
        result.notes.append(f"{name}: pruned on {entry.data.get('created_at')}: {deleted}")
    _walk(result, reports_dir, entries, pruned)
    _leftovers(result, reports_dir)
    for anchor in expect_heads:
        anchor = anchor.strip().lower()
        if anchor and anchor not in result.chain_sha256:
            result.problems.append(
                f"the head hash kept outside the folder, {anchor}, is not in the chain "
                f"(today's head is {result.head_sha256}): a published report was rewritten, "
                "removed or rolled back")
    result.seconds = time.perf_counter() - started
    return result
