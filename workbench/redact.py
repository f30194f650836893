"""Identifiers in free text are masked where the text enters the workbench.

Free-text columns (a complaint's root cause, a handling note, the reason for a
manual tier, a registry penalty's reason, a business scope) are written by people
and can hold a customer's name and phone number ("王先生 139 1234 5678 投诉配送慢");
whatever an analysis copies from them (a recurring root cause, a worklist row)
would carry it into findings.csv, the HTML reports and the worklists. So the
loader masks identifiers in every free-text column of :data:`FREE_TEXT_COLUMNS`
(:func:`mask_free_text`), before any analysis sees the text — by construction,
not by a scan at the end. The publish-time scan (:mod:`workbench.report.privacy`)
stays as the second line.

Masked (each with a placeholder that says what was there, so the text still
groups and reads): mobile phones with or without separators (``139 1234 5678``,
``139-1234-5678``, ``+86 13912345678``), landlines with an area code
(``021-6234 5678``), 18-character ID-card numbers, e-mail addresses, bank-card
numbers (16–19 digits, separators allowed), and a name before an honorific
(``王先生``, ``李女士``, ``张小姐``; not job titles such as 经理, which are
ordinary words in a handling note: "升级至区域客服经理") or a name written right next to a phone
number (``张三 139…``: a word of two or three characters right before or after it).
The patterns run in polars (Rust ``regex``: linear time whatever the input, so a
1 MB value cannot hang a run).
"""

from __future__ import annotations

import polars as pl

#: ``table`` → its free-text columns (contract: ``str`` columns people write).
FREE_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "tier_assignments": ("reason",),
    "complaints": ("root_cause",),
    "complaint_events": ("note",),
    "registry_snapshots": ("business_scope",),
    "registry_events": ("reason",),
}

_D = "[0-9０-９]"
_SEP = r"[\s\-－—·.]?"
_PRE = r"(?P<pre>^|[^0-9０-９A-Za-z])"  # not inside a longer number or code
#: (pattern, replacement), applied in order (the longer numbers first).
MASKS: tuple[tuple[str, str], ...] = (
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "［邮箱］"),
    (rf"{_PRE}[1-9]{_D}{{5}}(?:18|19|20){_D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
     rf"{_D}{{3}}[0-9Xx]", "${pre}［身份证号］"),
    (rf"{_PRE}(?:[3-6]{_D}{{3}}{_SEP})(?:{_D}{{4}}{_SEP}){{2}}{_D}{{4}}(?:{_SEP}?{_D}{{1,3}})?",
     "${pre}［银行卡号］"),
    (rf"{_PRE}(?:\+?86{_SEP})?1[3-9]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}", "${pre}［电话］"),
    (rf"{_PRE}0{_D}{{2,3}}{_SEP}{_D}{{3,4}}{_SEP}{_D}{{4}}", "${pre}［电话］"),
    (r"\p{Han}{1,3}(?P<title>先生|女士|小姐)", "［姓名］${title}"),
    # a name written right next to a phone number (before it, or after it as a word)
    (r"(?P<pre>^|[^\p{Han}］])\p{Han}{2,3}(?P<sp>\s*)［电话］", "${pre}［姓名］${sp}［电话］"),
    (r"［电话］(?P<sp>\s*)\p{Han}{2,3}(?P<post>$|[\s,，。;；、)）])",
     "［电话］${sp}［姓名］${post}"),
)


def mask_identifiers(expr: pl.Expr) -> pl.Expr:
    """``expr`` (a string column) with every identifier of :data:`MASKS` replaced.

    >>> df = pl.DataFrame({"t": ["王先生 139 1234 5678 投诉配送慢", "送货慢", None,
    ...                          "单号 20260915123456，联系 li.na@example.com"]})
    >>> df.select(mask_identifiers(pl.col("t")))["t"].to_list()
    ['［姓名］先生 ［电话］ 投诉配送慢', '送货慢', None, '单号 20260915123456，联系 ［邮箱］']
    """
    out = expr
    for pattern, replacement in MASKS:
        out = out.str.replace_all(pattern, replacement)
    return out


def mask_free_text(table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` of contract table ``table`` with its free-text columns masked."""
    columns = [c for c in FREE_TEXT_COLUMNS.get(table, ()) if c in frame.collect_schema()]
    if not columns:
        return frame
    return frame.with_columns(mask_identifiers(pl.col(c)).alias(c) for c in columns)
