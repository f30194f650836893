"""workbench.sources: readers, typing and every kind of bad input.

The fixture tables are built here, one or two valid rows per contract table, so
these tests do not depend on the sample generator.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from workbench import sources as S
from workbench.cli import main
from workbench.contract import TABLE_NAMES, TABLES
from workbench.sources import BadInputError, ContractError, load, open_source, validate_source

USCC = "91310000MA1FL8XQ30"

Tables = dict[str, pl.DataFrame]


def good_tables() -> Tables:
    """A tiny source that passes every check: typed frames in contract order."""
    rows: dict[str, list[tuple[object, ...]]] = {
        "subsidiaries": [("S1", "上海分公司", "31"), ("S2", "北京分公司", "11")],
        "customers": [
            ("C1", "S1", "individual", None, date(2024, 1, 15), "31", "f", 1990),
            ("C2", "S2", "enterprise", USCC, date(2023, 5, 1), "11", None, None),
        ],
        "tier_policy": [
            ("vip", 3, 50000.0, 20, 24, 365, date(2025, 1, 1)),
            ("core", 2, 10000.0, 5, 6, 365, date(2025, 1, 1)),
            ("standard", 1, 0.0, 0, 0, 730, None),
        ],
        "tier_benefits": [
            ("vip", "discount_pct", 5.0, True),
            ("core", "free_shipping", 1.0, False),
        ],
        "tier_assignments": [
            ("C1", "core", datetime(2026, 1, 1, 10), "rule", None),
            ("C2", "vip", datetime(2026, 2, 1, 9, 30), "manual", "大客户"),
        ],
        "benefit_grants": [("G1", "C1", datetime(2026, 3, 1, 12), "discount_pct", 5.0, 20.0)],
        "orders": [
            (
                "O1",
                "C1",
                "S1",
                "SKU1",
                datetime(2026, 7, 1, 10),
                "app",
                "ios",
                "31",
                2,
                100.0,
                95.0,
                "P1",
                0.0,
            ),
            (
                "O2",
                "C2",
                "S2",
                "SKU2",
                datetime(2026, 7, 2, 15),
                "web",
                None,
                None,
                1,
                50.0,
                50.0,
                None,
                5.0,
            ),
        ],
        "promotions": [
            (
                "P1",
                "SKU1",
                datetime(2026, 6, 1),
                datetime(2026, 7, 31, 23, 59, 59),
                5.0,
                "vip,core",
                True,
            )
        ],
        "complaints": [
            (
                "K1",
                "C1",
                "S1",
                "hotline",
                "quality",
                "high",
                datetime(2026, 7, 3, 9),
                datetime(2026, 7, 3, 10),
                datetime(2026, 7, 4, 10),
                datetime(2026, 7, 5, 10),
                datetime(2026, 7, 6, 10),
                "closed",
                "packaging",
                4,
            ),
            (
                "K2",
                "C2",
                "S2",
                "regulator",
                "billing",
                "low",
                datetime(2026, 7, 10, 9),
                None,
                None,
                None,
                None,
                "open",
                None,
                None,
            ),
        ],
        "complaint_events": [
            ("K1", datetime(2026, 7, 3, 10), "acknowledged", None),
            ("K1", datetime(2026, 7, 4, 10), "accepted", "已受理"),
        ],
        "registry_snapshots": [
            (
                date(2026, 6, 30),
                USCC,
                "上海某某科技有限公司",
                "active",
                date(2015, 3, 1),
                1_000_000.0,
                "I",
                "软件开发",
                2025,
            )
        ],
        "registry_events": [
            (USCC, date(2026, 5, 1), "admin_penalty", 5000.0, "上海市市场监督管理局", "虚假宣传")
        ],
        "receivables": [
            ("I1", "C2", date(2026, 1, 10), date(2026, 2, 10), 1000.0, date(2026, 2, 20), 1000.0),
            ("I2", "C2", date(2026, 3, 1), date(2026, 4, 1), 500.0, None, 0.0),
        ],
    }
    return {
        name: pl.DataFrame(rows[name], schema=TABLES[name].schema, orient="row")
        for name in TABLE_NAMES
    }


def set_value(tables: Tables, table: str, column: str, row: int, value: object) -> Tables:
    """Put ``value`` in one cell; a text value turns the column into text (as in a CSV)."""
    df = tables[table]
    values = (df[column].cast(pl.String) if isinstance(value, str) else df[column]).to_list()
    values[row] = value
    dtype = pl.String if isinstance(value, str) else df[column].dtype
    tables[table] = df.with_columns(pl.Series(column, values, dtype=dtype))
    return tables


def write_dir(tables: Tables, root: Path, fmt: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "csv":
            df.write_csv(root / f"{name}.csv")
        else:
            df.write_parquet(root / f"{name}.parquet")
    return root


def write_sqlite(tables: Tables, path: Path) -> str:
    con = sqlite3.connect(path)
    for name, df in tables.items():
        cols = ", ".join(f'"{c}"' for c in df.columns)
        con.execute(f'CREATE TABLE "{name}" ({cols})')
        # Dates as ISO text and booleans as 1/0, as SQLite applications store them.
        text = df.with_columns(
            pl.col(pl.Date, pl.Datetime).cast(pl.String), pl.col(pl.Boolean).cast(pl.Int64)
        )
        marks = ", ".join("?" for _ in df.columns)
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', text.rows())
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def write_duckdb(tables: Tables, path: Path) -> str:
    con = duckdb.connect(str(path))
    for name, df in tables.items():
        con.register("frame", df.to_arrow())
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
        con.unregister("frame")
    con.close()
    return f"duckdb:///{path}"


@pytest.fixture(params=["csv", "parquet"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ------------------------------------------------------------------ good input
def test_good_directory_loads_contract_frames(tmp_path: Path, fmt: str) -> None:
    frames = load(write_dir(good_tables(), tmp_path, fmt))
    assert list(frames) == list(TABLE_NAMES)
    for name, lf in frames.items():
        df = lf.collect()
        assert df.schema == pl.Schema(TABLES[name].schema), name
        assert df.equals(good_tables()[name]), name


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_good_database_loads(tmp_path: Path, kind: str) -> None:
    writer = write_sqlite if kind == "sqlite" else write_duckdb
    uri = writer(good_tables(), tmp_path / f"crm.{kind}")
    frames = load(uri)
    for name, lf in frames.items():
        assert lf.collect().equals(good_tables()[name]), name
    src = open_source(uri)
    assert src.input_files() == {f"crm.{kind}": tmp_path / f"crm.{kind}"}
    assert kind in src.describe()
    assert validate_source(uri).ok


def test_relative_database_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_sqlite(good_tables(), tmp_path / "crm.db")
    monkeypatch.chdir(tmp_path)
    assert validate_source("sqlite:///crm.db").ok


def test_chinese_labels_map_to_codes(tmp_path: Path, fmt: str) -> None:
    t = good_tables()
    t = set_value(t, "customers", "customer_type", 1, "企业")
    t = set_value(t, "customers", "gender", 0, "女")
    t = set_value(t, "complaints", "channel", 1, "12315")
    t = set_value(t, "complaints", "status", 0, "已关闭")
    t = set_value(t, "registry_snapshots", "status", 0, "在业")
    frames = load(write_dir(t, tmp_path, fmt))
    customers = frames["customers"].collect()
    assert customers["customer_type"].to_list() == ["individual", "enterprise"]
    assert customers["gender"].to_list() == ["f", None]
    assert frames["complaints"].collect()["channel"].to_list() == ["hotline", "regulator"]
    assert frames["complaints"].collect()["status"].to_list() == ["closed", "open"]
    assert frames["registry_snapshots"].collect()["status"].to_list() == ["active"]


def test_numeric_looking_ids_stay_strings_in_csv(tmp_path: Path) -> None:
    t = good_tables()
    t["subsidiaries"] = t["subsidiaries"].with_columns(subsidiary_id=pl.Series(["007", "31"]))
    t["customers"] = t["customers"].with_columns(subsidiary_id=pl.Series(["007", "31"]))
    t["orders"] = t["orders"].with_columns(subsidiary_id=pl.Series(["007", "31"]))
    t["complaints"] = t["complaints"].with_columns(subsidiary_id=pl.Series(["007", "31"]))
    frames = load(write_dir(t, tmp_path, "csv"))
    subs = frames["subsidiaries"].collect()
    assert subs["subsidiary_id"].to_list() == ["007", "31"]
    assert subs["province"].to_list() == ["31", "11"]
    assert subs.schema["subsidiary_id"] == pl.String


def test_csv_datetime_spellings_and_offsets(tmp_path: Path) -> None:
    t = good_tables()
    t["orders"] = t["orders"].with_columns(
        ordered_at=pl.Series(["2026-07-01 10:00:00.250", "2026-07-02T07:00:00Z"])
    )
    t["complaint_events"] = t["complaint_events"].with_columns(
        at=pl.Series(["2026-07-03T10:00:00+08:00", "2026-07-03T22:00:00-04:00"])
    )
    frames = load(write_dir(t, tmp_path, "csv"), tables=["orders", "complaint_events"])
    assert frames["orders"].collect()["ordered_at"].to_list() == [
        datetime(2026, 7, 1, 10, 0, 0, 250000),
        datetime(2026, 7, 2, 15),
    ]
    assert frames["complaint_events"].collect()["at"].to_list() == [
        datetime(2026, 7, 3, 10),
        datetime(2026, 7, 4, 10),
    ]


def test_tz_aware_parquet_timestamps_convert_to_shanghai(tmp_path: Path) -> None:
    t = good_tables()
    utc = pl.Series([datetime(2026, 7, 1, 2), datetime(2026, 7, 2, 7)]).dt.replace_time_zone("UTC")
    t["orders"] = t["orders"].with_columns(ordered_at=utc)
    lf = load(write_dir(t, tmp_path, "parquet"), tables=["orders"])["orders"]
    assert lf.collect_schema()["ordered_at"] == pl.Datetime("us")
    assert lf.collect()["ordered_at"].to_list() == [
        datetime(2026, 7, 1, 10),
        datetime(2026, 7, 2, 15),
    ]


def test_duckdb_timestamptz_converts(tmp_path: Path) -> None:
    t = good_tables()
    t["orders"] = t["orders"].with_columns(
        ordered_at=pl.Series([datetime(2026, 7, 1, 2, tzinfo=UTC)] * 2)
    )
    uri = write_duckdb(t, tmp_path / "crm.duckdb")
    orders = load(uri, tables=["orders"])["orders"].collect()
    assert orders["ordered_at"].to_list() == [datetime(2026, 7, 1, 10)] * 2


def test_compatible_parquet_types_are_accepted(tmp_path: Path) -> None:
    t = good_tables()
    t["orders"] = t["orders"].with_columns(
        pl.col("quantity").cast(pl.Int32),
        pl.col("list_price").cast(pl.Int64),  # whole-yuan prices stored as ints
        pl.col("channel").cast(pl.Categorical),
        pl.col("ordered_at").cast(pl.Datetime("ns")),
    )
    t["customers"] = t["customers"].with_columns(pl.col("birth_year").cast(pl.Float64))
    t["promotions"] = t["promotions"].with_columns(
        pl.col("starts_at").dt.to_string("%Y-%m-%dT%H:%M:%S"), pl.col("public").cast(pl.Int8)
    )
    t["receivables"] = t["receivables"].with_columns(pl.col("issued_at").cast(pl.Datetime("ms")))
    frames = load(write_dir(t, tmp_path, "parquet"))
    assert frames["orders"].collect().equals(good_tables()["orders"])
    assert frames["customers"].collect().equals(good_tables()["customers"])
    assert frames["promotions"].collect().equals(good_tables()["promotions"])
    assert frames["receivables"].collect().equals(good_tables()["receivables"])


def test_defaults_filled_and_extra_columns_dropped(tmp_path: Path, fmt: str) -> None:
    t = good_tables()
    t["orders"] = t["orders"].drop("coupon_cny").with_columns(note=pl.lit("x"))
    t["receivables"] = t["receivables"].drop("paid_amount_cny")
    frames = load(write_dir(t, tmp_path, fmt), tables=["orders", "receivables"])
    assert list(frames) == ["orders", "receivables"]
    orders = frames["orders"].collect()
    assert orders.columns == [c.name for c in TABLES["orders"].columns]
    assert orders["coupon_cny"].to_list() == [0.0, 0.0]
    assert frames["receivables"].collect()["paid_amount_cny"].to_list() == [0.0, 0.0]


def test_parquet_preferred_over_csv(tmp_path: Path) -> None:
    write_dir(good_tables(), tmp_path, "parquet")
    (tmp_path / "orders.csv").write_text("garbage\n")
    src = open_source(tmp_path)
    assert src.input_files()["orders"].suffix == ".parquet"
    assert "13 parquet" in src.describe()
    assert validate_source(src).ok


def test_csv_is_parsed_once(tmp_path: Path) -> None:
    src = open_source(write_dir(good_tables(), tmp_path, "csv"))
    load(src, tables=["subsidiaries"])
    (tmp_path / "subsidiaries.csv").unlink()  # a second load must not re-read the file
    assert load(src, tables=["subsidiaries"])["subsidiaries"].collect().height == 2


def test_requested_tables_pull_in_their_parents(tmp_path: Path) -> None:
    t = good_tables()
    t = set_value(t, "orders", "customer_id", 1, "C9")
    t = set_value(t, "registry_events", "event_type", 0, "nonsense")  # not needed for orders
    root = write_dir(t, tmp_path, "parquet")
    assert list(load(root, tables=["subsidiaries"])) == ["subsidiaries"]
    with pytest.raises(ContractError) as err:
        load(root, tables=["orders"])
    assert [(p.table, p.column) for p in err.value.problems] == [("orders", "customer_id")]


def test_unknown_table_name_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not contract tables: nope"):
        load(write_dir(good_tables(), tmp_path, "csv"), tables=["nope"])


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.mark.parametrize("tables", [None, ["orders"], ["tier_assignments", "customers"]])
def test_unvalidated_load_types_the_sample_the_same(tables: list[str] | None) -> None:
    checked = load(SAMPLE, tables=tables)
    unchecked = load(SAMPLE, tables=tables, validate=False)
    assert list(unchecked) == list(checked)
    for name, lf in unchecked.items():
        df = lf.collect()
        assert df.schema == pl.Schema(TABLES[name].schema), name
        assert df.equals(checked[name].collect()), name


def test_unvalidated_load_types_csv_and_databases_the_same(tmp_path: Path) -> None:
    t = set_value(good_tables(), "customers", "customer_type", 1, "企业")  # a label, as text
    for uri in (
        write_dir(t, tmp_path / "csv", "csv"),
        write_sqlite(t, tmp_path / "crm.sqlite"),
        write_duckdb(t, tmp_path / "crm.duckdb"),
    ):
        checked, unchecked = load(uri), load(uri, validate=False)
        for name, lf in unchecked.items():
            assert lf.collect().equals(checked[name].collect()), (uri, name)


def test_unvalidated_load_runs_no_checks(tmp_path: Path, fmt: str) -> None:
    t = set_value(good_tables(), "orders", "order_id", 1, "O1")  # duplicate primary key
    t = set_value(t, "orders", "customer_id", 0, "C9")  # dangling foreign key
    t = set_value(t, "orders", "quantity", 1, "many")  # wrong type: typed as null
    del t["customers"]  # a parent table is not even read
    root = write_dir(t, tmp_path, fmt)
    with pytest.raises(ContractError):
        load(root, tables=["orders"])
    orders = load(root, tables=["orders"], validate=False)["orders"].collect()
    assert orders["order_id"].to_list() == ["O1", "O1"]
    assert orders["customer_id"].to_list() == ["C9", "C2"]
    assert orders["quantity"].to_list() == [2, None]


def test_unvalidated_load_still_needs_the_tables_and_columns(tmp_path: Path) -> None:
    t = good_tables()
    del t["promotions"]
    t["orders"] = t["orders"].drop("quantity")
    root = write_dir(t, tmp_path, "parquet")
    with pytest.raises(ContractError) as err:
        load(root, tables=["orders", "promotions"], validate=False)
    assert [str(p) for p in err.value.problems] == [
        f"orders.quantity: {S.MSG_COLUMN_MISSING}",
        f"promotions: {S.MSG_TABLE_MISSING}",
    ]


# ------------------------------------------------------------------- bad input
Mutation = Callable[[Tables], Tables]


def drop_table(name: str) -> Mutation:
    def mutate(t: Tables) -> Tables:
        del t[name]
        return t

    return mutate


def drop_column(table: str, *columns: str) -> Mutation:
    def mutate(t: Tables) -> Tables:
        t[table] = t[table].drop(columns)
        return t

    return mutate


def put(table: str, column: str, row: int, value: object) -> Mutation:
    return lambda t: set_value(t, table, column, row, value)


def many(*mutations: Mutation) -> Mutation:
    def mutate(t: Tables) -> Tables:
        for m in mutations:
            t = m(t)
        return t

    return mutate


# id, mutation, table, column, n_rows, examples, exact problem text
BAD_CASES = [
    ("table_missing", drop_table("promotions"), "promotions", None, 0, [], S.MSG_TABLE_MISSING),
    (
        "column_missing",
        drop_column("orders", "quantity"),
        "orders",
        "quantity",
        0,
        [],
        S.MSG_COLUMN_MISSING,
    ),
    (
        "columns_missing",
        drop_column("customers", "gender", "signup_date"),
        "customers",
        "signup_date",
        0,
        [],
        S.MSG_COLUMNS_MISSING.format(columns="signup_date, gender"),
    ),
    (
        "float_wrong_type",
        put("orders", "list_price", 1, "abc"),
        "orders",
        "list_price",
        1,
        ["O2"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["float"], values="'abc'"),
    ),
    (
        "int_wrong_type",
        many(put("orders", "quantity", 0, "1.5"), put("orders", "quantity", 1, "two")),
        "orders",
        "quantity",
        2,
        ["O1", "O2"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["int"], values="'1.5', 'two'"),
    ),
    (
        "date_wrong_type",
        put("customers", "signup_date", 0, "2026-13-45"),
        "customers",
        "signup_date",
        1,
        ["C1"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["date"], values="'2026-13-45'"),
    ),
    (
        "datetime_wrong_type",
        put("complaints", "received_at", 1, "2026-07-10"),
        "complaints",
        "received_at",
        1,
        ["K2"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["datetime"], values="'2026-07-10'"),
    ),
    (
        "bool_wrong_type",
        put("promotions", "public", 0, "yes"),
        "promotions",
        "public",
        1,
        ["P1"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["bool"], values="'yes'"),
    ),
    (
        "datetime_key_example",
        put("tier_assignments", "assigned_at", 1, "soon"),
        "tier_assignments",
        "assigned_at",
        1,
        ["C2|soon"],
        S.MSG_WRONG_TYPE.format(expected=S.EXPECTED["datetime"], values="'soon'"),
    ),
    ("null_required", put("orders", "sku", 0, None), "orders", "sku", 1, ["O1"], S.MSG_NULL),
    (
        "unknown_enum_case_sensitive",
        put("orders", "channel", 0, "APP"),
        "orders",
        "channel",
        1,
        ["O1"],
        S.MSG_UNKNOWN_ENUM.format(codes="app, web, store, phone", values="'APP'"),
    ),
    (
        "unknown_enum_with_datetime_key",
        put("tier_assignments", "method", 0, "auto"),
        "tier_assignments",
        "method",
        1,
        ["C1|2026-01-01 10:00:00"],
        S.MSG_UNKNOWN_ENUM.format(codes="rule, manual", values="'auto'"),
    ),
    (
        "duplicate_primary_key",
        put("orders", "order_id", 1, "O1"),
        "orders",
        "order_id",
        2,
        ["O1"],
        S.MSG_DUPLICATE_KEY.format(columns="order_id"),
    ),
    (
        "duplicate_composite_key",
        lambda t: {**t, "registry_snapshots": pl.concat([t["registry_snapshots"]] * 2)},
        "registry_snapshots",
        "uscc",
        2,
        [f"{USCC}|2026-06-30"],
        S.MSG_DUPLICATE_KEY.format(columns="uscc, snapshot_date"),
    ),
    (
        "dangling_fk",
        put("orders", "customer_id", 1, "C9"),
        "orders",
        "customer_id",
        1,
        ["O2"],
        S.MSG_DANGLING_FK.format(ref="customers.customer_id", values="'C9'"),
    ),
    (
        "dangling_nullable_fk",
        put("orders", "promo_id", 1, "P9"),
        "orders",
        "promo_id",
        1,
        ["O2"],
        S.MSG_DANGLING_FK.format(ref="promotions.promo_id", values="'P9'"),
    ),
    (
        "dangling_tier_fk",
        put("tier_benefits", "tier", 0, "gold"),
        "tier_benefits",
        "tier",
        1,
        ["gold|discount_pct"],
        S.MSG_DANGLING_FK.format(ref="tier_policy.tier", values="'gold'"),
    ),
    (
        "quantity_not_positive",
        put("orders", "quantity", 0, 0),
        "orders",
        "quantity",
        1,
        ["O1"],
        S.MSG_MIN_VALUE.format(op=">", bound="0"),
    ),
    (
        "negative_money",
        put("receivables", "amount_cny", 1, -1.0),
        "receivables",
        "amount_cny",
        1,
        ["I2"],
        S.MSG_MIN_VALUE.format(op=">=", bound="0"),
    ),
    (
        "list_price_zero",
        put("orders", "list_price", 0, 0.0),
        "orders",
        "list_price",
        1,
        ["O1"],
        S.MSG_MIN_VALUE.format(op=">", bound="0"),
    ),
    (
        "review_cycle_zero",
        put("tier_policy", "review_cycle_days", 2, 0),
        "tier_policy",
        "review_cycle_days",
        1,
        ["standard"],
        S.MSG_MIN_VALUE.format(op=">", bound="0"),
    ),
    (
        "satisfaction_out_of_range",
        put("complaints", "satisfaction", 0, 6),
        "complaints",
        "satisfaction",
        1,
        ["K1"],
        S.MSG_ROW_CHECK.format(reason="a 1–5 score"),
    ),
    (
        "promotion_ends_before_start",
        put("promotions", "ends_at", 0, datetime(2026, 5, 1)),
        "promotions",
        "ends_at",
        1,
        ["P1"],
        S.MSG_ROW_CHECK.format(reason="a promotion window ends at or after it starts"),
    ),
    (
        "due_before_issue",
        put("receivables", "due_date", 0, date(2026, 1, 1)),
        "receivables",
        "due_date",
        1,
        ["I1"],
        S.MSG_ROW_CHECK.format(reason="an invoice falls due on or after it is issued"),
    ),
    (
        "tier_rank_not_unique",
        put("tier_policy", "rank", 1, 3),
        "tier_policy",
        "rank",
        2,
        ["vip", "core"],
        S.MSG_ROW_CHECK.format(reason="tier ranks are unique (higher = better)"),
    ),
    (
        "enterprise_without_uscc",
        put("customers", "uscc", 1, None),
        "customers",
        "uscc",
        1,
        ["C2"],
        S.MSG_ROW_CHECK.format(reason="enterprises must carry a USCC"),
    ),
]


@pytest.mark.parametrize(
    ("mutate", "table", "column", "n_rows", "examples", "problem"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_CASES],
)
def test_bad_input(
    tmp_path: Path,
    fmt: str,
    mutate: Mutation,
    table: str,
    column: str | None,
    n_rows: int,
    examples: list[str],
    problem: str,
) -> None:
    root = write_dir(mutate(good_tables()), tmp_path, fmt)
    report = validate_source(root)
    assert len(report.problems) == 1, report.render()
    p = report.problems[0]
    assert (p.table, p.column, p.n_rows, p.examples, p.problem) == (
        table,
        column,
        n_rows,
        examples,
        problem,
    )
    with pytest.raises(ContractError) as err:
        load(root, tables=[table])  # the table and its parents only
    assert [str(q) for q in err.value.problems] == [str(p)]


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
@pytest.mark.parametrize(
    ("mutate", "table", "column", "n_rows", "examples"),
    [
        pytest.param(
            put("orders", "list_price", 1, "abc"), "orders", "list_price", 1, ["O2"], id="type"
        ),
        pytest.param(put("orders", "channel", 0, "APP"), "orders", "channel", 1, ["O1"], id="enum"),
        pytest.param(
            put("orders", "customer_id", 1, "C9"), "orders", "customer_id", 1, ["O2"], id="fk"
        ),
        pytest.param(drop_table("complaints"), "complaints", None, 0, [], id="table"),
    ],
)
def test_bad_database_input(
    tmp_path: Path,
    kind: str,
    mutate: Mutation,
    table: str,
    column: str | None,
    n_rows: int,
    examples: list[str],
) -> None:
    writer = write_sqlite if kind == "sqlite" else write_duckdb
    uri = writer(mutate(good_tables()), tmp_path / f"crm.{kind}")
    with pytest.raises(ContractError) as err:
        load(uri)
    problems = err.value.problems
    # complaint_events references complaints, which is missing: only the root cause counts
    assert [(p.table, p.column, p.n_rows, p.examples) for p in problems] == [
        (table, column, n_rows, examples)
    ]


def test_csv_bool_accepts_case_but_not_digits(tmp_path: Path) -> None:
    t = set_value(good_tables(), "tier_benefits", "published", 0, "TRUE")
    t = set_value(t, "tier_benefits", "published", 1, "False")
    root = write_dir(t, tmp_path / "ok", "csv")
    assert load(root, tables=["tier_benefits"])["tier_benefits"].collect()[
        "published"
    ].to_list() == [
        True,
        False,
    ]
    t = set_value(good_tables(), "tier_benefits", "published", 0, "1")
    problem = validate_source(write_dir(t, tmp_path / "bad", "csv")).problems[0]
    assert (problem.table, problem.column, problem.examples) == (
        "tier_benefits",
        "published",
        ["vip|discount_pct"],
    )


def test_incompatible_parquet_type(tmp_path: Path) -> None:
    t = good_tables()
    t["orders"] = t["orders"].with_columns(pl.Series("ordered_at", [True, False]))
    t["subsidiaries"] = t["subsidiaries"].with_columns(pl.Series("province", [31, 11]))
    problems = validate_source(write_dir(t, tmp_path, "parquet")).problems
    assert [(p.table, p.column, p.n_rows, p.examples, p.problem) for p in problems] == [
        (
            "subsidiaries",
            "province",
            2,
            ["S1", "S2"],
            S.MSG_STORED_TYPE.format(expected="a string", stored="Int64"),
        ),
        (
            "orders",
            "ordered_at",
            2,
            ["O1", "O2"],
            S.MSG_STORED_TYPE.format(expected=S.EXPECTED["datetime"], stored="Boolean"),
        ),
    ]


def test_lossy_parquet_values_are_wrong_type(tmp_path: Path) -> None:
    t = good_tables()
    t["orders"] = t["orders"].with_columns(pl.Series("quantity", [2.0, 1.5]))
    t["receivables"] = t["receivables"].with_columns(
        pl.Series("due_date", [datetime(2026, 2, 10), datetime(2026, 4, 1, 12)])
    )
    problems = validate_source(write_dir(t, tmp_path, "parquet")).problems
    assert [(p.table, p.column, p.n_rows, p.examples, p.problem) for p in problems] == [
        (
            "orders",
            "quantity",
            1,
            ["O2"],
            S.MSG_WRONG_TYPE.format(expected="an integer", values="'1.5'"),
        ),
        (
            "receivables",
            "due_date",
            1,
            ["I2"],
            S.MSG_WRONG_TYPE.format(
                expected=S.EXPECTED["date"], values="'2026-04-01 12:00:00.000000'"
            ),
        ),
    ]


def test_unreadable_table(tmp_path: Path) -> None:
    root = write_dir(good_tables(), tmp_path, "parquet")
    (root / "orders.parquet").write_bytes(b"not parquet")
    (p,) = validate_source(root).problems
    assert (p.table, p.column) == ("orders", None)
    assert p.problem.startswith(S.MSG_TABLE_UNREADABLE.split("{")[0])


# ---------------------------------------------------------- errors and report
def test_bad_input_error_str() -> None:
    err = BadInputError("orders", "quantity", "must be > 0", 3, ["O00012", "O00077", "O00310"])
    assert str(err) == "orders.quantity: 3 rows must be > 0 (e.g. O00012, O00077, O00310)"
    assert (
        str(BadInputError("orders", "sku", S.MSG_NULL, 1, ["O1"]))
        == "orders.sku: 1 row must not be null (e.g. O1)"
    )
    assert str(BadInputError("promotions", None, S.MSG_TABLE_MISSING)) == (
        "promotions: table is missing from the source"
    )
    assert BadInputError("t", None, "x", 9, [str(i) for i in range(9)]).examples == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]


def test_contract_error_lists_each_bad_table_in_contract_order(tmp_path: Path) -> None:
    t = good_tables()
    t = set_value(t, "receivables", "amount_cny", 0, -5.0)
    t = set_value(t, "orders", "quantity", 0, 0)
    t = set_value(t, "orders", "channel", 1, "fax")  # same table: only its first problem
    del t["promotions"]
    with pytest.raises(ContractError) as err:
        load(write_dir(t, tmp_path, "parquet"))
    problems = err.value.problems
    assert [(p.table, p.column) for p in problems] == [
        ("orders", "channel"),
        ("promotions", None),
        ("receivables", "amount_cny"),
    ]
    lines = str(err.value).splitlines()
    assert lines[0] == S.MSG_CONTRACT.format(n=3, tables="tables are", version="1.1")
    assert lines[1:] == [f"  {p}" for p in problems]


def test_render_mentions_each_bad_table(tmp_path: Path) -> None:
    t = set_value(good_tables(), "orders", "quantity", 1, -1)
    del t["registry_events"]
    report = validate_source(write_dir(t, tmp_path, "csv"))
    text = report.render()
    assert not report.ok
    assert "orders.quantity: 1 row must be > 0 (e.g. O2)" in text
    assert "registry_events: table is missing from the source" in text
    assert "2 of 13 tables bad" in text
    assert report.row_counts["orders"] == 2 and "registry_events" not in report.row_counts
    ok_line = next(line for line in text.splitlines() if line.startswith("subsidiaries"))
    assert ok_line.split()[-2:] == ["2", "OK"]


def test_source_problems(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="source not found"):
        open_source(tmp_path / "nope")
    with pytest.raises(BadInputError, match="not found"):
        open_source(f"sqlite:///{tmp_path}/nope.db")
    with pytest.raises(BadInputError, match="neither a directory nor a database URI"):
        open_source("ftp://example/x")
    (tmp_path / "junk.duckdb").write_text("junk")
    with pytest.raises(BadInputError, match="cannot be read as a duckdb database"):
        open_source(f"duckdb:///{tmp_path}/junk.duckdb")
    # PostgreSQL is read (tests/test_postgres.py); no server answering is a source
    # problem, and the password never appears in what is reported.
    with pytest.raises(BadInputError, match="cannot be read as a postgresql database") as err:
        open_source("postgresql://user:s3cret@127.0.0.1:1/crm")
    assert "s3cret" not in str(err.value) and "user:***@" in str(err.value)
    report = validate_source("postgresql+adbc://user:s3cret@127.0.0.1:1/crm")
    assert not report.ok and "s3cret" not in report.render()


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_dir(good_tables(), tmp_path / "good", "csv")
    assert main(["validate", "--source", str(good)]) == 0
    assert "all OK" in capsys.readouterr().out
    bad = write_dir(put("orders", "channel", 0, "fax")(good_tables()), tmp_path / "bad", "parquet")
    assert main(["validate", "--source", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "orders.channel: 1 row must be one of" in out and "'fax'" in out


@pytest.mark.parametrize("password", ["pa/ss", "p@ss", "a/b@c:d", "s3cret"])
def test_a_password_with_unencoded_slash_or_at_never_shows(password):
    """Issue #15: a pattern that stopped at the first / or @ printed the rest."""
    from workbench.sources import redact_uri, split_password

    uri = f"postgresql://crm:{password}@db.example:5432/crm?sslmode=require"
    shown = redact_uri(uri)
    assert password not in shown and "pa" not in shown.split("@db")[0].split("crm:")[1]
    assert shown == "postgresql://crm:***@db.example:5432/crm?sslmode=require"
    assert split_password(uri) == ("postgresql://crm@db.example:5432/crm?sslmode=require",
                                   password)


# ------------------------------------------------- optional marketing tables (v1.1)
MARKETING = ("marketing_messages", "consents", "privacy_requests")


def marketing_tables() -> Tables:
    """The required tables plus one or two valid rows of each optional marketing table."""
    rows: dict[str, list[tuple[object, ...]]] = {
        "marketing_messages": [
            ("M1", "S1", "C1", "sms", datetime(2026, 7, 3, 10), "marketing",
             "【云铺】【广告】秋季新品8折，回T退订"),
            ("M2", "S2", "C2", "推送", datetime(2026, 7, 4, 9), "服务", "您的订单已发货"),
        ],
        "consents": [
            ("K1", "C1", None, "marketing", None, datetime(2026, 1, 1), None),
            ("K2", "C2", "S2", "个性化推荐", "email", datetime(2026, 2, 1),
             datetime(2026, 8, 1)),
        ],
        "privacy_requests": [
            ("R1", "C1", "S1", "delete", datetime(2026, 7, 1, 9), datetime(2026, 7, 8, 9),
             "done", None),
            ("R2", None, "S2", "查阅", datetime(2026, 7, 2, 9), None, "处理中", None),
        ],
    }
    out = good_tables()
    out.update({n: pl.DataFrame(rows[n], schema=TABLES[n].schema, orient="row")
                for n in MARKETING})
    return out


@pytest.mark.parametrize("kind", ["csv", "parquet", "sqlite"])
def test_marketing_tables_load_when_present(tmp_path: Path, kind: str) -> None:
    t = marketing_tables()
    # Chinese labels in text columns, as a CSV or a database would hold them
    uri = write_sqlite(t, tmp_path / "crm.db") if kind == "sqlite" else write_dir(
        t, tmp_path, kind)
    frames = load(uri)
    assert list(frames) == [*TABLE_NAMES, *MARKETING]
    messages = frames["marketing_messages"].collect()
    assert messages.schema == pl.Schema(TABLES["marketing_messages"].schema)
    assert messages["channel"].to_list() == ["sms", "app_push"]
    assert messages["purpose"].to_list() == ["marketing", "service"]
    requests = frames["privacy_requests"].collect()
    assert requests["kind"].to_list() == ["delete", "access"]
    assert requests["outcome"].to_list() == ["done", "pending"]
    assert frames["consents"].collect()["purpose"].to_list() == ["marketing", "profiling"]
    assert validate_source(uri).ok


def test_a_source_without_the_marketing_tables_is_not_bad_input(tmp_path: Path) -> None:
    root = write_dir(good_tables(), tmp_path, "parquet")
    assert list(load(root)) == list(TABLE_NAMES)
    assert load(root, tables=list(MARKETING)) == {}  # not returned: not evaluated
    assert list(load(root, tables=["orders", "consents"])) == ["orders"]
    report = validate_source(root)
    assert report.ok and report.absent == MARKETING
    text = report.render()
    assert "consents" in text and "absent (optional" in text


@pytest.mark.parametrize("keep", [("consents",), ("marketing_messages", "privacy_requests")])
def test_a_source_with_some_marketing_tables_is_bad_input(tmp_path: Path, keep) -> None:
    t = marketing_tables()
    for name in MARKETING:
        if name not in keep:
            del t[name]
    root = write_dir(t, tmp_path, "parquet")
    missing = [n for n in MARKETING if n not in keep]
    expected = S.MSG_OPTIONAL_PARTIAL.format(
        group="marketing", tables=", ".join(MARKETING), present=", ".join(keep))
    for tables in (None, [keep[0]]):
        with pytest.raises(ContractError) as err:
            load(root, tables=tables)
        assert [(p.table, p.problem) for p in err.value.problems] == [
            (n, expected) for n in missing]
        assert all(n in str(err.value) for n in missing)
    assert list(load(root, tables=["orders"])) == ["orders"]  # other analyses still run
    report = validate_source(root)
    assert not report.ok
    assert [p.table for p in report.problems] == missing
    assert f"{len(missing)} of 16 tables bad" in report.render()


MARKETING_BAD = [
    (put("marketing_messages", "channel", 0, "fax"), "marketing_messages", "channel", ["M1"],
     "must be one of sms, app_push, email, wechat, call"),
    (put("marketing_messages", "message_id", 1, "M1"), "marketing_messages", "message_id",
     ["M1"], "share a primary key"),
    (put("marketing_messages", "content", 0, None), "marketing_messages", "content", ["M1"],
     S.MSG_NULL),
    (put("consents", "customer_id", 1, "C9"), "consents", "customer_id", ["K2"],
     "must reference an existing customers.customer_id"),
    (put("consents", "subsidiary_id", 0, "S9"), "consents", "subsidiary_id", ["K1"],
     "must reference an existing subsidiaries.subsidiary_id"),
    (put("consents", "withdrawn_at", 1, datetime(2025, 12, 31)), "consents", "withdrawn_at",
     ["K2"], "a consent is withdrawn at or after it is granted"),
    (put("privacy_requests", "completed_at", 1, datetime(2026, 7, 5)), "privacy_requests",
     "outcome", ["R2"], "completed_at is given exactly when the outcome is done or refused"),
    (put("privacy_requests", "completed_at", 0, datetime(2026, 6, 30)), "privacy_requests",
     "completed_at", ["R1"], "a request is completed at or after it is received"),
    (put("privacy_requests", "kind", 0, "erase"), "privacy_requests", "kind", ["R1"],
     "must be one of access, copy, correct, delete"),
]


@pytest.mark.parametrize(("mutate", "table", "column", "keys", "problem"), MARKETING_BAD)
def test_bad_marketing_rows_are_named(tmp_path: Path, mutate, table, column, keys,
                                      problem) -> None:
    root = write_dir(mutate(marketing_tables()), tmp_path, "parquet")
    with pytest.raises(ContractError) as err:
        load(root, tables=[table])
    (p,) = err.value.problems
    assert (p.table, p.column, p.examples) == (table, column, keys)
    assert problem in p.problem
