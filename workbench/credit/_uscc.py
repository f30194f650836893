"""Unified social credit codes: structure and both check characters.

A USCC (GB 32100-2015) is 18 characters: registration authority (1) and entity
type (1) codes, the 6-digit GB/T 2260 region code, the 9-character organisation
code of GB 11714 (8 body characters and their own check character) and a final
GB 32100 check character. The alphabet is the digits and the capital letters
without I, O, S, V, Z.

:func:`check_usccs` judges every code *as given* (no trimming or upper-casing: a
code stored with a space or in lower case is a data problem worth a finding). The
GB 32100 final character is checked with python-stdnum's ``stdnum.cn.uscc``, which
does **not** check the embedded organisation code; :func:`org_code_check`
implements GB 11714 (weights 3 7 9 10 5 8 4 2, check = 11 − Σ mod 11, 10 → ``X``,
11 → ``0``). Each distinct code is checked once.

>>> check_uscc("91110000600037341L") is None
True
>>> check_uscc("91110000600037342P")  # right final character over a bad org code
'org_code_check'
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from stdnum.cn import uscc as _stdnum_uscc
from stdnum.exceptions import ValidationError

#: GB 32100 alphabet (31 characters; I, O, S, V, Z unused).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Which check failed, in the order they are tried; the first failure is reported.
CHECKS: dict[str, str] = {
    "missing": "no USCC given for an enterprise customer",
    "length": "not 18 characters long",
    "charset": "characters 1-8 must be digits and 9-18 from the GB 32100 alphabet "
    "(digits and capitals without I, O, S, V, Z)",
    "gb32100_check": "the GB 32100 final check character (18th) does not match",
    "org_code_check": "the embedded GB 11714 organisation code (characters 9-17) fails its "
    "check character (17th)",
}

#: The standard each check rests on (cited in the finding's evidence).
STANDARDS: dict[str, str] = {
    "missing": "GB 32100-2015 第4章 代码结构 (an enterprise must carry its 18-character code)",
    "length": "GB 32100-2015 第4章 代码结构 (18 characters)",
    "charset": "GB 32100-2015 第4章 代码结构与字符集 (code structure and character set)",
    "gb32100_check": "GB 32100-2015 第5章及附录 校验码 (final check character, weights 3^i mod 31)",
    "org_code_check": "GB 11714-1997 全国组织机构代码编制规则 (organisation code check character)",
}

USCC_CHECK_SCHEMA: dict[str, pl.DataType] = {
    "uscc": pl.String(),
    "is_valid": pl.Boolean(),
    "failed_check": pl.String(),
}


def _char_value(c: str) -> int:
    """GB 11714 character value: digits 0-9, letters A=10 … Z=35."""
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check(body: str) -> str:
    """GB 11714 check character for an eight-character organisation code body.

    >>> org_code_check("D2143569")
    'X'
    >>> org_code_check("60003734")
    '1'
    """
    if len(body) != 8:
        raise ValueError(f"an organisation code body has 8 characters, not {len(body)}")
    total = sum(_char_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def check_uscc(code: str | None) -> str | None:
    """The first check ``code`` fails (a key of :data:`CHECKS`), or ``None`` if valid.

    >>> [check_uscc(c) for c in (None, "9111", "91110000600037341l", "91110000600037341M")]
    ['missing', 'length', 'charset', 'gb32100_check']
    """
    if code is None or code == "":
        return "missing"
    if len(code) != 18:
        return "length"
    if not (code[:8].isascii() and code[:8].isdigit()) or any(
        c not in USCC_ALPHABET for c in code[8:]
    ):
        return "charset"
    try:
        _stdnum_uscc.validate(code)
    except ValidationError:
        return "gb32100_check"
    if code[16] != org_code_check(code[8:16]):
        return "org_code_check"
    return None


def is_valid_uscc(code: str | None) -> bool:
    """True when ``code`` has the USCC structure and both check characters hold.

    >>> is_valid_uscc("91110000600037341L"), is_valid_uscc("91110000600037341M")
    (True, False)
    """
    return check_uscc(code) is None


def check_usccs(codes: Iterable[str | None] | pl.Series) -> pl.DataFrame:
    """Judge each distinct code once: columns ``uscc``, ``is_valid``, ``failed_check``.

    >>> check_usccs(["91110000600037341L", "91110000600037341M"]).row(1)
    ('91110000600037341M', False, 'gb32100_check')
    """
    unique = sorted(set(codes), key=lambda c: (c is None, c or ""))
    failed = [check_uscc(c) for c in unique]
    return pl.DataFrame(
        {"uscc": unique, "is_valid": [f is None for f in failed], "failed_check": failed},
        schema=USCC_CHECK_SCHEMA,
    )
