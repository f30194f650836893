"""Unified social credit codes (GB 32100-2015) with their embedded organisation code (GB 11714).

python-stdnum checks the USCC's final character only; the contract also requires the
embedded GB 11714 organisation code check character, so the generator has its own
complete validator and a generator that can break either check on purpose.
"""

from __future__ import annotations

import numpy as np

# GB 32100: 31 characters, the letters I, O, S, V, Z are not used.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714: eight body characters weighted 3 7 9 10 5 8 4 2, check = 11 - sum mod 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Plausible registration authority/type prefixes ("91" = SAMR, enterprise) and
# county-level GB/T 2260 codes per province.
REGION_CODES: dict[str, tuple[str, ...]] = {
    "31": ("310101", "310104", "310112", "310115", "310117"),
    "11": ("110101", "110105", "110108", "110114", "110115"),
    "44": ("440103", "440106", "440304", "440305", "441900"),
    "33": ("330102", "330106", "330108", "330212", "330681"),
    "51": ("510104", "510107", "510116", "510122", "510703"),
    "42": ("420102", "420106", "420111", "420115", "420502"),
}


def _char_value(c: str) -> int:
    """GB 11714 character value: digits 0-9, letters A=10 … Z=35."""
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check(body: str) -> str:
    """GB 11714 check character for an eight-character organisation code body.

    >>> org_code_check("D2143569")
    'X'
    """
    total = sum(_char_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def uscc_check(first17: str) -> str:
    """GB 32100 final check character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str | None) -> bool:
    """True when ``code`` has the USCC structure and both check characters hold.

    >>> is_valid_uscc("91110000600037341L")
    True
    >>> is_valid_uscc("91110000600037341M")
    False
    >>> is_valid_uscc("N2330481MA2X3Y4F8" + uscc_check("N2330481MA2X3Y4F8"))  # letter authority
    True
    """
    if code is None or len(code) != 18:
        return False
    # 1st: registration authority (GB 32100 第4.1条: 1-9, A, N, Y), 3rd-8th: region digits
    if code[0] not in "123456789ANY" or not (code[2:8].isascii() and code[2:8].isdigit()):
        return False
    if any(c not in USCC_ALPHABET for c in code[1] + code[8:]):
        return False
    if code[17] != uscc_check(code[:17]):
        return False
    return code[16] == org_code_check(code[8:16])


def make_usccs(rng: np.random.Generator, provinces: list[str]) -> list[str]:
    """Valid, distinct USCCs, one per entry of ``provinces`` (2-digit codes)."""
    out: list[str] = []
    seen: set[str] = set()
    kinds = rng.choice(["91", "92", "93", "12"], size=len(provinces), p=[0.88, 0.04, 0.04, 0.04])
    for prov, kind in zip(provinces, kinds, strict=True):
        regions = REGION_CODES.get(prov, REGION_CODES["31"])
        while True:
            region = regions[int(rng.integers(len(regions)))]
            body = "".join(str(d) for d in rng.integers(0, 10, size=8))
            if rng.random() < 0.15:  # newer codes often start with a letter (主体标识码)
                body = "MA" + body[2:]
            first17 = kind + region + body + org_code_check(body)
            code = first17 + uscc_check(first17)
            if code not in seen:
                seen.add(code)
                out.append(code)
                break
    return out


def corrupt_uscc(code: str, how: str) -> str:
    """Break one check of a valid USCC.

    ``how="final"`` changes the GB 32100 check character (every validator sees it);
    ``how="org"`` changes the embedded GB 11714 check character and recomputes the
    final one, so a final-character-only validator (python-stdnum) still accepts it.
    """
    if how == "final":
        i = USCC_ALPHABET.index(code[17])
        return code[:17] + USCC_ALPHABET[(i + 7) % len(USCC_ALPHABET)]
    if how == "org":
        good = code[16]
        bad = "1" if good != "1" else "2"
        first17 = code[:16] + bad
        return first17 + uscc_check(first17)
    raise ValueError(f"unknown corruption {how!r}")
