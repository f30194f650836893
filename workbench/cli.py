"""``workbench`` command line: validate | samples | report | verify | prune.

The CLI only parses arguments and calls the library; each subcommand's logic lives
in its module so that notebooks, tests and scheduled runs share it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _cmd_validate(args: argparse.Namespace) -> int:
    from workbench.sources import validate_source

    report = validate_source(args.source)
    print(report.render())
    return 0 if report.ok else 1


def _cmd_samples(args: argparse.Namespace) -> int:
    from workbench.samples import generate

    truth = generate(
        Path(args.out), seed=args.seed, scale=args.scale, clean=args.clean, fmt=args.format
    )
    counts = truth.get("row_counts", {})
    print(f"wrote {len(counts)} tables to {args.out}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
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
            progress=lambda line: print(line, flush=True),
            lang=args.lang,
        )
    except ReportError as exc:
        print(f"report failed: {exc}", file=sys.stderr)
        return 1
    print(f"published {folder}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from workbench.report.verify import verify_reports

    result = verify_reports(Path(args.reports), strict=args.strict)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a source against the data contract")
    p.add_argument("--source", required=True, help="a directory of <table>.parquet|csv or a database URI")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("samples", help="generate deterministic sample data with planted violations")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", choices=["tiny", "small", "medium", "large"], default="small")
    p.add_argument("--clean", action="store_true", help="plant no violations")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.set_defaults(func=_cmd_samples)

    p = sub.add_parser("report", help="render a period's evidence report with papermill")
    p.add_argument("--source", required=True)
    p.add_argument("--period", required=True, help="YYYY-Qn, YYYY-MM, YYYY, last-quarter, last-month")
    p.add_argument("--out", default="reports")
    p.add_argument("--replace", action="store_true", help="replace an existing report of the period")
    p.add_argument("--analyses", nargs="*", choices=["tiering", "pricing", "sla", "credit"])
    p.add_argument("--lang", choices=["zh", "en"], default="zh",
                   help="language of the dashboard and report summaries (default zh)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("verify", help="re-hash reports and inputs, and check the manifest chain")
    p.add_argument("reports", nargs="?", default="reports")
    p.add_argument("--strict", action="store_true",
                   help="also fail when an input file changed since its report")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("prune", help="delete reports older than the retention period")
    p.add_argument("--out", default="reports", help="the reports folder")
    p.add_argument("--keep-years", type=int, required=True,
                   help="keep every report whose period ended within this many years")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    p.set_defaults(func=_cmd_prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
