from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from workbench.credit import check_uscc, check_usccs, is_valid_uscc, org_code_check
from workbench.credit._uscc import CHECKS, gb32100_check

VALID = "91110000600037341L"  # a published code: org code 60003734-1


def _with_org_check(code: str, org_check: str) -> str:
    """Replace the org-code check character and recompute the GB 32100 final one."""
    first17 = code[:16] + org_check
    return first17 + stdnum_uscc.calc_check_digit(first17)


def test_valid_code_passes() -> None:
    assert check_uscc(VALID) is None
    assert is_valid_uscc(VALID)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("60003734", "1"),
        ("D2143569", "X"),  # check 10 -> X (GB 11714 example)
        ("00000000", "0"),  # 11 - 0 mod 11 = 11 -> 0
        ("MA000001", None),  # letters: A=10, M=22
    ],
)
def test_gb11714_check_character(body: str, check: str | None) -> None:
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    total = sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    expected = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    assert org_code_check(body) == expected
    if check is not None:
        assert org_code_check(body) == check


def test_bad_final_character_fails_gb32100() -> None:
    bad = VALID[:17] + "M"
    assert check_uscc(bad) == "gb32100_check"


def test_bad_embedded_org_code_fails_even_though_stdnum_accepts_it() -> None:
    bad = _with_org_check(VALID, "2")
    assert stdnum_uscc.is_valid(bad)  # the final character alone is fine
    assert check_uscc(bad) == "org_code_check"


@pytest.mark.parametrize(
    ("code", "failed"),
    [
        (None, "missing"),
        ("", "missing"),
        (VALID[:17], "length"),
        (VALID + "0", "length"),
        (" " + VALID[1:], "charset"),
        (VALID.lower(), "charset"),  # lower-case letters are not the GB 32100 alphabet
        ("9111000060003734IL", "charset"),  # I is not used
        ("91A10000600037341L", "charset"),  # the region code (3-8) must be digits
        ("B1110000600037341L", "authority"),  # B is no registration authority
        ("A1110000600037341L", "gb32100_check"),  # A is one (CMC), the check fails
        ("91110000600037341O", "charset"),
    ],
)
def test_structure(code: str | None, failed: str) -> None:
    assert check_uscc(code) == failed
    assert failed in CHECKS


def test_check_usccs_judges_each_distinct_code_once() -> None:
    df = check_usccs([VALID, VALID, VALID[:17] + "M"])
    assert df.height == 2
    assert df.filter(~df["is_valid"])["failed_check"].to_list() == ["gb32100_check"]


def test_agrees_with_the_sample_generator_validator() -> None:
    from workbench.samples import corrupt_uscc
    from workbench.samples import is_valid_uscc as reference

    codes = [VALID, "91310115MA0683450T", corrupt_uscc(VALID, "final"), corrupt_uscc(VALID, "org")]
    assert [is_valid_uscc(c) for c in codes] == [reference(c) for c in codes]


# --------------------------------------------------------- published valid codes
#: Real codes published by their holders or in python-stdnum's own tests. Each is
#: checked here against both check characters (GB 32100 and the embedded GB 11714
#: one), which a random 18-character string passes with probability 1/341.
PUBLISHED = {
    # python-stdnum: stdnum/cn/uscc.py doctest and tests/test_cn_uscc.doctest
    # ("found online and should all be valid numbers").
    "91110000600037341L": "stdnum docstring example",
    "121200004013590816": "stdnum tests (a public institution, authority code 1)",
    "91110000710926094P": "stdnum tests",
    "91120224064012553U": "stdnum tests",
    "91310000631696382C": "stdnum tests",
    "91310115MA1K3BTP2B": "stdnum tests (post-2015 MA… organisation code)",
    "9131012056010553X5": "stdnum tests (org check character X)",
    "913205056082348768": "stdnum tests",
    "91340600MA2PBM9HXD": "stdnum tests",
    "91420684MA4927PJ7B": "stdnum tests",
    "9144030071526726XG": "stdnum tests",
    "91620105L015101280": "stdnum tests (letter in the org-code body)",
    "92340602MA2PBMEM24": "stdnum tests (individual business, entity type 2)",
    # Printed on the holders' own public disclosures (annual reports, licences).
    "914403001922038216": "华为技术有限公司 Huawei Technologies Co., Ltd.",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司 Shenzhen Tencent Computer Systems",
    "91440300100012316L": "中国平安保险（集团）股份有限公司 Ping An Insurance (Group)",
    "91110108551385082Q": "小米科技有限责任公司 Xiaomi Inc.",
}


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_published_codes_are_valid(code: str) -> None:
    assert check_uscc(code) is None, PUBLISHED[code]
    assert stdnum_uscc.is_valid(code)
    assert code[16] == org_code_check(code[8:16])  # the embedded GB 11714 check holds too


def _single_substitutions(code: str) -> list[tuple[int, str, str]]:
    """Every ``(position, character, corrupted code)`` that changes exactly one
    character of ``code`` to another character of the GB 32100 alphabet."""
    from workbench.credit._uscc import USCC_ALPHABET

    return [
        (i, c, code[:i] + c + code[i + 1 :])
        for i in range(18)
        for c in USCC_ALPHABET
        if c != code[i]
    ]


def _expected_failure(bad: str) -> str:
    """Which check a single-substitution corruption of a valid code must fail first."""
    from workbench.credit._uscc import AUTHORITIES, CATEGORIES

    if not bad[2:8].isdigit():
        return "charset"
    if bad[0] not in AUTHORITIES:
        return "authority"
    if bad[1] not in CATEGORIES[bad[0]]:
        return "category"
    return "gb32100_check"


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_every_single_character_corruption_is_caught(code: str) -> None:
    """All 18 × 30 single substitutions of a valid code are invalid.

    Why GB 32100 catches every one: the final character is
    ``c18 = (31 − Σ_{i=1..17} v_i·w_i mod 31) mod 31`` with ``w_i = 3^(i−1) mod 31``
    and ``v`` the character's index in the 31-character alphabet. Changing
    position ``i ≤ 17`` from ``v`` to ``v' ≠ v`` changes the sum by
    ``w_i·(v' − v)``. 31 is prime, ``w_i`` is a power of 3 (never ≡ 0 mod 31) and
    ``0 < |v' − v| ≤ 30``, so the product is never ≡ 0 mod 31: the expected check
    character changes while the given one does not. Changing position 18 itself
    gives a character other than the (unique) expected one. The GB 11714 org
    check (mod 11) would miss some substitutions in characters 9-16 (values up to
    35 can differ by 11 or 22), which is why it is the second line, not the first.
    Letters in the region code (characters 3-8) fail the structure check and a
    1st character that is no registration authority fails that check, both before
    any arithmetic; letters are legitimate in characters 1-2 (``N2…``, ``Y1…``).
    """
    subs = _single_substitutions(code)
    assert len(subs) == 18 * 30
    for i, c, bad in subs:
        failed = check_uscc(bad)
        assert failed is not None, (i, c, bad)
        assert failed == _expected_failure(bad), (i, c, bad, failed)
    # Characters outside the alphabet are structure failures at every position.
    for i in range(18):
        for c in ("I", "O", "S", "V", "Z", "a", " ", "０"):
            assert check_uscc(code[:i] + c + code[i + 1 :]) == "charset", (i, c)


# ------------------------------------------- letter registration authorities
def _complete(first16: str) -> str:
    """A code with both check characters computed by the standards' formulas."""
    first17 = first16 + org_code_check(first16[8:16])
    return first17 + stdnum_uscc.calc_check_digit(first17)


#: Codes of letter authorities (GB 32100 第4.1条): N 农业 (collective economic
#: organisations N1-N3), Y 其他, A 中央军委改革和编制办公室. Both check characters
#: are python-stdnum's own ``calc_check_digit`` and GB 11714's formula.
LETTER_AUTHORITIES = [
    _complete("N2330481" + "MA2X3Y4F"),  # 村级集体经济组织, 浙江海宁
    _complete("N1510107" + "00000001"),  # 组级集体经济组织
    _complete("Y1110105" + "MA01ABCD"),  # 其他登记管理部门
    _complete("A1110000" + "12345678"),  # 军队事业单位
]


@pytest.mark.parametrize("code", LETTER_AUTHORITIES)
def test_valid_codes_of_letter_authorities_are_valid(code: str) -> None:
    """python-stdnum computes the same final character but rejects the code because
    it wants digits in characters 1-8; the workbench must not inherit that."""
    assert check_uscc(code) is None
    assert gb32100_check(code[:17]) == stdnum_uscc.calc_check_digit(code[:17]) == code[17]
    assert not stdnum_uscc.is_valid(code)  # the bug the workbench does not inherit
    assert check_usccs([code])["is_valid"].item()


def test_gb32100_check_agrees_with_stdnum_on_every_published_and_random_code() -> None:
    import random

    rnd = random.Random(3)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes = [c[:17] for c in PUBLISHED] + [
        "".join(rnd.choice(alphabet) for _ in range(17)) for _ in range(2_000)]
    for first17 in codes:
        assert gb32100_check(first17) == stdnum_uscc.calc_check_digit(first17), first17


def _every_authority_and_category() -> list[str]:
    from workbench.credit._uscc import CATEGORIES

    return [_complete(a + c + "110105" + "MA01B2C3") for a, cats in CATEGORIES.items()
            for c in cats]


@pytest.mark.parametrize("code", _every_authority_and_category())
def test_a_code_of_every_authority_and_category_is_valid_and_every_corruption_fails(
        code: str) -> None:
    """GB 32100's table as data: all 12 authorities × their category codes (36
    codes) pass; each of their 18 × 30 single-character corruptions fails the check
    that comes first (structure, authority, category, then the check character)."""
    assert check_uscc(code) is None
    for i, c, bad in _single_substitutions(code):
        assert check_uscc(bad) == _expected_failure(bad), (i, c, bad)


def test_a_category_the_authority_does_not_assign_is_named() -> None:
    code = _complete("94110105" + "MA01B2C3")  # 工商 assigns 1, 2, 3 only
    assert check_uscc(code) == "category"
    assert check_uscc(_complete("Y2110105" + "MA01B2C3")) == "category"  # Y: 1 only
