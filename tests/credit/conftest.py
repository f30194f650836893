"""Fixtures for the credit tests: hand-made contract frames and generated samples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from workbench.contract import TABLES

D = dt.date


def frame(name: str, rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A contract table from row dicts (missing nullable columns are null)."""
    schema = TABLES[name].schema
    cols = {c: [r.get(c) for r in rows] for c in schema}
    return pl.DataFrame(cols, schema=schema).lazy()


def snap(uscc: str, day: dt.date, status: str = "active", **kw: Any) -> dict[str, Any]:
    row = {
        "snapshot_date": day,
        "uscc": uscc,
        "name": f"{uscc[-4:]}有限公司",
        "status": status,
        "established_date": D(2015, 3, 1),
        "registered_capital_cny": 1_000_000.0,
        "last_annual_report_year": 2025,
    }
    row.update(kw)
    return row


def event(uscc: str, day: dt.date, kind: str, **kw: Any) -> dict[str, Any]:
    return {"uscc": uscc, "event_date": day, "event_type": kind, **kw}


def perturb_from(frames: dict[str, pl.LazyFrame], day: dt.date) -> dict[str, pl.LazyFrame]:
    """Every row dated on or after ``day`` changed: payments from ``day`` on erased,
    invoices issued from it on made bad, new late customers, invoices and events.
    """
    rec = frames["receivables"].collect()
    rec = rec.with_columns(
        pl.when(pl.col("paid_at") >= day).then(None).otherwise(pl.col("paid_at")).alias(
            "paid_at"),
        pl.when(pl.col("issued_at") >= day).then(pl.col("amount_cny") * 7).otherwise(
            pl.col("amount_cny")).alias("amount_cny"),
    )
    first = frames["customers"].collect()["customer_id"].sort()[0]
    extra = pl.DataFrame({
        "invoice_id": ["X1", "X2"], "customer_id": [first, "NEW"], "issued_at": [day, day],
        "due_date": [day, day], "amount_cny": [1e6, 1e6], "paid_at": [None, None],
        "paid_amount_cny": [0.0, 0.0],
    }, schema=rec.schema)
    cust = frames["customers"].collect()
    new = cust.head(1).with_columns(pl.lit("NEW").alias("customer_id"),
                                    pl.lit(day).alias("signup_date"))
    ev = frames["registry_events"].collect()
    uscc = cust["uscc"][0]
    ev_extra = pl.DataFrame({"uscc": [uscc] * 3, "event_date": [day] * 3,
                             "event_type": ["lawsuit", "admin_penalty", "abnormal_list_in"]},
                            schema_overrides={"event_date": pl.Date}).select(
        [pl.col(c) if c in ("uscc", "event_date", "event_type") else pl.lit(None).alias(c)
         for c in ev.columns]).cast(ev.schema)  # type: ignore[arg-type]
    return {**frames, "receivables": pl.concat([rec, extra]).lazy(),
            "customers": pl.concat([cust, new]).lazy(),
            "registry_events": pl.concat([ev, ev_extra]).lazy()}


@pytest.fixture(scope="session")
def rf() -> SimpleNamespace:
    """Row and frame builders for hand-made registry data: ``rf.frame``, ``rf.snap``,
    ``rf.event``, ``rf.D`` (datetime.date) and ``rf.perturb_from`` (every row from a
    date on changed)."""
    return SimpleNamespace(frame=frame, snap=snap, event=event, D=D, perturb_from=perturb_from)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("credit_sample")
    generate(out, seed=7, scale="small")
    return out


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("credit_clean")
    generate(out, seed=7, scale="small", clean=True)
    return out


@pytest.fixture(scope="session")
def sample_result(sample_dir: Path):  # noqa: ANN201
    from workbench import credit, sources

    frames = sources.load(sample_dir, tables=list(credit.TABLES))
    return credit.analyze(frames, "2026-Q3")


@pytest.fixture(scope="session")
def sample_truth(sample_dir: Path) -> dict[str, Any]:
    return json.loads((sample_dir / "ground_truth.json").read_text(encoding="utf-8"))


def history_frames(seed: int, *, signal: bool, n: int = 600) -> dict[str, pl.LazyFrame]:
    """Credit frames with 36 months of receivables (2023-10 … 2026-09) for ``n``
    enterprises, so that features exist at T0 − 12 months of 2026-Q3.

    Each customer has a fixed risk ``r ~ N(0, 1)``; every month it is in distress
    with probability ``sigmoid(−5 + 2·r)`` (``signal``) or ``sigmoid(−4)``
    (clean: the past says nothing about the future). An invoice due in a distress
    month is paid 120–200 days late or never; otherwise 5 days early to 20 late.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = [f"E{i:04d}" for i in range(n)]
    risk = rng.normal(size=n)
    logit = -5.0 + 2.0 * risk if signal else np.full(n, -4.0)
    p = 1 / (1 + np.exp(-logit))
    months = [D(2023 + (9 + k) // 12, (9 + k) % 12 + 1, 1) for k in range(36)]
    rows = []
    for i, cid in enumerate(ids):
        distress = rng.random(36) < p[i]
        for k, issued in enumerate(months):
            due = issued + dt.timedelta(days=30)
            if distress[k]:
                late = None if rng.random() < 0.5 else int(rng.integers(120, 200))
            else:
                late = int(rng.integers(-5, 21))
            paid = None if late is None else due + dt.timedelta(days=late)
            rows.append({
                "invoice_id": f"{cid}-{k:02d}", "customer_id": cid, "issued_at": issued,
                "due_date": due, "amount_cny": 1000.0, "paid_at": paid,
                "paid_amount_cny": 0.0 if paid is None else 1000.0,
            })
    customers = [
        {"customer_id": cid, "subsidiary_id": "S1", "customer_type": "enterprise",
         "uscc": f"U{cid}", "signup_date": D(2021, 1, 1) + dt.timedelta(days=int(i % 700))}
        for i, cid in enumerate(ids)
    ]
    return {
        "customers": frame("customers", customers),
        "receivables": frame("receivables", rows),
        "registry_snapshots": frame("registry_snapshots", []),
        "registry_events": frame("registry_events", []),
    }


@pytest.fixture(scope="session")
def history() -> SimpleNamespace:
    """``history.frames(seed, signal=...)``: credit frames with three years of
    receivables (see :func:`history_frames`)."""
    return SimpleNamespace(frames=history_frames)
