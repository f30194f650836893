"""Run a period's report: papermill over the analysis notebooks → one published folder.

:func:`run_report` only assembles. It validates the source once, then executes
``notebooks/<analysis>.ipynb`` for each analysis with
:func:`papermill.execute_notebook` in this process, with the parameters of the
notebook protocol: ``source``, ``period``, ``out_dir`` (``.parts/<analysis>`` of
a staging folder), ``validate_source=False`` and every declared parameter of the
analysis (defaults, or the values of a parameters file,
:mod:`workbench.report.parameters`). Each notebook saves its result there
(:func:`workbench.analysis.save_result`: findings, metrics, parameters and the
tables its package lists in ``PUBLISHED``); the runner gathers those files,
renders the HTML and the dashboard, writes the manifest, and publishes
``out/<period>/`` with one ``os.rename`` of the staging folder. Nothing is
published unless every notebook succeeded and every output was written:

* a failed notebook → :class:`ReportError` naming the analysis and the failing
  cell's error; the executed notebooks go to ``out/.failed/<period>-<UTC>/``;
* a cell over the time limit (``CellTimeoutError``) or a dead kernel raise
  different errors than a failing cell, and papermill still saves the notebook
  with every cell marked "completed". The runner records each notebook's status
  itself and also requires the files the notebook must save: a notebook that
  "succeeded" without saving them has failed;
* an existing ``out/<period>/`` is refused unless ``replace=True``, which moves
  it to ``out/.superseded/<period>-<UTC>/`` in the publish step; it stays in the
  hash chain (:mod:`workbench.report.chain`);
* a second run of the same period while one is running is refused at once
  (``out/.locks/<period>.lock``, an exclusive ``flock`` the kernel releases if
  the run dies); appending to the chain is serialised by ``out/.locks/chain.lock``;
* every file is scanned for personal data (:mod:`workbench.report.privacy`)
  before anything is published; a hit fails the run.

Every analysis of :data:`workbench.contract.ANALYSES` runs on every source. The
marketing analysis reads the optional tables of contract v1.1: on a source without
all three it saves ``evaluated: false`` and no findings (its report, its dashboard
panel and the progress line say it was not evaluated; the other analyses are
reported as usual), and a source with only some of them is bad input (the one
validation names the missing tables; nothing runs). Freshness and ``--period
latest`` read only the tables the contract's freshness rule names, so a source
without the optional tables is fresh or not exactly as before.

Besides the contract's outputs, a report holds ``metrics.json`` (the dashboard's
numbers: each analysis's own metrics plus counts of the findings,
:mod:`workbench.report.headlines`) and ``worklists/<subsidiary_id>.xlsx`` +
``worklists/group.xlsx``, the remediation worklists
(:mod:`workbench.report.worklists`; a subsidiary's workbook includes its
customers owed a refund when the pricing analysis published ``refunds``; a
marketing row names the message's recipient or the requester, looked up in the
source by :mod:`workbench.report._recipients`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import saved_files, write_json
from workbench.contract import ANALYSES
from workbench.findings import FINDINGS_FILE, csv_safe, read_findings
from workbench.freshness import (
    DEFAULT_REGISTRY_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    check_ended,
)
from workbench.labels import ANALYSIS_TITLES, DEFAULT_LANG, check_lang
from workbench.periods import Period, parse_period
from workbench.report import chain
from workbench.report import manifest as mf
from workbench.report._inputs import (  # noqa: F401 - re-exported, patched by tests
    ReportError,
    ValidSource,
    _latest,
    _password_out_of_band,
    _validate_source,
    resolve_source,
)
from workbench.report._saved import (  # noqa: F401 - CONTRACT_TABLES re-exported
    CONTRACT_TABLES,
    analysis_package,
    gather,
    not_evaluated,
    publish_tables,
)
from workbench.report.staging import STAGING_PREFIX

NOTEBOOKS_ENV = "WORKBENCH_NOTEBOOKS"
KERNEL_NAME = "python3"
FINDINGS_CSV = "findings.csv"
DASHBOARD_FILE = "dashboard.html"
FAILED_DIR = chain.FAILED_DIR
SUPERSEDED_DIR = chain.SUPERSEDED_DIR

Progress = Callable[[str], None]


@dataclass
class NotebookRun:
    """What happened to one notebook (recorded by the runner, not by papermill)."""

    analysis: str
    status: str = "pending"  # ok | failed | timeout | dead_kernel | no_output
    seconds: float = 0.0
    findings: int | None = None
    error: str | None = None

    def manifest_entry(self) -> dict[str, Any]:
        """Its ``analyses.<analysis>`` entry in the manifest."""
        return {"status": self.status, "seconds": round(self.seconds, 1), "findings": self.findings}


def default_notebooks_dir() -> Path:
    """``$WORKBENCH_NOTEBOOKS`` or the checkout's ``notebooks/`` next to the package."""
    env = os.environ.get(NOTEBOOKS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import workbench

    return Path(workbench.__file__).resolve().parent.parent / "notebooks"


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _unique(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _kernel_manager_class(log_path: Path) -> type:
    """Nbclient's kernel manager, adjusted: CurveZMQ transport encryption when
    available (ipykernel otherwise warns about plain TCP on every start), and the
    kernel process's own stdout/stderr (its log, not cell output) go to
    ``log_path`` instead of the terminal. A class, not an instance: nbclient only
    shuts down kernels of managers it created itself.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    encryption = "auto" if zmq.has("curve") else "disabled"

    class WorkbenchKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport_encryption", encryption)
            super().__init__(**kwargs)

        async def start_kernel(self, **kwargs: Any) -> None:
            with open(log_path, "ab") as log:  # the child keeps its own copy
                kwargs.setdefault("stdout", log)
                kwargs.setdefault("stderr", log)
                await super().start_kernel(**kwargs)

    return WorkbenchKernelManager


def _execute(
    analysis: str,
    notebook: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    published: tuple[str, ...],
    kernel_name: str,
    timeout_s: int,
    cwd: Path,
    log_path: Path,
) -> NotebookRun:
    """Execute one notebook; never raises for notebook problems, records them."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    run = NotebookRun(analysis)
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=kernel_name,
            kernel_manager_class=_kernel_manager_class(log_path),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,  # else a timed-out notebook is never saved
            execution_timeout=timeout_s,
            cwd=str(cwd),
        )
    except pm.PapermillExecutionError as exc:
        run.status = "failed"
        run.error = f"cell In[{exc.exec_count}] raised {exc.ename}: {exc.evalue}"
    except CellTimeoutError:
        run.status = "timeout"
        run.error = f"a cell ran longer than the execution timeout of {timeout_s} s"
    except DeadKernelError as exc:
        run.status = "dead_kernel"
        run.error = f"the kernel died: {exc}"
    except Exception as exc:  # noqa: BLE001 - any other failure is this notebook's failure
        run.status = "failed"
        run.error = f"{type(exc).__name__}: {exc}"
    else:
        run.status = "ok"
    run.seconds = time.perf_counter() - started
    if run.status != "ok":
        return run

    # papermill returned normally; the notebook must also have saved its outputs.
    missing = [p.name for p in saved_files(parameters["out_dir"], published) if not p.is_file()]
    if missing:
        run.status = "no_output"
        run.error = f"the notebook finished but did not write {', '.join(missing)}"
        return run
    try:
        run.findings = read_findings(Path(parameters["out_dir"]) / FINDINGS_FILE).height
    except Exception as exc:  # noqa: BLE001
        run.status = "no_output"
        run.error = f"the findings it wrote do not follow the contract: {exc}"
    return run


def _owner_and_group_only(folder: Path) -> None:
    """Folders 0750 and files 0640 under ``folder`` (itself included)."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o750 if path.is_dir() else 0o640)


def _fail(out: Path, staging: Path, period: Period, message: str) -> None:
    """Keep the executed notebooks for inspection, drop staging, raise."""
    notebooks = sorted(staging.glob("*.ipynb")) if staging.exists() else []
    notebooks += sorted((staging / ".parts").glob("*.kernel.log")) if notebooks else []
    where = ""
    if notebooks:
        failed = _unique(out / FAILED_DIR / f"{period.label}-{_utc_stamp()}")
        try:  # best effort: on a full disk keeping them must not hide the real error
            failed.mkdir(parents=True)
            for nb in notebooks:
                shutil.move(str(nb), failed / nb.name)
            (failed / "error.txt").write_text(message + "\n", encoding="utf-8")
            where = f"\nexecuted notebooks kept in {failed}"
        except OSError as exc:
            where = f"\nthe executed notebooks could not be kept ({exc.strerror or exc})"
    shutil.rmtree(staging, ignore_errors=True)
    raise ReportError(f"{message}{where}\nnothing was published")


@dataclass(frozen=True)
class _Run:
    """One report run's settings, fixed before anything runs."""

    src: str
    source: ValidSource
    period: Period
    out: Path
    final: Path
    analyses: list[str]
    parameters: dict[str, dict[str, Any]]
    notebooks_dir: Path
    replace: bool
    timeout_s: int
    kernel_name: str
    lang: str
    say: Progress
    started: float
    world_readable: bool = False

    def manifest_parameters(self) -> dict[str, Any]:
        return {
            "source": self.src,
            "period": self.period.label,
            "analyses": self.analyses,
            "analysis_parameters": self.parameters,
            "timeout_s": self.timeout_s,
            "kernel": self.kernel_name,
            "lang": self.lang,
        }


def _checked_parameters(
    parameters: Mapping[str, Mapping[str, Any]] | str | Path | None, analyses: Sequence[str]
) -> dict[str, dict[str, Any]]:
    from workbench.config import ConfigError
    from workbench.report.parameters import check_parameters, read_parameters

    try:
        if isinstance(parameters, str | Path):
            return read_parameters(parameters, analyses)
        return check_parameters(parameters, analyses, where="<run_report parameters>")
    except ConfigError as exc:
        raise ReportError(f"{exc}; nothing was run") from exc


def run_report(
    source: str | Path,
    period: str,
    out: Path,
    *,
    replace: bool = False,
    analyses: Sequence[str] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | str | Path | None = None,
    progress: Progress | None = None,
    timeout_s: int = 900,
    notebooks_dir: Path | None = None,
    kernel_name: str = KERNEL_NAME,
    lang: str = DEFAULT_LANG,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
    registry_days: int = DEFAULT_REGISTRY_DAYS,
    world_readable: bool = False,
) -> Path:
    """Render the report of ``period`` from ``source`` into ``out/<period>/``.

    Parameters
    ----------
    source
        A source directory or database URI (see the data contract).
    period
        A period name understood by :func:`workbench.periods.parse_period`, or
        ``latest``: the latest ended quarter the source is fresh for
        (:func:`workbench.freshness.latest_period`).
    out
        The reports folder; the report is published as ``out/<period label>/``.
    replace
        Replace an existing report of the period (the old one is kept in
        ``out/.superseded/``).
    analyses
        A subset of :data:`workbench.contract.ANALYSES` (default: all).
    parameters
        Values of the analyses' declared parameters, analysis → {name: value}, or
        the path of a YAML file holding them (:mod:`workbench.report.parameters`);
        checked before anything runs, passed to the notebooks and recorded in the
        manifest. Default: every declared default.
    progress
        Called with one line per step, e.g. ``[2/4] pricing … ok (12.3 s, 41 findings)``.
    timeout_s
        Execution time limit per notebook cell, in seconds.
    notebooks_dir
        Where ``<analysis>.ipynb`` live (default :func:`default_notebooks_dir`).
    kernel_name
        The Jupyter kernel the notebooks run in.
    lang
        A language of :data:`workbench.labels.LANGS` (default ``zh``): the
        language of the dashboard, the worklists and the summaries added to each
        report; recorded in the manifest's parameters.
    tolerance_days, registry_days
        Freshness (contract v1.1): the period must have ended in Asia/Shanghai, and
        the orders / complaints an analysis reads must reach its end less
        ``tolerance_days``, the latest registry extract its end less
        ``registry_days`` (:mod:`workbench.freshness`); otherwise nothing is run.
    world_readable
        By default the published folder is readable by its owner and group only
        (folders 0750, files 0640): evidence about named customers is not for every
        account on the machine.

    Returns
    -------
    Path
        The published folder.

    Raises
    ------
    ReportError
        Bad period, parameters or input, a failed notebook, an existing report,
        another run of the period in progress, or personal data in an export;
        nothing is published and an existing report is left untouched.
    """
    started = time.perf_counter()
    try:
        if period.strip() == "latest":
            p = _latest(source, analyses or ANALYSES, tolerance_days=tolerance_days,
                        registry_days=registry_days)
        else:
            p = parse_period(period)
        check_ended(p)
        check_lang(lang)
    except ValueError as exc:
        raise ReportError(str(exc)) from exc
    chosen = list(dict.fromkeys(analyses or ANALYSES))
    unknown = [a for a in chosen if a not in ANALYSES]
    if unknown:
        raise ReportError(f"unknown analyses {unknown}; choose from {list(ANALYSES)}")
    checked = _checked_parameters(parameters, chosen)
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    missing_nb = [a for a in chosen if not (nb_dir / f"{a}.ipynb").is_file()]
    if missing_nb:
        raise ReportError(f"no notebook for {missing_nb} in {nb_dir}")

    out = Path(out).expanduser().resolve()
    final = out / p.label
    if final.exists() and not replace:
        raise ReportError(f"{final} already exists; pass replace=True (--replace) to replace it")
    say = progress or (lambda line: None)
    with _password_out_of_band(resolve_source(source)) as src:
        valid = _validate_source(src, p, chosen, tolerance_days=tolerance_days,
                                 registry_days=registry_days)  # read-only: never touches `out`
        say(f"source ok: {src} ({len(valid.input_files)} input files)")
        run = _Run(src, valid, p, out, final, chosen, checked, nb_dir, replace, timeout_s,
                   kernel_name, lang, say, started, world_readable)
        try:
            out.mkdir(parents=True, exist_ok=True)
            with chain.period_lock(out, p.label):
                return _run_locked(run)
        except chain.LockedError as exc:
            raise ReportError(
                f"another run of {p.label} is in progress, not starting: {exc}") from exc
        except chain.UnsafeLockError as exc:
            raise ReportError(str(exc)) from exc
        except OSError as exc:  # a file in the way, a read-only mount, a full disk
            raise ReportError(
                f"cannot write the report under {out}: {exc.strerror or exc} "
                f"({type(exc).__name__}); nothing was published") from exc


def _run_notebooks(run: _Run, staging: Path) -> list[NotebookRun]:
    """Each notebook in turn, saving into ``.parts/<analysis>``; the source was
    validated once already, so the notebooks do not validate it again.
    """
    parts = staging / ".parts"
    runs: list[NotebookRun] = []
    for i, analysis in enumerate(run.analyses, 1):
        params = {
            "source": run.src,
            "period": run.period.label,
            "out_dir": str(parts / analysis),
            "validate_source": False,
            "lang": run.lang,
            **run.parameters[analysis],
        }
        result = _execute(
            analysis,
            run.notebooks_dir / f"{analysis}.ipynb",
            staging / f"{analysis}.ipynb",
            params,
            published=tuple(analysis_package(analysis).PUBLISHED),
            kernel_name=run.kernel_name,
            timeout_s=run.timeout_s,
            cwd=run.notebooks_dir,
            log_path=parts / f"{analysis}.kernel.log",
        )
        runs.append(result)
        detail = f"{result.findings} findings" if result.status == "ok" else result.error
        if result.status == "ok":
            detail += not_evaluated(parts / analysis)
        run.say(f"[{i}/{len(run.analyses)}] {analysis} … {result.status} "
                f"({result.seconds:.1f} s, {detail})")
        if result.status != "ok":  # fail fast: nothing will be published anyway
            skipped = run.analyses[i:]
            if skipped:
                run.say(f"not run after the failure: {', '.join(skipped)}")
            break
    return runs


def _assemble(run: _Run, staging: Path) -> pl.DataFrame:
    """Every output of the report from what the notebooks saved; returns the findings."""
    from workbench.report import headlines
    from workbench.report._recipients import recipients
    from workbench.report.dashboard import write_dashboard
    from workbench.report.render import render_notebook
    from workbench.report.worklists import REFUNDS_TABLE, WORKLISTS_DIR, write_worklists

    p, chosen, parts = run.period, run.analyses, staging / ".parts"
    findings, saved_metrics = gather(parts, chosen)
    findings.write_parquet(staging / FINDINGS_FILE)
    csv_safe(findings).write_csv(staging / FINDINGS_CSV, include_bom=True)
    publish_tables(parts, chosen, staging)
    for analysis in chosen:
        render_notebook(
            staging / f"{analysis}.ipynb", staging / f"{analysis}.html",
            title=f"{ANALYSIS_TITLES[run.lang].get(analysis, analysis)} · {p.label}",
            findings=findings, analysis=analysis,
            period=p.label, lang=run.lang, metrics=saved_metrics.get(analysis),
            parameters=run.parameters.get(analysis),
        )
    subs = run.source.subsidiaries
    refunds_file = staging / f"{REFUNDS_TABLE}.parquet"  # the pricing refund list, if published
    refunds = pl.read_parquet(refunds_file) if refunds_file.is_file() else None
    who = recipients(run.src, findings)  # the customers of message and request findings
    write_worklists(findings, subs, staging / WORKLISTS_DIR, p, analyses=chosen, lang=run.lang,
                    refunds=refunds, customers=who)
    names = dict(zip(subs["subsidiary_id"].to_list(), subs["name"].to_list(), strict=True))
    metrics = headlines.compute_metrics(findings, p, chosen, saved_metrics, names=names,
                                        customers=who)
    write_json(metrics, staging / headlines.METRICS_FILE)
    write_dashboard(metrics, p, chosen, staging / DASHBOARD_FILE,
                    history=headlines.history(run.out, p, metrics), lang=run.lang, worklists=True)
    return findings


def _run_locked(run: _Run) -> Path:
    from workbench.report import privacy

    p, out, final = run.period, run.out, run.final
    if final.exists() and not run.replace:  # another run may have published it meanwhile
        raise ReportError(f"{final} already exists; pass replace=True (--replace) to replace it")
    staging = out / f"{STAGING_PREFIX}{p.label}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / ".parts").mkdir(parents=True)
    try:
        runs = _run_notebooks(run, staging)
        failures = [r for r in runs if r.status != "ok"]
        if failures:
            _fail(out, staging, p, "; ".join(
                f"{r.analysis} notebook {r.status}: {r.error}" for r in failures))
        try:
            findings = _assemble(run, staging)
        except Exception as exc:  # noqa: BLE001 - keep the notebooks, publish nothing
            _fail(out, staging, p, f"assembling the outputs failed: {exc}")
        shutil.rmtree(staging / ".parts")
        changed = run.source.changed_inputs()
        if changed:  # the manifest must vouch only for what the notebooks analysed
            _fail(out, staging, p, "inputs changed during the run: " + "; ".join(changed))
        try:
            privacy.assert_clean(staging, privacy.personal_values(run.src))
        except privacy.PrivacyError as exc:
            _fail(out, staging, p, f"the privacy check failed: {exc}")
        run.say("privacy check ok: no phone numbers, ID-card numbers, emails, addresses or names")

        def make_manifest(**link: Any) -> dict[str, Any]:
            return mf.build_manifest(
                period=p, parameters=run.manifest_parameters(), source_uri=run.src,
                input_files=run.source.input_entries or run.source.input_files,
                folder=staging,
                analyses={r.analysis: r.manifest_entry() for r in runs}, **link,
            )

        if not run.world_readable:
            _owner_and_group_only(staging)
        try:
            superseded = chain.publish(out, staging, final, make_manifest, replace=run.replace)
        except (OSError, ValueError) as exc:
            raise ReportError(f"could not publish {final}: {exc}; nothing was published") from exc
        if not run.world_readable:
            _owner_and_group_only(final)  # the manifest, written by publish, too
        if superseded is not None:
            run.say(f"previous report moved to {superseded} (kept in the chain)")
        run.say(f"{len(findings)} findings, {time.perf_counter() - run.started:.1f} s in all")
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
