"""Run a period's report: papermill over the analysis notebooks → one published folder.

:func:`run_report` validates the source once, executes ``notebooks/<analysis>.ipynb``
for each analysis with :func:`papermill.execute_notebook` in this process, gathers
the findings, renders the HTML and the dashboard, writes the manifest, and
publishes ``out/<period>/`` with one ``os.rename`` of a staging folder. Nothing
is published unless every notebook succeeded and every output was written:

* a failed notebook → :class:`ReportError` naming the analysis and the failing
  cell's error; the executed notebooks go to ``out/.failed/<period>-<UTC>/``;
* a cell over the time limit (``CellTimeoutError``) or a dead kernel raise
  different errors than a failing cell, and papermill still saves the notebook
  with every cell marked "completed". The runner records each notebook's status
  itself and also requires the findings file the notebook must write: a notebook
  that "succeeded" without writing it has failed;
* an existing ``out/<period>/`` is refused unless ``replace=True``, which moves
  it to ``out/.superseded/<period>-<UTC>/`` in the publish step; it stays in the
  hash chain (:mod:`workbench.report.chain`);
* a second run of the same period while one is running is refused at once
  (``out/.locks/<period>.lock``, an exclusive ``flock`` the kernel releases if
  the run dies); appending to the chain is serialised by ``out/.locks/chain.lock``;
* every file is scanned for personal data (:mod:`workbench.report.privacy`)
  before anything is published; a hit fails the run.

Besides the contract's outputs, a report holds ``metrics.json`` (the dashboard's
numbers) and ``worklists/<subsidiary_id>.xlsx`` + ``worklists/group.xlsx``, the
remediation worklists (:mod:`workbench.report.worklists`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA
from workbench.findings import FINDINGS_FILE, read_findings, validate_findings
from workbench.periods import Period, parse_period
from workbench.report import chain
from workbench.report import manifest as mf

NOTEBOOKS_ENV = "WORKBENCH_NOTEBOOKS"
KERNEL_NAME = "python3"
CREDIT_GRADES_FILE = "credit_grades.parquet"
FINDINGS_CSV = "findings.csv"
DASHBOARD_FILE = "dashboard.html"
STAGING_PREFIX = ".staging-"
FAILED_DIR = chain.FAILED_DIR
SUPERSEDED_DIR = chain.SUPERSEDED_DIR
LANGS = ("zh", "en")

Progress = Callable[[str], None]


class ReportError(Exception):
    """The report could not be produced; nothing was published."""


@dataclass
class NotebookRun:
    """What happened to one notebook (recorded by the runner, not by papermill)."""

    analysis: str
    status: str = "pending"  # ok | failed | timeout | dead_kernel | no_output
    seconds: float = 0.0
    findings: int | None = None
    error: str | None = None

    def manifest_entry(self) -> dict[str, Any]:
        return {"status": self.status, "seconds": round(self.seconds, 1), "findings": self.findings}


def default_notebooks_dir() -> Path:
    """``$WORKBENCH_NOTEBOOKS`` or the checkout's ``notebooks/`` next to the package."""
    env = os.environ.get(NOTEBOOKS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import workbench

    return Path(workbench.__file__).resolve().parent.parent / "notebooks"


def resolve_source(source: str | Path) -> str:
    """A database URI as given, or the absolute path of a source directory."""
    text = str(source)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise ReportError(f"source {text!r} does not exist")
    return str(path)


@contextlib.contextmanager
def _password_out_of_band(src: str) -> Iterator[str]:
    """Yield ``src`` without its password; meanwhile the password is in ``PGPASSWORD``.

    A password written into a PostgreSQL URI would otherwise be copied into every
    notebook's injected parameters, the manifest and the progress lines of a report
    meant for a regulator. libpq reads ``PGPASSWORD`` in this process and in the
    notebook kernels, which inherit the environment.
    """
    from workbench.sources import split_password

    if "://" not in src:
        yield src
        return
    bare, password = split_password(src)
    if password is None:
        yield src
        return
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = password
    try:
        yield bare
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _unique(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _validate_source(source: str) -> dict[str, Path]:
    """Load and validate every contract table once; return the input files."""
    from workbench.sources import ContractError, load, open_source

    try:
        load(source)
        return {k: Path(v) for k, v in open_source(source).input_files().items()}
    except ContractError as exc:
        raise ReportError(f"source {source} is not valid input, nothing was run:\n{exc}") from exc
    except (OSError, ValueError) as exc:
        raise ReportError(f"source {source} could not be read: {exc}") from exc


def _load_frames(source: str) -> dict[str, pl.LazyFrame]:
    """The validated contract frames, for the headline metrics' denominators."""
    from workbench.sources import ContractError, load

    try:
        return load(source)
    except ContractError as exc:
        raise ReportError(f"source {source} is not valid input, nothing was run:\n{exc}") from exc
    except (OSError, ValueError) as exc:
        raise ReportError(f"source {source} could not be read: {exc}") from exc


def _kernel_manager_class(log_path: Path) -> type:
    """nbclient's kernel manager, adjusted: CurveZMQ transport encryption when
    available (ipykernel otherwise warns about plain TCP on every start), and the
    kernel process's own stdout/stderr (its log, not cell output) go to
    ``log_path`` instead of the terminal. A class, not an instance: nbclient only
    shuts down kernels of managers it created itself."""
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
    parameters: dict[str, str],
    *,
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

    # papermill returned normally; the notebook must also have written its outputs.
    required = [Path(parameters["findings_out"])]
    if "credit_grades_out" in parameters:
        required.append(Path(parameters["credit_grades_out"]))
    missing = [p.name for p in required if not p.is_file()]
    if missing:
        run.status = "no_output"
        run.error = f"the notebook finished but did not write {', '.join(missing)}"
        return run
    try:
        run.findings = read_findings(required[0]).height
    except Exception as exc:  # noqa: BLE001
        run.status = "no_output"
        run.error = f"the findings it wrote do not follow the contract: {exc}"
    return run


def _gather_findings(parts: Path, analyses: Sequence[str]) -> pl.DataFrame:
    frames = [read_findings(parts / f"{a}.findings.parquet") for a in analyses]
    df = validate_findings(pl.concat(frames, how="vertical"))
    bad = df.filter(~pl.col("analysis").is_in(list(analyses)))
    if bad.height:
        raise ReportError(
            f"{bad.height} findings name an analysis that did not write them, "
            f"e.g. {bad['analysis'].unique().head(3).to_list()}"
        )
    return df.sort("analysis", "rule", "entity_id", "finding_id", nulls_last=True)


def _credit_grades(parts: Path, analyses: Sequence[str]) -> pl.DataFrame:
    if "credit" not in analyses:
        return pl.DataFrame(schema=CREDIT_GRADES_SCHEMA)
    df = pl.read_parquet(parts / CREDIT_GRADES_FILE)
    missing = [c for c in CREDIT_GRADES_SCHEMA if c not in df.columns]
    if missing:
        raise ReportError(f"credit_grades written by the credit notebook lack columns {missing}")
    return df.select(list(CREDIT_GRADES_SCHEMA)).cast(CREDIT_GRADES_SCHEMA)  # type: ignore[arg-type]


def _fail(out: Path, staging: Path, period: Period, message: str) -> None:
    """Keep the executed notebooks for inspection, drop staging, raise."""
    notebooks = sorted(staging.glob("*.ipynb")) if staging.exists() else []
    notebooks += sorted((staging / ".parts").glob("*.kernel.log")) if notebooks else []
    where = ""
    if notebooks:
        failed = _unique(out / FAILED_DIR / f"{period.label}-{_utc_stamp()}")
        failed.mkdir(parents=True)
        for nb in notebooks:
            shutil.move(str(nb), failed / nb.name)
        (failed / "error.txt").write_text(message + "\n", encoding="utf-8")
        where = f"\nexecuted notebooks kept in {failed}"
    shutil.rmtree(staging, ignore_errors=True)
    raise ReportError(f"{message}{where}\nnothing was published")


def run_report(
    source: str | Path,
    period: str,
    out: Path,
    *,
    replace: bool = False,
    analyses: Sequence[str] | None = None,
    progress: Progress | None = None,
    timeout_s: int = 900,
    notebooks_dir: Path | None = None,
    kernel_name: str = KERNEL_NAME,
    lang: str = "zh",
) -> Path:
    """Render the report of ``period`` from ``source`` into ``out/<period>/``.

    Parameters
    ----------
    source
        A source directory or database URI (see the data contract).
    period
        A period name understood by :func:`workbench.periods.parse_period`.
    out
        The reports folder; the report is published as ``out/<period label>/``.
    replace
        Replace an existing report of the period (the old one is kept in
        ``out/.superseded/``).
    analyses
        A subset of ``tiering``, ``pricing``, ``sla``, ``credit`` (default: all).
    progress
        Called with one line per step, e.g. ``[2/4] pricing … ok (12.3 s, 41 findings)``.
    timeout_s
        Execution time limit per notebook cell, in seconds.
    notebooks_dir
        Where ``<analysis>.ipynb`` live (default :func:`default_notebooks_dir`).
    lang
        ``zh`` (default) or ``en``: the language of the dashboard and of the
        summaries added to each report; recorded in the manifest's parameters.

    Returns
    -------
    Path
        The published folder.

    Raises
    ------
    ReportError
        Bad period, bad input, a failed notebook, an existing report, another run
        of the period in progress, or personal data in an export; nothing is
        published and an existing report is left untouched.
    """
    say = progress or (lambda line: None)
    started = time.perf_counter()
    try:
        p = parse_period(period)
    except ValueError as exc:
        raise ReportError(str(exc)) from exc
    if lang not in LANGS:
        raise ReportError(f"lang must be one of {list(LANGS)}, not {lang!r}")
    chosen = list(dict.fromkeys(analyses or ANALYSES))
    unknown = [a for a in chosen if a not in ANALYSES]
    if unknown:
        raise ReportError(f"unknown analyses {unknown}; choose from {list(ANALYSES)}")
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    missing_nb = [a for a in chosen if not (nb_dir / f"{a}.ipynb").is_file()]
    if missing_nb:
        raise ReportError(f"no notebook for {missing_nb} in {nb_dir}")

    out = Path(out).expanduser().resolve()
    final = out / p.label
    if final.exists() and not replace:
        raise ReportError(f"{final} already exists; pass replace=True (--replace) to replace it")
    with _password_out_of_band(resolve_source(source)) as src:
        input_files = _validate_source(src)  # read-only: bad input never touches `out`
        say(f"source ok: {src} ({len(input_files)} input files)")
        out.mkdir(parents=True, exist_ok=True)
        try:
            lock = chain.period_lock(out, p.label)
            lock.__enter__()
        except chain.LockedError as exc:
            raise ReportError(f"another run of {p.label} is in progress, not starting: {exc}") from exc
        try:
            return _run_locked(
                src, input_files, p, out, final, chosen, nb_dir, say=say, started=started, replace=replace,
                timeout_s=timeout_s, kernel_name=kernel_name, lang=lang,
            )
        finally:
            lock.__exit__(None, None, None)


def _run_locked(
    src: str, input_files: dict[str, Path], p: Period, out: Path, final: Path, chosen: list[str], nb_dir: Path, *,
    say: Progress, started: float, replace: bool, timeout_s: int, kernel_name: str, lang: str,
) -> Path:
    if final.exists() and not replace:  # another run may have published it meanwhile
        raise ReportError(f"{final} already exists; pass replace=True (--replace) to replace it")

    staging = out / f"{STAGING_PREFIX}{p.label}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    parts = staging / ".parts"
    parts.mkdir(parents=True)
    runs: list[NotebookRun] = []
    try:
        for i, analysis in enumerate(chosen, 1):
            params = {
                "source": src,
                "period": p.label,
                "findings_out": str(parts / f"{analysis}.findings.parquet"),
            }
            if analysis == "credit":
                params["credit_grades_out"] = str(parts / CREDIT_GRADES_FILE)
            run = _execute(
                analysis,
                nb_dir / f"{analysis}.ipynb",
                staging / f"{analysis}.ipynb",
                params,
                kernel_name=kernel_name,
                timeout_s=timeout_s,
                cwd=nb_dir,
                log_path=parts / f"{analysis}.kernel.log",
            )
            runs.append(run)
            detail = f"{run.findings} findings" if run.status == "ok" else run.error
            say(f"[{i}/{len(chosen)}] {analysis} … {run.status} ({run.seconds:.1f} s, {detail})")
        failures = [r for r in runs if r.status != "ok"]
        if failures:
            _fail(
                out,
                staging,
                p,
                "report failed: "
                + "; ".join(f"{r.analysis} notebook {r.status}: {r.error}" for r in failures),
            )

        from workbench.report import headlines, privacy
        from workbench.report.dashboard import write_dashboard
        from workbench.report.render import render_notebook
        from workbench.report.worklists import WORKLISTS_DIR, write_worklists

        try:
            findings = _gather_findings(parts, chosen)
            findings.write_parquet(staging / FINDINGS_FILE)
            findings.write_csv(staging / FINDINGS_CSV, include_bom=True)
            grades = _credit_grades(parts, chosen)
            grades.write_parquet(staging / CREDIT_GRADES_FILE)
            for analysis in chosen:
                render_notebook(
                    staging / f"{analysis}.ipynb",
                    staging / f"{analysis}.html",
                    title=f"{analysis} · {p.label}",
                    findings=findings,
                    analysis=analysis,
                    period=p.label,
                    lang=lang,
                )
            frames = _load_frames(src)
            write_worklists(findings, frames["subsidiaries"].collect(), staging / WORKLISTS_DIR, p,
                            analyses=chosen, lang=lang)
            metrics = headlines.compute_metrics(findings, grades, frames, p, chosen)
            headlines.write_metrics(metrics, staging / headlines.METRICS_FILE)
            write_dashboard(
                metrics, p, chosen, staging / DASHBOARD_FILE,
                history=headlines.history(out, p, metrics), lang=lang, worklists=True,
            )
        except Exception as exc:  # noqa: BLE001 - keep the notebooks, publish nothing
            _fail(out, staging, p, f"report failed while assembling the outputs: {exc}")
        shutil.rmtree(parts)
        try:
            privacy.assert_clean(staging, privacy.personal_values(src))
        except privacy.PrivacyError as exc:
            _fail(out, staging, p, f"report failed the privacy check: {exc}")
        say("privacy check ok: no phone numbers, ID-card numbers, emails, addresses or names")

        def make_manifest(**link: Any) -> dict[str, Any]:
            return mf.build_manifest(
                period=p,
                parameters={
                    "source": src,
                    "period": p.label,
                    "analyses": chosen,
                    "timeout_s": timeout_s,
                    "kernel": kernel_name,
                    "lang": lang,
                },
                source_uri=src,
                input_files=input_files,
                folder=staging,
                analyses={r.analysis: r.manifest_entry() for r in runs},
                **link,
            )

        try:
            superseded = chain.publish(out, staging, final, make_manifest, replace=replace)
        except (OSError, ValueError) as exc:
            raise ReportError(f"could not publish {final}: {exc}; nothing was published") from exc
        if superseded is not None:
            say(f"previous report moved to {superseded} (kept in the chain)")
        say(f"{len(findings)} findings, {time.perf_counter() - started:.1f} s in all")
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
