"""workbench.sources on a real PostgreSQL server: same validation, same frames, same findings.

A throw-away server is started once per test session on a free loopback port
(``initdb`` into a temporary directory, ``pg_ctl start``; stopped and deleted at the
end). Where the server binaries are missing (``/usr/lib/postgresql/*/bin``, or
``WORKBENCH_PG_BINDIR``), the fixture installs Debian's ``postgresql`` package when
it runs as root with ``apt-get`` (a fresh CI machine); otherwise these tests are
skipped with the reason. On CI (``CI`` set) a failed install fails instead of
skipping, so a green CI always means the PostgreSQL path ran. ``WORKBENCH_PG_INSTALL=0``
forbids the install.

The small sample (``data/samples``) is loaded into schema ``sample`` with ADBC bulk
ingest; schema ``typed`` holds the same rows under the column types a production
database uses (``varchar``, ``integer``, ``numeric(12,2)``, ``timestamptz``);
schema ``bad`` has one planted contract violation.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from workbench import sources as S
from workbench.contract import TABLES
from workbench.sources import BadInputError, ContractError, load, open_source, validate_source

pytestmark = pytest.mark.xdist_group("postgres")  # one server, on one xdist worker

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples"
PERIOD = "2026-Q3"
INSTALL_TIMEOUT_S = 600
SKIP_NO_SERVER = (
    "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin "
    "or WORKBENCH_PG_BINDIR, and {why}; install Debian's `postgresql` package "
    "(apt-get install postgresql) to run the PostgreSQL source tests"
)


# --------------------------------------------------------------- the server
def _find_bindir() -> Path | None:
    candidates = []
    if os.environ.get("WORKBENCH_PG_BINDIR"):
        candidates.append(Path(os.environ["WORKBENCH_PG_BINDIR"]))

    def version(p: Path) -> float:
        try:
            return float(p.parent.name)
        except ValueError:
            return 0.0

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(Path(which).resolve().parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file() and (c / "postgres").is_file():
            return c
    return None


def _apt_install() -> str | None:
    """Install Debian's postgresql package; return None on success, else why not."""
    from tests.apt import apt_install

    return apt_install(
        ["postgresql"], done=lambda: _find_bindir() is not None, timeout_s=INSTALL_TIMEOUT_S
    )


def _server_bindir() -> Path:
    bindir = _find_bindir()
    if bindir is not None:
        return bindir
    if os.environ.get("WORKBENCH_PG_INSTALL", "1") == "0":
        pytest.skip(SKIP_NO_SERVER.format(why="WORKBENCH_PG_INSTALL=0 forbids installing it"))
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(SKIP_NO_SERVER.format(why="not root with apt-get to install it"))
    why = _apt_install()
    if why is None:
        bindir = _find_bindir()
        assert bindir is not None
        return bindir
    message = SKIP_NO_SERVER.format(why=f"installing it failed: {why}")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    uri: str  # postgresql://wb@127.0.0.1:PORT/postgres

    def schema_uri(self, schema: str) -> str:
        return f"{self.uri}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    bindir = _server_bindir()
    prefix: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        user = "postgres" if _user_exists("postgres") else "nobody"
        pw = pwd.getpwnam(user)
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", user, "--"]
    data = workdir / "data"

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = (workdir / "server.log").read_text() if (workdir / "server.log").exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}\n{log}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "wb", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        for attempt in range(3):  # a port taken between probe and bind: try another
            port = _free_port()
            try:
                run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(workdir / "server.log"),
                    "-w", "-t", "60", "-o", f"-h 127.0.0.1 -p {port} -k {workdir} -F", "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        yield Server(uri=f"postgresql://wb@127.0.0.1:{port}/postgres")
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "stop"], capture_output=True, timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# ------------------------------------------------------------- the schemas
def _sample_tables() -> dict[str, pl.DataFrame]:
    return {t: pl.read_parquet(SAMPLE / f"{t}.parquet") for t in TABLES}


def _ingest(uri: str, schema: str, tables: dict[str, pl.DataFrame]) -> None:
    import adbc_driver_postgresql.dbapi as adbc_pg

    with adbc_pg.connect(uri) as con:
        with con.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
            for name, df in tables.items():
                cur.adbc_ingest(name, df.to_arrow(), mode="create", db_schema_name=schema)
        con.commit()


def _sql(uri: str, *statements: str) -> None:
    import adbc_driver_postgresql.dbapi as adbc_pg

    with adbc_pg.connect(uri) as con:
        with con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        con.commit()


@pytest.fixture(scope="session")
def sample_uri(pg_server: Server) -> str:
    _ingest(pg_server.uri, "sample", _sample_tables())
    return pg_server.schema_uri("sample")


@pytest.fixture(scope="session")
def parquet_frames() -> dict[str, pl.DataFrame]:
    return {t: lf.collect() for t, lf in load(SAMPLE).items()}


# ------------------------------------------------------------------- tests
def test_sample_validates_and_loads_like_parquet(
    sample_uri: str, parquet_frames: dict[str, pl.DataFrame]
) -> None:
    report = validate_source(sample_uri)
    assert report.ok, report.render()
    assert report.row_counts == validate_source(SAMPLE).row_counts
    assert report.source.startswith("postgresql database wb@127.0.0.1:")
    frames = load(sample_uri)
    assert list(frames) == list(TABLES)
    for name, lf in frames.items():
        df = lf.collect()
        assert df.schema == parquet_frames[name].schema, name
        assert df.equals(parquet_frames[name]), name  # same rows, same order
    src = open_source(sample_uri)
    assert src.input_files() == {}
    assert isinstance(src, S.PostgresSource)


def test_tiering_and_sla_findings_match_parquet(sample_uri: str) -> None:
    from workbench.sla import analyze as sla_analyze
    from workbench.tiering import analyze as tiering_analyze

    pg, pq = load(sample_uri), load(SAMPLE)
    for analyze in (tiering_analyze, sla_analyze):
        got = analyze(pg, PERIOD).findings.sort("finding_id")
        want = analyze(pq, PERIOD).findings.sort("finding_id")
        assert want.height > 0
        assert got.equals(want), analyze.__module__


TYPED_COLUMNS = {
    "subsidiaries": {"subsidiary_id": "varchar(8) PRIMARY KEY", "name": "varchar(200)",
                     "province": "char(2)"},
    "customers": {"customer_id": "varchar(32) PRIMARY KEY", "subsidiary_id": "varchar(8)",
                  "customer_type": "varchar(16)", "uscc": "char(18)", "signup_date": "date",
                  "province": "char(2)", "gender": "varchar(1)", "birth_year": "smallint"},
    "orders": {"order_id": "varchar(32) PRIMARY KEY", "customer_id": "varchar(32)",
               "subsidiary_id": "varchar(8)", "sku": "varchar(32)", "ordered_at": "timestamptz",
               "channel": "varchar(8)", "device_os": "varchar(8)", "province": "char(2)",
               "quantity": "integer", "list_price": "numeric(14,2)",
               "charged_price": "numeric(14,2)", "promo_id": "varchar(32)",
               "coupon_cny": "numeric(14,2)"},
}


def test_production_column_types_load_like_parquet(
    pg_server: Server, sample_uri: str, parquet_frames: dict[str, pl.DataFrame]
) -> None:
    """varchar/char, smallint/integer, numeric and timestamptz arrive as contract dtypes.

    ``ordered_at`` is stored as an absolute instant (Shanghai local time made
    zone-aware), so the loader must turn it back into naive Shanghai time.
    """
    statements = [
        "CREATE SCHEMA typed",
        "SET TIME ZONE 'UTC'",
        "CREATE TABLE typed.promotions AS SELECT * FROM sample.promotions ORDER BY ctid",
    ]
    for name, columns in TYPED_COLUMNS.items():
        ddl = ", ".join(f"{c} {t}" for c, t in columns.items())
        select = ", ".join(
            f"{c} AT TIME ZONE 'Asia/Shanghai'" if t == "timestamptz" else c
            for c, t in columns.items()
        )
        statements += [
            f"CREATE TABLE typed.{name} ({ddl})",
            f"INSERT INTO typed.{name} SELECT {select} FROM sample.{name} ORDER BY ctid",
        ]
    _sql(pg_server.uri, *statements)
    uri = pg_server.schema_uri("typed")
    stored = open_source(uri).scan_raw("orders").collect_schema()
    assert stored["list_price"] == pl.String  # numeric arrives as exact text
    assert stored["quantity"] == pl.Int32
    assert stored["ordered_at"] == pl.Datetime("us", "UTC")
    frames = load(uri, tables=["orders"])  # pulls in its parents (customers, …)
    orders = frames["orders"].collect()
    assert orders.schema == parquet_frames["orders"].schema
    assert orders.equals(parquet_frames["orders"])


def test_bad_input_is_reported_like_parquet(
    pg_server: Server, sample_uri: str, tmp_path: Path
) -> None:
    tables = _sample_tables()
    orders = tables["orders"]
    bad = orders.with_columns(
        channel=pl.when(pl.int_range(pl.len()).is_in([3, 70, 71])).then(pl.lit("fax"))
        .otherwise(pl.col("channel"))
    )
    bad_tables = {"subsidiaries": tables["subsidiaries"], "customers": tables["customers"],
                  "promotions": tables["promotions"], "orders": bad}
    _ingest(pg_server.uri, "bad", bad_tables)
    for name, df in bad_tables.items():
        df.write_parquet(tmp_path / f"{name}.parquet")
    with pytest.raises(ContractError) as from_pg:
        load(pg_server.schema_uri("bad"), tables=["orders"])
    with pytest.raises(ContractError) as from_parquet:
        load(tmp_path, tables=["orders"])
    assert str(from_pg.value) == str(from_parquet.value)
    assert "orders.channel: 3 rows must be one of" in str(from_pg.value)


def test_missing_table_and_wrong_password_scheme(pg_server: Server) -> None:
    report = validate_source(pg_server.schema_uri("no_such_schema"))
    assert not report.ok
    assert "subsidiaries: table is missing from the source" in report.render()
    with pytest.raises(BadInputError, match="cannot be read as a postgresql database"):
        open_source(pg_server.uri.replace("/postgres", "/no_such_db"))


def test_without_binaries_a_non_root_developer_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    me = sys.modules[__name__]
    monkeypatch.setattr(me, "_find_bindir", lambda: None)
    monkeypatch.setattr(me.os, "geteuid", lambda: 1000)
    monkeypatch.delenv("WORKBENCH_PG_INSTALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not root with apt-get to install it"):
        me._server_bindir()
    monkeypatch.setenv("WORKBENCH_PG_INSTALL", "0")
    with pytest.raises(pytest.skip.Exception, match="WORKBENCH_PG_INSTALL=0"):
        me._server_bindir()
