"""Assemble the sample: generate every table, write it, and compute its ground truth."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow.parquet as pq

from workbench.contract import TABLES
from workbench.periods import parse_period
from workbench.samples import _config as C
from workbench.samples._complaints import make_complaints
from workbench.samples._marketing import make_marketing
from workbench.samples._registry import make_registry
from workbench.samples._simulate import simulate
from workbench.samples._truth import ground_truth
from workbench.samples._world import make_customers, make_plan, make_promotions, make_skus

Format = Literal["parquet", "csv"]
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S"
CSV_DATE = "%Y-%m-%d"
GROUND_TRUTH_FILE = "ground_truth.json"
BAD_SCALE = "scale {scale!r} is not one of tiny, small, medium, large"
BAD_FORMAT = "fmt {fmt!r} is not one of parquet, csv"


def conform(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Exactly the contract's columns, in order, with the contract's dtypes."""
    schema = TABLES[name].schema
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


def _write(df: pl.DataFrame, path: Path, fmt: Format) -> None:
    if fmt == "parquet":
        df.write_parquet(path, compression="zstd", statistics=True)
    else:
        df.write_csv(path, datetime_format=CSV_DATETIME, date_format=CSV_DATE)


class _OrdersWriter:
    """Streams monthly order chunks into one file: a parquet row group or CSV block each."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path, self.fmt, self.rows = path, fmt, 0
        self._pq: pq.ParquetWriter | None = None
        self._csv = open(path, "wb") if fmt == "csv" else None  # noqa: SIM115 - closed in close()

    def __call__(self, chunk: pl.DataFrame) -> None:
        chunk = conform("orders", chunk)
        self.rows += chunk.height
        if self.fmt == "csv":
            assert self._csv is not None
            chunk.write_csv(
                self._csv,
                include_header=self.rows == chunk.height,
                datetime_format=CSV_DATETIME,
                date_format=CSV_DATE,
            )
            return
        table = chunk.to_arrow()
        if self._pq is None:
            self._pq = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._pq.write_table(table)

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._csv is not None:
            self._csv.close()


def scan(folder: Path, name: str, fmt: Format) -> pl.LazyFrame:
    """Read a written table back lazily with its contract schema."""
    path = folder / f"{name}.{fmt}"
    if fmt == "parquet":
        return pl.scan_parquet(path)
    return pl.scan_csv(path, schema=TABLES[name].schema)


def _refuse_foreign(target: Path) -> None:
    """Refuse to write into a non-empty folder that an earlier ``generate`` did not
    write (it has no ground truth of ours): ``--out`` pointed at a real source would
    have its tables replaced by generated ones.
    """
    if not target.exists():
        return
    if not target.is_dir():
        raise ValueError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return
    truth = target / GROUND_TRUTH_FILE
    try:
        ours = {"seed", "scale", "rules"} <= set(json.loads(truth.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        ours = False
    if not ours:
        raise ValueError(
            f"{target} is not empty and was not written by `workbench samples` (no sample "
            f"{GROUND_TRUTH_FILE} in it); refusing to replace its tables — choose an empty "
            "or new folder")


def generate(
    out: str | os.PathLike[str],
    *,
    seed: int = 7,
    scale: Literal["tiny", "small", "medium", "large"] = "small",
    clean: bool = False,
    fmt: Literal["parquet", "csv"] = "parquet",
) -> dict[str, Any]:
    """Write a deterministic sample source to ``out`` and return its ground truth."""
    if scale not in C.SCALES:
        raise ValueError(BAD_SCALE.format(scale=scale))
    if fmt not in ("parquet", "csv"):
        raise ValueError(BAD_FORMAT.format(fmt=fmt))
    started = time.perf_counter()
    size = C.SCALES[scale]
    period = parse_period(C.REFERENCE_PERIOD)
    target = Path(out)
    _refuse_foreign(target)
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        cust = make_customers(seed, size.customers, clean)
        skus = make_skus(seed, size.skus)
        promos = make_promotions(seed, skus)
        plan = make_plan(seed, cust, skus, clean)
        registry = make_registry(seed, cust, clean)
        cust.uscc = registry.uscc
        writer = _OrdersWriter(tmp / f"orders.{fmt}", fmt)
        try:
            sim = simulate(seed, cust, skus, promos, plan, size.orders, clean, writer)
        finally:
            writer.close()
        comp = make_complaints(seed, cust, size.complaints, clean, period)
        customers = cust.frame()
        mkt = make_marketing(seed, customers, clean)  # own random stream, after the rest

        policy_rows = list(C.TIERS) + ([] if clean else [C.UNPUBLISHED_TIER])
        benefit_rows = list(C.BENEFITS) + ([] if clean else list(C.UNPUBLISHED_TIER_BENEFITS))
        tables: dict[str, pl.DataFrame] = {
            "subsidiaries": pl.DataFrame(
                [(s[0], s[1], s[2]) for s in C.SUBSIDIARIES],
                schema=["subsidiary_id", "name", "province"],
                orient="row",
            ),
            "customers": customers,
            "tier_policy": pl.DataFrame(
                [
                    (t, r, s, o, m, d, None if t == C.UNPUBLISHED_TIER[0] else C.POLICY_PUBLISHED)
                    for t, r, s, o, m, d in policy_rows
                ],
                schema={
                    "tier": pl.String,
                    "rank": pl.Int64,
                    "min_spend_12m": pl.Float64,
                    "min_orders_12m": pl.Int64,
                    "min_tenure_months": pl.Int64,
                    "review_cycle_days": pl.Int64,
                    "published_at": pl.Date,
                },
                orient="row",
            ),
            "tier_benefits": pl.DataFrame(
                benefit_rows,
                schema={
                    "tier": pl.String,
                    "benefit_type": pl.String,
                    "value": pl.Float64,
                    "published": pl.Boolean,
                },
                orient="row",
            ),
            "tier_assignments": sim.assignments,
            "benefit_grants": sim.grants,
            "promotions": promos.frame,
            "complaints": comp.complaints,
            "complaint_events": comp.events,
            "registry_snapshots": registry.snapshots,
            "registry_events": registry.events,
            "receivables": registry.receivables,
            "marketing_messages": mkt.messages,
            "consents": mkt.consents,
            "privacy_requests": mkt.requests,
        }
        row_counts: dict[str, int] = {}
        for name in TABLES:
            if name == "orders":
                row_counts[name] = writer.rows
                continue
            df = conform(name, tables[name])
            _write(df, tmp / f"{name}.{fmt}", fmt)
            row_counts[name] = df.height
        lazy = {name: scan(tmp, name, fmt) for name in TABLES}
        truth = ground_truth(
            lazy,
            seed=seed,
            scale=scale,
            clean=clean,
            row_counts=row_counts,
            plan=plan,
            skus=skus,
            comp=comp,
            registry=registry,
            marketing=mkt,
        )
        (tmp / GROUND_TRUTH_FILE).write_text(
            json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        # Publish: move every file in, then drop tables of the other format.
        other = "csv" if fmt == "parquet" else "parquet"
        for f in sorted(tmp.iterdir()):
            os.replace(f, target / f.name)
        for name in TABLES:
            stale = target / f"{name}.{other}"
            if stale.exists():
                stale.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    truth["generation_seconds"] = round(time.perf_counter() - started, 2)
    return truth
