"""Benchmark inputs, made on first use under ``benchmarks/data/`` (gitignored).

* ``large/`` — ``workbench.samples.generate(scale="large", seed=7)``: 340k customers,
  ~10.9M orders, 150k complaints (about 45 s here).
* ``medium/`` — the same at ``scale="medium"`` (1.5M orders), for the full report.
* ``sla-1m/`` — 1,000,000 synthetic complaints with ~9 events each over 2026-Q3
  (:func:`benchmarks.sla_adherence.synthetic`), plus the customers and subsidiaries
  they reference, as a contract source (validated like any other).
* ``ooc-<N>/`` — the large source with ``orders`` replicated to N rows (order ids
  suffixed ``~k``; every other column as in the large source) and written as
  hive partitions ``orders/year=YYYY/month=MM/*.parquet`` by polars' streaming
  partitioned sink, so it is never in memory as a whole.
* ``marketing-10m/`` — issue #17's scale input: 10,000,000 marketing messages (all sent
  in 2026-Q3, 200,000 distinct texts), 5,000,000 consents, 2,000,000 customers and
  50,000 privacy requests, written by ``workbench.marketing._synthetic.write_source``
  (seed 17; the other required tables empty), about 30 s.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import polars as pl

from workbench.contract import TABLES

DATA = Path(__file__).resolve().parent / "data"
SEED = 7
DONE = ".complete"  # written last: a half-made folder is made again


def _complete(folder: Path) -> bool:
    return (folder / DONE).is_file()


def _start(folder: Path, what: str | None, say: object) -> float:
    """Clear ``folder`` (a half-made one included) for a fresh build; say what is made."""
    if callable(say) and what:
        say(f"generating {what} into {folder} (first use only) …")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return time.perf_counter()


def _finish(folder: Path, started: float, say: object) -> Path:
    (folder / DONE).write_text(f"{time.perf_counter() - started:.1f} s\n")
    if callable(say):
        say(f"made {folder} in {time.perf_counter() - started:.0f} s")
    return folder


def sample(scale: str, say: object = None) -> Path:
    """``benchmarks/data/<scale>/``, generated with the workbench's generator if missing."""
    from workbench.samples import generate

    folder = DATA / scale
    if _complete(folder):
        return folder
    started = _start(folder, f"the {scale} sample", say)
    generate(folder, seed=SEED, scale=scale)  # type: ignore[arg-type]
    return _finish(folder, started, say)


def sla_1m(n: int = 1_000_000, say: object = None) -> Path:
    """A contract source of ``n`` synthetic complaints (and their customers)."""
    from benchmarks.sla_adherence import synthetic

    folder = DATA / f"sla-{n // 1_000_000}m" if n % 1_000_000 == 0 else DATA / f"sla-{n}"
    if _complete(folder):
        return folder
    started = _start(folder, f"{n:,} synthetic complaints", say)
    frames = {k: v.collect() for k, v in synthetic(n).items()}
    complaints = frames["complaints"]
    subs = complaints.select("subsidiary_id").unique().sort("subsidiary_id")
    subsidiaries = subs.with_columns(
        name=pl.lit("子公司 ") + pl.col("subsidiary_id"),
        province=pl.col("subsidiary_id").str.slice(1, 2),
    )
    customers = complaints.select(
        "customer_id",
        "subsidiary_id",
        customer_type=pl.lit("individual"),
        uscc=pl.lit(None, pl.String),
        signup_date=pl.date(2020, 1, 1),
        province=pl.col("subsidiary_id").str.slice(1, 2),
        gender=pl.lit(None, pl.String),
        birth_year=pl.lit(None, pl.Int64),
    )
    out = {
        "subsidiaries": subsidiaries,
        "customers": customers,
        "complaints": complaints,
        "complaint_events": frames["complaint_events"],
    }
    for name, df in out.items():
        full = df.with_columns(
            pl.lit(None, dtype).alias(c)
            for c, dtype in TABLES[name].schema.items()
            if c not in df.columns
        )
        full.select(list(TABLES[name].schema)).write_parquet(folder / f"{name}.parquet")
    return _finish(folder, started, say)


def out_of_core(n_orders: int, say: object = None) -> Path:
    """The large source with ``orders`` replicated to ``n_orders`` rows, month-partitioned."""
    base = sample("large", say)
    folder = DATA / f"ooc-{n_orders // 1_000_000}m"
    if _complete(folder):
        return folder
    started = _start(folder, None, say)  # announced below, with its size
    for t in TABLES:  # the optional tables only when the base has them
        if t != "orders" and (base / f"{t}.parquet").is_file():
            shutil.copy(base / f"{t}.parquet", folder / f"{t}.parquet")
    orders = pl.scan_parquet(base / "orders.parquet")
    n_base = orders.select(pl.len()).collect().item()
    copies = -(-n_orders // n_base)
    if callable(say):
        say(f"writing {n_orders:,} orders ({copies} copies of {n_base:,}) into {folder}/orders/ …")
    parts = []
    for k in range(copies):
        part = orders if k == 0 else orders.with_columns(pl.col("order_id") + f"~{k}")
        parts.append(part)
    replicated = pl.concat(parts).head(n_orders)
    at = pl.col("ordered_at")
    replicated.sink_parquet(
        pl.PartitionBy(
            folder / "orders",
            key={"year": at.dt.year().cast(pl.String), "month": at.dt.strftime("%m")},
            include_key=False,
            approximate_bytes_per_file=256_000_000,
        ),
        mkdir=True,
        engine="streaming",
    )
    return _finish(folder, started, say)


def marketing(n_messages: int = 10_000_000, say: object = None) -> Path:
    """A contract source of ``n_messages`` marketing messages and half as many consents."""
    from workbench.marketing._synthetic import write_source

    m = n_messages
    folder = DATA / (f"marketing-{m // 1_000_000}m" if m % 1_000_000 == 0 else f"marketing-{m}")
    if _complete(folder):
        return folder
    started = _start(folder, f"{m:,} messages and {m // 2:,} consents", say)
    # 200,000 distinct texts at 10M (campaigns repeat a text); fewer for a small source
    write_source(folder, messages=m, consents=m // 2, texts=max(1, min(200_000, m // 50)))
    return _finish(folder, started, say)


def prepare(kind: str, arg: int | None = None) -> Path:
    """Make one input in a child process (keeps the harness' own memory small) and
    return its folder. ``kind``: a sample scale (``"large"``, ``"medium"``; ``arg``
    unused), ``"sla"`` (``arg`` complaints), ``"ooc"`` (``arg`` orders) or
    ``"marketing"`` (``arg`` messages).
    """
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "benchmarks._data", kind, str(arg or 0)]
    done = subprocess.run(cmd, cwd=DATA.parents[1], stdout=subprocess.PIPE, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])


def _main(argv: list[str]) -> None:
    import sys

    kind, arg = argv[0], int(argv[1])
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    if kind == "sla":
        path = sla_1m(arg or 1_000_000, say)
    elif kind == "ooc":
        path = out_of_core(arg, say)
    elif kind == "marketing":
        path = marketing(arg or 10_000_000, say)
    else:
        path = sample(kind, say)
    print(path)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
