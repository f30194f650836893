"""What a source is, and the directory reader: parquet files, CSV, parquet sub-directories."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import polars as pl

from workbench.contract import TABLES
from workbench.sources._messages import MSG_TABLE_MISSING, BadInputError

_TEXT_BOOLS: dict[str, bool] = {"true": True, "false": False}


class Source(ABC):
    """Where the tables come from. Subclasses only read; validation lives in :func:`load`."""

    #: lower-cased text accepted for booleans stored as text
    text_bools: ClassVar[Mapping[str, bool]] = _TEXT_BOOLS

    def __init__(self, location: str) -> None:
        self.location = location

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the tables present (contract or not)."""

    @abstractmethod
    def scan_raw(self, table: str) -> pl.LazyFrame:
        """The table as stored, before any cast."""

    @abstractmethod
    def input_files(self) -> dict[str, Path]:
        """Files read, for manifests: table → file, or the database file's name → file."""

    @abstractmethod
    def describe(self) -> str:
        """One line saying what the source is."""

    def in_memory(self, table: str) -> bool:
        """Whether ``scan_raw`` is already materialised (then typed frames are too,
        so that collecting a returned frame does not parse text again).
        """
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


class DirectorySource(Source):
    """A directory of ``<table>.parquet`` or ``<table>.csv`` files, or ``<table>/``
    sub-directories of parquet files (parquet file wins, then a sub-directory, then CSV).

    A sub-directory is one table however its files are laid out below it
    (``orders/part-*.parquet``, hive partitions ``orders/year=2026/month=07/*.parquet``):
    all its ``*.parquet`` files are scanned lazily as one frame. Partition keys that
    appear only in the paths become text columns (ids stay strings, ``month=07`` is
    not read as 7), so a table partitioned by a contract column such as
    ``subsidiary_id=0310`` keeps it; keys that are no contract column are dropped
    like any extra column.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path
        self._files: dict[str, Path] = {}
        self._dirs: dict[str, list[Path]] = {}
        for p in sorted(path.iterdir()):
            suffix = p.suffix.lower()
            wanted = suffix == ".parquet" or (suffix == ".csv" and p.stem not in self._files)
            if wanted and p.is_file():
                self._files[p.stem] = p
            elif p.is_dir() and not p.name.startswith((".", "_")):
                parts = _parquet_parts(p)
                if parts:
                    self._dirs[p.name] = parts
        for name in list(self._dirs):
            stored = self._files.get(name)
            if stored is not None and stored.suffix.lower() == ".parquet":
                del self._dirs[name]  # <table>.parquet wins over <table>/
            elif stored is not None:
                del self._files[name]  # <table>/ (parquet) wins over <table>.csv
        self._csv: dict[str, pl.DataFrame] = {}

    def tables(self) -> list[str]:
        return sorted([*self._files, *self._dirs])

    def _file(self, table: str) -> Path:
        try:
            return self._files[table]
        except KeyError:
            raise BadInputError(table, None, MSG_TABLE_MISSING) from None

    def scan_raw(self, table: str) -> pl.LazyFrame:
        if table in self._dirs:
            return _scan_parquet_dir(self.path / table, self._dirs[table])
        path = self._file(table)
        if path.suffix.lower() == ".parquet":
            return pl.scan_parquet(path)
        if table not in self._csv:
            # Everything as text: ids like "31" must stay strings, and type errors
            # are then counted per value instead of failing the whole read.
            self._csv[table] = pl.read_csv(path, infer_schema=False, encoding="utf8")
        return self._csv[table].lazy()

    def in_memory(self, table: str) -> bool:
        return table not in self._dirs and self._file(table).suffix.lower() == ".csv"

    def input_files(self) -> dict[str, Path]:
        out = {t: p for t, p in self._files.items() if t in TABLES}
        for t, parts in self._dirs.items():
            if t in TABLES:
                out.update({p.relative_to(self.path).as_posix(): p for p in parts})
        return out

    def describe(self) -> str:
        kinds = [p.suffix.lower().lstrip(".") for p in self._files.values()]
        counts = [f"{kinds.count(k)} {k}" for k in ("parquet", "csv") if k in kinds]
        if self._dirs:
            n = sum(len(v) for v in self._dirs.values())
            counts.append(f"{len(self._dirs)} parquet directories of {n} files")
        return f"directory {self.path} ({', '.join(counts) or 'no tables'})"


def _parquet_parts(folder: Path) -> list[Path]:
    """Every ``*.parquet`` file below ``folder`` (any depth), hidden ones excluded."""
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def _hive_keys(folder: Path, parts: Sequence[Path]) -> list[str]:
    """Partition keys named by ``key=value`` path segments, in path order."""
    keys: dict[str, None] = {}
    for p in parts:
        for seg in p.relative_to(folder).parts[:-1]:
            if "=" in seg:
                keys.setdefault(seg.split("=", 1)[0], None)
    return list(keys)


def _scan_parquet_dir(folder: Path, parts: Sequence[Path]) -> pl.LazyFrame:
    keys = _hive_keys(folder, parts)
    if not keys:
        return pl.scan_parquet(list(parts), hive_partitioning=False)
    # Keys as text: the validator types them like any stored text column.
    return pl.scan_parquet(
        list(parts),
        hive_partitioning=True,
        hive_schema={k: pl.String for k in keys},
        try_parse_hive_dates=False,
    )
