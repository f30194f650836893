"""The source a report reads: resolved, validated once, checked for freshness, and
hashed before any notebook reads it (split out of :mod:`workbench.report.run`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.freshness import FRESHNESS_TABLES, FreshnessError, check_fresh, latest_period
from workbench.periods import Period
from workbench.report import manifest as mf


class ReportError(Exception):
    """The report could not be produced; nothing was published."""


def resolve_source(source: str | Path) -> str:
    """A database URI as given, or the absolute path of a source directory."""
    text = str(source)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise ReportError(f"source {text!r} does not exist")
    return str(path)


@contextlib.contextmanager
def _password_out_of_band(src: str) -> Iterator[str]:
    """Yield ``src`` without its password; meanwhile the password is in ``PGPASSWORD``.

    A password written into a PostgreSQL URI would otherwise be copied into every
    notebook's injected parameters, the manifest and the progress lines of a report
    meant for a regulator. libpq reads ``PGPASSWORD`` in this process and in the
    notebook kernels, which inherit the environment.
    """
    from workbench.sources import split_password

    if "://" not in src:
        yield src
        return
    bare, password = split_password(src)
    if password is None:
        yield src
        return
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = password
    try:
        yield bare
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


@dataclass(frozen=True)
class ValidSource:
    """What the runner keeps from validating the source once: the input files (for
    the manifest) and the subsidiaries (for the worklists and the league table).
    """

    input_files: dict[str, Path]
    subsidiaries: pl.DataFrame
    #: each input file's path, sha256 and size, taken before any notebook read it
    input_entries: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def changed_inputs(self) -> list[str]:
        """Inputs that differ now from when the run validated them (or are gone)."""
        changed = []
        for table, entry in sorted(self.input_entries.items()):
            path = Path(entry["path"])
            if not path.is_file():
                changed.append(f"{table} ({path}) was deleted")
            elif mf.sha256_file(path) != entry["sha256"]:
                changed.append(f"{table} ({path}) changed (sha256 differs)")
        return changed


def _validate_source(source: str, period: Period, analyses: Sequence[str],
                     **tolerances: int) -> ValidSource:
    """Load and validate every contract table, once for the whole report, and check
    that the source is fresh for ``period`` (:func:`workbench.freshness.check_fresh`).
    """
    from workbench.sources import ContractError, load, open_source

    try:
        frames = load(source)
        check_fresh(frames, period, analyses, **tolerances)
        files = {k: Path(v) for k, v in open_source(source).input_files().items()}
        subsidiaries = frames["subsidiaries"].select("subsidiary_id", "name").collect()
    except ContractError as exc:
        raise ReportError(f"source {source} is not valid input, nothing was run:\n{exc}") from exc
    except FreshnessError as exc:
        raise ReportError(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise ReportError(f"source {source} could not be read: {exc}") from exc
    entries = {t: mf.file_entry(p) for t, p in files.items()}  # before any notebook reads
    return ValidSource(files, subsidiaries, entries)


def _latest(source: str | Path, analyses: Sequence[str], **tolerances: int) -> Period:
    """``--period latest``: the latest ended quarter the source is fresh for."""
    from workbench.sources import load

    with _password_out_of_band(resolve_source(source)) as src:
        try:
            frames = load(src, tables=[t for t in FRESHNESS_TABLES], validate=False)
        except (OSError, ValueError) as exc:
            raise ReportError(f"source {src} could not be read: {exc}") from exc
        return latest_period(frames, analyses, **tolerances)
