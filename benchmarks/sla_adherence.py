"""Benchmark: SLA clocks + adherence on synthetic complaints (default 1 million).

    .venv/bin/python benchmarks/sla_adherence.py [--complaints 1000000] [--source data/samples]
        [--risk] [--hindsight]

Synthetic complaints are received uniformly over 2026-Q3 with about eight events
each (acknowledgement, decision, a progress update every two days, an occasional
customer wait, resolution, closure, some after the period end; a few per cent late); they
are generated with numpy in a few seconds and kept in memory. Timed: ``judge`` (every clock),
``record_checks``
(missing_record) and the adherence tables, i.e. what ``analyze`` does before the
risk model. ``--source`` times the same on a contract source (e.g. the small sample).

``--risk`` also times the breach-risk model (``fit_breach_risk``: landmark rows of at
most 40,000 sampled complaints, two grouped-fold calibrated fits, scoring every open
complaint) and prints its out-of-time metrics. ``--hindsight`` (with ``--source``, a
source whose events run at least 28 days past the period) prints the hindsight
validation: the model fitted before the period on every landmark of it, and the
report's flags against the outcomes (and the generator's ground truth when the source
has one).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import polars as pl

from workbench.periods import parse_period
from workbench.sla import adherence, adherence_by_dimension, judge, load_policy, record_checks
from workbench.sla._findings import acceptance_breach, ack_breach, resolution_breach, update_gap
from workbench.workdays import WorkCalendar

PERIOD = parse_period("2026-Q3")


def synthetic(n: int, seed: int = 0) -> dict[str, pl.LazyFrame]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-07-01T00:00:00", "s").astype(np.int64)
    span = 92 * 86400
    received = start + rng.integers(0, span, n)
    sev = rng.choice(np.array(["critical", "high", "medium", "low"]), n, p=[0.05, 0.2, 0.45, 0.3])
    ack_lim = (
        np.select([sev == "critical", sev == "high", sev == "medium"], [24, 24, 48], 72) * 3600
    )
    h = 3600
    # ~4 % of acknowledgements late; decisions within 5 days; resolution within 14 days
    # for most; a progress update every 2 days while open; ~15 % wait for the customer.
    ack = received + (rng.uniform(0.05, 1.04, n) * ack_lim).astype(np.int64)
    dec = ack + rng.integers(1 * h, 5 * 24 * h, n)
    res = dec + rng.integers(2 * h, 9 * 24 * h, n)
    res = np.where(rng.random(n) < 0.03, res + 6 * 24 * h, res)
    clo = res + rng.integers(1 * h, 48 * h, n)
    wait = rng.random(n) < 0.15
    w_at = dec + (res - dec) // 4
    r_at = w_at + rng.integers(1 * h, 48 * h, n)
    # progress updates every 2 days from receipt until resolution (up to 10 per complaint)
    k = np.arange(1, 11)
    upd = received[:, None] + k[None, :] * 2 * 24 * h
    keep = upd < res[:, None]
    upd_ids = np.repeat(np.arange(n), keep.sum(axis=1))
    upd_at = upd[keep]
    ids = np.char.add("C", np.arange(n).astype(str)).astype(object)
    parts = [(ack, "acknowledged"), (dec, "accepted"), (res, "resolved"), (clo, "closed")]
    ev_id = [ids] * len(parts) + [ids[wait], ids[wait], ids[upd_ids]]
    ev_at = [p[0] for p in parts] + [w_at[wait], r_at[wait], upd_at]
    ev_ev = [np.full(n, p[1], dtype=object) for p in parts] + [
        np.full(wait.sum(), "waiting_customer", dtype=object),
        np.full(wait.sum(), "resumed", dtype=object),
        np.full(len(upd_at), "progress_update", dtype=object),
    ]
    events = pl.DataFrame(
        {
            "complaint_id": pl.Series(np.concatenate(ev_id), dtype=pl.String),
            "at": pl.Series(
                np.concatenate(ev_at).astype("datetime64[s]").astype("datetime64[us]")
            ).cast(pl.Datetime("us")),
            "event": pl.Series(np.concatenate(ev_ev), dtype=pl.String),
        }
    )
    complaints = pl.DataFrame(
        {
            "complaint_id": pl.Series(ids, dtype=pl.String),
            "customer_id": pl.Series(ids, dtype=pl.String),
            "subsidiary_id": rng.choice(
                np.array(["0310", "0110", "0440", "0330", "0510", "0420"]), n
            ),
            "channel": rng.choice(
                np.array(["hotline", "app", "web", "email", "store", "regulator"]), n
            ),
            "category": rng.choice(
                np.array(["quality", "delivery", "billing", "service", "privacy", "pricing"]), n
            ),
            "severity": sev,
            "received_at": pl.Series(
                received.astype("datetime64[s]").astype("datetime64[us]")
            ).cast(pl.Datetime("us")),
        }
    )

    def ts(x: np.ndarray) -> pl.Series:
        return pl.Series(x.astype("datetime64[s]").astype("datetime64[us]")).cast(pl.Datetime("us"))

    complaints = complaints.with_columns(
        acknowledged_at=ts(ack),
        accepted_at=ts(dec),
        resolved_at=ts(res),
        closed_at=ts(clo),
        status=pl.lit("closed"),
        root_cause=pl.lit(None, pl.String),
        satisfaction=pl.lit(None, pl.Int64),
    )
    return {"complaints": complaints.lazy(), "complaint_events": events.lazy()}


def run(frames: dict[str, pl.LazyFrame], label: str) -> pl.DataFrame:
    policy, calendar = load_policy(), WorkCalendar.official()
    t0 = time.perf_counter()
    clocks = judge(
        frames["complaints"], frames["complaint_events"], PERIOD, policy=policy, calendar=calendar
    )
    t1 = time.perf_counter()
    problems = record_checks(frames["complaints"], frames["complaint_events"], PERIOD)
    t2 = time.perf_counter()
    adherence_by_dimension(clocks)
    adherence(clocks, "subsidiary_id")
    raw = pl.concat(
        [
            rule(clocks, policy)
            for rule in (ack_breach, acceptance_breach, resolution_breach, update_gap)
        ],
        how="diagonal_relaxed",
    )
    t3 = time.perf_counter()
    n_events = frames["complaint_events"].select(pl.len()).collect().item()
    print(
        f"{label}: {clocks['complaint_id'].n_unique():,} complaints, {n_events:,} events, "
        f"{clocks.height:,} clocks; judge {t1 - t0:.2f} s, record checks {t2 - t1:.2f} s, "
        f"adherence+findings {t3 - t2:.2f} s, total {t3 - t0:.2f} s; "
        f"{raw.height:,} breach findings, {problems.height:,} record problems"
    )
    return clocks


def run_risk(frames: dict[str, pl.LazyFrame], clocks: pl.DataFrame, source: str | None,
             hindsight: bool) -> None:
    """Time the breach-risk model; optionally validate it in hindsight."""
    from workbench.sla._risk import fit_breach_risk

    policy, calendar = load_policy(), WorkCalendar.official()
    t0 = time.perf_counter()
    model = fit_breach_risk(frames["complaints"], frames["complaint_events"], PERIOD, clocks,
                            policy=policy, calendar=calendar)
    wall = time.perf_counter() - t0
    flags = 0 if model.threshold is None else int(
        (model.scores["probability"] >= model.threshold).sum())
    print(f"risk model {wall:.2f} s; {model.scores.height:,} scored, {flags:,} flagged")
    print(json.dumps(model.metrics, default=str))
    print(model.reliability)
    if hindsight:
        from workbench.sla._risk_validate import hindsight as validate

        truth_path = Path(source or "") / "ground_truth.json"
        truth = (json.loads(truth_path.read_text(encoding="utf-8"))["rules"]["breach_risk"]
                 ["entity_ids"] if truth_path.is_file() else None)
        h = validate(frames["complaints"], frames["complaint_events"], PERIOD, model,
                     policy=policy, calendar=calendar, truth_ids=truth)
        print("hindsight:", json.dumps(h.metrics, default=str))
        print(h.reliability)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--complaints", type=int, default=1_000_000)
    ap.add_argument("--source", default=None)
    ap.add_argument("--risk", action="store_true", help="also time the breach-risk model")
    ap.add_argument("--hindsight", action="store_true",
                    help="with --risk: validate it with the events after the period")
    args = ap.parse_args()
    if args.source:
        from workbench import sources

        frames = sources.load(args.source, tables=("complaints", "complaint_events"))
        clocks = run(frames, args.source)
        if args.risk:
            run_risk(frames, clocks, args.source, args.hindsight)
        return
    t = time.perf_counter()
    frames = synthetic(args.complaints)
    frames = {k: v.collect().lazy() for k, v in frames.items()}
    print(f"generated {args.complaints:,} complaints in {time.perf_counter() - t:.1f} s")
    clocks = run(frames, "synthetic")
    if args.risk:
        run_risk(frames, clocks, None, False)


if __name__ == "__main__":
    main()
