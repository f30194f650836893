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

:func:`assert_clean` raises :class:`PrivacyError` naming each file, where in it
(:func:`Scanner.scan_file`: the column of a parquet or CSV file, the sheet and column
of a workbook, the notebook cell and the section and table column of an HTML table,
the key of a JSON value, else the line) and the pattern — never the value, not even
masked: the message goes to logs and mail that are not the report.
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
#: Places named in a :class:`PrivacyError` message (the rest are counted).
MAX_HITS_SHOWN = 40


class PrivacyError(Exception):
    """An export carries personal data; nothing may be published."""


@dataclass(frozen=True)
class Hit:
    """Personal data of one kind found in one place of one file (never the value)."""

    file: str
    where: str  # "column detail", "sheet 投诉, column 证据", "cell 12 output, …", "line 3"
    pattern: str
    count: int

    def __str__(self) -> str:
        times = "" if self.count == 1 else f" ×{self.count}"
        place = f" ({self.where})" if self.where else ""
        return f"{self.file}{place}: {self.pattern}{times}"


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


#: Joins the values of one column before a scan: no pattern matches across it.
_JOIN = "\x1f"
#: What a file is read into: (where in the file, text, "html" when it is HTML).
Piece = tuple[str, str, str]
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.S | re.I)
_CELL = re.compile(r"<t[dh]\b", re.I)
_TH = re.compile(r"<th\b[^>]*>(.*?)</th\s*>", re.S | re.I)


def _plain(markup: str, limit: int = 60) -> str:
    """The text of a bit of HTML (a heading, a header cell), short."""
    import html

    text = html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("¶", "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _HtmlPlace:
    """Where a position of an HTML text is: the section (the last heading before it)
    and, inside a table, the column header; inside a script, the figure. Computed
    only for hits: a file without personal data costs nothing more.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._heads: list[tuple[int, str]] | None = None

    def _section(self, pos: int) -> str | None:
        import bisect

        if self._heads is None:
            self._heads = [(m.start(), _plain(m.group(2))) for m in _HEADING.finditer(self.text)]
        i = bisect.bisect_right(self._heads, (pos, "\uffff")) - 1
        return self._heads[i][1] if i >= 0 else None

    def _column(self, pos: int) -> str | None:
        t = self.text
        script = t.rfind("<script", 0, pos)
        if script >= 0 and t.rfind("</script", script, pos) < 0:
            return "figure"
        table = t.rfind("<table", 0, pos)
        row = t.rfind("<tr", table, pos) if table >= 0 else -1
        if row < 0 or t.rfind("</table", table, pos) >= 0:
            return None
        index = len(_CELL.findall(t, row, pos)) - 1
        first = t.find("<tr", table)
        heads = [_plain(h) for h in _TH.findall(t, first, t.find("</tr", first))]
        if 0 <= index < len(heads) and heads[index]:
            return f"column «{heads[index]}»"
        return f"table column {index + 1}"

    def __call__(self, pos: int) -> str:
        section, column = self._section(pos), self._column(pos)
        return ", ".join([*([f"section «{section}»"] if section else []),
                          *([column] if column else [])])


def _line_of(text: str) -> Any:
    """``pos`` → ``"line N"`` for a plain text (newlines indexed on first use)."""
    import bisect

    lines: list[int] = []

    def where(pos: int) -> str:
        if not lines:
            lines.extend(m.start() for m in re.finditer("\n", text))
            lines.append(len(text))
        return f"line {bisect.bisect_left(lines, pos) + 1}"

    return where


def _json_pieces(root: Any, prefix: str = "") -> Iterable[Piece]:
    """Every string of a JSON value, keys included, with its key path."""
    stack: list[tuple[Any, str]] = [(root, prefix)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield (f"key {at}" if at else "", item, "")
        elif isinstance(item, Mapping):
            for k, v in item.items():
                key = f"{at}.{k}" if at else str(k)
                stack += [(str(k), at), (v, key)]
        elif isinstance(item, list):
            stack += [(v, f"{at}[{i}]") for i, v in enumerate(item)]


def _notebook_pieces(path: Path) -> Iterable[Piece]:
    """A notebook's cells (source and outputs) by cell number and section heading;
    HTML outputs located further by :class:`_HtmlPlace`; metadata by key.
    """
    import nbformat

    nb: Any = nbformat.read(str(path), as_version=4)  # joins multi-line strings
    yield from _json_pieces(dict(nb.metadata), "metadata")
    section = ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            heads = [ln.lstrip("#").strip() for ln in cell.source.splitlines()
                     if ln.startswith("#")]
            section = _plain(heads[0]) if heads else section
        at = f"cell {i}" + (f", section «{section}»" if section else "")
        yield (f"{at}, source", cell.source, "")
        for out in cell.get("outputs", []):
            if "text" in out:
                yield (f"{at}, output", str(out["text"]), "")
            for mime, data in (out.get("data") or {}).items():
                text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
                yield (f"{at}, output", text, "html" if mime == "text/html" else "")
            if "traceback" in out:
                yield (f"{at}, output", "\n".join(out["traceback"]), "")


def _csv_pieces(path: Path) -> Iterable[Piece]:
    """A CSV file column by column, named by its header."""
    import csv

    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        columns: list[list[str]] = [[] for _ in header]
        extra: list[str] = []
        for row in rows:
            for j, v in enumerate(row):
                (columns[j] if j < len(columns) else extra).append(v)
    yield from ((f"column {h}", _JOIN.join(c), "") for h, c in zip(header, columns, strict=True))
    yield ("header", _JOIN.join(header), "")
    if extra:
        yield ("cells beyond the header", _JOIN.join(extra), "")


def _xlsx_pieces(path: Path) -> Iterable[Piece]:
    """A workbook sheet by sheet and column by column (named by the header row of its
    autofilter, else by its letter); every other XML part (properties, comments) as a
    whole.
    """
    import html
    import zipfile

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        strings = z.read("xl/sharedStrings.xml").decode("utf-8") if (
            "xl/sharedStrings.xml" in names) else ""
        shared = [html.unescape(re.sub(r"<[^>]+>", "", si))
                  for si in re.findall(r"<si>(.*?)</si>", strings, re.S)]
        book = z.read("xl/workbook.xml").decode("utf-8") if "xl/workbook.xml" in names else ""
        sheets = [html.unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', book)]
        for member in names:
            if not member.endswith((".xml", ".rels")) or member == "xl/sharedStrings.xml":
                continue
            xml = z.read(member).decode("utf-8", errors="replace")
            sheet = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", member)
            if sheet is None:
                yield (member, "\n".join(html.unescape(t) for t in re.findall(r">([^<]+)<", xml)),
                       "")
                continue
            n = int(sheet.group(1))
            yield from _sheet_pieces(xml, shared, sheets[n - 1] if n <= len(sheets) else member)


def _sheet_pieces(xml: str, shared: list[str], sheet: str) -> Iterable[Piece]:
    import html

    head_row = re.search(r'<autoFilter ref="[A-Z]+(\d+)', xml)
    header_at = head_row.group(1) if head_row else None
    columns: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    for attrs, body in re.findall(r"<c ([^>]*?)(?:/>|>(.*?)</c>)", xml, re.S):
        ref = re.search(r'r="([A-Z]+)(\d+)"', attrs)
        value = re.search(r"<v>(.*?)</v>", body or "") or re.search(r"<t[^>]*>(.*?)</t>",
                                                                    body or "", re.S)
        if ref is None or value is None:
            continue
        text = value.group(1)
        text = shared[int(text)] if 't="s"' in attrs and text.isdigit() else html.unescape(text)
        col, row = ref.groups()
        if row == header_at:
            headers[col] = text
        columns.setdefault(col, []).append(text)
    for col, texts in columns.items():
        name = _plain(headers[col]) if col in headers else col
        yield (f"sheet {sheet}, column {name}", _JOIN.join(texts), "")


def _pieces(path: Path) -> Iterable[Piece]:
    """The texts of one file, each with where it is in the file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df = pl.read_parquet(path)
        for col, dtype in df.schema.items():
            if dtype == pl.String:
                values = [v for v in df[col].unique().to_list() if v]
                yield (f"column {col}", _JOIN.join(values), "")
        yield ("column names", _JOIN.join(df.columns), "")
    elif suffix == ".ipynb":
        yield from _notebook_pieces(path)
    elif suffix == ".json":
        yield from _json_pieces(json.loads(path.read_text(encoding="utf-8")))
    elif suffix == ".csv":
        yield from _csv_pieces(path)
    elif suffix == ".xlsx":
        yield from _xlsx_pieces(path)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        yield ("", text, "html" if suffix in (".html", ".htm") else "")


class Scanner:
    """Scan texts for :data:`PATTERNS` and for given personal values."""

    def __init__(self, personal_values: Iterable[str] = ()) -> None:
        values = {v.strip() for v in personal_values if v and len(v.strip()) >= 2}
        self._values = _trie_pattern(sorted(values))

    @staticmethod
    def _without_plotlyjs(text: str) -> str:
        js = _plotlyjs()
        return text.replace(js, " ") if len(text) >= len(js) and js in text else text

    def _matches(self, text: str) -> Iterable[tuple[str, str, int]]:
        """``(pattern name, matched value, position)`` of every hit in ``text``."""
        for name, rx in PATTERNS.items():
            for m in rx.finditer(text):
                if name != "ID-card number" or _id_card_ok(m.group(0)):
                    yield name, m.group(0), m.start()
        if self._values is not None:
            yield from (("personal name or contact value from the source", m.group(0), m.start())
                        for m in self._values.finditer(text) if m.group(0))

    def scan_text(self, text: str) -> list[tuple[str, str]]:
        """``(pattern name, matched value)`` for every hit in ``text``."""
        return [(p, v) for p, v, _ in self._matches(self._without_plotlyjs(text))]

    def scan_file(self, path: str | Path, name: str | None = None) -> list[Hit]:
        """The hits in one file, named ``name``, counted per place and pattern: the
        column of a parquet or CSV file, the sheet and column of a workbook, the cell
        of a notebook, the section and table column of HTML, the key of JSON, else the
        line. The values themselves are not kept.
        """
        path = Path(path)
        found: dict[tuple[str, str], int] = {}
        for where, raw, kind in _pieces(path):
            text = self._without_plotlyjs(raw)
            place = _HtmlPlace(text) if kind == "html" else None if where else _line_of(text)
            for pattern, _, pos in self._matches(text):
                inner = place(pos) if place is not None else ""
                key = (", ".join(w for w in (where, inner) if w), pattern)
                found[key] = found.get(key, 0) + 1
        label = name or path.name
        return [Hit(label, w, p, n) for (w, p), n in found.items()]

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
        shown = "; ".join(str(h) for h in hits[:MAX_HITS_SHOWN])
        more = len(hits) - MAX_HITS_SHOWN
        raise PrivacyError(
            "personal data found in the exports (nothing was published; where, not the "
            "values): " + shown + (f"; and {more} more places" if more > 0 else "")
        )
