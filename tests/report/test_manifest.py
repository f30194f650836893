"""Manifest contents, hashing, the previous-manifest link and ``verify``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from workbench.periods import parse_period
from workbench.report import manifest as mf
from workbench.report.manifest import verify_reports


def publish_fake(out: Path, label: str, files: dict[str, str] | None = None) -> Path:
    """A report folder with a manifest, as run_report would leave it."""
    folder = out / label
    folder.mkdir(parents=True)
    for name, text in (files or {"findings.csv": f"findings of {label}\n"}).items():
        (folder / name).write_text(text, encoding="utf-8")
    manifest = mf.build_manifest(
        period=parse_period(label),
        parameters={"period": label},
        source_uri="sqlite:///x.db",
        input_files={},
        folder=folder,
        analyses={"sla": {"status": "ok", "seconds": 1.0, "findings": 0}},
        previous=mf.previous_manifest(out, label),
    )
    mf.write_manifest(manifest, folder / mf.MANIFEST_FILE)
    return folder


def test_sha256_file_matches_hashlib(tmp_path):
    p = tmp_path / "a.bin"
    p.write_bytes(b"x" * 3_000_000)
    assert mf.sha256_file(p) == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    entry = mf.file_entry(p)
    assert entry == {"path": str(p.resolve()), "sha256": mf.sha256_file(p), "bytes": 3_000_000}


def test_output_hashes_cover_every_file_but_the_manifest(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "manifest.json").write_text("{}")
    assert set(mf.output_hashes(tmp_path)) == {"a.txt", "sub/b.txt"}


def test_manifest_has_every_section_and_sorted_keys(tmp_path):
    src = tmp_path / "orders.parquet"
    src.write_bytes(b"PAR1")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "findings.csv").write_text("x")
    manifest = mf.build_manifest(
        period=parse_period("2026-Q3"), parameters={"period": "2026-Q3"},
        source_uri=str(tmp_path), input_files={"orders": src}, folder=folder,
        analyses={"sla": {"status": "ok", "seconds": 1.2, "findings": 3}}, previous=None,
    )
    assert set(manifest) == {
        "manifest_version", "period", "parameters", "source", "packages", "code", "outputs",
        "analyses", "previous_manifest", "created_at",
    }
    assert manifest["period"] == {"label": "2026-Q3", "start": "2026-07-01T00:00:00",
                                  "end": "2026-10-01T00:00:00"}
    assert manifest["source"]["input_files"]["orders"]["bytes"] == 4
    assert set(manifest["packages"]) == {*mf.PACKAGES, "python"}
    assert manifest["packages"]["polars"] and manifest["packages"]["python"].count(".") == 2
    assert set(manifest["code"]) == {"git_commit", "git_dirty", "workbench_version"}
    assert manifest["created_at"].endswith("Z")
    path = mf.write_manifest(manifest, folder / "manifest.json")
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_code_version_outside_a_git_checkout_is_null(tmp_path):
    code = mf.code_version(tmp_path)
    assert code["git_commit"] is None and code["git_dirty"] is False
    assert code["workbench_version"]


def test_previous_manifest_is_the_latest_earlier_period(tmp_path):
    for label in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q4"):
        publish_fake(tmp_path, label)
    (tmp_path / ".superseded" / "2026-Q2-20260101T000000Z").mkdir(parents=True)
    (tmp_path / "notes").mkdir()
    link = mf.previous_manifest(tmp_path, "2026-Q3")
    assert link == {
        "path": "2026-Q2/manifest.json",
        "sha256": mf.sha256_file(tmp_path / "2026-Q2" / "manifest.json"),
    }
    assert mf.previous_manifest(tmp_path, "2025-Q4") is None
    assert mf.previous_manifest(tmp_path / "missing", "2026-Q3") is None


def test_verify_accepts_an_intact_chain(tmp_path):
    publish_fake(tmp_path, "2026-Q1")
    q2 = publish_fake(tmp_path, "2026-Q2")
    assert json.loads((q2 / "manifest.json").read_text())["previous_manifest"]["path"] == (
        "2026-Q1/manifest.json"
    )
    result = verify_reports(tmp_path)
    assert result.ok, result.render()
    assert result.checked == ["2026-Q1", "2026-Q2"]
    assert result.render().splitlines()[-1] == "ok"


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda f: (f / "findings.csv").write_text("changed"),
         "2026-Q2: findings.csv has changed (sha256 differs)"),
        (lambda f: (f / "findings.csv").unlink(), "2026-Q2: findings.csv is missing"),
        (lambda f: (f / "extra.html").write_text("x"), "2026-Q2: extra.html is not in the manifest"),
        (lambda f: (f / "manifest.json").unlink(), "2026-Q2: no manifest.json"),
        (lambda f: (f.parent / "2026-Q1" / "manifest.json").write_text("{}"),
         "2026-Q2: previous manifest 2026-Q1/manifest.json has changed since this report"),
    ],
)
def test_verify_reports_each_problem(tmp_path, tamper, problem):
    publish_fake(tmp_path, "2026-Q1")
    tamper(publish_fake(tmp_path, "2026-Q2"))
    result = verify_reports(tmp_path)
    assert not result.ok
    assert problem in result.problems
    assert f"BAD {problem}" in result.render()


def test_verify_a_missing_folder(tmp_path):
    result = verify_reports(tmp_path / "nope")
    assert not result.ok and "no such folder" in result.problems[0]
