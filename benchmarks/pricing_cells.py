"""Which matched cell? ``python -m benchmarks.pricing_cells [--clean-seeds 20]``.

Runs the pricing audit (:func:`workbench.pricing._audit.audit`, the analysis'
defaults otherwise) with each cell design of :data:`DESIGNS` on the committed
sample, on fresh planted seeds and on clean seeds (customer-level price
heterogeneity included, see ``workbench.samples._config.CLEAN_*``), and reports
per design: recall of the planted groups, false group flags, and per planted
group β (all skus), the cross-fitted material effect and the mean per-sku premium
on the planted skus (mutually adjusted, what the group amounts use) against the
planted premium. Results go to ``benchmarks/results/pricing-cells-<timestamp>.json``.
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

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import pricing, sources  # noqa: E402
from workbench.attributes import attribute_sets  # noqa: E402
from workbench.pricing._attributes import DEFAULT_ATTRIBUTES  # noqa: E402
from workbench.pricing._audit import audit  # noqa: E402
from workbench.pricing._estimator import Settings  # noqa: E402
from workbench.pricing._units import order_units  # noqa: E402
from workbench.samples import generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PERIOD = "2026-Q3"
#: name -> (window_days, cell_includes_channel, min_cell_orders)
DESIGNS: dict[str, tuple[int, bool, int]] = {
    "sku×day×channel": (1, True, 2),
    "sku×day": (1, False, 2),
    "sku×ISO week×channel": (7, True, 2),
    "sku×ISO week×channel, ≥3 orders": (7, True, 3),
    "sku×ISO week": (7, False, 2),
    "sku×4 weeks×channel": (28, True, 2),
}


def run_design(source: Path, design: tuple[int, bool, int]) -> dict[str, Any]:
    """Flagged groups, their estimates and the matched share of one audit."""
    window, channel, min_cell = design
    frames = sources.load(source, tables=list(pricing.TABLES))
    t0 = time.perf_counter()
    units = order_units(frames, PERIOD, window_days=window)
    settings = Settings(cell_includes_channel=channel, min_cell_orders=min_cell)
    d = audit(units, attribute_sets(DEFAULT_ATTRIBUTES, True), settings)
    flagged = d.flagged.select("label", "metric", "beta", "ci_low", "ci_high",
                               "material_effect").to_dicts() if d.flagged.height else []
    skus = d.flagged_sku_effects
    for f in flagged:
        f["sku_effects"] = skus.filter(pl.col("label") == f["label"]).select("sku", "beta", "b")
    single = d.groups.filter(pl.col("attribute") == "device_os")
    matched = int(single["n_inf"].sum()) if single.height else 0
    return {"flagged": flagged, "seconds": time.perf_counter() - t0,
            "matched_share_device_os": matched / max(units.height, 1)}


def _planted_view(result: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for g in truth["groups"]["price_disparity"]:
        f = next((x for x in result["flagged"] if x["label"] == g["entity_id"]), None)
        if f is None:
            out[g["entity_id"]] = {"found": False}
            continue
        on = f["sku_effects"].filter(pl.col("sku").is_in(g["skus"]))
        mean = float((on["beta"] * on["b"]).sum() / on["b"].sum()) if on.height else None
        out[g["entity_id"]] = {
            "found": True, "planted": g["effect"], "beta_all_skus": f["beta"],
            "ci": [f["ci_low"], f["ci_high"]], "material_effect": f["material_effect"],
            "premium_on_planted_skus": mean,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.pricing_cells",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--clean-seeds", type=int, default=20)
    ap.add_argument("--planted-seeds", type=int, nargs="*", default=[8, 9])
    ap.add_argument("--designs", nargs="*", default=list(DESIGNS))
    args = ap.parse_args(argv)
    report: dict[str, Any] = {d: {"planted": {}, "clean_flags": {}} for d in args.designs}
    with tempfile.TemporaryDirectory() as tmp:
        sources_: list[tuple[str, Path, bool]] = [("sample", REPO / "data" / "samples", False)]
        for seed in args.planted_seeds:
            folder = Path(tmp) / f"planted-{seed}"
            generate(folder, seed=seed, scale="small")
            sources_.append((f"planted seed {seed}", folder, False))
        for seed in range(1, args.clean_seeds + 1):
            folder = Path(tmp) / f"clean-{seed}"
            generate(folder, seed=seed, scale="small", clean=True)
            sources_.append((f"clean seed {seed}", folder, True))
        for name, folder, clean in sources_:
            truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
            for design in args.designs:
                res = run_design(folder, DESIGNS[design])
                labels = [f"{f['label']} ({f['metric']})" for f in res["flagged"]]
                if clean:
                    report[design]["clean_flags"][name] = labels
                else:
                    report[design]["planted"][name] = {
                        "flagged": labels, "groups": _planted_view(res, truth),
                        "matched_share_device_os": res["matched_share_device_os"],
                    }
                print(f"{design:34} {name:16} {res['seconds']:5.1f} s  flagged {labels}",
                      flush=True)
    print()
    print(f"{'design':34} {'recall':>7} {'extra':>6} {'clean flags':>12}  β / material / "
          "per-sku premium vs planted (sample)")
    for design, r in report.items():
        found = sum(g["found"] for p in r["planted"].values() for g in p["groups"].values())
        total = sum(len(p["groups"]) for p in r["planted"].values())
        extra = sum(len([x for x in p["flagged"]
                         if x.split(" (")[0] not in p["groups"]]) for p in r["planted"].values())
        alarms = sum(len(v) for v in r["clean_flags"].values())
        sample = r["planted"].get("sample", {}).get("groups", {})
        est = "; ".join(
            f"{k} {v['beta_all_skus']:.4f}/{v['material_effect']:.4f}/"
            f"{v['premium_on_planted_skus'] or float('nan'):.4f} vs {v['planted']}"
            if v["found"] else f"{k} missed" for k, v in sample.items())
        r["summary"] = {"recall": found / max(total, 1), "extra_flags": extra,
                        "clean_false_flags": alarms, "clean_seeds": args.clean_seeds}
        print(f"{design:34} {found}/{total:<5} {extra:>6} {alarms:>12}  {est}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = out / f"pricing-cells-{stamp}.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str),
                    encoding="utf-8")
    print(f"results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
