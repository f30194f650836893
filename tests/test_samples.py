"""The sample generator: determinism, the contract's schema and keys, clean vs planted truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import stdnum.cn.uscc as stdnum_uscc

from workbench.contract import ENUMS, ROW_CHECKS, RULES, TABLES
from workbench.periods import parse_period
from workbench.samples import (
    GROUND_TRUTH_FILE,
    corrupt_uscc,
    generate,
    is_valid_uscc,
    org_code_check,
)
from workbench.samples import _reference as R
from workbench.samples._uscc import make_usccs

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "data" / "samples"


def _read(folder: Path, name: str, fmt: str = "parquet") -> pl.DataFrame:
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        return pl.read_csv(path, schema=TABLES[name].schema)
    return pl.read_parquet(path)


def _lazy(folder: Path) -> dict[str, pl.LazyFrame]:
    return {name: pl.scan_parquet(folder / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("planted")
    return out, generate(out, seed=7, scale="tiny")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(out, seed=7, scale="tiny", clean=True)


# ------------------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_files(
    planted: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    first, _ = planted
    generate(tmp_path, seed=7, scale="tiny")
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_the_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    """``data/samples`` = ``workbench samples --seed 7 --scale small`` byte for byte, so
    a change to the generator cannot leave a stale sample (and stale ground truth)
    behind: regenerate with ``make samples``."""
    generate(tmp_path, seed=7, scale="small")
    names = sorted(p.name for p in COMMITTED.iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in tmp_path.iterdir())
    stale = [n for n in names if (COMMITTED / n).read_bytes() != (tmp_path / n).read_bytes()]
    assert stale == [], f"data/samples is stale in {stale}: run `make samples` and commit"


def test_another_seed_gives_other_data(
    planted: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    first, _ = planted
    generate(tmp_path, seed=8, scale="tiny")
    for name in ("orders", "customers", "complaints", "receivables"):
        assert (first / f"{name}.parquet").read_bytes() != (
            tmp_path / f"{name}.parquet"
        ).read_bytes(), name


# ---------------------------------------------------------------------------- contract
@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_has_the_exact_contract_schema(
    planted: tuple[Path, dict[str, Any]], name: str
) -> None:
    folder, truth = planted
    df = _read(folder, name)
    assert list(df.schema.items()) == list(TABLES[name].schema.items())
    assert truth["row_counts"][name] == df.height > 0


def _contract_problems(folder: Path) -> list[str]:
    """Every contract rule a loader enforces: keys, foreign keys, enums, bounds, row checks."""
    frames = {name: _read(folder, name) for name in TABLES}
    problems = []
    for name, table in TABLES.items():
        df = frames[name]
        if table.primary_key and df.select(table.primary_key).is_duplicated().any():
            problems.append(f"{name}: duplicate primary key")
        for col in table.columns:
            s = df[col.name]
            if not col.nullable and s.null_count():
                problems.append(f"{name}.{col.name}: nulls")
            if col.enum and not s.drop_nulls().is_in(list(ENUMS[col.enum])).all():
                problems.append(f"{name}.{col.name}: unknown enum value")
            if col.fk:
                ft, fc = col.fk.split(".")
                if not s.drop_nulls().is_in(frames[ft][fc].implode()).all():
                    problems.append(f"{name}.{col.name}: dangling foreign key")
            if col.min_value is not None:
                v = s.drop_nulls()
                bad = (v <= col.min_value) if col.min_exclusive else (v < col.min_value)
                if bad.any():
                    problems.append(f"{name}.{col.name}: below {col.min_value}")
    for name, column, expr, reason in ROW_CHECKS:
        df = frames[name]
        if df.filter(pl.col(column).is_not_null() & ~expr.fill_null(True)).height:
            problems.append(f"{name}.{column}: {reason}")
    return problems


def test_planted_data_still_passes_contract_validation(
    planted: tuple[Path, dict[str, Any]],
) -> None:
    assert _contract_problems(planted[0]) == []


def test_clean_data_passes_contract_validation(clean: tuple[Path, dict[str, Any]]) -> None:
    assert _contract_problems(clean[0]) == []


def test_enterprise_usccs_are_the_registry_keys(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    cust = _read(folder, "customers")
    ent = cust.filter(pl.col("customer_type") == "enterprise")
    assert ent["uscc"].null_count() == 0 and ent["uscc"].is_unique().all()
    assert cust.filter(pl.col("customer_type") == "individual").select(
        "uscc", "gender", "birth_year"
    ).null_count().row(0)[0] == len(cust.filter(pl.col("customer_type") == "individual"))
    registered = set(_read(folder, "registry_snapshots")["uscc"].to_list())
    invalid = set(truth["rules"]["invalid_uscc"]["entity_ids"])
    assert registered == set(ent["uscc"].to_list()) - invalid


# ----------------------------------------------------------------------------- truth
def test_truth_file_matches_the_returned_truth(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    on_disk = json.loads((folder / GROUND_TRUTH_FILE).read_text(encoding="utf-8"))
    returned = {k: v for k, v in truth.items() if k != "generation_seconds"}
    assert on_disk == json.loads(json.dumps(returned))
    assert (
        on_disk["reference_period"] == "2026-Q3"
        and on_disk["seed"] == 7
        and on_disk["scale"] == "tiny"
    )


def test_clean_truth_is_empty_for_every_rule(clean: tuple[Path, dict[str, Any]]) -> None:
    _, truth = clean
    assert set(truth["rules"]) == set(RULES)
    assert {rule: v["entity_ids"] for rule, v in truth["rules"].items() if v["entity_ids"]} == {}
    assert all(not g for g in truth["groups"].values())


def test_planted_truth_names_entities_for_every_rule(planted: tuple[Path, dict[str, Any]]) -> None:
    _, truth = planted
    assert set(truth["rules"]) == set(RULES)
    for rule, entry in truth["rules"].items():
        assert entry["entity_ids"], rule
        assert entry["entity_type"] == RULES[rule].entity_type, rule
        assert entry["entity_ids"] == sorted(entry["entity_ids"]), rule
        assert 0 < entry["rate"] <= 1 and entry["notes"], rule
    over = set(truth["rules"]["tier_mismatch"]["details"]["over"])
    under = set(truth["rules"]["tier_mismatch"]["details"]["under"])
    assert over and under and not over & under
    assert over | under == set(truth["rules"]["tier_mismatch"]["entity_ids"])


@pytest.mark.parametrize("label", ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"])
def test_clean_tiers_match_eligibility_every_quarter(
    clean: tuple[Path, dict[str, Any]], label: str
) -> None:
    tier = R.tiering_truth(_lazy(clean[0]), parse_period(label))
    assert tier.status.height > 0
    assert (
        tier.status.filter(pl.col("mismatch") | pl.col("stale") | pl.col("manual_no_reason")).height
        == 0
    )
    assert tier.hidden_grants.height == 0
    assert tier.status["tier"].n_unique() == 3  # tiers really change by rule


def test_clean_prices_are_all_explained(clean: tuple[Path, dict[str, Any]]) -> None:
    folder = clean[0]
    df = R.explained_prices(
        _read(folder, "orders"),
        _read(folder, "tier_assignments"),
        _read(folder, "tier_benefits"),
        _read(folder, "promotions"),
    )
    assert df.filter(pl.col("promo_id").is_not_null())["promo_applies"].all()
    # Every price is explained within the 0.5 % tolerance; a share of the customers pays a
    # personal mark-up of 0.1–0.4 % on every order (customer-level heterogeneity, issue
    # #13), the others the explained price to the cent.
    premium = df["charged_price"] / df["explained_price"] - 1
    assert premium.max() < 0.005 and premium.min() > -0.005
    per_customer = df.with_columns(premium=premium).group_by("customer_id").agg(
        pl.col("premium").min().alias("low"), pl.col("premium").max().alias("high"))
    marked = per_customer.filter(pl.col("high") > 0.0005)  # above any cent rounding
    assert (marked["low"] > 0.0005).all()  # a marked customer pays more on every order
    assert 0.05 < marked.height / per_customer.height < 0.3
    exact = df.filter(~pl.col("customer_id").is_in(marked["customer_id"].implode()))
    assert (exact["charged_price"] - exact["explained_price"].round(2)).abs().max() < 0.0051
    assert df["promo_id"].null_count() < df.height  # promotions are used
    assert (df["tier_discount_pct"] > 0).any()  # tier discounts are used


def test_clean_sample_has_naive_calendar_near_misses(clean: tuple[Path, dict[str, Any]]) -> None:
    details = clean[1]["rules"]["acceptance_breach"]["details"]
    assert details["naive_false_alarms"] and not details["official_only"]


def test_planted_acceptance_breaches_include_official_calendar_only_ones(
    planted: tuple[Path, dict[str, Any]],
) -> None:
    details = planted[1]["rules"]["acceptance_breach"]["details"]
    assert set(details["official_only"]) <= set(
        planted[1]["rules"]["acceptance_breach"]["entity_ids"]
    )
    assert details["official_only"]


def test_planted_price_premiums_show_in_the_orders(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    ios = next(g for g in truth["groups"]["price_disparity"] if g["entity_id"] == "device_os=ios")
    period = parse_period("2026-Q3")
    df = R.pricing_truth(_lazy(folder), period)
    on_skus = df.filter(pl.col("sku").is_in(ios["skus"]) & pl.col("promo_id").is_null())
    ratio = on_skus.with_columns(r=pl.col("charged_price") / pl.col("explained_price"))
    ios_ratio = ratio.filter(pl.col("device_os") == "ios")["r"].median()
    assert ios_ratio is not None and ios_ratio >= 1.035


def test_tier_disparity_group_is_under_tiered_more_often(
    planted: tuple[Path, dict[str, Any]],
) -> None:
    g = planted[1]["groups"]["tier_disparity"][0]
    assert g["entity_id"] == "gender=f"
    assert g["under_tiered_rate"] > g["rest_under_tiered_rate"]


def test_no_lookahead_rows_are_missing(planted: tuple[Path, dict[str, Any]]) -> None:
    folder = planted[0]
    end = parse_period("2026-Q3").end
    assert _read(folder, "orders")["ordered_at"].max() > end
    assert _read(folder, "tier_assignments")["assigned_at"].max() > end
    assert _read(folder, "complaint_events")["at"].max() > end
    assert _read(folder, "registry_snapshots")["snapshot_date"].max() > end.date()


# ------------------------------------------------------------------------------ csv
def test_csv_round_trips_ids_as_strings(
    tmp_path: Path, planted: tuple[Path, dict[str, Any]]
) -> None:
    truth = generate(tmp_path, seed=7, scale="tiny", fmt="csv")
    assert {p.suffix for p in tmp_path.iterdir()} == {".csv", ".json"}
    raw = (tmp_path / "subsidiaries.csv").read_text(encoding="utf-8").splitlines()
    assert (
        raw[0] == "subsidiary_id,name,province"
        and raw[1].startswith("0310,")
        and raw[1].endswith(",31")
    )
    assert "true" in (tmp_path / "promotions.csv").read_text(encoding="utf-8")
    for name in TABLES:
        csv = _read(tmp_path, name, "csv")
        assert csv.equals(_read(planted[0], name)), name
    assert truth["rules"] == planted[1]["rules"]


def test_switching_format_leaves_no_stale_tables(tmp_path: Path) -> None:
    generate(tmp_path, seed=7, scale="tiny", fmt="csv")
    generate(tmp_path, seed=7, scale="tiny", fmt="parquet")
    assert not list(tmp_path.glob("*.csv"))
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}-")]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fmt"):
        generate(tmp_path, fmt="xlsx")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- uscc
def test_generated_usccs_are_valid_under_both_checks() -> None:
    import numpy as np

    codes = make_usccs(np.random.default_rng(3), ["31", "11", "44", "33", "51", "42"] * 100)
    assert len(set(codes)) == len(codes)
    assert all(stdnum_uscc.is_valid(c) and is_valid_uscc(c) for c in codes)
    assert all(c[16] == org_code_check(c[8:16]) for c in codes)


def test_gb11714_check_character() -> None:
    assert org_code_check("D2143569") == "X"  # the standard's worked example
    assert org_code_check("60003734") == "1"
    assert is_valid_uscc("91110000600037341L")


def test_corrupted_usccs_are_invalid() -> None:
    good = "91110000600037341L"
    final = corrupt_uscc(good, "final")
    org = corrupt_uscc(good, "org")
    assert not is_valid_uscc(final) and not stdnum_uscc.is_valid(final)
    assert not is_valid_uscc(org) and stdnum_uscc.is_valid(org)  # stdnum misses the org code
    assert not is_valid_uscc(good[:17]) and not is_valid_uscc(None)


# ----------------------------------------------------------------------------- small
def test_small_sample_stays_under_20_mb(tmp_path: Path) -> None:
    truth = generate(tmp_path, seed=7, scale="small")
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert total < 20 * 1024 * 1024
    assert 120_000 < truth["row_counts"]["orders"] < 180_000
    assert truth["row_counts"]["customers"] == 5_000
    if (COMMITTED / GROUND_TRUTH_FILE).exists():  # the committed sample is what the code makes
        committed = json.loads((COMMITTED / GROUND_TRUTH_FILE).read_text(encoding="utf-8"))
        assert committed == json.loads((tmp_path / GROUND_TRUTH_FILE).read_text(encoding="utf-8"))
        for name in TABLES:
            assert _read(COMMITTED, name).equals(_read(tmp_path, name)), name


def test_samples_refuse_a_folder_they_did_not_write(tmp_path, capsys):
    """Issue #15: ``workbench samples --out`` into a real source replaced its tables."""
    from workbench.cli import main

    real = tmp_path / "crm"
    real.mkdir()
    (real / "orders.parquet").write_bytes(b"the company's real orders")
    assert main(["samples", "--out", str(real), "--scale", "tiny"]) == 1
    assert "not written by `workbench samples`" in capsys.readouterr().err
    assert (real / "orders.parquet").read_bytes() == b"the company's real orders"
    # an empty folder, or one an earlier run wrote, is fine
    ours = tmp_path / "sample"
    assert main(["samples", "--out", str(ours), "--scale", "tiny"]) == 0
    assert main(["samples", "--out", str(ours), "--scale", "tiny", "--seed", "8"]) == 0


# ------------------------------------------------------------ marketing (v1.1, optional)
MARKETING_TABLES = ("marketing_messages", "consents", "privacy_requests")


def test_the_marketing_tables_leave_every_other_table_byte_identical(tmp_path: Path) -> None:
    """The marketing tables come from their own random stream, drawn last: the tables
    written before them are the same bytes as the committed sample (seed 7, small)."""
    generate(tmp_path, seed=7, scale="small")
    for name in TABLES:
        if name in MARKETING_TABLES:
            continue
        assert (COMMITTED / f"{name}.parquet").read_bytes() == (
            tmp_path / f"{name}.parquet").read_bytes(), name


def test_marketing_rows_exist_before_in_and_after_the_period(
    planted: tuple[Path, dict[str, Any]]
) -> None:
    folder = planted[0]
    p = parse_period("2026-Q3")
    sent = _read(folder, "marketing_messages")["sent_at"]
    assert sent.min() < p.start and sent.max() > p.end  # look-ahead rows too
    requests = _read(folder, "privacy_requests")
    assert requests["received_at"].max() > p.end
    assert requests.filter(pl.col("completed_at") > p.end).height  # answered only later
    consents = _read(folder, "consents")
    assert consents["withdrawn_at"].max() > p.end


def test_planted_marketing_traps_are_in_the_truth(planted: tuple[Path, dict[str, Any]]) -> None:
    rules = planted[1]["rules"]
    assert rules["marketing_without_consent"]["details"]["after_withdrawal"]
    assert rules["ad_unlabelled"]["details"]["service_labelled_ads"]
    # an answer on the day after the official deadline that a Monday–Friday calendar
    # would call on time, and a request open since June falling due in July
    assert rules["privacy_request_overdue"]["details"]["naive_misses"]
    requests = _read(planted[0], "privacy_requests")
    before = requests.filter(pl.col("received_at") < parse_period("2026-Q3").start)["request_id"]
    assert set(before) & set(rules["privacy_request_overdue"]["entity_ids"])
