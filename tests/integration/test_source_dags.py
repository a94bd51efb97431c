"""Every source's DAG under `airflow dags test`, against the simulated systems of one small city: the hotel API
(with injected 5xx), the rental PostgreSQL, the parcel drop, the trade uploads, the camera platforms' files, the
police exports, the registries and the query audit log. Each source also gets a piece of malformed input inside
its interval. For every batch the DAG runs: landed = loaded + quarantined, the malformed input is quarantined with
its reason while the good rows load, and running the same DAG run again lands the same batch and adds no rows.

(Per-source detail, record counts against the source's own store, outages and re-sent files:
tests/integration/test_ingest_*.py, tests/e2e, tests/faults.)
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from huitong.audit import append_entry, audit_log_path
from huitong.ingest import QUARANTINE, bronze_table
from huitong.lake.catalog import get_catalog
from huitong.lake.ledger import read_ledger
from huitong.simulate.deliveries import write_deliveries
from huitong.simulate.hotel_api import running_server
from huitong.simulate.serve_parcel import drop_dir
from huitong.simulate.serve_rental import running_database
from huitong.simulate.serve_trade import upload_dir
from huitong.sources.parcel import arrival_hour
from tests.conftest import airflow_env, run_airflow
from tests.integration.source_city import home_outside_pytest_tmp, simulated_city

pytestmark = pytest.mark.slow

START, AS_OF = date(2026, 2, 1), date(2026, 3, 1)
DAY = date(2026, 2, 25)  # inside the camera catalogues' last week
DAY_END = datetime(2026, 2, 25, 16, tzinfo=UTC)  # local midnight ending DAY: a daily run's interval end
AUDIT_HOUR = datetime(2026, 2, 25, 2, 5, tzinfo=UTC)  # the audit DAG's hours start at :05 (10:05 local)

# dag id -> the source entities it loads (each a land/load pair).
DAGS = {
    "reference": ("reference.admin_divisions", "reference.key_businesses"),
    "hotel": ("hotel.registrations",),
    "rental": ("rental.landlords", "rental.tenants", "rental.contracts"),
    "parcel": ("parcel.waybills",),
    "trade": ("trade.trades",),
    "camera": ("camera.devices", "camera.status_events"),
    "public_safety": (
        "public_safety.incidents",
        "public_safety.disputes",
        "public_safety.survey_responses",
        "public_safety.fugitives",
    ),
    "audit": ("audit.queries",),
}
# What each source gets wrong inside its interval, and the words its quarantine reason must hold.
MALFORMED = {
    "parcel.waybills": "malformed JSON",
    "trade.trades": "neither UTF-8 nor GB18030",
    "camera.status_events": "malformed JSON",
    "public_safety.incidents": "cells, header has",
    "audit.queries": "malformed JSON",
}


def busiest_hour(moments) -> datetime:
    return Counter(arrival_hour(m) for m in moments).most_common(1)[0][0]


def add_malformed_input(cfg, parcel_hour: datetime) -> None:
    """One broken piece per file-fed source, inside the interval its DAG run covers."""
    stamp = (parcel_hour + timedelta(minutes=30)).timestamp()
    broken = drop_dir(cfg) / "broken" / "torn.jsonl"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b'{"waybill_no": "WB-torn", "sender_na\n')
    os.utime(broken, (stamp, stamp))
    shop = upload_dir(cfg) / DAY.isoformat() / "SHOP-UTF16"
    shop.mkdir(parents=True)
    (shop / "export.csv").write_bytes("交易编号,姓名\nTR9,张三\n".encode("utf-16"))
    status = next((cfg.sources_dir / "camera" / "drop" / "status").glob(f"*/{DAY}.jsonl"))
    status.write_bytes(status.read_bytes() + b'{"event_id": "torn", "device_id": \n')
    incidents = cfg.sources_dir / "public_safety" / "drop" / "incidents" / f"{DAY}.csv"
    incidents.write_bytes(incidents.read_bytes() + b"AJX,criminal,0,x,,,,,,,,surplus\r\n")
    # What `huitong query` writes (huitong.query._audit): two answers, then a refusal after a torn write.
    cli = {
        "path": "cli",
        "client": "huitong-query",
        "profile": "embedded",
        "engine": "duckdb",
        "duration_ms": 4.2,
    }
    for minute, user in ((10, "li.na"), (20, "zhao.lei")):
        at = (AUDIT_HOUR + timedelta(minutes=minute)).isoformat(timespec="milliseconds")
        append_entry(cfg, {**cli, "at": at, "user": user, "sql": "select count(*) from marts.metric_hotel_stays_daily",
                           "allowed": True, "tables": ["marts.metric_hotel_stays_daily"], "person_level": False,
                           "rows": 1})  # fmt: skip
    with open(audit_log_path(cfg), "ab") as log:  # a torn write between two whole lines
        log.write(b'{"at": "' + (AUDIT_HOUR + timedelta(minutes=15)).isoformat().encode() + b'", "user\n')
    append_entry(cfg, {**cli, "at": (AUDIT_HOUR + timedelta(minutes=30)).isoformat(), "user": "qian.hui",
                       "sql": "select * from marts.dim_person", "allowed": False, "tables": ["marts.dim_person"],
                       "person_level": True, "error": "QueryRefused: marts.dim_person is not granted"})  # fmt: skip


@pytest.fixture(scope="module")
def runs():
    with home_outside_pytest_tmp("huitong-source-dags-") as home:
        yield from _runs(home)


def _runs(home: Path):
    with simulated_city(home, seed=11, scale=0.05, start=START, as_of=AS_OF) as (cfg, mp):
        write_deliveries(cfg, start=START, as_of=AS_OF, log=lambda _: None)
        # The hour in which every rental table changed most (each land/load pair then has rows to show).
        changed = [
            Counter(
                arrival_hour(datetime.fromisoformat(m))
                for m in pq.read_table(cfg.sources_dir / "rental" / f"{table}.parquet")
                .column("updated_at")
                .to_pylist()
                if m and START.isoformat() <= m[:10] < AS_OF.isoformat()
            )
            for table in ("landlords", "tenants", "contracts")
        ]
        rental_hour = max(
            sorted(set.intersection(*(set(c) for c in changed))), key=lambda h: min(c[h] for c in changed)
        )
        parcel_hour = busiest_hour(
            datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in drop_dir(cfg).rglob("*") if p.is_file()
        )
        add_malformed_input(cfg, parcel_hour)
        # The run each DAG gets: Airflow 3 names a run by its interval's end.
        run_after = {"reference": datetime(2026, 2, 28, 16, tzinfo=UTC), "rental": rental_hour + timedelta(hours=1),
                     "parcel": parcel_hour + timedelta(hours=1), "audit": AUDIT_HOUR + timedelta(hours=1)}  # fmt: skip
        hotel_store = cfg.sources_dir / "hotel" / "registrations.parquet"
        with (
            running_database(cfg) as db,
            running_server(store_path=hotel_store, port=0, error_rate=0.05, rate_per_s=0) as hotel_url,
        ):
            env = airflow_env(
                home, HUITONG_TASK_RETRIES="0", HUITONG_RENTAL_DSN=db.dsn, HUITONG_HOTEL_API_URL=hotel_url
            )
            run_airflow("db", "migrate", env=env)
            first, again = {}, {}
            for dag in DAGS:
                moment = run_after.get(dag, DAY_END).isoformat()
                run_airflow("dags", "test", dag, moment, env=env)
                first[dag] = (read_ledger(cfg).to_pylist(), bronze_counts(cfg, DAGS[dag]))
                run_airflow("dags", "test", dag, moment, env=env)  # the same DAG run again
                again[dag] = (read_ledger(cfg).to_pylist(), bronze_counts(cfg, DAGS[dag]))
        yield {"cfg": cfg, "first": first, "again": again}


def bronze_counts(cfg, names) -> dict[str, int]:
    catalog = get_catalog(cfg)
    return {n: catalog.load_table(bronze_table(*n.split("."))).scan().to_arrow().num_rows for n in names}


def batches(ledger: list[dict], names) -> dict[str, list[dict]]:
    return {n: [e for e in ledger if f"{e['source']}.{e['entity']}" == n] for n in names}


@pytest.mark.parametrize("dag", list(DAGS))
def test_the_dag_loads_its_interval_reconciled(runs, dag):
    ledger, counts = runs["first"][dag]
    for name, entries in batches(ledger, DAGS[dag]).items():
        [entry] = entries  # one batch per entity: the run's interval
        assert entry["landed"] == entry["loaded"] + entry["quarantined"], entry
        assert entry["landed"] == counts[name] + entry["quarantined"] > 0, (name, entry, counts)


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_input_is_quarantined_with_its_reason_and_the_good_rows_load(runs, name):
    dag = next(d for d, names in DAGS.items() if name in names)
    ledger, counts = runs["first"][dag]
    [entry] = batches(ledger, [name])[name]
    source, entity = name.split(".")
    quarantine = get_catalog(runs["cfg"]).load_table(QUARANTINE).scan().to_arrow()
    mine = quarantine.filter(
        pc.and_(pc.equal(quarantine["_batch_id"], entry["batch_id"]), pc.equal(quarantine["rules"], "parse"))
    )
    assert any(MALFORMED[name] in reason for reason in mine["reason"].to_pylist()), mine["reason"].to_pylist()
    assert counts[name] > 0 and entry["loaded"] == counts[name]


@pytest.mark.parametrize("dag", list(DAGS))
def test_running_the_same_dag_run_again_adds_no_rows(runs, dag):
    (ledger, counts), (ledger_again, counts_again) = runs["first"][dag], runs["again"][dag]
    assert counts_again == counts
    first, second = batches(ledger, DAGS[dag]), batches(ledger_again, DAGS[dag])
    for name in DAGS[dag]:
        # The same interval, the same content-addressed batch, one ledger row.
        assert [e["batch_id"] for e in second[name]] == [e["batch_id"] for e in first[name]]
