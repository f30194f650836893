"""Unified social credit codes: structure and both check characters.

A USCC (GB 32100-2015) is 18 characters: the registration authority code (1st;
a digit *or a letter*: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他), the
entity category code (2nd), the 6-digit GB/T 2260 region code of the registering
authority (3rd–8th), the 9-character organisation code of GB 11714 (8 body
characters and their own check character) and a final GB 32100 check character.
Every character but the region is from the GB 32100 alphabet: the digits and the
capital letters without I, O, S, V, Z. Which authorities exist and which category
codes each assigns is data (:data:`AUTHORITIES`, :data:`CATEGORIES`); a code whose
first two characters are not in that table fails ``authority`` or ``category``.

Checking characters 1–8 as digits (as python-stdnum 2.2's ``stdnum.cn.uscc`` does)
rejects the valid codes of letter authorities — an agricultural collective
(``N2…``), an "other" authority's organisation (``Y1…``), a military public
institution (``A1…``) — and would raise a false ``invalid_uscc``; this module
implements the standard itself: :func:`gb32100_check` (weights 3^i mod 31, check =
31 − Σ mod 31, 31 → ``0``) over the 17 characters whatever they are, and
:func:`org_code_check` for the embedded GB 11714 code (weights 3 7 9 10 5 8 4 2,
check = 11 − Σ mod 11, 10 → ``X``, 11 → ``0``), which stdnum does not check.

:func:`check_usccs` judges every code *as given* (no trimming or upper-casing: a
code stored with a space or in lower case is a data problem worth a finding). Each
distinct code is checked once.

>>> check_uscc("91110000600037341L") is None
True
>>> check_uscc("91110000600037342P")  # right final character over a bad org code
'org_code_check'
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

#: GB 32100 alphabet (31 characters; I, O, S, V, Z unused).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_GB32100_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
#: GB 32100-2015 registration authority codes (1st character) and what they are.
AUTHORITIES: dict[str, str] = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "工商（市场监管）", "A": "中央军委改革和编制办公室",
    "N": "农业", "Y": "其他",
}
#: The entity category codes (2nd character) each authority assigns (GB 32100-2015
#: 第4.2条 and its table of 机构类别代码): e.g. 9 工商 → 1 企业, 2 个体工商户,
#: 3 农民专业合作社; N 农业 → 1 组级, 2 村级, 3 乡镇级集体经济组织, 9 其他; Y → 1 only.
CATEGORIES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常住新闻机构", "9": "其他"},
    "3": {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
          "5": "仲裁委员会", "9": "其他"},
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
          "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
          "9": "其他"},
    "Y": {"1": "（不再具体划分机构类别）"},
}

#: Which check failed, in the order they are tried; the first failure is reported.
CHECKS: dict[str, str] = {
    "missing": "no USCC given for an enterprise customer",
    "length": "not 18 characters long",
    "charset": "characters 3-8 (the region code) must be digits and the others from the "
    "GB 32100 alphabet (digits and capitals without I, O, S, V, Z)",
    "authority": "the 1st character is not a GB 32100 registration authority code "
    "(1-9, A, N, Y)",
    "category": "the 2nd character is not an entity category code of the registration "
    "authority in the 1st character",
    "gb32100_check": "the GB 32100 final check character (18th) does not match",
    "org_code_check": "the embedded GB 11714 organisation code (characters 9-17) fails its "
    "check character (17th)",
}

#: The standard each check rests on (cited in the finding's evidence).
STANDARDS: dict[str, str] = {
    "missing": "GB 32100-2015 第4章 代码结构 (an enterprise must carry its 18-character code)",
    "length": "GB 32100-2015 第4章 代码结构 (18 characters)",
    "charset": "GB 32100-2015 第4章 代码结构与字符集 (code structure and character set)",
    "authority": "GB 32100-2015 第4.1条 登记管理部门代码 (registration authority code)",
    "category": "GB 32100-2015 第4.2条 机构类别代码 (entity category code)",
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


def gb32100_check(first17: str) -> str:
    """GB 32100 check character of the first 17 characters of a USCC.

    >>> gb32100_check("91110000600037341")
    'L'
    """
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError(f"not 17 GB 32100 characters: {first17!r}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _GB32100_WEIGHTS,
                                                             strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: str | None) -> str | None:
    """The first check ``code`` fails (a key of :data:`CHECKS`), or ``None`` if valid.

    >>> [check_uscc(c) for c in (None, "9111", "91110000600037341l", "91110000600037341M")]
    ['missing', 'length', 'charset', 'gb32100_check']
    """
    if code is None or code == "":
        return "missing"
    if len(code) != 18:
        return "length"
    if not (code[2:8].isascii() and code[2:8].isdigit()) or any(
        c not in USCC_ALPHABET for c in code[:2] + code[8:]
    ):
        return "charset"
    if code[0] not in AUTHORITIES:
        return "authority"
    if code[1] not in CATEGORIES[code[0]]:
        return "category"
    if code[17] != gb32100_check(code[:17]):
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
