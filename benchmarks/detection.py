"""Detection quality against the planted truth: ``python -m benchmarks.detection``.

Runs the four analyses with the report's defaults on a generated source (default:
the committed sample ``data/samples``) for its reference period and scores every
rule against ``ground_truth.json``: planted, found, recall, precision, and the
analysis time. With ``--clean-seeds N`` it also generates ``N`` clean sources
(``--clean``: nothing planted) and counts every finding there — each one is a
false alarm.

``breach_risk`` is predictive: its truth is hindsight (complaints that did breach
after the period end), so its recall and precision measure the model, not a rule.
Results go to ``benchmarks/results/detection-<timestamp>.json``.

With ``--planted-seeds N`` it also generates ``N`` planted sources on fresh seeds
(1001, 1002, …; never the committed sample's 7) and scores every rule on each, with
the totals over the seeds: recall and precision on data no rule was written against.

``marketing`` (contract v1.1, optional tables) is scored like the others: its text
rules' truth is what the generator built, consent and privacy requests are
recomputed by the sample's reference implementation.

Options: ``--source DIR``, ``--clean-seeds N``, ``--planted-seeds N``,
``--scale tiny|small``, ``--only tiering pricing … marketing``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import credit, marketing, pricing, sla, sources, tiering  # noqa: E402
from workbench.contract import ANALYSES, OPTIONAL_TABLES, RULES  # noqa: E402
from workbench.samples import generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODULES = {"tiering": tiering, "pricing": pricing, "sla": sla, "credit": credit,
           "marketing": marketing}
#: Every analysis that can be scored: the report's and those on optional tables.
ALL = tuple(dict.fromkeys((*ANALYSES, *OPTIONAL_TABLES)))
FIRST_PLANTED_SEED = 1001


def run(source: Path, period: str, analyses: list[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """Findings (polars) and seconds per analysis."""
    found: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name in analyses:
        module = MODULES[name]
        frames = sources.load(source, tables=list(module.TABLES))
        t0 = time.perf_counter()
        found[name] = module.analyze(frames, period).findings
        seconds[name] = time.perf_counter() - t0
    return found, seconds


def score(truth: dict[str, Any], found: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for analysis, findings in found.items():
        for rule in (r for r in RULES.values() if r.analysis == analysis):
            expected = set(truth["rules"].get(rule.code, {}).get("entity_ids", []))
            got = set(findings.filter(findings["rule"] == rule.code)["entity_id"].to_list())
            tp = len(expected & got)
            rows.append(
                {
                    "analysis": analysis,
                    "rule": rule.code,
                    "planted": len(expected),
                    "found": len(got),
                    "true_positives": tp,
                    "recall": tp / len(expected) if expected else None,
                    "precision": tp / len(got) if got else None,
                    "missed": sorted(expected - got)[:5],
                    "extra": sorted(got - expected)[:5],
                }
            )
    return rows


def _totals(per_seed: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each rule's planted, found and true positives summed over the seeds."""
    out: dict[str, dict[str, Any]] = {}
    for rows in per_seed:
        for r in rows:
            t = out.setdefault(r["rule"], {"analysis": r["analysis"], "rule": r["rule"],
                                           "planted": 0, "found": 0, "true_positives": 0})
            for k in ("planted", "found", "true_positives"):
                t[k] += r[k]
    for t in out.values():
        t["recall"] = t["true_positives"] / t["planted"] if t["planted"] else None
        t["precision"] = t["true_positives"] / t["found"] if t["found"] else None
    return list(out.values())


def _planted_seeds(n: int, scale: str, only: list[str]) -> dict[str, Any]:
    """Score every rule on ``n`` freshly generated planted sources (seeds 1001, …)."""
    if n <= 0:
        return {}
    per_seed = []
    for seed in range(FIRST_PLANTED_SEED, FIRST_PLANTED_SEED + n):
        with tempfile.TemporaryDirectory() as tmp:
            truth = generate(tmp, seed=seed, scale=scale)
            found, _ = run(Path(tmp), truth["reference_period"], only)
        per_seed.append(score(truth, found))
    totals = _totals(per_seed)
    print(f"planted seeds {FIRST_PLANTED_SEED}..{FIRST_PLANTED_SEED + n - 1} ({scale}), totals:")
    for r in totals:
        print(f"  {r['rule']:28} {r['planted']:>7} {r['found']:>6} {_fmt(r['recall']):>7} "
              f"{_fmt(r['precision']):>9}")
    return {"seeds": list(range(FIRST_PLANTED_SEED, FIRST_PLANTED_SEED + n)), "scale": scale,
            "totals": totals, "per_seed": per_seed}


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.detection", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--source", type=Path, default=REPO / "data" / "samples")
    ap.add_argument("--clean-seeds", type=int, default=0)
    ap.add_argument("--scale", default="small", choices=["tiny", "small"])
    ap.add_argument("--planted-seeds", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=list(ALL), choices=list(ALL))
    args = ap.parse_args(argv)

    truth = json.loads((args.source / "ground_truth.json").read_text(encoding="utf-8"))
    period = truth["reference_period"]
    found, seconds = run(args.source, period, args.only)
    rows = score(truth, found)
    print(f"{args.source} ({truth['scale']}, seed {truth['seed']}), period {period}")
    print(f"{'rule':28} {'planted':>7} {'found':>6} {'recall':>7} {'precision':>9}")
    for r in rows:
        print(
            f"{r['rule']:28} {r['planted']:>7} {r['found']:>6} "
            f"{_fmt(r['recall']):>7} {_fmt(r['precision']):>9}"
        )
    print("analysis seconds: " + ", ".join(f"{a} {s:.1f}" for a, s in seconds.items()))

    clean: list[dict[str, Any]] = []
    for seed in range(1, args.clean_seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            generate(tmp, seed=seed, scale=args.scale, clean=True)
            got, _ = run(Path(tmp), period, args.only)
        counts = {r: 0 for r in (c.code for c in RULES.values() if c.analysis in args.only)}
        for df in got.values():
            for rule, n in df.group_by("rule").len().rows():
                counts[rule] = n
        clean.append({"seed": seed, "findings": counts})
        alarms = {k: v for k, v in counts.items() if v}
        print(
            f"clean seed {seed:>2} ({args.scale}): {sum(counts.values())} findings {alarms or ''}"
        )
    if clean:
        totals = {r: sum(c["findings"][r] for c in clean) for r in clean[0]["findings"]}
        print(
            f"false alarms over {len(clean)} clean seeds: "
            + (", ".join(f"{k} {v}" for k, v in totals.items() if v) or "none")
        )

    planted = _planted_seeds(args.planted_seeds, args.scale, args.only)

    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = out / f"detection-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "source": str(args.source),
                "period": period,
                "rules": rows,
                "seconds": seconds,
                "clean": clean,
                "planted_seeds": planted,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    print(f"results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
