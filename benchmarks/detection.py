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

Options: ``--source DIR``, ``--clean-seeds N``, ``--scale tiny|small``,
``--only tiering pricing …``.
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

from workbench import credit, pricing, sla, sources, tiering  # noqa: E402
from workbench.contract import ANALYSES, RULES  # noqa: E402
from workbench.samples import generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODULES = {"tiering": tiering, "pricing": pricing, "sla": sla, "credit": credit}


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


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.detection", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--source", type=Path, default=REPO / "data" / "samples")
    ap.add_argument("--clean-seeds", type=int, default=0)
    ap.add_argument("--scale", default="small", choices=["tiny", "small"])
    ap.add_argument("--only", nargs="*", default=list(ANALYSES), choices=list(ANALYSES))
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
