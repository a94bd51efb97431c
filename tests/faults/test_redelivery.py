"""The same batch delivered twice, windows loaded out of order, records arriving late: bronze, the quarantine and the
marts built from them (the hotel facts and their daily metric, by the real dbt models) end identical to a clean,
in-order run."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huitong.ingest import ensure_tables, land_window
from huitong.lake.duck import sync_lake_views
from huitong.simulate.hotel_api import running_server
from tests.faults.conftest import (
    DBT_PROJECT,
    TOKEN,
    WEEKS,
    dbt_run,
    dbt_target,
    hotel_sent,
    lake_counts,
    load_rows,
    make_lake,
    report,
)

pytestmark = pytest.mark.slow
VOLATILE = {"_ingested_at"}  # when a row was loaded; everything else must match


def content(lake, identifier: str) -> list[dict]:
    table = lake.table(identifier)
    table = table.select([c for c in table.column_names if c not in VOLATILE])
    return sorted(table.to_pylist(), key=lambda r: (r["_record_hash"], r["_batch_id"]))


MARTS = ("marts.fct_hotel_stays", "marts.metric_hotel_stays_daily")


def marts(lake) -> dict[str, list[tuple]]:
    """Build the hotel marts from this lake's bronze as the transform does (views, then dbt) and read them back."""
    from dbt.cli.main import dbtRunner

    target = dbt_target(lake.cfg)
    ensure_tables(lake.cfg)
    sync_lake_views(lake.cfg)
    assert dbt_run(dbtRunner(), "+fct_hotel_stays +metric_hotel_stays_daily", target)
    with duckdb.connect(str(lake.cfg.build_db), read_only=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in MARTS}


def run(lake, url: str, windows) -> list[str]:
    cfg = replace(lake.cfg, hotel_api_url=url)
    batches = []
    for window in windows:
        batch = land_window("hotel", *window, cfg)
        load_rows(batch.batch_id, cfg)
        batches.append(batch.batch_id)
    return batches


def test_duplicate_out_of_order_and_late_deliveries_converge_to_a_clean_run(tmp_path, monkeypatch, city):
    monkeypatch.setenv("DBT_PROFILES_DIR", str(DBT_PROJECT))
    clean = make_lake(tmp_path / "clean", city, monkeypatch)
    store = clean.hotel_store
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        run(clean, url, WEEKS)
    expected = {t: content(clean, t) for t in ("bronze.hotel__registrations", "quarantine.quarantined_rows")}
    expected_marts = marts(clean)  # built now: dbt reads the lake of the current HUITONG_HOME
    assert expected_marts["marts.fct_hotel_stays"]

    # The hotel system's first answer for week 2 lacks a fifth of its records: they arrive late.
    full = pq.read_table(store)
    sent_week2 = set(hotel_sent(store, *WEEKS[1])["reg_id"])
    late = set(sorted(sent_week2)[::5])
    early_store = tmp_path / "early.parquet"
    pq.write_table(full.filter(pa.compute.invert(pa.compute.is_in(full["reg_id"], pa.array(sorted(late))))),
                   early_store)  # fmt: skip

    faulty = make_lake(tmp_path / "faulty", city, monkeypatch)
    with running_server(store_path=early_store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        first = run(faulty, url, [WEEKS[2], WEEKS[1]])  # out of order, week 2 without its late records
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        # week 3 again (a duplicate delivery: same bytes, same batch id), week 1 late in the order, week 2 again
        # with its late records (a new batch replacing the window), then week 2's complete batch a second time.
        second = run(faulty, url, [WEEKS[2], WEEKS[0], WEEKS[1], WEEKS[1]])
    assert second[0] == first[0] and second[2] == second[3] != first[1]
    assert len(late) > 3

    for table, rows in expected.items():
        assert content(faulty, table) == rows, table
    assert marts(faulty) == expected_marts
    sent = sum(len(hotel_sent(store, *w)) for w in WEEKS)
    final_batches = {second[0], second[1], second[2]}
    loaded, quarantined = lake_counts(faulty, "hotel", "registrations", final_batches)
    assert (loaded, quarantined) == lake_counts(
        faulty, "hotel", "registrations"
    )  # nothing of superseded batches
    assert report("redelivery_duplicate_out_of_order_late", sent, loaded, quarantined) == 0
