"""``workbench prune --keep-years N``: delete reports older than the retention period.

A report (published, superseded or failed) of period P may be deleted only when
P's last day is before *today minus N years* (today in Asia/Shanghai): a report
whose period ended inside the retention period is never deleted, nor is
anything whose period cannot be read from its name.

Deletion is recorded in the chain: a tombstone ``.pruned/<sequence>-<UTC>.json``
(``kind: "prune"``) lists every deleted folder with its manifest's sha256,
sequence and own previous link, links to the chain head like any entry, and
becomes the new head. ``workbench verify`` therefore stays green after a prune
and shows what was pruned. The tombstone is written and the head moved before
anything is deleted, so an interrupted prune leaves a verifiable folder.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.periods import Period, parse_period, today_shanghai
from workbench.report.chain import (
    FAILED_DIR,
    PRUNED_DIR,
    chain_lock,
    head_link,
    load_entry,
    read_head,
    report_folders,
    write_head,
)
from workbench.report.manifest import MANIFEST_FILE, utc_now, write_manifest

_STAMPED = re.compile(r"^(?P<label>.+?)-\d{8}T\d{6}Z(?:-\d+)?$")


@dataclass
class PruneResult:
    """What :func:`prune_reports` deleted (or would delete) and kept."""

    cutoff: dt.date
    dry_run: bool
    deleted: list[str] = field(default_factory=list)  # relative paths
    kept: list[str] = field(default_factory=list)
    tombstone: str | None = None
    recovered: str | None = None  # an interrupted publish finished or rolled back
    staging_removed: list[str] = field(default_factory=list)

    def render(self) -> str:
        """What ``workbench prune`` prints."""
        verb = "would delete" if self.dry_run else "deleted"
        lines = [f"retention: keep every report whose period ends on or after {self.cutoff}"]
        if self.recovered:
            lines.append(f"  {self.recovered}")
        lines += [f"  removed the staging folder of a killed run: {n}"
                  for n in self.staging_removed]
        lines += [f"  {verb} {p}" for p in self.deleted] or ["  nothing to delete"]
        lines.append(f"  kept {len(self.kept)} report folder(s)")
        if self.tombstone:
            lines.append(f"  recorded in the chain as {self.tombstone}")
        return "\n".join(lines)


def cutoff_date(today: dt.date, keep_years: int) -> dt.date:
    """``today`` minus ``keep_years`` years (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - keep_years)
    except ValueError:
        return today.replace(year=today.year - keep_years, day=28)


def _period_of(name: str) -> Period | None:
    m = _STAMPED.match(name)
    for text in ([m.group("label")] if m else []) + [name]:
        try:
            p = parse_period(text)
        except ValueError:
            continue
        if p.label == text:
            return p
    return None


def prune_reports(
    reports_dir: str | Path, keep_years: int, *, today: dt.date | None = None, dry_run: bool = False
) -> PruneResult:
    """Delete report folders whose period ended before ``today − keep_years``."""
    if keep_years < 1:
        raise ValueError("keep_years must be at least 1")
    reports_dir = Path(reports_dir).resolve()
    cutoff = cutoff_date(today or today_shanghai(), keep_years)
    result = PruneResult(cutoff=cutoff, dry_run=dry_run)
    if not reports_dir.is_dir():
        return result
    with chain_lock(reports_dir):
        from workbench.report.intent import recover

        if not dry_run:
            from workbench.report.staging import remove_stale_staging

            result.recovered = recover(reports_dir)
            result.staging_removed = remove_stale_staging(reports_dir)
        doomed: list[tuple[Path, dict[str, Any]]] = []
        candidates = list(report_folders(reports_dir))
        failed = reports_dir / FAILED_DIR
        if failed.is_dir():
            candidates += [("failed", c) for c in sorted(failed.iterdir()) if c.is_dir()]
        for kind, folder in candidates:
            rel = folder.relative_to(reports_dir).as_posix()
            period = _period_of(folder.name)
            if period is None or period.last_day >= cutoff:
                result.kept.append(rel)
                continue
            record: dict[str, Any] = {"path": rel, "kind": kind, "period": period.label,
                                      "last_day": period.last_day.isoformat()}
            mpath = folder / MANIFEST_FILE
            if kind != "failed" and mpath.is_file():
                entry = load_entry(reports_dir, mpath, kind)
                record.update(
                    path=entry.path, sha256=entry.sha256, sequence=entry.sequence,
                    previous_manifest=entry.previous, period=entry.period or period.label,
                    outputs=sorted(entry.data.get("outputs") or {}),
                )
            doomed.append((folder, record))
        result.deleted = [r["path"] if r["kind"] == "failed" else str(Path(r["path"]).parent)
                          for _, r in doomed]
        if dry_run or not doomed:
            return result
        head = read_head(reports_dir)
        previous = head_link(reports_dir)
        created = utc_now()
        sequence = int(head["sequence"]) + 1 if head else 1
        stamp = created.strftime("%Y%m%dT%H%M%SZ")
        tomb = reports_dir / PRUNED_DIR / f"{sequence:06d}-{stamp}.json"
        tomb.parent.mkdir(parents=True, exist_ok=True)
        write_manifest(
            {
                "kind": "prune",
                "sequence": sequence,
                "previous_manifest": previous,
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "keep_years": keep_years,
                "cutoff": cutoff.isoformat(),
                "deleted": [r for _, r in doomed],
            },
            tomb,
        )
        write_head(reports_dir, tomb, "prune")
        result.tombstone = tomb.relative_to(reports_dir).as_posix()
        for folder, _ in doomed:
            shutil.rmtree(folder)
    return result
