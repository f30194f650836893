"""What is timed: one function per (analysis, implementation), run in a fresh process.

``python -m benchmarks._cases CASE SOURCE`` runs one case and prints one line
``BENCH_RESULT {json}``; the harness measures the process' peak RSS from outside
(``os.wait4``). Inside, ``wall_s`` covers the analysis only, reading the parquet
included; ``validate_s`` is the workbench's contract validation before it (the
baselines validate nothing).

Three implementations per analysis:

``workbench``
    ``workbench.sources.load`` then ``workbench.<analysis>.analyze`` with the
    defaults the report uses (all rules, disparity tests, bootstrap intervals).
``pandas``
    Baseline (a): the headline metric as an analyst would write it without the
    workbench — pandas, then fairlearn ``MetricFrame`` by each audit attribute.
``floor``
    Baseline (b): a bare polars scan + filter + group-by over the same columns with
    no analysis around it; no implementation can read the data faster than this.

Marketing has no (a): its rules judge each message, and there is no group metric
for ``MetricFrame`` to compute; its cases are ``workbench`` and ``floor``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

PERIOD = "2026-Q3"
START, END = dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)
WINDOW_START = dt.datetime(2025, 10, 1)  # trailing 12 months ending with 2026-Q3
AGE_BREAKS = [0, 25, 35, 45, 55, 65, 200]
AGE_LABELS = ["<25", "25-34", "35-44", "45-54", "55-64", "65+"]
TENURE_BREAKS = [-1, 11, 23, 35, 10_000]
TENURE_LABELS = ["0-11m", "12-23m", "24-35m", "36m+"]

Result = dict[str, Any]
CASES: dict[str, Callable[[Path], Result]] = {}


def case(name: str) -> Callable[[Callable[[Path], Result]], Callable[[Path], Result]]:
    def register(fn: Callable[[Path], Result]) -> Callable[[Path], Result]:
        CASES[name] = fn
        return fn

    return register


def table_glob(src: Path, table: str) -> str | Path:
    """The parquet file of a table, or the glob of its partition directory."""
    path = src / f"{table}.parquet"
    return path if path.is_file() else src / table / "**" / "*.parquet"


def rows(src: Path, table: str) -> int:
    return int(pl.scan_parquet(table_glob(src, table)).select(pl.len()).collect().item())


def _timed_workbench(src: Path, module: str, **params: Any) -> Result:
    import importlib

    from workbench.sources import load

    analysis = importlib.import_module(f"workbench.{module}")
    t0 = time.perf_counter()
    frames = load(src, tables=analysis.TABLES)
    t1 = time.perf_counter()
    result = analysis.analyze(frames, PERIOD, **params)
    t2 = time.perf_counter()
    by_rule = result.findings.group_by("rule").len().sort("rule").rows()
    return {"validate_s": t1 - t0, "wall_s": t2 - t1, "findings": dict(by_rule)}


# ---------------------------------------------------------------- pandas helpers
def _bands(df: Any, end: dt.datetime) -> Any:
    import pandas as pd

    signup = pd.to_datetime(df["signup_date"])
    months = (end.year * 12 + end.month) - (signup.dt.year * 12 + signup.dt.month)
    df["tenure_months"] = months - (signup.dt.day > end.day).astype("int64")
    df["tenure_band"] = pd.cut(df["tenure_months"], TENURE_BREAKS, labels=TENURE_LABELS)
    age = (end.year - 1) - df["birth_year"]
    df["age_band"] = pd.cut(age, AGE_BREAKS, labels=AGE_LABELS, right=False)
    return df


def _metric_frames(
    values: Any, groups: Any, attributes: list[str], pairs: bool = True
) -> dict[str, Any]:
    """MetricFrame of the mean (and count) by each attribute (and each pair of them,
    as the workbench's disparity audits do).
    """
    from itertools import combinations

    from fairlearn.metrics import MetricFrame, count

    def mean(y_true: Any, y_pred: Any) -> float:
        return float(y_true.mean())

    out = {}
    sets = [[a] for a in attributes]
    if pairs:
        sets += [list(p) for p in combinations(attributes, 2)]
    for cols in sets:
        mf = MetricFrame(
            metrics={"mean": mean, "n": count},
            y_true=values,
            y_pred=values,
            sensitive_features=groups[cols].astype("string").fillna("(null)"),
        )
        out["&".join(cols)] = (mf.by_group, mf.difference())
    return out


# ----------------------------------------------------------------------- tiering
TIERING_ATTRS = ["gender", "age_band", "province", "customer_type", "subsidiary_id", "tenure_band"]


@case("tiering/workbench")
def tiering_workbench(src: Path) -> Result:
    return {"rows": rows(src, "orders"), **_timed_workbench(src, "tiering")}


@case("tiering/pandas")
def tiering_pandas(src: Path) -> Result:
    """Under-tiered rate by group via MetricFrame on per-customer rows."""
    import numpy as np
    import pandas as pd

    t0 = time.perf_counter()
    o = pd.read_parquet(
        table_glob(src, "orders"),
        columns=["customer_id", "ordered_at", "charged_price", "quantity", "coupon_cny"],
    )
    o = o[(o["ordered_at"] >= WINDOW_START) & (o["ordered_at"] < END)]
    o["value"] = o["charged_price"] * o["quantity"] - o["coupon_cny"]
    act = o.groupby("customer_id").agg(spend=("value", "sum"), n=("value", "size"))
    c = pd.read_parquet(src / "customers.parquet")
    c = c[c["signup_date"] < END.date()].join(act, on="customer_id")
    c[["spend", "n"]] = c[["spend", "n"]].fillna(0)
    c = _bands(c, END)
    policy = pd.read_parquet(src / "tier_policy.parquet")
    policy = policy[policy["published_at"].notna() & (policy["published_at"] < END.date())]
    policy = policy.sort_values("rank", ascending=False)
    meets = [
        (c["spend"] + 0.005 >= t.min_spend_12m)
        & (c["n"] >= t.min_orders_12m)
        & (c["tenure_months"] >= t.min_tenure_months)
        for t in policy.itertuples()
    ]
    lowest = int(policy["rank"].min())
    c["eligible_rank"] = np.select(meets, policy["rank"].to_list(), default=lowest)
    ta = pd.read_parquet(
        src / "tier_assignments.parquet", columns=["customer_id", "tier", "assigned_at"]
    )
    ta = ta[ta["assigned_at"] <= END].reset_index()
    ta = ta.sort_values(["assigned_at", "index"]).groupby("customer_id").tail(1)
    c = c.merge(ta[["customer_id", "tier"]], on="customer_id", how="left")
    rank_of = dict(zip(policy["tier"], policy["rank"], strict=True))
    c["held_rank"] = c["tier"].map(rank_of).fillna(lowest)
    pop = c[c["eligible_rank"] > lowest]
    under = (pop["held_rank"] < pop["eligible_rank"]).astype(float)
    frames = _metric_frames(under, pop, TIERING_ATTRS)
    return {
        "rows": rows(src, "orders"),
        "wall_s": time.perf_counter() - t0,
        "groups": len(frames),
        "overall": float(under.mean()),
    }


@case("tiering/floor")
def tiering_floor(src: Path) -> Result:
    t0 = time.perf_counter()
    out = (
        pl.scan_parquet(table_glob(src, "orders"))
        .filter(pl.col("ordered_at") < END)
        .group_by("customer_id")
        .agg(
            (pl.col("charged_price") * pl.col("quantity") - pl.col("coupon_cny"))
            .filter(pl.col("ordered_at") >= WINDOW_START)
            .sum(),
            (pl.col("ordered_at") >= WINDOW_START).sum(),
        )
        .collect()
    )
    return {"rows": rows(src, "orders"), "wall_s": time.perf_counter() - t0, "groups": out.height}


# ----------------------------------------------------------------------- pricing
PRICING_ATTRS = ["device_os", "channel", "gender", "age_band", "province", "tenure_band", "tier"]


@case("pricing/workbench")
def pricing_workbench(src: Path) -> Result:
    return {"rows": rows(src, "orders"), **_timed_workbench(src, "pricing")}


@case("pricing/workbench-orders")
def pricing_workbench_orders(src: Path) -> Result:
    """The data path alone: every period order priced (tier held at order time,
    published discount, applicable public promotion), its audit attributes joined,
    and the per-order rules (``unexplained_premium``, ``unpublished_promotion``);
    no disparity statistics.
    """
    from workbench.pricing import DEFAULT_TOLERANCE, TABLES, order_findings, order_units
    from workbench.sources import load

    t0 = time.perf_counter()
    frames = load(src, tables=TABLES)
    t1 = time.perf_counter()
    units = order_units(frames, PERIOD)
    raw = order_findings(units, tolerance=DEFAULT_TOLERANCE)
    t2 = time.perf_counter()
    n = {"period_orders": units.height, "order_findings": raw.height}
    return {"rows": rows(src, "orders"), "validate_s": t1 - t0, "wall_s": t2 - t1, **n}


@case("pricing/workbench-metrics")
def pricing_workbench_metrics(src: Path) -> Result:
    """Like for like with (a): the per-order path and the same per-group metrics
    through MetricFrame (on polars aggregates) for every attribute and pair — what
    (a) computes, and no inference (no matched cells, bootstrap, permutations).
    """
    from workbench.attributes import attribute_sets, group_label
    from workbench.pricing import DEFAULT_TOLERANCE, TABLES, order_units
    from workbench.pricing._metricframe import group_metric_frame
    from workbench.sources import load

    t0 = time.perf_counter()
    frames = load(src, tables=TABLES)
    t1 = time.perf_counter()
    units = order_units(frames, PERIOD)
    sets = attribute_sets(PRICING_ATTRS, True)
    names = ["&".join(s) for s in sets]
    labelled = units.with_columns(
        group_label(s).alias(n) for s, n in zip(sets, names, strict=True) if len(s) > 1
    )
    out = group_metric_frame(labelled, names, tolerance=DEFAULT_TOLERANCE)
    t2 = time.perf_counter()
    n = {"period_orders": units.height, "groups": out.height, "attribute_sets": len(sets)}
    return {"rows": rows(src, "orders"), "validate_s": t1 - t0, "wall_s": t2 - t1, **n}


@case("pricing/pandas")
def pricing_pandas(src: Path) -> Result:
    """Mean unexplained premium by group via MetricFrame on the period's order rows."""
    import pandas as pd

    t0 = time.perf_counter()
    o = pd.read_parquet(
        table_glob(src, "orders"),
        columns=[
            *("order_id", "customer_id", "sku", "ordered_at", "channel", "device_os"),
            *("list_price", "charged_price", "quantity", "promo_id"),
        ],
    )
    o = o[(o["ordered_at"] >= START) & (o["ordered_at"] < END)].sort_values("ordered_at")
    ta = pd.read_parquet(
        src / "tier_assignments.parquet", columns=["customer_id", "tier", "assigned_at"]
    )
    ta = ta.sort_values("assigned_at")
    o = pd.merge_asof(o, ta, left_on="ordered_at", right_on="assigned_at", by="customer_id")
    tb = pd.read_parquet(src / "tier_benefits.parquet")
    tb = tb[tb["published"] & (tb["benefit_type"] == "discount_pct")]
    o["tier_pct"] = o["tier"].map(dict(zip(tb["tier"], tb["value"], strict=True))).fillna(0.0)
    pr = pd.read_parquet(src / "promotions.parquet").rename(
        columns={"sku": "promo_sku", "discount_pct": "promo_pct"}
    )
    o = o.merge(pr, on="promo_id", how="left")
    tiers = o["eligible_tiers"].fillna("").str.split(",")
    tier_ok = o["eligible_tiers"].isna() | pd.Series(
        [t in ts for t, ts in zip(o["tier"], tiers, strict=True)], index=o.index
    )
    valid = (
        o["public"].fillna(False).astype(bool)
        & (o["promo_sku"].isna() | (o["promo_sku"] == o["sku"]))
        & (o["starts_at"] <= o["ordered_at"])
        & (o["ordered_at"] <= o["ends_at"])
        & tier_ok
    )
    promo_pct = o["promo_pct"].where(valid, 0.0).fillna(0.0)
    explained = o["list_price"] * (1 - o["tier_pct"] / 100) * (1 - promo_pct / 100)
    premium = o["charged_price"] / explained - 1
    c = _bands(pd.read_parquet(src / "customers.parquet"), END)
    o = o.merge(
        c[["customer_id", "gender", "age_band", "province", "tenure_band"]].rename(
            columns={"province": "customer_province"}
        ),
        on="customer_id",
        how="left",
    )
    o["province"] = o.pop("customer_province")
    frames = _metric_frames(premium.to_numpy(), o, PRICING_ATTRS)
    return {
        "rows": rows(src, "orders"),
        "wall_s": time.perf_counter() - t0,
        "groups": len(frames),
        "period_orders": len(o.index),
    }


@case("pricing/floor")
def pricing_floor(src: Path) -> Result:
    """Baseline (b) for the pricing audit: a bare scan of the tables and columns the
    audit's data path reads — the period's orders, the tier history (as-of join: the
    tier held at order time), the published tier discounts, the promotions and the
    customers — with the joins the explained price needs and one group-by at the
    level of the matched comparison (sku × day × channel cell × device × customer
    province: orders, Σ log premium, Σ log net premium). No validation, no cell ids,
    no audit attributes beyond the raw columns, no statistics.
    """
    t0 = time.perf_counter()
    orders = pl.scan_parquet(table_glob(src, "orders")).filter(
        pl.col("ordered_at").is_between(START, END, closed="left")
    )
    tiers = (
        pl.scan_parquet(src / "tier_assignments.parquet")
        .select("customer_id", "tier", "assigned_at")
        .filter(pl.col("assigned_at") < END)
        .sort("assigned_at")
    )
    discounts = (
        pl.scan_parquet(src / "tier_benefits.parquet")
        .filter(pl.col("published") & (pl.col("benefit_type") == "discount_pct"))
        .group_by("tier")
        .agg(pl.col("value").max().alias("tier_pct"))
    )
    renamed = {"sku": "promo_sku", "discount_pct": "promo_pct", "starts_at": "p_start"}
    promos = pl.scan_parquet(src / "promotions.parquet").rename({**renamed, "ends_at": "p_end"})
    customers = pl.scan_parquet(src / "customers.parquet").select(
        "customer_id", pl.col("province").alias("customer_province")
    )
    valid = (
        pl.col("public").fill_null(False)
        & (pl.col("promo_sku").is_null() | (pl.col("promo_sku") == pl.col("sku")))
        & pl.col("ordered_at").is_between(pl.col("p_start"), pl.col("p_end"))
        & (
            pl.col("eligible_tiers").is_null()
            | pl.col("eligible_tiers").str.contains(pl.col("tier").fill_null("-"), literal=True)
        )
    )
    explained = (
        pl.col("list_price")
        * (1 - pl.col("tier_pct").fill_null(0.0) / 100)
        * (1 - pl.when(valid).then(pl.col("promo_pct")).otherwise(0.0) / 100)
    )
    net = pl.col("charged_price") * pl.col("quantity") - pl.col("coupon_cny")
    out = (
        orders.sort("ordered_at")
        .join_asof(
            tiers,
            left_on="ordered_at",
            right_on="assigned_at",
            by="customer_id",
            check_sortedness=False,
        )
        .join(discounts, on="tier", how="left")
        .join(promos, on="promo_id", how="left")
        .join(customers, on="customer_id", how="left")
        .group_by(
            "sku",
            pl.col("ordered_at").dt.date().alias("day"),
            "channel",
            "device_os",
            "customer_province",
        )
        .agg(
            pl.len(),
            (pl.col("charged_price") / explained).log().sum().alias("log_premium"),
            (net / (explained * pl.col("quantity"))).log().sum().alias("log_net_premium"),
        )
        .collect()
    )
    return {"rows": rows(src, "orders"), "wall_s": time.perf_counter() - t0, "groups": out.height}


@case("pricing/floor-orders")
def pricing_floor_orders(src: Path) -> Result:
    """The earlier floor, kept for reference: 4 order columns of the period, one
    group-by (no tier history, promotions or customers).
    """
    t0 = time.perf_counter()
    out = (
        pl.scan_parquet(table_glob(src, "orders"))
        .filter(pl.col("ordered_at").is_between(START, END, closed="left"))
        .group_by("sku", "device_os")
        .agg((pl.col("charged_price") / pl.col("list_price")).mean(), pl.col("quantity").sum())
        .collect()
    )
    return {"rows": rows(src, "orders"), "wall_s": time.perf_counter() - t0, "groups": out.height}


# --------------------------------------------------------------------------- sla
SLA_ACK_HOURS = {"critical": 24, "high": 24, "medium": 48, "low": 72}


@case("sla/workbench")
def sla_workbench(src: Path) -> Result:
    """Adherence: every clock, breach and record rule, adherence tables and figures,
    recurring causes; without the breach-risk model (timed separately below).
    """
    return {"rows": rows(src, "complaints"), **_timed_workbench(src, "sla", with_risk=False)}


@case("sla/workbench-full")
def sla_workbench_full(src: Path) -> Result:
    """The whole analysis as the report runs it, breach-risk model included."""
    return {"rows": rows(src, "complaints"), **_timed_workbench(src, "sla")}


@case("sla/pandas")
def sla_pandas(src: Path) -> Result:
    """Ack, resolution and update-gap breach rates by group (calendar days only:
    an analyst without the workbench has no working-day clock).
    """
    import pandas as pd

    t0 = time.perf_counter()
    c = pd.read_parquet(src / "complaints.parquet")
    c = c[(c["received_at"] >= START) & (c["received_at"] < END)]
    ack_h = (c["acknowledged_at"].fillna(END) - c["received_at"]).dt.total_seconds() / 3600
    c["ack_breach"] = ack_h > c["severity"].map(SLA_ACK_HOURS).astype(float)
    limit = pd.to_timedelta(c["severity"].map({"critical": 3}).fillna(15), unit="D")
    c["resolution_breach"] = (c["resolved_at"].fillna(END) - c["received_at"]) > limit
    ev = pd.read_parquet(src / "complaint_events.parquet", columns=["complaint_id", "at"])
    ev = pd.concat([ev, c[["complaint_id", "received_at"]].rename(columns={"received_at": "at"})])
    ev = ev.sort_values(["complaint_id", "at"])
    gap = ev.groupby("complaint_id")["at"].diff().dt.total_seconds() / 86400
    worst = gap.groupby(ev["complaint_id"]).max()
    c["update_gap"] = c["complaint_id"].map(worst).fillna(0) > 3
    groups = c[["subsidiary_id", "channel", "severity", "category"]]
    n = 0
    for rule in ("ack_breach", "resolution_breach", "update_gap"):
        n += len(_metric_frames(c[rule].astype(float), groups, list(groups.columns), pairs=False))
    return {"rows": rows(src, "complaints"), "wall_s": time.perf_counter() - t0, "groups": n}


@case("sla/floor")
def sla_floor(src: Path) -> Result:
    t0 = time.perf_counter()
    events, complaints = pl.collect_all(
        [
            pl.scan_parquet(src / "complaint_events.parquet")
            .group_by("complaint_id")
            .agg(pl.col("at").min().alias("first"), pl.col("at").max().alias("last"), pl.len()),
            pl.scan_parquet(src / "complaints.parquet")
            .filter(pl.col("received_at").is_between(START, END, closed="left"))
            .group_by("subsidiary_id", "severity")
            .agg((pl.col("acknowledged_at") - pl.col("received_at")).max()),
        ]
    )
    n = events.height + complaints.height
    return {"rows": rows(src, "complaints"), "wall_s": time.perf_counter() - t0, "groups": n}


# ------------------------------------------------------------------------ report
@case("report/workbench")
def report_workbench(src: Path) -> Result:
    """The whole report (papermill kernels, HTML, dashboard, manifest) via the CLI."""
    import resource
    import shutil
    import subprocess
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="bench-report-"))
    cli = Path(sys.executable).with_name("workbench")
    t0 = time.perf_counter()
    cmd = [str(cli), "report", "--source", str(src), "--period", PERIOD, "--out", str(out)]
    done = subprocess.run([*cmd, "--replace"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode:
        raise RuntimeError(f"report failed ({done.returncode}):\n{done.stderr[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    return {
        "rows": rows(src, "orders"),
        "wall_s": wall,
        "largest_process_mb": peak_kb / 1024,
        "log_tail": done.stdout.strip().splitlines()[-3:],
    }


# ------------------------------------------------------------------- out of core
def _streaming(module: str) -> Callable[[Path], Result]:
    def run(src: Path) -> Result:
        with pl.Config(engine_affinity="streaming"):
            return {"rows": rows(src, "orders"), **_timed_workbench(src, module)}

    return run


CASES["tiering/workbench-streaming"] = _streaming("tiering")
CASES["pricing/workbench-streaming"] = _streaming("pricing")


@case("pricing/workbench-orders-streaming")
def pricing_orders_streaming(src: Path) -> Result:
    """The pricing data path (all period orders priced + per-order rules) on the
    streaming engine; the matched audit after it works on the collected period.
    """
    with pl.Config(engine_affinity="streaming"):
        return pricing_workbench_orders(src)


@case("validate/streaming")
def validate_streaming(src: Path) -> Result:
    """Contract validation of orders (+ parents) alone, on the streaming engine."""
    from workbench.sources import load

    with pl.Config(engine_affinity="streaming"):
        t0 = time.perf_counter()
        load(src, tables=["orders"])
        return {"rows": rows(src, "orders"), "wall_s": time.perf_counter() - t0}


@case("tiering/floor-streaming")
def tiering_floor_streaming(src: Path) -> Result:
    with pl.Config(engine_affinity="streaming"):
        return tiering_floor(src)


# --------------------------------------------------------------------- marketing
@case("marketing/workbench")
def marketing_workbench(src: Path) -> Result:
    """Every rule of the marketing analysis (v1.1 tables; issue #17's 10M messages)."""
    return {"rows": rows(src, "marketing_messages"), **_timed_workbench(src, "marketing")}


@case("marketing/floor")
def marketing_floor(src: Path) -> Result:
    """Baseline (b): the period's messages (every column), their texts hashed and
    grouped, the marketing consents joined as of each send by customer (one as-of
    join, any scope), one group-by per sender × channel × purpose. No text tests.
    """
    t0 = time.perf_counter()
    msgs = pl.scan_parquet(src / "marketing_messages.parquet").filter(
        pl.col("sent_at").is_between(START, END, closed="left")
    )
    consents = (
        pl.scan_parquet(src / "consents.parquet")
        .filter((pl.col("purpose") == "marketing") & (pl.col("granted_at") < END))
        .select("customer_id", "granted_at", "withdrawn_at")
        .sort("granted_at")
    )
    in_force = pl.col("granted_at").is_not_null()  # and not withdrawn by the send
    out = (
        msgs.with_columns(text=pl.col("content").hash())
        .sort("sent_at")
        .join_asof(consents, left_on="sent_at", right_on="granted_at", by="customer_id")
        .group_by("subsidiary_id", "channel", "purpose")
        .agg(
            pl.len(),
            pl.col("text").n_unique(),
            ((pl.col("withdrawn_at") > pl.col("sent_at")).fill_null(True) & in_force)
            .sum()
            .alias("covered"),
        )
        .collect()
    )
    wall = time.perf_counter() - t0
    n = {"groups": out.height, "period_messages": out["len"].sum(), "covered": out["covered"].sum()}
    return {"rows": rows(src, "marketing_messages"), "wall_s": wall, **n}


def peak_rss_mb() -> float:
    """The peak RSS of this process (``VmHWM``: reset by exec, so not inherited from the
    harness) or that of the largest process it waited for, whichever is larger.
    """
    import resource

    own = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1]) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(own, children)


def main(argv: list[str]) -> None:
    name, src = argv[0], Path(argv[1])
    result = CASES[name](src)
    result["peak_mb"] = peak_rss_mb()
    result["threads"] = pl.thread_pool_size()
    result["pid"] = os.getpid()
    print("BENCH_RESULT " + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
