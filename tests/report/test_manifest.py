"""Manifest contents, the hash chain, ``verify`` and ``prune`` (no kernels)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from pathlib import Path

import pytest

from tests.report.conftest import publish_fake
from workbench.cli import main
from workbench.periods import parse_period
from workbench.report import chain
from workbench.report import manifest as mf
from workbench.report.prune import cutoff_date, prune_reports
from workbench.report.verify import verify_reports


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


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
        "manifest_version", "kind", "sequence", "period", "parameters", "source", "packages",
        "code", "outputs", "analyses", "previous_manifest", "supersedes", "created_at",
    }
    assert manifest["sequence"] == 1 and manifest["kind"] == "report"
    assert manifest["source"]["input_files"]["orders"]["bytes"] == 4
    assert set(manifest["packages"]) == {*mf.PACKAGES, "python"}
    assert manifest["created_at"].endswith("Z")
    path = mf.write_manifest(manifest, folder / "manifest.json")
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_code_version_outside_a_git_checkout_is_null(tmp_path):
    code = mf.code_version(tmp_path)
    assert code["git_commit"] is None and code["git_dirty"] is False


# ---------------------------------------------------------------------- chain
def test_the_chain_follows_run_order_not_period_order(tmp_path):
    q3 = publish_fake(tmp_path, "2026-Q3")
    q1 = publish_fake(tmp_path, "2026-Q1")  # a late back-fill is the next link
    m1 = read(q1 / "manifest.json")
    assert m1["sequence"] == 2
    assert m1["previous_manifest"] == {
        "path": "2026-Q3/manifest.json", "sha256": mf.sha256_file(q3 / "manifest.json"),
        "sequence": 1,
    }
    head = read(tmp_path / chain.HEAD_FILE)
    assert head["path"] == "2026-Q1/manifest.json" and head["sequence"] == 2
    result = verify_reports(tmp_path)
    assert result.ok, result.render()
    assert result.chain == ["2 report 2026-Q1/manifest.json", "1 report 2026-Q3/manifest.json"]


def test_replace_keeps_the_old_report_in_the_chain(tmp_path):
    publish_fake(tmp_path, "2026-Q2")
    publish_fake(tmp_path, "2026-Q3", {"findings.csv": "first\n"})
    new = publish_fake(tmp_path, "2026-Q3", {"findings.csv": "second\n"}, replace=True)
    old = next((tmp_path / ".superseded").iterdir())
    m = read(new / "manifest.json")
    link = {"path": f".superseded/{old.name}/manifest.json",
            "sha256": mf.sha256_file(old / "manifest.json"), "sequence": 2}
    assert m["sequence"] == 3 and m["previous_manifest"] == link and m["supersedes"] == link
    result = verify_reports(tmp_path)
    assert result.ok, result.render()
    assert result.checked == ["2026-Q2", "2026-Q3", f".superseded/{old.name}"]
    assert [c.split()[1] for c in result.chain] == ["report", "superseded", "report"]
    # replacing an earlier period while a later one is the head
    publish_fake(tmp_path, "2026-Q2", {"findings.csv": "q2 again\n"}, replace=True)
    assert verify_reports(tmp_path).ok
    with pytest.raises(FileExistsError):
        publish_fake(tmp_path, "2026-Q2")


@pytest.fixture
def three(tmp_path):
    for label in ("2026-Q1", "2026-Q2", "2026-Q3"):
        publish_fake(tmp_path, label, {"findings.parquet": b"PAR1" + label.encode() + b"PAR1",
                                       "findings.csv": f"{label}\n"})
    assert verify_reports(tmp_path).ok
    return tmp_path


def test_one_changed_byte_in_a_finding_is_named(three):
    path = three / "2026-Q2" / "findings.parquet"
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify_reports(three)
    assert not result.ok
    assert result.problems == ["2026-Q2: findings.parquet has changed (sha256 differs)"]
    assert "BAD  2026-Q2: findings.parquet has changed" in result.render()
    assert main(["verify", str(three)]) == 1


@pytest.mark.parametrize(
    ("victim", "problem"),
    [
        ("2026-Q2", "2026-Q3/manifest.json: links to 2026-Q2/manifest.json, which is missing"),
        ("2026-Q3", "chain-head.json: links to 2026-Q3/manifest.json, which is missing"),
        ("2026-Q1", "2026-Q2/manifest.json: links to 2026-Q1/manifest.json, which is missing"),
    ],
)
def test_a_deleted_report_is_named(three, victim, problem):
    shutil.rmtree(three / victim)
    result = verify_reports(three)
    assert problem in result.problems, result.render()


def test_a_deleted_head_file_is_caught(three):
    (three / chain.HEAD_FILE).unlink()
    assert verify_reports(three).problems == [
        "chain-head.json is missing, so the newest entry cannot be checked "
        "(3 chain entries on disk)"
    ]


def test_swapped_report_folders_are_caught(three):
    (three / "2026-Q1").rename(three / "tmp")
    (three / "2026-Q2").rename(three / "2026-Q1")
    (three / "tmp").rename(three / "2026-Q2")
    problems = verify_reports(three).problems
    assert "2026-Q1: manifest is for period '2026-Q2', not '2026-Q1'" in problems
    assert "2026-Q2: manifest is for period '2026-Q1', not '2026-Q2'" in problems


def test_a_relinked_chain_is_caught(three):
    """Re-point 2026-Q3 past 2026-Q2 (and even fix the head): the order is broken."""
    q1, q3 = three / "2026-Q1" / "manifest.json", three / "2026-Q3" / "manifest.json"
    m3 = read(q3)
    m3["previous_manifest"] = {"path": "2026-Q1/manifest.json", "sha256": mf.sha256_file(q1),
                               "sequence": 1}
    mf.write_manifest(m3, q3)
    result = verify_reports(three)
    assert "chain-head.json: links to 2026-Q3/manifest.json, which has changed since it was " \
           "linked (sha256 differs)" in result.problems
    chain.write_head(three, q3, "report")  # a forger would also move the head
    result = verify_reports(three)
    assert "2026-Q3/manifest.json: its link records sequence 1, expected 2: the chain is out of " \
           "order" in result.problems
    assert "2026-Q2/manifest.json: is not in the chain (no later entry or chain-head.json links " \
           "to it)" in result.problems


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda f: (f / "findings.csv").unlink(), "2026-Q3: findings.csv is missing"),
        (lambda f: (f / "extra.html").write_text("x"),
         "2026-Q3: extra.html is not in the manifest"),
        (lambda f: (f / "manifest.json").unlink(), "2026-Q3: no manifest.json"),
    ],
)
def test_verify_reports_each_problem(three, tamper, problem):
    tamper(three / "2026-Q3")
    result = verify_reports(three)
    assert problem in result.problems
    assert f"BAD  {problem}" in result.render()


def test_changed_inputs_warn_and_fail_only_when_strict(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "orders.csv").write_text("order_id\nO1\n")
    (src / "gone.csv").write_text("x\n")
    out = tmp_path / "reports"
    publish_fake(out, "2026-Q3", inputs={"orders": src / "orders.csv", "gone": src / "gone.csv"})
    (src / "orders.csv").write_text("order_id\nO2\n")
    (src / "gone.csv").unlink()
    result = verify_reports(out)
    warning = (f"2026-Q3: input orders ({src / 'orders.csv'}) changed since the report "
               "(sha256 differs)")
    gone = f"2026-Q3: input gone ({src / 'gone.csv'}) is no longer present"
    # a deleted input is a warning too (issue #15: it was only a note under --strict)
    assert result.ok and result.warnings == [gone, warning]
    assert f"WARN {warning}" in result.render()
    strict = verify_reports(out, strict=True)
    assert not strict.ok and f"BAD  {warning}" in strict.render()
    assert main(["verify", str(out)]) == 0
    assert main(["verify", "--strict", str(out)]) == 1


def test_verify_a_missing_folder(tmp_path):
    result = verify_reports(tmp_path / "nope")
    assert not result.ok and "no such folder" in result.problems[0]


def test_verify_time_for_a_year_of_reports(tmp_path):
    """Verify re-hashes ~100 MB (four quarters, five 5 MB reports each) quickly."""
    blob = b"\x00" * 5_000_000
    for label in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"):
        publish_fake(tmp_path, label, {f"{a}.html": blob + a.encode() for a in
                                       ("tiering", "pricing", "sla", "credit", "dashboard")})
    started = time.perf_counter()
    result = verify_reports(tmp_path)
    seconds = time.perf_counter() - started
    assert result.ok and result.files_hashed == 24
    print(f"verify: 4 reports, 100 MB, {seconds:.2f} s")
    assert seconds < 10


# ---------------------------------------------------------------------- prune
def test_cutoff_date():
    assert cutoff_date(dt.date(2029, 10, 5), 3) == dt.date(2026, 10, 5)
    assert cutoff_date(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


def test_prune_never_deletes_inside_retention_and_records_what_it_deleted(tmp_path):
    for label in ("2022-Q3", "2022-Q4", "2023-Q1"):
        publish_fake(tmp_path, label)
    publish_fake(tmp_path, "2022-Q3", {"findings.csv": "again\n"}, replace=True)
    (tmp_path / ".failed" / "2022-Q4-20230101T000000Z").mkdir(parents=True)
    today = dt.date(2026, 1, 1)  # cutoff 2023-01-01: 2022-Q4 ends 12-31 → out; 2023-Q1 stays

    dry = prune_reports(tmp_path, 3, today=today, dry_run=True)
    assert dry.deleted == ["2022-Q3", "2022-Q4", ".superseded/" + next(
        (tmp_path / ".superseded").iterdir()).name, ".failed/2022-Q4-20230101T000000Z"]
    assert (tmp_path / "2022-Q3").exists() and dry.tombstone is None

    done = prune_reports(tmp_path, 3, today=today)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "2023-Q1", "chain-head.json"]
    assert not any((tmp_path / ".superseded").iterdir())
    assert not any((tmp_path / ".failed").iterdir())
    tomb = read(tmp_path / done.tombstone)
    assert tomb["kind"] == "prune" and tomb["sequence"] == 5
    assert {d["path"] for d in tomb["deleted"] if d["kind"] == "report"} == {
        "2022-Q3/manifest.json", "2022-Q4/manifest.json"}
    result = verify_reports(tmp_path)
    assert result.ok, result.render()
    assert result.chain[0].startswith("5 prune .pruned/")
    assert any("pruned on" in n and "2022-Q4/manifest.json" in n for n in result.notes)
    # reports after a prune keep chaining through the tombstone
    publish_fake(tmp_path, "2023-Q2")
    assert verify_reports(tmp_path).ok
    # nothing more to prune: no new tombstone
    assert prune_reports(tmp_path, 3, today=today).tombstone is None
    assert len(list((tmp_path / ".pruned").iterdir())) == 1


def test_prune_keeps_a_report_whose_period_ends_on_the_cutoff(tmp_path):
    publish_fake(tmp_path, "2022-Q4")
    assert prune_reports(tmp_path, 3, today=dt.date(2025, 12, 31)).deleted == []
    assert prune_reports(tmp_path, 3, today=dt.date(2026, 1, 1)).deleted == ["2022-Q4"]


def test_prune_cli(tmp_path, capsys):
    publish_fake(tmp_path, "2019-Q1")
    assert main(["prune", "--out", str(tmp_path), "--keep-years", "3", "--dry-run"]) == 0
    assert "would delete 2019-Q1" in capsys.readouterr().out
    assert (tmp_path / "2019-Q1").exists()
    assert main(["prune", "--out", str(tmp_path), "--keep-years", "3"]) == 0
    assert not (tmp_path / "2019-Q1").exists()
    assert main(["verify", str(tmp_path)]) == 0


def test_verify_prints_the_head_and_an_anchor_kept_elsewhere_catches_a_rollback(tmp_path):
    """Issue #15: deleting the newest report and pointing the head back gave "ok"."""
    import shutil

    from workbench.report.chain import HEAD_FILE
    from workbench.report.verify import verify_reports

    publish_fake(tmp_path, "2026-Q2")
    head_after_q2 = (tmp_path / HEAD_FILE).read_bytes()
    publish_fake(tmp_path, "2026-Q3")
    first = verify_reports(tmp_path)
    assert first.ok and first.head_sha256 and first.head_sha256 in first.render()
    anchor = first.head_sha256
    assert verify_reports(tmp_path, expect_heads=[anchor]).ok  # nothing changed
    publish_fake(tmp_path, "2026-Q4")  # a later publish keeps the old anchor in the chain
    assert verify_reports(tmp_path, expect_heads=[anchor]).ok
    # Roll back: remove the two newest reports and point the head back to 2026-Q2.
    shutil.rmtree(tmp_path / "2026-Q4")
    shutil.rmtree(tmp_path / "2026-Q3")
    (tmp_path / HEAD_FILE).write_bytes(head_after_q2)
    assert verify_reports(tmp_path).ok  # nothing inside the folder can tell
    anchored = verify_reports(tmp_path, expect_heads=[anchor])
    assert not anchored.ok
    assert any(anchor in p and "rolled back" in p for p in anchored.problems)


def test_a_deleted_superseded_report_is_the_one_blamed(tmp_path):
    """Issue #15: deleting a superseded report also blamed 2026-Q2, which is intact."""
    import shutil

    from workbench.report.verify import verify_reports

    publish_fake(tmp_path, "2026-Q2")
    publish_fake(tmp_path, "2026-Q3", {"findings.csv": "old\n"})
    publish_fake(tmp_path, "2026-Q3", {"findings.csv": "new\n"}, replace=True)
    gone = next((tmp_path / ".superseded").iterdir())
    shutil.rmtree(gone)
    result = verify_reports(tmp_path)
    assert not result.ok
    assert len(result.problems) == 1 and gone.name in result.problems[0]
    assert "which is missing" in result.problems[0]
    assert not any("2026-Q2" in p for p in result.problems)
