"""The rental database end to end: a small simulated city's housing system in a real PostgreSQL -> incremental
pulls by updated_at -> landing -> GX -> bronze, reconciled; soft deletes arrive as rows and staging drops them; a
re-run adds nothing; an outage fails the task and the retry after recovery loses nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from huitong.ingest import ensure_tables, land_window, load
from huitong.lake.catalog import get_catalog
from huitong.lake.duck import connect
from huitong.simulate.serve_rental import running_database, start, stop, touch
from huitong.sources.hotel import SourceUnavailable
from tests.integration.metrics_city import dbt
from tests.integration.source_city import home_outside_pytest_tmp, simulated_city

pytestmark = pytest.mark.slow

CITY_TZ = timezone(timedelta(hours=8))
CITY = dict(seed=7, scale=0.1, start=date(2025, 1, 1), as_of=date(2025, 3, 1))
FIRST = (datetime(2025, 2, 1, tzinfo=CITY_TZ), datetime(2025, 2, 15, tzinfo=CITY_TZ))
SECOND = (FIRST[1], datetime(2025, 3, 1, tzinfo=CITY_TZ))
TABLES = ("landlords", "tenants", "contracts")


def store_rows(cfg, table: str, window) -> list[dict]:
    rows = pq.read_table(cfg.sources_dir / "rental" / f"{table}.parquet").to_pylist()
    return [r for r in rows if window[0] <= datetime.fromisoformat(r["updated_at"]) < window[1]]


def bronze(cfg, table: str) -> list[dict]:
    return get_catalog(cfg).load_table(f"bronze.rental__{table}").scan().to_arrow().to_pylist()


@pytest.fixture(scope="module")
def rental():
    with home_outside_pytest_tmp("huitong-rental-") as home:
        yield from _rental(home)


def _rental(home: Path):
    with simulated_city(home, **CITY) as (cfg, mp), running_database(cfg) as db:
        mp.setenv("HUITONG_RENTAL_DSN", db.dsn)
        first = {t: load(land_window(f"rental.{t}", *FIRST, cfg).batch_id, cfg) for t in TABLES}
        # After the first pull, the housing office deletes a contract it had registered in that window.
        deleted = store_rows(cfg, "contracts", FIRST)[0]["contract_id"]
        touch(db, "contracts", deleted, SECOND[0] + timedelta(days=2), delete=True)
        second = {t: load(land_window(f"rental.{t}", *SECOND, cfg).batch_id, cfg) for t in TABLES}
        rerun = load(land_window("rental.contracts", *SECOND, cfg).batch_id, cfg)
        yield {"cfg": cfg, "db": db, "first": first, "second": second, "rerun": rerun, "deleted": deleted,
               "mp": mp}  # fmt: skip


def test_every_row_changed_in_a_window_is_landed_and_reconciled(rental):
    cfg = rental["cfg"]
    for table in TABLES:
        result = rental["first"][table]
        assert result.landed == len(store_rows(cfg, table, FIRST)) > 0, table
        assert result.landed == result.loaded + result.quarantined
    contracts = rental["second"]["contracts"]
    assert (
        contracts.landed == len(store_rows(cfg, "contracts", SECOND)) + 1
    )  # + the deletion made after pull 1


def test_a_soft_delete_arrives_as_a_row_and_staging_drops_the_contract(rental):
    cfg, deleted = rental["cfg"], rental["deleted"]
    versions = sorted(
        (r["_watermark_at"], r["is_deleted"]) for r in bronze(cfg, "contracts") if r["contract_id"] == deleted
    )
    assert [flag for _, flag in versions] == ["false", "true"]
    ensure_tables(cfg)
    dbt(
        cfg.home, "build", "--select", "staging.rental"
    )  # syncs the lake views; its own target and log folders
    con = connect(cfg.build_db)
    try:
        ids = {r[0] for r in con.execute("select contract_id from staging.stg_rental__contracts").fetchall()}
    finally:
        con.close()
    live = {r["contract_id"] for r in bronze(cfg, "contracts")} - {deleted}
    live -= {r["contract_id"] for r in bronze(cfg, "contracts") if r["is_deleted"] == "true"}
    assert deleted not in ids and ids == live


def test_rerunning_a_window_adds_no_rows(rental):
    assert rental["rerun"].batch_id == rental["second"]["contracts"].batch_id
    rows = bronze(rental["cfg"], "contracts")
    assert len(rows) == len({r["_record_hash"] for r in rows})


def test_an_outage_fails_the_pull_and_the_retry_after_recovery_loses_nothing(rental):
    cfg, db, mp = rental["cfg"], rental["db"], rental["mp"]
    before = len(bronze(cfg, "tenants"))
    stop(db)
    try:
        with pytest.raises(SourceUnavailable, match="unreachable"):
            land_window("rental.tenants", *SECOND, cfg)
    finally:
        back = start(cfg, port=db.port)  # the same server comes back; the task's retry runs the window again
    mp.setenv("HUITONG_RENTAL_DSN", back.dsn)
    result = load(land_window("rental.tenants", *SECOND, cfg).batch_id, cfg)
    assert result.batch_id == rental["second"]["tenants"].batch_id
    assert len(bronze(cfg, "tenants")) == before
