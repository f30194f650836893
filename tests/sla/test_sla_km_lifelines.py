"""Kaplan–Meier, its log(−log) Greenwood band and the median / 90th-percentile
intervals against lifelines, to 1e-9.

lifelines needs pandas < 3 and the workbench runs on pandas 3, so lifelines' numbers
were produced once in a throwaway environment by ``tests/sla/lifelines_reference.py``
(which says how to regenerate them) and committed as ``data/km_lifelines.json``
together with the lifelines version that produced them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.sla._survival import kaplan_meier, km_by_group, km_summary, survival_quantile

REF = json.loads((Path(__file__).parent / "data" / "km_lifelines.json").read_text(encoding="utf-8"))
TOL = 1e-9


def test_the_reference_names_its_lifelines_version() -> None:
    assert REF["lifelines_version"].startswith("0.") and REF["alpha"] == 0.05


@pytest.mark.parametrize("name", sorted(REF["groups"]))
def test_km_curve_and_band_match_lifelines(name: str) -> None:
    g = REF["groups"][name]
    km = kaplan_meier(np.array(g["durations"]), np.array(g["observed"], dtype=bool),
                      level=1 - REF["alpha"])
    ours = {t: i for i, t in enumerate(km["time"].to_list())}
    # lifelines' timeline adds t = 0 (S = 1) when no duration is 0; every other time is ours
    theirs = [(i, t) for i, t in enumerate(g["timeline"]) if not (t == 0 and t not in ours)]
    assert [t for _, t in theirs] == km["time"].to_list()
    idx = [i for i, _ in theirs]
    for col, ref in (("survival", "survival"), ("ci_low", "ci_lower"), ("ci_high", "ci_upper")):
        want = np.array(g[ref])[idx]
        np.testing.assert_allclose(km[col].to_numpy(), want, rtol=0, atol=TOL,
                                   err_msg=f"{name} {col}")


@pytest.mark.parametrize("name", sorted(REF["groups"]))
def test_median_and_p90_with_intervals_match_lifelines(name: str) -> None:
    g = REF["groups"][name]
    km = kaplan_meier(np.array(g["durations"]), np.array(g["observed"], dtype=bool))
    for share, key in ((0.5, "median"), (0.9, "p90")):
        got = [survival_quantile(km, share, c) for c in ("survival", "ci_low", "ci_high")]
        want = [g[key], *g[f"{key}_ci"]]
        for a, b in zip(got, want, strict=True):
            assert (a is None and b is None) or abs(a - b) <= TOL, (name, key, got, want)


def test_summary_table_by_group_uses_the_same_quantiles() -> None:
    rows = [
        {"grp": name, "hours": t, "resolved": e}
        for name, g in REF["groups"].items()
        for t, e in zip(g["durations"], g["observed"], strict=True)
    ]
    times = pl.DataFrame(rows)
    s = km_summary(km_by_group(times, "grp"), "grp")
    for r in s.iter_rows(named=True):
        g = REF["groups"][r["group"]]
        assert r["complaints"] == len(g["durations"]) and r["resolved"] == sum(g["observed"])
        for key, ref in (("median_days", "median"), ("p90_days", "p90")):
            want = [g[ref], *g[f"{ref}_ci"]]
            got = [r[f"{key}_{p}"] for p in ("estimate", "ci_low", "ci_high")]
            for a, b in zip(got, want, strict=True):
                ok = (a is None and b is None) or abs(a * 24 - b) <= 1e-6
                assert ok, (r["group"], key, got, want)
