"""The report runner: staging, atomic publish, replace, failures, timeouts,
parameter files, and headlines taken from what each analysis saved.

The stand-in notebooks come from ``conftest.py``; the source's up-front
validation is stubbed except in the bad-input tests, which use the real loader.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import nbformat
import polars as pl
import pytest

from tests.report.conftest import STAND_IN_METRICS, STAND_IN_PUBLISHED, SUBSIDIARIES
from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA, FINDINGS_SCHEMA
from workbench.report import ReportError, run_report, verify_reports
from workbench.report import run as run_module
from workbench.report.manifest import sha256_file
from workbench.report.render import external_references

PERIOD = "2026-Q3"
CONTRACT_OUTPUTS = {
    "manifest.json",
    "findings.parquet",
    "findings.csv",
    # every table an analysis publishes (credit_grades, the pricing refund list)
    *(f"{t}.parquet" for tables in STAND_IN_PUBLISHED.values() for t in tables),
    "dashboard.html",
    "metrics.json",
    "worklists",
    *(f"{a}.{ext}" for a in ("tiering", "pricing", "sla", "credit", "marketing")
      for ext in ("ipynb", "html")),
}
WORKLISTS = {"worklists/S1.xlsx", "worklists/group.xlsx"}
kernels = [pytest.mark.slow, pytest.mark.xdist_group("report-kernels")]


def hidden(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.name.startswith(".")} if out.exists() else set()


def only_child(folder: Path) -> Path:
    children = list(folder.iterdir())
    assert len(children) == 1, children
    return children[0]


# ----------------------------------------------------------------- no kernel
def test_refuses_an_existing_report_without_replace(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    (out / PERIOD).mkdir(parents=True)
    (out / PERIOD / "keep.txt").write_text("old")
    with pytest.raises(ReportError, match="already exists"):
        run_report(fake_source, PERIOD, out, notebooks_dir=notebooks())
    assert (out / PERIOD / "keep.txt").read_text() == "old"
    assert hidden(out) == set()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "2026-Q5"}, "not understood"),
        ({"analyses": ["tiering", "fraud"]}, r"unknown analyses \['fraud'\]; choose from "
                                             r"\['tiering', 'pricing', 'sla', 'credit', "
                                             r"'marketing'\]"),
        ({"source": "/no/such/source"}, "does not exist"),
    ],
)
def test_bad_arguments_are_report_errors(tmp_path, fake_source, notebooks, kwargs, message):
    args = {"source": fake_source, "period": PERIOD, **kwargs}
    with pytest.raises(ReportError, match=message):
        run_report(args.pop("source"), args.pop("period"), tmp_path / "out",
                   notebooks_dir=notebooks(), **args)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_notebook_is_a_report_error(tmp_path, fake_source):
    with pytest.raises(ReportError, match=r"no notebook for \['sla'\]"):
        run_report(fake_source, PERIOD, tmp_path / "out", analyses=["sla"], notebooks_dir=tmp_path)


def test_bad_input_publishes_nothing(tmp_path, notebooks):
    """The real loader: a folder with one malformed table is bad input."""
    src = tmp_path / "bad_source"
    src.mkdir()
    (src / "subsidiaries.csv").write_text("subsidiary_id,name\nS1,总部\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="not valid input") as err:
        run_report(src, PERIOD, out, notebooks_dir=notebooks())
    assert "subsidiaries" in str(err.value) and "customers" in str(err.value)
    assert not out.exists() or not any(out.iterdir())


def test_the_stand_ins_publish_what_the_analysis_packages_declare():
    assert {a: importlib.import_module(f"workbench.{a}").PUBLISHED for a in ANALYSES} == (
        STAND_IN_PUBLISHED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fraud: {alpha: 0.1}\n", r"params.yaml: fraud: unknown key"),
        ("marketing: {alpha: 0.1}\n", r"params.yaml: marketing.alpha: unknown parameter"),
        ("tiering: {alpah: 0.1}\n", r"params.yaml: tiering.alpah: unknown parameter \(declared: "),
        ("tiering: {alpha: 2}\n", r"params.yaml: tiering.alpha: must be a number in \(0, 1\) "
                                    r"\(got 2\)"),
        ("tiering: {min_group_size: ten}\n", r"tiering.min_group_size: must be an integer"),
        ("tiering: [alpha]\n", r"params.yaml: tiering: expected a mapping"),
        ("tiering: {alpha: [\n", r"params.yaml: not valid YAML"),
    ],
)
def test_a_bad_parameters_file_runs_and_publishes_nothing(tmp_path, fake_source, notebooks,
                                                            monkeypatch, text, message):
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    validated: list[str] = []
    monkeypatch.setattr(run_module, "_validate_source",
                        lambda source, *args, **kwargs: validated.append(source))
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=message) as err:
        run_report(fake_source, PERIOD, out, parameters=tmp_path / "params.yaml",
                   notebooks_dir=notebooks())
    assert "report parameters file" in str(err.value) and "nothing was run" in str(err.value)
    assert validated == [] and not out.exists()  # checked before anything else
    with pytest.raises(ReportError, match="report parameters file .*missing.yaml: not found"):
        run_report(fake_source, PERIOD, out, parameters=tmp_path / "missing.yaml",
                   notebooks_dir=notebooks())


def test_parameters_of_an_analysis_not_run_are_checked_too(tmp_path, fake_source, notebooks):
    with pytest.raises(ReportError, match=r"tiering.alpha: must be"):
        run_report(fake_source, PERIOD, tmp_path / "out", analyses=["sla"],
                   parameters={"tiering": {"alpha": -1}}, notebooks_dir=notebooks())


def test_paths_in_a_parameters_file_are_relative_to_its_folder(tmp_path):
    from workbench.report.parameters import read_parameters

    (tmp_path / "ops").mkdir()
    path = tmp_path / "ops" / "params.yaml"
    path.write_text("sla:\n  policy_path: sla.yaml\n  calendar_files: [cal.yaml, /etc/c.yaml]\n"
                    "  risk_threshold: 0.5\n", encoding="utf-8")
    sla = read_parameters(path, ["sla"])["sla"]
    assert sla["policy_path"] == str(tmp_path / "ops" / "sla.yaml")
    assert sla["calendar_files"] == [str(tmp_path / "ops" / "cal.yaml"), "/etc/c.yaml"]
    assert sla["risk_threshold"] == 0.5
    path.write_text("", encoding="utf-8")  # an empty file: every default
    from workbench.sla import PARAMETERS

    assert read_parameters(path, ["sla"]) == {"sla": PARAMETERS.defaults()}


def test_default_notebooks_dir_follows_the_env_var(tmp_path, monkeypatch):
    from workbench.report.run import default_notebooks_dir

    monkeypatch.delenv("WORKBENCH_NOTEBOOKS", raising=False)
    assert (default_notebooks_dir() / "tiering.ipynb").is_file()
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(tmp_path))
    assert default_notebooks_dir() == tmp_path.resolve()


# -------------------------------------------------------------- with kernels
@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_publishes_every_contract_output(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    lines: list[str] = []
    folder = run_report(fake_source, PERIOD, out, notebooks_dir=notebooks(), progress=lines.append)

    assert folder == (out / PERIOD).resolve()
    assert {p.name for p in folder.iterdir()} == CONTRACT_OUTPUTS
    assert hidden(out) == {".locks"}  # no staging left behind
    runs = [line for line in lines if line.startswith("[")]
    assert len(runs) == 5
    assert re.fullmatch(r"\[2/5\] pricing … ok \(\d+\.\d s, 2 findings\)", runs[1])

    findings = pl.read_parquet(folder / "findings.parquet")
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert findings.height == 10
    keys = findings.select("analysis", "rule", "entity_id").rows()
    assert keys == sorted(keys)
    assert findings.equals(pl.read_csv(folder / "findings.csv", schema=FINDINGS_SCHEMA))
    grades = pl.read_parquet(folder / "credit_grades.parquet")
    assert grades.schema == pl.Schema(CREDIT_GRADES_SCHEMA) and grades.height == 1

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["outputs"]) == CONTRACT_OUTPUTS - {"manifest.json", "worklists"} | WORKLISTS
    for name, digest in manifest["outputs"].items():
        assert sha256_file(folder / name) == digest
    assert manifest["period"] == {
        "label": PERIOD, "start": "2026-07-01T00:00:00", "end": "2026-10-01T00:00:00"
    }
    assert manifest["source"]["uri"] == str(fake_source.resolve())
    orders = manifest["source"]["input_files"]["orders"]
    assert orders["sha256"] == sha256_file(fake_source / "orders.csv") and orders["bytes"] > 0
    assert {a: v["status"] for a, v in manifest["analyses"].items()} == dict.fromkeys(
        ("tiering", "pricing", "sla", "credit", "marketing"), "ok"
    )
    assert manifest["analyses"]["sla"]["findings"] == 2
    assert manifest["previous_manifest"] is None and manifest["sequence"] == 1
    assert manifest["parameters"]["lang"] == "zh"
    # every declared parameter of every analysis, at its default, is recorded
    for a in ANALYSES:
        declared = importlib.import_module(f"workbench.{a}").PARAMETERS
        assert manifest["parameters"]["analysis_parameters"][a] == declared.defaults()
    # the headlines are each analysis's own metrics.json, as its notebook saved them
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    for a in ANALYSES:
        assert metrics["analyses"][a]["headline"] == STAND_IN_METRICS[a]
        assert metrics["analyses"][a]["findings"] == 2
    assert metrics["analyses"]["sla"]["headline"]["adherence_ack"] == 0.6
    assert manifest["packages"]["papermill"] and manifest["packages"]["python"]
    assert verify_reports(out).ok

    for name in ("tiering.html", "dashboard.html"):
        html = (folder / name).read_text(encoding="utf-8")
        assert external_references(html) == []
        assert "SECRET_CODE_MARKER" not in html
    # the executed notebook carries the parameters papermill injected
    nb = nbformat.read(folder / "credit.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "validate_source = False" in injected[0].source
    assert re.search(r'out_dir = ".*/\.parts/credit"', injected[0].source)
    # the worklists are in the hash chain like every other output
    dashboard = (folder / "dashboard.html").read_text(encoding="utf-8")
    assert "<a href='worklists/S1.xlsx'>" in dashboard
    # findings with no subsidiary: the league table's group-level row links group.xlsx
    assert "<a href='worklists/group.xlsx'>" in dashboard and "(none).xlsx" not in dashboard
    sheet = folder / "worklists" / "S1.xlsx"
    data = bytearray(sheet.read_bytes())
    data[-1] ^= 1
    sheet.write_bytes(bytes(data))
    result = verify_reports(out)
    assert not result.ok
    assert f"{PERIOD}: worklists/S1.xlsx has changed (sha256 differs)" in result.problems


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_a_parameters_file_sets_a_parameter_and_the_manifest_records_it(tmp_path, fake_source,
                                                                        notebooks):
    params = tmp_path / "params.yaml"
    params.write_text("# quarterly run\ntiering:\n  alpha: 0.01\n  attributes: [gender]\n"
                      "sla: {}\n", encoding="utf-8")
    folder = run_report(fake_source, PERIOD, tmp_path / "reports", analyses=["tiering"],
                        parameters=params, notebooks_dir=notebooks())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    from workbench.tiering import PARAMETERS

    recorded = manifest["parameters"]["analysis_parameters"]
    assert recorded == {"tiering": {**PARAMETERS.defaults(), "alpha": 0.01,
                                    "attributes": ["gender"]}}
    # the notebook got the value from papermill
    nb = nbformat.read(folder / "tiering.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "alpha = 0.01\n" in injected.source and 'attributes = ["gender"]' in injected.source
    assert verify_reports(tmp_path / "reports").ok


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_replace_moves_the_old_report_to_superseded(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    (out / PERIOD).mkdir(parents=True)
    (out / PERIOD / "old.txt").write_text("old report")
    folder = run_report(
        fake_source, PERIOD, out, replace=True, analyses=["tiering"], notebooks_dir=notebooks()
    )
    assert (folder / "manifest.json").is_file() and not (folder / "old.txt").exists()
    old = only_child(out / ".superseded")
    assert old.name.startswith(f"{PERIOD}-") and (old / "old.txt").read_text() == "old report"
    assert hidden(out) == {".superseded", ".locks"}


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_a_failing_notebook_publishes_nothing(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    (out / PERIOD).mkdir(parents=True)
    (out / PERIOD / "old.txt").write_text("old report")
    with pytest.raises(ReportError) as err:
        run_report(
            fake_source, PERIOD, out, replace=True, analyses=["tiering", "pricing"],
            notebooks_dir=notebooks(tiering="fail"),
        )
    message = str(err.value)
    assert "tiering" in message and "ValueError" in message and "boom: planted failure" in message
    assert "pricing" not in message.split("executed notebooks")[0]  # pricing itself was fine
    # the existing report is untouched, nothing staged or superseded remains
    assert [p.name for p in (out / PERIOD).iterdir()] == ["old.txt"]
    assert hidden(out) == {".failed", ".locks"}
    failed = only_child(out / ".failed")
    assert failed.name.startswith(f"{PERIOD}-")
    # fail fast: pricing, after the failed tiering, was not run at all
    assert {p.name for p in failed.iterdir()} == {"tiering.ipynb", "tiering.kernel.log",
                                                  "error.txt"}
    assert not message.startswith("report failed")  # the CLI adds that prefix once
    nb = nbformat.read(failed / "tiering.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_a_cell_over_the_timeout_fails_the_report(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"sla notebook timeout: .*execution timeout of 2 s"):
        run_report(
            fake_source, PERIOD, out, analyses=["sla"], timeout_s=2,
            notebooks_dir=notebooks(sla="sleep"),
        )
    assert not (out / PERIOD).exists()
    assert hidden(out) == {".failed", ".locks"}
    partial = only_child(out / ".failed") / "sla.ipynb"
    # The trap: papermill saved the timed-out notebook looking successful.
    nb = nbformat.read(partial, as_version=4)
    assert nb.metadata.papermill["exception"] is None
    assert {c.metadata.papermill["status"] for c in nb.cells} == {"completed"}
    assert "timeout" in (partial.parent / "error.txt").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_a_notebook_that_writes_no_findings_has_failed(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"credit notebook no_output: .*did not write"):
        run_report(
            fake_source, PERIOD, out, analyses=["credit"], notebooks_dir=notebooks(credit="silent")
        )
    assert not (out / PERIOD).exists()


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_findings_of_another_analysis_fail_the_report(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    with pytest.raises(ReportError,
                       match=r"assembling the outputs failed: .*analysis that did not write"):
        run_report(
            fake_source, PERIOD, out, analyses=["tiering"],
            notebooks_dir=notebooks(tiering="foreign")
        )
    assert not (out / PERIOD).exists()
    assert (only_child(out / ".failed") / "tiering.ipynb").is_file()


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_manifests_chain_to_the_previous_period(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    nb_dir = notebooks()
    q2 = run_report(fake_source, "2026-Q2", out, analyses=["sla"], notebooks_dir=nb_dir)
    q3 = run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=nb_dir)
    link = json.loads((q3 / "manifest.json").read_text(encoding="utf-8"))["previous_manifest"]
    assert link == {"path": "2026-Q2/manifest.json", "sha256": sha256_file(q2 / "manifest.json"),
                    "sequence": 1}
    # a subset run still writes every shared output (empty credit grades)
    assert pl.read_parquet(q3 / "credit_grades.parquet").height == 0
    assert verify_reports(out).ok

    (q2 / "findings.csv").write_text("tampered", encoding="utf-8")
    result = verify_reports(out)
    assert not result.ok
    assert result.problems == ["2026-Q2: findings.csv has changed (sha256 differs)"]


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_personal_data_in_an_export_publishes_nothing(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    good = run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=notebooks())
    def hashes(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): sha256_file(p)
                for p in folder.rglob("*") if p.is_file()}

    before = hashes(good)
    with pytest.raises(ReportError) as err:
        run_report(fake_source, PERIOD, out, replace=True, analyses=["sla"],
                   notebooks_dir=notebooks(sla="leaky"))
    message = str(err.value)
    assert "privacy check" in message and "nothing was published" in message
    assert re.search(r"sla\.ipynb \([^)]*\): mobile phone number", message), message
    assert "13*******78" not in message  # the place is named, never the value
    assert re.search(r"sla\.html \(section «[^»]*»\): mobile phone number", message), message
    assert "13812345678" not in message
    # the last good report is untouched and the chain still verifies
    assert hashes(good) == before
    assert not (out / ".superseded").exists()
    assert verify_reports(out).ok


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_replace_and_failure_keep_the_chain_green(tmp_path, fake_source, notebooks):
    out = tmp_path / "reports"
    nb_dir = notebooks()
    first = run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=nb_dir)
    first_manifest = sha256_file(first / "manifest.json")
    second = run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=nb_dir,
                        replace=True, lang="en")
    m = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    assert m["sequence"] == 2 and m["parameters"]["lang"] == "en"
    assert m["supersedes"]["sha256"] == first_manifest == m["previous_manifest"]["sha256"]
    assert m["supersedes"]["path"].startswith(f".superseded/{PERIOD}-")
    assert 'lang="en"' in (second / "dashboard.html").read_text(encoding="utf-8")
    with pytest.raises(ReportError):
        run_report(fake_source, PERIOD, out, analyses=["sla"], replace=True,
                   notebooks_dir=notebooks(sla="fail"))
    result = verify_reports(out)
    assert result.ok, result.render()
    assert [c.split()[1] for c in result.chain] == ["report", "superseded"]


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_a_password_in_the_source_uri_is_written_nowhere(tmp_path, fake_source, notebooks,
                                                         monkeypatch):
    """libpq gets it from PGPASSWORD (the kernels inherit it); the parameters, the
    manifest, the notebooks and the progress lines carry the URI without it."""
    from workbench.report import privacy

    monkeypatch.delenv("PGPASSWORD", raising=False)
    seen: list[str] = []
    monkeypatch.setattr(privacy, "personal_values", lambda source: seen.append(source) or [])
    monkeypatch.setattr(  # a database: no input files
        run_module, "_validate_source",
        lambda source, *args, **kwargs: seen.append(source)
        or run_module.ValidSource({}, SUBSIDIARIES))
    out = tmp_path / "reports"
    lines: list[str] = []
    uri = "postgresql://crm:s3cret-pw@127.0.0.1:5432/crm?sslmode=disable"
    folder = run_report(uri, PERIOD, out, analyses=["sla"], notebooks_dir=notebooks(sla="pgpass"),
                        progress=lines.append)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["uri"] == "postgresql://crm@127.0.0.1:5432/crm?sslmode=disable"
    for path in [*folder.rglob("*"), *out.glob("*.json")]:
        if path.is_file():
            assert b"s3cret" not in path.read_bytes(), path
    assert not any("s3cret" in line for line in lines)
    assert seen == ["postgresql://crm@127.0.0.1:5432/crm?sslmode=disable"] * 2
    assert "PGPASSWORD" not in os.environ  # restored after the run


@pytest.mark.xdist_group("report-kernels")
def test_an_input_swapped_during_the_run_publishes_nothing(tmp_path, fake_source, notebooks,
                                                           monkeypatch):
    """Issue #15: inputs were hashed at publish time, so a file swapped while the
    notebooks ran was recorded with its new hash and verify said ok."""
    from workbench.report import manifest as mf

    orders = fake_source / "orders.csv"
    monkeypatch.setattr(
        run_module, "_validate_source",
        lambda source, *args, **kwargs: run_module.ValidSource(
            {"orders": orders}, SUBSIDIARIES, {"orders": mf.file_entry(orders)}))
    real_run = run_module._run_notebooks

    def run_and_swap(run, staging):
        out = real_run(run, staging)
        orders.write_text("order_id\nO-SWAPPED\n", encoding="utf-8")
        return out

    monkeypatch.setattr(run_module, "_run_notebooks", run_and_swap)
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"inputs changed during the run: orders .* changed"):
        run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=notebooks())
    assert not (out / PERIOD).exists()


@pytest.mark.xdist_group("report-kernels")
def test_a_published_report_is_not_world_readable(tmp_path, fake_source, notebooks):
    folder = run_report(fake_source, PERIOD, tmp_path / "reports", analyses=["sla"],
                        notebooks_dir=notebooks())
    modes = {p.relative_to(folder).as_posix(): p.stat().st_mode & 0o777
             for p in [folder, *folder.rglob("*")]}
    assert modes["."] == 0o750 and modes["manifest.json"] == 0o640
    assert all(m & 0o007 == 0 for m in modes.values()), modes


@pytest.mark.parametrize("blocker", ["file", "read-only"])
def test_an_out_that_cannot_be_written_is_a_clean_error(tmp_path, fake_source, notebooks,
                                                         blocker):
    """Issue #15: --out that is a file or on a read-only mount gave a traceback."""
    if blocker == "file":
        out = tmp_path / "reports"
        out.write_text("not a folder", encoding="utf-8")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes through a read-only mode")
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o500)
        out = parent / "reports"
    with pytest.raises(ReportError, match=r"cannot write the report under .*nothing was published"):
        run_report(fake_source, PERIOD, out, analyses=["sla"], notebooks_dir=notebooks())


# ------------------------------------------------ the optional marketing tables
MARKETING_TABLES = ("marketing_messages", "consents", "privacy_requests")


@pytest.fixture(scope="module")
def tiny_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("tiny")
    generate(out, scale="tiny")
    return out


def _without(sample: Path, folder: Path, *tables: str) -> Path:
    """A copy of ``sample`` without ``tables``."""
    import shutil

    shutil.copytree(sample, folder, ignore=shutil.ignore_patterns(
        *(f"{t}.parquet" for t in tables)))
    return folder


def test_a_source_with_only_some_marketing_tables_is_bad_input(tmp_path, tiny_sample,
                                                               notebooks):
    """Issue #17: the three tables come all or none; some of them is bad input that
    names the missing ones, before anything runs, and publishes nothing."""
    src = _without(tiny_sample, tmp_path / "partial", "consents")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="not valid input") as err:
        run_report(src, PERIOD, out, notebooks_dir=notebooks())
    message = str(err.value)
    assert "consents" in message and "nothing was run" in message
    assert "marketing_messages" in message and "privacy_requests" in message  # the group
    assert not out.exists() or not any(out.iterdir())
    two = _without(tiny_sample, tmp_path / "partial2", "marketing_messages", "privacy_requests")
    with pytest.raises(ReportError, match=r"marketing_messages[\s\S]*privacy_requests"):
        run_report(two, PERIOD, out, notebooks_dir=notebooks())


def test_validation_freshness_and_latest_accept_a_source_without_marketing(tmp_path,
                                                                            tiny_sample):
    """Issue #17: without the three tables the source is valid, fresh and has the same
    latest period as with them; the manifest hashes the tables it has."""
    from workbench.contract import ANALYSES
    from workbench.periods import parse_period

    src = _without(tiny_sample, tmp_path / "none", *MARKETING_TABLES)
    valid = run_module._validate_source(str(src), parse_period(PERIOD), ANALYSES)
    assert not set(MARKETING_TABLES) & set(valid.input_files)
    assert len(valid.input_files) == 13 and valid.subsidiaries.height > 0
    assert run_module._latest(src, ANALYSES) == run_module._latest(tiny_sample, ANALYSES)
    with_them = run_module._validate_source(str(tiny_sample), parse_period(PERIOD), ANALYSES)
    assert set(MARKETING_TABLES) <= set(with_them.input_files)


def test_recipients_are_looked_up_in_the_source(tmp_path, tiny_sample):
    """The marketing evidence names no recipient; the worklists get the customer of
    each message and request finding from the source (ids only)."""
    from workbench import marketing, sources
    from workbench.report._recipients import recipients

    frames = sources.load(tiny_sample, tables=list(marketing.TABLES))
    f = marketing.analyze(frames, PERIOD).findings
    who = recipients(str(tiny_sample), f)
    msgs = frames["marketing_messages"].select("message_id", "customer_id").collect()
    reqs = frames["privacy_requests"].select("request_id", "customer_id").collect()
    owner = {**dict(msgs.iter_rows()), **dict(reqs.iter_rows())}
    got = dict(who.iter_rows())
    assert f.height > 0 and set(got) <= set(f["finding_id"])
    for fid, eid in f.select("finding_id", "entity_id").iter_rows():
        assert got.get(fid) == owner[eid]  # a requester that was not matched: none
    assert who.schema == pl.Schema({"finding_id": pl.String, "customer_id": pl.String})
    none = _without(tiny_sample, tmp_path / "none", *MARKETING_TABLES)
    assert recipients(str(none), f).height == 0
    assert recipients(str(tiny_sample), f.head(0)).height == 0


@pytest.mark.slow
@pytest.mark.xdist_group("report-kernels")
def test_marketing_not_evaluated_is_said_and_the_rest_is_published(tmp_path, fake_source,
                                                                   notebooks):
    lines: list[str] = []
    folder = run_report(fake_source, PERIOD, tmp_path / "reports",
                        notebooks_dir=notebooks(marketing="not_evaluated"),
                        progress=lines.append)
    run = next(line for line in lines if line.startswith("[5/5]"))
    assert re.fullmatch(r"\[5/5\] marketing … ok \(\d+\.\d s, 0 findings; Not evaluated: the "
                        r"source has no marketing and personal-information tables .*\)", run)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["analyses"]["marketing"]["headline"]["evaluated"] is False
    assert metrics["analyses"]["marketing"]["findings"] == 0
    dashboard = (folder / "dashboard.html").read_text(encoding="utf-8")
    panel = dashboard[dashboard.index("id='panel-marketing'"):]
    panel = panel[:panel.index("</section>")]
    assert "data-status='not-evaluated'" in panel and "未评估" in panel
    assert "数据源没有营销与个人信息表" in panel
    assert "id='panel-tiering'" in dashboard and "data-key='tiering." in dashboard
    assert verify_reports(tmp_path / "reports").ok
