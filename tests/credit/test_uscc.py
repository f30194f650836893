from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from workbench.credit.uscc import CHECKS, check_uscc, check_usccs, is_valid_uscc, org_code_check

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
        ("A1110000600037341L", "charset"),  # first 8 must be digits
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
