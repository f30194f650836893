"""A table stored as a directory of parquet files (hive partitions included).

The small sample is copied with ``orders`` split into ``orders/year=YYYY/month=MM/``
(written by polars' partitioned sink, the way ``benchmarks`` writes 100M orders) and,
separately, into ``orders/subsidiary_id=XXXX/`` by pyarrow, with the partition
column only in the paths. Both must load, validate and analyse exactly like the
single file, also when every ``collect`` runs on the streaming engine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pyarrow.dataset as ds
import pytest

from workbench.contract import TABLES
from workbench.sources import load, open_source, validate_source

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples"
PERIOD = "2026-Q3"


def _copy_without_orders(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for t in TABLES:
        if t != "orders":
            shutil.copy(SAMPLE / f"{t}.parquet", dest / f"{t}.parquet")
    return dest


@pytest.fixture(scope="module")
def by_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy_without_orders(tmp_path_factory.mktemp("by_month") / "src")
    at = pl.col("ordered_at")
    pl.scan_parquet(SAMPLE / "orders.parquet").sink_parquet(
        pl.PartitionBy(
            root / "orders",
            key={"year": at.dt.year().cast(pl.String), "month": at.dt.strftime("%m")},
            include_key=False,
        ),
        mkdir=True,
    )
    return root


@pytest.fixture(scope="module")
def by_subsidiary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy_without_orders(tmp_path_factory.mktemp("by_subsidiary") / "src")
    ds.write_dataset(
        ds.dataset(SAMPLE / "orders.parquet"),
        root / "orders",
        format="parquet",
        partitioning=["subsidiary_id"],
        partitioning_flavor="hive",
    )
    return root


def _orders(source: Path) -> pl.DataFrame:
    return load(source, tables=["orders"])["orders"].collect().sort("order_id")


def test_month_partitions_load_like_one_file(by_month: Path) -> None:
    src = open_source(by_month)
    assert "orders" in src.tables() and not src.in_memory("orders")
    parts = {k: v for k, v in src.input_files().items() if k.startswith("orders/")}
    assert "orders/year=2026/month=07/00000000.parquet" in parts
    assert all(p.is_file() for p in parts.values())
    assert "parquet directories of" in src.describe()
    report = validate_source(by_month)
    assert report.ok, report.render()
    assert report.row_counts == validate_source(SAMPLE).row_counts
    got = _orders(by_month)
    assert list(got.columns) == list(_orders(SAMPLE).columns)  # year, month dropped
    assert got.equals(_orders(SAMPLE))


def test_partition_column_only_in_paths_stays_a_string(by_subsidiary: Path) -> None:
    stored = open_source(by_subsidiary).scan_raw("orders").collect_schema()
    assert stored["subsidiary_id"] == pl.String  # "0310", not 310
    got = _orders(by_subsidiary)
    assert got.equals(_orders(SAMPLE))
    assert got["subsidiary_id"].str.starts_with("0").all()


def test_partitioned_bad_value_is_reported_with_its_key(tmp_path: Path, by_month: Path) -> None:
    root = tmp_path / "src"
    shutil.copytree(by_month, root)
    part = root / "orders" / "year=2026" / "month=07" / "00000000.parquet"
    df = pl.read_parquet(part)
    df.with_columns(quantity=pl.when(pl.int_range(pl.len()) == 0).then(0)
                    .otherwise("quantity")).write_parquet(part)
    report = validate_source(root)
    bad = [str(p) for p in report.problems]
    assert bad == [f"orders.quantity: 1 row must be > 0 (e.g. {df['order_id'][0]})"]


def test_duplicate_keys_counted_in_hash_buckets(
    tmp_path: Path, by_month: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big file-scanned table counts its keys in passes; same verdict, same text."""
    from workbench.sources import _validate

    root = tmp_path / "src"
    shutil.copytree(by_month, root)
    part = root / "orders" / "year=2026" / "month=08" / "00000000.parquet"
    df = pl.read_parquet(part)
    dupes = pl.read_parquet(root / "orders" / "year=2026" / "month=07" / "00000000.parquet").head(3)
    pl.concat([df, dupes]).write_parquet(part)
    whole = [str(p) for p in validate_source(root).problems]
    monkeypatch.setattr(_validate, "KEYS_PER_BUCKET", 20_000)  # ~150k orders → 8 passes
    bucketed = [str(p) for p in validate_source(root).problems]
    assert bucketed == whole
    assert whole[0].startswith("orders.order_id: 6 rows share a primary key (order_id)")
    assert validate_source(by_month).ok  # and a clean table stays clean when bucketed


@pytest.mark.parametrize("engine", ["auto", "streaming"])
def test_tiering_findings_match_on_partitions(by_month: Path, engine: str) -> None:
    from workbench.tiering import analyze

    want = analyze(load(SAMPLE), PERIOD).findings.sort("finding_id")
    with pl.Config(engine_affinity=engine):
        got = analyze(load(by_month), PERIOD).findings.sort("finding_id")
    assert want.height > 0
    assert got.equals(want)
