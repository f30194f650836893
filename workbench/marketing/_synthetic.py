"""A large synthetic marketing source for the scale benchmark (``benchmarks/_cases.py``).

``python -m workbench.marketing._synthetic OUT [--messages N] [--consents N]
[--texts N]`` writes a contract source (every table; the marketing ones at scale)
whose ``N`` messages (default 10M) are all sent in 2026-Q3 to ``N / 5`` customers
holding ``--consents`` consents (default 5M) and whose texts are drawn from a bank of
``--texts`` distinct texts (default 200,000: campaigns repeat one text to many
people; ``--texts 0`` makes every text distinct, the worst case for the text rules).
Texts come from the sample's builders (:mod:`workbench.samples._marketing_texts`),
with the same planted mix (unlabelled, no opt-out, absolute terms, service-labelled
advertisements) as the sample; consents and requests are drawn the same way.
Written in a separate process from the one that is timed, so the timed process's peak
memory is the analysis's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl

from workbench.contract import TABLE_NAMES, TABLES

__all__ = ["write_source"]

Q3 = (dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1))
SUBSIDIARIES = ("0310", "0110", "0440", "0330", "0510", "0420")
CHANNELS = ("sms", "app_push", "email", "wechat", "call")


def _bank(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """``n`` texts: (subsidiary, channel, content); 60 % promotions, the sample's mix."""
    from workbench.samples._marketing_texts import commercial_text, service_text

    rows = []
    for _ in range(n):
        sub = SUBSIDIARIES[int(rng.integers(6))]
        ch = CHANNELS[int(rng.choice(5, p=(0.55, 0.2, 0.1, 0.1, 0.05)))]
        if rng.random() < 0.4:
            rows.append((sub, ch, service_text(rng, sub, ch).content, False))
            continue
        label = None if ch == "call" or rng.random() < 0.07 else "start"
        opt = ch != "call" and rng.random() >= 0.06
        b = commercial_text(rng, sub, ch, label=label, opt_out=opt,
                            absolute=rng.random() < 0.05)
        rows.append((sub, ch, b.content, True))
    return pl.DataFrame(rows, schema=["subsidiary_id", "channel", "content", "promo"],
                        orient="row")


def _ts(rng: np.random.Generator, n: int, start: dt.datetime, end: dt.datetime) -> pl.Series:
    lo, hi = (int(x.timestamp()) for x in (start, end))
    return pl.Series((rng.integers(lo, hi, n) * 1_000_000).astype("datetime64[us]"))


def _messages(rng: np.random.Generator, n: int, customers: int, texts: int) -> pl.DataFrame:
    bank = _bank(rng, texts if texts > 0 else 50_000)
    pick = pl.Series(rng.integers(bank.height, size=n))
    df = bank[pick].with_columns(
        message_id=pl.lit("M") + pl.int_range(n).cast(pl.String).str.zfill(9),
        customer_id=pl.lit("C") + pl.Series(rng.integers(customers, size=n)).cast(pl.String)
        .str.zfill(8),
        sent_at=_ts(rng, n, *Q3),
        purpose=pl.when(pl.col("promo") & pl.Series(rng.random(n) < 0.95))
        .then(pl.lit("marketing"))
        .otherwise(pl.when(pl.Series(rng.random(n) < 0.7)).then(pl.lit("service"))
                   .otherwise(pl.lit("transaction"))),
    )
    if texts <= 0:  # every text distinct: an order or coupon number of its own
        df = df.with_columns(content=pl.col("content") + "（编号" + pl.col("message_id") + "）")
    return df.select(list(TABLES["marketing_messages"].schema))


def _consents(rng: np.random.Generator, n: int, customers: int) -> pl.DataFrame:
    cust = rng.integers(customers, size=n)
    kind = rng.choice(4, size=n, p=(0.7, 0.12, 0.08, 0.1))  # group, narrow, profiling, sender
    granted = _ts(rng, n, dt.datetime(2024, 1, 1), dt.datetime(2026, 9, 1))
    withdraw = pl.Series(rng.random(n) < 0.08)
    offset = pl.Series(rng.integers(86_400, 400 * 86_400, n) * 1_000_000).cast(pl.Duration("us"))
    return pl.DataFrame({
        "consent_id": "K" + pl.int_range(n, eager=True).cast(pl.String).str.zfill(9),
        "customer_id": "C" + pl.Series(cust).cast(pl.String).str.zfill(8),
        "subsidiary_id": pl.Series(np.where(kind % 2 == 1, np.array(SUBSIDIARIES)[cust % 6],
                                            None).tolist(), dtype=pl.String),
        "purpose": np.where(kind == 2, "profiling", "marketing"),
        "channel": pl.Series(np.where(kind == 1, "sms", None).tolist(), dtype=pl.String),
        "granted_at": granted,
    }).with_columns(withdrawn_at=pl.when(withdraw).then(pl.col("granted_at") + offset))


def _requests(rng: np.random.Generator, n: int, customers: int) -> pl.DataFrame:
    received = _ts(rng, n, dt.datetime(2026, 5, 1), dt.datetime(2026, 10, 1))
    days = pl.Series(rng.integers(1, 30, n) * 86_400_000_000).cast(pl.Duration("us"))
    done = pl.Series(rng.random(n) < 0.9)
    refused = pl.Series(rng.random(n) < 0.1)
    return pl.DataFrame({
        "request_id": "Q" + pl.int_range(n, eager=True).cast(pl.String).str.zfill(8),
        "customer_id": "C" + pl.Series(rng.integers(customers, size=n)).cast(pl.String)
        .str.zfill(8),
        "subsidiary_id": np.array(SUBSIDIARIES)[rng.integers(6, size=n)],
        "kind": np.array(["access", "copy", "correct", "delete"])[rng.integers(4, size=n)],
        "received_at": received,
    }).with_columns(
        completed_at=pl.when(done).then(pl.col("received_at") + days),
        outcome=pl.when(~done).then(pl.lit("pending")).when(refused).then(pl.lit("refused"))
        .otherwise(pl.lit("done")),
        refusal_reason=pl.when(done & refused & pl.Series(rng.random(n) < 0.7))
        .then(pl.lit("无法核验申请人身份")),
    )


def _reference(customers: int) -> dict[str, pl.DataFrame]:
    subs = pl.DataFrame({"subsidiary_id": list(SUBSIDIARIES),
                         "name": [f"子公司 {s}" for s in SUBSIDIARIES],
                         "province": [s[1:3] for s in SUBSIDIARIES]})
    ids = pl.int_range(customers, eager=True)
    cust = pl.DataFrame({
        "customer_id": "C" + ids.cast(pl.String).str.zfill(8),
        "subsidiary_id": pl.Series(list(SUBSIDIARIES))[ids % 6],
        "customer_type": "individual", "signup_date": dt.date(2023, 1, 1),
    })
    return {"subsidiaries": subs, "customers": cust}


def write_source(out: Path, *, messages: int = 10_000_000, consents: int = 5_000_000,
                 texts: int = 200_000, seed: int = 17) -> Path:
    """Write the synthetic source to ``out`` (other required tables empty)."""
    rng = np.random.default_rng(seed)
    customers = max(1_000, messages // 5)
    out.mkdir(parents=True, exist_ok=True)
    frames = {**_reference(customers),
              "marketing_messages": _messages(rng, messages, customers, texts),
              "consents": _consents(rng, consents, customers),
              "privacy_requests": _requests(rng, max(1_000, messages // 200), customers)}
    for name in (*TABLE_NAMES, "marketing_messages", "consents", "privacy_requests"):
        df = frames.get(name, pl.DataFrame())
        full = df.with_columns(pl.lit(None, dtype).alias(c)
                               for c, dtype in TABLES[name].schema.items() if c not in df.columns)
        full.select(list(TABLES[name].schema)).cast(TABLES[name].schema).write_parquet(
            out / f"{name}.parquet")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: write the source and print its folder."""
    ap = argparse.ArgumentParser(prog="python -m workbench.marketing._synthetic")
    ap.add_argument("out", type=Path)
    ap.add_argument("--messages", type=int, default=10_000_000)
    ap.add_argument("--consents", type=int, default=5_000_000)
    ap.add_argument("--texts", type=int, default=200_000)
    args = ap.parse_args(argv)
    print(write_source(args.out, messages=args.messages, consents=args.consents,
                       texts=args.texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
