"""workbench/contract.py must state shared/data-contract.md exactly (never break it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.contract import CREDIT_GRADES_SCHEMA, ENUMS, FINDINGS_SCHEMA, RULES, TABLES

DOC = Path(__file__).resolve().parents[2] / "shared" / "data-contract.md"
_ROW = re.compile(r"^\|\s*([a-z0-9_ /]+?)\s*\|\s*([^|]+?)\s*\|")


def _sections() -> dict[str, list[tuple[str, str]]]:
    if not DOC.exists():
        pytest.skip(f"{DOC} not present (it sits beside the checkout in CI)")
    out: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = line[4:].split(" ")[0].strip()
            out[current] = []
        elif current and (m := _ROW.match(line)) and m[1] != "column":
            out[current].append((m[1], m[2]))
    return out


def test_every_contract_table_and_column_is_in_the_code() -> None:
    sections = _sections()
    for table, rows in sections.items():
        if table in ("findings", "credit_grades", "rule"):
            continue
        assert table in TABLES, table
        names = []
        for name, _ in rows:
            names += [n.strip() for n in name.split("/")]  # "starts_at / ends_at"
        assert [c.name for c in TABLES[table].columns] == names, table
        for name, kind in rows:
            for n in name.split("/"):
                col = TABLES[table].column(n.strip())
                assert col.nullable == kind.split(" ")[0].endswith("?"), f"{table}.{n}"


def test_outputs_match_the_contract() -> None:
    sections = _sections()
    assert [c for c, _ in sections["findings"]] == list(FINDINGS_SCHEMA)
    assert [c for c, _ in sections["credit_grades"]] == list(CREDIT_GRADES_SCHEMA)


def test_every_contract_rule_code_exists() -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else pytest.skip("no doc")
    table = text.split("### rule codes", 1)[1]
    codes = set(re.findall(r"`([a-z_]+)`", table))
    assert codes <= set(RULES), codes - set(RULES)


def test_registry_status_labels_are_the_contracts() -> None:
    assert ENUMS["registry_status"]["active"] == ("存续", "在业")
    assert ENUMS["registry_status"]["revoked"] == ("吊销",)
