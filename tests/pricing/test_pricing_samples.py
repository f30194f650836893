"""The pricing analysis against the sample generator's ground truth (2026-Q3)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from workbench import sources
from workbench.pricing import TABLES, analyze
from workbench.samples import generate

RULES = ("unexplained_premium", "unpublished_promotion", "price_disparity")
FAST = {"n_permutations": 100, "n_placebo": 10, "model_check": False}


def run(folder, **params):
    frames = sources.load(folder, tables=list(TABLES))
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return analyze(frames, truth["reference_period"], **params), truth


def found(res, rule: str) -> set[str]:
    return set(res.findings.filter(pl.col("rule") == rule)["entity_id"].to_list())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    generate(folder, seed=11, scale="tiny")
    return run(folder, **FAST)


@pytest.fixture(scope="module")
def tiny_clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_clean")
    generate(folder, seed=11, scale="tiny", clean=True)
    return run(folder, **FAST)


@pytest.mark.parametrize("rule", ["unexplained_premium", "unpublished_promotion"])
def test_order_rules_match_the_ground_truth_exactly(tiny, rule):
    res, truth = tiny
    assert found(res, rule) == set(truth["rules"][rule]["entity_ids"])


def test_price_disparity_on_tiny_data_raises_no_false_alarm(tiny):
    # Tiny data has too few matched orders per group to detect 3-4 % reliably;
    # whatever is flagged must be planted.
    res, truth = tiny
    assert found(res, "price_disparity") <= set(truth["rules"]["price_disparity"]["entity_ids"])


def test_clean_tiny_sample_has_no_pricing_finding(tiny_clean):
    res, truth = tiny_clean
    assert truth["clean"] and res.findings.height == 0


@pytest.mark.slow
@pytest.mark.parametrize("clean", [False, True])
def test_small_sample_recall_and_precision(tmp_path, clean):
    generate(tmp_path, seed=7, scale="small", clean=clean)
    res, truth = run(tmp_path, model_check=False)
    for rule in RULES:
        expected = set(truth["rules"][rule]["entity_ids"])
        got = found(res, rule)
        assert got == expected, (rule, sorted(expected - got)[:5], sorted(got - expected)[:5])
    if clean:
        assert res.findings.height == 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 21))
def test_clean_samples_raise_no_price_disparity(tmp_path, seed):
    """20 clean samples of the sample generator (coupons at random, every price
    explained) with the report's defaults: no group is flagged. Before the α split
    across the two families, seeds 3 and 4 each raised a false flag on the net price
    after coupons (family-adjusted p 0.031–0.033): a regression check of the run-level
    error rate, not a proof of it."""
    generate(tmp_path, seed=seed, scale="small", clean=True)
    res, _ = run(tmp_path)
    assert found(res, "price_disparity") == set()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 8])
def test_fresh_planted_seeds_find_both_groups_with_their_amounts(tmp_path, seed):
    """Fresh seeds where the tenure premium (3 % on a tenth of the skus) averages
    0.1–0.2 % over all skus: the all-sku test alone missed it on both (z 2.5, 1.8);
    the cross-fitted statistic on the affected skus finds it, and each group's amount
    is within 10 % of the planted overcharge."""
    from tests.pricing.test_pricing_money import WITHIN, planted_amounts

    generate(tmp_path, seed=seed, scale="small")
    res, truth = run(tmp_path)
    groups = res.findings.filter(pl.col("rule") == "price_disparity")
    amounts = dict(groups.select("entity_id", "amount_cny").rows())
    planted = planted_amounts(tmp_path, res.tables["orders"])
    assert set(amounts) == set(planted) == set(truth["rules"]["price_disparity"]["entity_ids"])
    for group, amount in amounts.items():
        assert amount == pytest.approx(planted[group], rel=WITHIN), group
    tenure = json.loads(groups.filter(pl.col("entity_id") == "tenure_band=36m+")["detail"].item())
    assert tenure["metrics"]["log_premium"]["test_basis"] == "affected_skus_crossfit"
