"""``workbench`` command line: validate | samples | report | verify | prune | nbcheck.

The CLI only parses arguments and calls the library; each subcommand's logic lives
in its module so that notebooks, tests and scheduled runs share it. Choices
(analyses, languages, sample scales) come from the library, never from literals here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench.contract import ANALYSES
from workbench.labels import DEFAULT_LANG, LANGS


def _cmd_validate(args: argparse.Namespace) -> int:
    from workbench.sources import validate_source

    report = validate_source(args.source)
    print(report.render())
    return 0 if report.ok else 1


def _cmd_samples(args: argparse.Namespace) -> int:
    from workbench.samples import generate

    try:
        truth = generate(
            Path(args.out), seed=args.seed, scale=args.scale, clean=args.clean, fmt=args.format
        )
    except (ValueError, OSError) as exc:
        print(f"samples failed: {exc}", file=sys.stderr)
        return 1
    counts = truth.get("row_counts", {})
    listed = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"wrote {len(counts)} tables to {args.out}: {listed}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from workbench.report.run import ReportError, run_report

    try:
        folder = run_report(
            args.source,
            args.period,
            Path(args.out),
            replace=args.replace,
            analyses=args.analyses or None,
            parameters=args.parameters,
            progress=lambda line: print(line, flush=True),
            lang=args.lang,
            tolerance_days=args.freshness_days,
            registry_days=args.registry_days,
            world_readable=args.world_readable,
        )
    except ReportError as exc:
        print(f"report failed: {exc}", file=sys.stderr)
        return 1
    print(f"published {folder}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from workbench.report.verify import verify_reports

    anchors = list(args.expect_head or [])
    for path in args.expect_head_file or []:
        try:
            anchors += Path(path).read_text(encoding="utf-8").split()
        except OSError as exc:
            print(f"verify failed: cannot read {path}: {exc}", file=sys.stderr)
            return 1
    if args.recover:
        from workbench.report.chain import chain_lock
        from workbench.report.intent import recover

        if Path(args.reports).is_dir():
            with chain_lock(Path(args.reports)):
                done = recover(Path(args.reports))
            print(done or "no interrupted publish to recover")
    result = verify_reports(Path(args.reports), strict=args.strict, expect_heads=anchors)
    print(result.render())
    return 0 if result.ok else 1


def _cmd_prune(args: argparse.Namespace) -> int:
    from workbench.report.prune import prune_reports

    try:
        result = prune_reports(Path(args.out), args.keep_years, dry_run=args.dry_run)
    except (ValueError, FileNotFoundError) as exc:
        print(f"prune failed: {exc}", file=sys.stderr)
        return 1
    print(result.render())
    return 0


def _cmd_nbcheck(args: argparse.Namespace) -> int:
    """Committed notebooks carry no outputs (executed copies belong in a report
    folder): list the notebooks that have some (exit 1), or strip them in place.
    """
    import nbformat

    found = sorted(p for p in Path(args.folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    dirty = []
    for path in found:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if not any(c.get("outputs") or c.get("execution_count") is not None for c in code):
            continue
        dirty.append(path)
        if args.strip:
            for cell in code:
                cell.outputs = []
                cell.execution_count = None
            nbformat.write(nb, path)
    for path in dirty:
        print(f"stripped {path}" if args.strip else f"has outputs: {path}")
    return 1 if dirty and not args.strip else 0


def build_parser() -> argparse.ArgumentParser:
    """The ``workbench`` argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a source against the data contract")
    p.add_argument("--source", required=True,
                   help="a directory of <table>.parquet|csv or a database URI")
    p.set_defaults(func=_cmd_validate)

    from workbench.samples import SCALES

    p = sub.add_parser("samples", help="generate deterministic sample data with planted violations")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", choices=list(SCALES), default="small")
    p.add_argument("--clean", action="store_true", help="plant no violations")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.set_defaults(func=_cmd_samples)

    p = sub.add_parser("report", help="render a period's evidence report with papermill")
    p.add_argument("--source", required=True)
    p.add_argument("--period", required=True,
                   help="YYYY-Qn, YYYY-MM, YYYY, last-quarter, last-month, or latest (the "
                   "latest ended quarter the source is fresh for)")
    p.add_argument("--out", default="reports")
    p.add_argument("--replace", action="store_true",
                   help="replace an existing report of the period")
    p.add_argument("--analyses", nargs="*", choices=list(ANALYSES))
    p.add_argument("--parameters", "--params", metavar="YAML",
                   help="analysis parameters: a YAML file mapping analysis → {parameter: value}")
    p.add_argument("--world-readable", action="store_true",
                   help="publish readable by every account (default: owner and group only)")
    p.add_argument("--freshness-days", type=int, default=7, metavar="DAYS",
                   help="orders/complaints must reach the period end less DAYS (default 7)")
    p.add_argument("--registry-days", type=int, default=31, metavar="DAYS",
                   help="the latest registry extract must reach the period end less DAYS "
                   "(default 31)")
    p.add_argument("--lang", choices=list(LANGS), default=DEFAULT_LANG,
                   help=f"language of the dashboard and report summaries (default {DEFAULT_LANG})")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("verify", help="re-hash reports and inputs, and check the manifest chain")
    p.add_argument("reports", nargs="?", default="reports")
    p.add_argument("--strict", action="store_true",
                   help="also fail when an input file changed since its report")
    p.add_argument("--recover", action="store_true",
                   help="first finish or roll back an interrupted publish (takes the chain lock)")
    p.add_argument("--expect-head", action="append", metavar="SHA256",
                   help="a head hash printed by an earlier verify and kept elsewhere; it "
                   "must still be in the chain (repeatable)")
    p.add_argument("--expect-head-file", action="append", metavar="FILE",
                   help="a file of such head hashes, one per line (repeatable)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("prune", help="delete reports older than the retention period")
    p.add_argument("--out", default="reports", help="the reports folder")
    p.add_argument("--keep-years", type=int, required=True,
                   help="keep every report whose period ended within this many years")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    p.set_defaults(func=_cmd_prune)

    p = sub.add_parser("nbcheck", help="check that notebooks carry no outputs, or strip them")
    p.add_argument("folder", nargs="?", default="notebooks")
    p.add_argument("--strip", action="store_true", help="strip outputs in place")
    p.set_defaults(func=_cmd_nbcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``workbench`` command with ``argv`` (default: the process's); the exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
