"""No personal data in exports: a scanner run on every file before publishing.

Patterns (:data:`PATTERNS`):

* ``mobile phone number`` — mainland mobile numbers ``1[3-9]`` + 9 digits, not
  part of a longer number, a decimal fraction or a hex id/hash (``+86``/``86``
  prefixes included);
* ``ID-card number`` — 18-character resident identity numbers whose birth date
  and ISO 7064 check digit hold (python-stdnum ``cn.ric``); valid USCCs are not
  ID cards and are skipped;
* ``email address``;
* ``street address`` — a road/street/lane name followed by a house number
  (…路/街/大道/巷/弄/胡同 + number + 号), and ``administrative address`` — province
  or region, city and district in one run (…省…市…区);
* ``personal name`` (and other values of personal columns) — values of any
  column in the source named like a person's name, contact, phone, email, address
  or ID number (:data:`PERSONAL_COLUMNS`), when a source carries such extra
  columns. Organisation names (``subsidiaries.name``, ``registry_snapshots.name``)
  are not personal.

What is scanned: HTML and text as text; JSON and notebooks string by string;
parquet files' string columns; Excel workbooks (the worklists) text node by text
node of every XML part. The plotly.js bundle (third-party code embedded
verbatim) is skipped. Customer and order ids are not personal data by these
rules; the dashboard and metrics carry none.

:func:`assert_clean` raises :class:`PrivacyError` naming each file and pattern,
with the matched value masked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

_CJK = r"\u4e00-\u9fff"

PATTERNS: dict[str, re.Pattern[str]] = {
    # not part of a longer number, of a decimal fraction (558.8457101625308) or of a
    # hex id or hash (finding_id 5c59a15500652596)
    "mobile phone number": re.compile(
        r"(?<![0-9A-Za-z.])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9A-Za-z]|\.[0-9])"
    ),
    "ID-card number": re.compile(
        r"(?<![0-9A-Za-z.])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])"
        r"(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
    ),
    "mobile phone number with separators": re.compile(
        r"(?<![0-9A-Za-z.])(?:\+?86[- ]?)?1[3-9][0-9][- ][0-9]{4}[- ][0-9]{4}(?![0-9A-Za-z])"
    ),
    # A match starts only where a run of address characters starts (the look-behind):
    # without it every position of a long run without "@" is a new attempt that reads
    # the rest of the run, and a 1 MB id took minutes (quadratic).
    "email address": re.compile(
        r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    ),
    "street address": re.compile(
        rf"[{_CJK}]{{1,12}}(?:路|街|大道|大街|巷|弄|胡同)\s*[0-9０-９一二三四五六七八九十百零]+\s*号"
    ),
    "administrative address": re.compile(
        rf"[{_CJK}]{{2,8}}(?:省|自治区)[{_CJK}]{{1,10}}?市[{_CJK}]{{1,10}}?(?:区|县|旗)"
    ),
}

#: Column names (lower-case) whose values are personal data when a source has them.
PERSONAL_COLUMNS: frozenset[str] = frozenset({
    "name", "full_name", "customer_name", "contact", "contact_name", "person_name",
    "first_name", "last_name", "legal_representative", "legal_person", "phone", "mobile",
    "telephone", "tel", "email", "e_mail", "address", "home_address", "id_card",
    "id_number", "id_no", "姓名", "联系人", "法定代表人", "电话", "手机", "手机号",
    "邮箱", "地址", "身份证", "身份证号",
})
#: ``table.column`` pairs that name organisations, not people.
ORGANISATION_COLUMNS: frozenset[str] = frozenset({"subsidiaries.name", "registry_snapshots.name"})

SKIP_SUFFIXES = (".log",)


class PrivacyError(Exception):
    """An export carries personal data; nothing may be published."""


@dataclass(frozen=True)
class Hit:
    """Personal data of one kind found in one file (the value masked)."""

    file: str
    pattern: str
    sample: str  # masked
    count: int

    def __str__(self) -> str:
        times = "" if self.count == 1 else f" ×{self.count}"
        return f"{self.file}: {self.pattern} ({self.sample}){times}"


def mask(value: str) -> str:
    """``13812345678`` → ``138****5678``; short values keep their first character."""
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1)
    keep = max(1, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


@functools.lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _id_card_ok(token: str) -> bool:
    from stdnum.cn import ric, uscc

    return ric.is_valid(token) and not uscc.is_valid(token)


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return re.compile(build(trie)) if trie else None


class Scanner:
    """Scan texts for :data:`PATTERNS` and for given personal values."""

    def __init__(self, personal_values: Iterable[str] = ()) -> None:
        values = {v.strip() for v in personal_values if v and len(v.strip()) >= 2}
        self._values = _trie_pattern(sorted(values))

    def scan_text(self, text: str) -> list[tuple[str, str]]:
        """``(pattern name, matched value)`` for every hit in ``text``."""
        js = _plotlyjs()
        if len(text) >= len(js) and js in text:
            text = text.replace(js, " ")
        hits: list[tuple[str, str]] = []
        for name, rx in PATTERNS.items():
            for m in rx.finditer(text):
                if name == "ID-card number" and not _id_card_ok(m.group(0)):
                    continue
                hits.append((name, m.group(0)))
        if self._values is not None:
            hits += [("personal name or contact value from the source", m.group(0))
                     for m in self._values.finditer(text) if m.group(0)]
        return hits

    def _strings(self, path: Path) -> Iterable[str]:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            df = pl.read_parquet(path)
            for col, dtype in df.schema.items():
                if dtype == pl.String:
                    yield from (v for v in df[col].unique().to_list() if v)
        elif suffix in (".json", ".ipynb"):
            if suffix == ".ipynb":  # nbformat joins multi-line strings (plotly.js is one)
                import nbformat

                root: Any = nbformat.read(str(path), as_version=4)
            else:
                root = json.loads(path.read_text(encoding="utf-8"))
            stack: list[Any] = [root]
            while stack:
                item = stack.pop()
                if isinstance(item, str):
                    yield item
                elif isinstance(item, Mapping):
                    stack.extend(item.keys())
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
        elif suffix == ".xlsx":  # a zip of XML parts: scan every text node
            import html
            import zipfile

            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    if member.endswith((".xml", ".rels")):
                        xml = z.read(member).decode("utf-8", errors="replace")
                        yield "\n".join(html.unescape(t) for t in re.findall(r">([^<]+)<", xml))
        else:
            yield path.read_text(encoding="utf-8", errors="replace")

    def scan_file(self, path: str | Path, name: str | None = None) -> list[Hit]:
        """The hits in one file (text, or the XML strings of a workbook), named ``name``."""
        path = Path(path)
        found: dict[str, list[str]] = {}
        for text in self._strings(path):
            for pattern, value in self.scan_text(text):
                found.setdefault(pattern, []).append(value)
        label = name or path.name
        return [Hit(label, p, mask(v[0]), len(v)) for p, v in found.items()]

    def scan_folder(self, folder: str | Path) -> list[Hit]:
        """The hits in every file under ``folder``, except hidden and skipped ones."""
        folder = Path(folder)
        hits: list[Hit] = []
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_file() and not rel.startswith(".") and not rel.endswith(SKIP_SUFFIXES):
                hits += self.scan_file(path, rel)
        return hits


def personal_values(source: str, *, limit: int = 200_000) -> list[str]:
    """Values of personal columns (:data:`PERSONAL_COLUMNS`) in any table of the
    source, read raw (the contract loader drops extra columns).
    """
    from workbench.sources import open_source

    src = open_source(source)
    values: list[str] = []
    for table in src.tables():
        try:
            lf = src.scan_raw(table)
            cols = [c for c in lf.collect_schema().names()
                    if c.lower() in PERSONAL_COLUMNS and f"{table}.{c}" not in ORGANISATION_COLUMNS]
            if not cols:
                continue
            df = lf.select([pl.col(c).cast(pl.String) for c in cols]).collect()
        except Exception:  # noqa: BLE001, S112 - validation already reported unreadable tables
            continue
        for c in cols:
            values += [v for v in df[c].drop_nulls().unique().to_list() if v]
        if len(values) > limit:
            break
    return values[:limit]


def assert_clean(folder: str | Path, personal: Iterable[str] = ()) -> None:
    """Raise :class:`PrivacyError` if any file in ``folder`` carries personal data."""
    hits = Scanner(personal).scan_folder(folder)
    if hits:
        raise PrivacyError(
            "personal data found in the exports (nothing was published): "
            + "; ".join(str(h) for h in hits)
        )
