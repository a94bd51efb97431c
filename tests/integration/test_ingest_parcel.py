"""The parcel drop end to end: a small simulated city's hourly files (gzipped or not, late, re-sent) plus a corpus
of broken files -> landing -> GX -> bronze/quarantine, reconciled; re-runs and re-sent files add no rows; the
hourly DAG itself under `airflow dags test`."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from datetime import date, datetime, timedelta

import pyarrow.compute as pc
import pytest

from huitong.ingest import land_window, load
from huitong.lake.catalog import get_catalog
from huitong.lake.ledger import read_ledger
from huitong.simulate.serve_parcel import drop_dir, write_drop
from huitong.sources.parcel import arrival_hour
from tests.conftest import airflow_env, run_airflow
from tests.integration.source_city import simulated_city

pytestmark = pytest.mark.slow

CITY = dict(seed=7, scale=0.05, start=date(2025, 2, 1), as_of=date(2025, 3, 1))
LATE = timedelta(hours=2)
SURROGATE = b'{"waybill_no": "\\ud800"}'


def choose_window(delivered) -> tuple[datetime, datetime]:
    """Three days starting at the arrival hour of a late file, so the window holds a file for an earlier hour."""
    late = next(f for f in delivered if f.arrived_at - f.covers > LATE and f.covers.day > 3)
    start = arrival_hour(late.arrived_at)
    return start, start + timedelta(days=3)


def put(root, key: str, data: bytes, arrived: datetime) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (arrived.timestamp(),) * 2)


def fault_corpus(root, arrived: datetime) -> int:
    """Broken deliveries arriving inside the window; returns the rows they must yield (loaded or quarantined)."""
    at = (arrived - timedelta(minutes=20)).isoformat()
    fake = [{"waybill_no": f"WBX{i:011d}", "outlet_code": "WL3299020001", "sender_name": "测试", "event_time": at,
             "updated_at": at} for i in range(40)]  # fmt: skip
    body = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in fake)
    put(root, "2025-02-11/09/corrupt.jsonl.gz", b"\x1f\x8b\x08\x00" + os.urandom(64), arrived)  # 1 row
    cut = gzip.compress(body[: len(body) // 2])[:-30]
    put(root, "2025-02-11/09/truncated.jsonl.gz", cut, arrived)
    recovered = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")  # complete lines + 1 for the loss
    bad = b"{not json\n[1]\n" + SURROGATE + b"\n"  # the last: a lone surrogate escape, which crashed the load
    put(root, "2025-02-11/09/malformed.jsonl", body[-250:].split(b"\n", 1)[1] + bad, arrived)
    good_tail = body[-250:].split(b"\n", 1)[1].count(b"\n")
    return 1 + recovered + 1 + good_tail + 3


@pytest.fixture(scope="module")
def drop(tmp_path_factory):
    home = tmp_path_factory.mktemp("parcel")
    with simulated_city(home, **CITY) as (cfg, mp):
        delivered = write_drop(cfg, seed=11, late_share=0.25, duplicate_share=0.15)
        window = choose_window(delivered)
        fault_rows = fault_corpus(drop_dir(cfg), window[0] + timedelta(hours=5, minutes=30))
        result = load(land_window("parcel", *window, cfg).batch_id, cfg)
        bronze_first = get_catalog(cfg).load_table("bronze.parcel__waybills").scan().to_arrow()
        again = load(land_window("parcel", *window, cfg).batch_id, cfg)
        arrived = [f for f in delivered if window[0] <= arrival_hour(f.arrived_at) < window[1]]
        yield {"home": home, "cfg": cfg, "delivered": delivered, "arrived": arrived, "window": window,
               "fault_rows": fault_rows, "result": result, "again": again, "bronze_first": bronze_first}  # fmt: skip


def quarantined(cfg, batch_id: str) -> list[dict]:
    rows = get_catalog(cfg).load_table("quarantine.quarantined_rows").scan().to_arrow()
    return [r for r in rows.to_pylist() if r["_batch_id"] == batch_id]


def test_every_delivered_row_is_landed_and_reconciled(drop):
    arrived = drop["arrived"]
    result = drop["result"]
    assert result.landed == sum(f.rows for f in arrived) + drop["fault_rows"]
    assert result.landed == result.loaded + result.quarantined
    [entry] = [e for e in read_ledger(drop["cfg"]).to_pylist() if e["batch_id"] == result.batch_id]
    assert (entry["landed"], entry["loaded"], entry["quarantined"]) == (
        result.landed,
        result.loaded,
        result.quarantined,
    )


def test_late_files_load_in_the_window_they_arrive_in(drop):
    late = [f for f in drop["arrived"] if f.covers < drop["window"][0]]
    assert late, "the window starts with a file that arrived hours after the hour it covers"
    landed_parts = set(drop["bronze_first"]["_source_part"].to_pylist())
    assert {f.key.replace("/", "__") for f in late} <= {p.split("__", 1)[1] for p in landed_parts}


def test_resent_files_add_no_rows(drop):
    cfg, result = drop["cfg"], drop["result"]
    resent = [f for f in drop["arrived"] if f.duplicate_of]
    dup_rows = [q for q in quarantined(cfg, result.batch_id) if q["rules"] == "duplicate_delivery"]
    assert len(dup_rows) == sum(f.rows for f in resent) > 0
    waybills = drop["bronze_first"]["waybill_no"]
    assert pc.count_distinct(waybills).as_py() == len(waybills)


def test_broken_files_are_quarantined_with_clear_reasons_and_good_lines_load(drop):
    rows = quarantined(drop["cfg"], drop["result"].batch_id)
    reasons = {q["_source_part"].split("__")[-1]: q["reason"] for q in rows if q["rules"] == "parse"}
    assert "corrupt gzip" in reasons["corrupt.jsonl.gz"]
    assert "truncated gzip" in reasons["truncated.jsonl.gz"]
    malformed = [(q["reason"], q["payload"]) for q in rows if q["_source_part"].endswith("malformed.jsonl")]
    assert any("malformed JSON" in reason for reason, _ in malformed)
    assert any("not an object" in reason for reason, _ in malformed)
    assert [p for r, p in malformed if "lone surrogate" in r] == [SURROGATE.decode()]
    loaded_parts = {p.split("__")[-1] for p in drop["bronze_first"]["_source_part"].to_pylist()}
    assert {"truncated.jsonl.gz", "malformed.jsonl"} <= loaded_parts


def test_rerunning_the_window_adds_no_rows(drop):
    assert drop["again"].batch_id == drop["result"].batch_id  # same files, same content-addressed batch
    bronze = get_catalog(drop["cfg"]).load_table("bronze.parcel__waybills").scan().to_arrow()
    assert sorted(bronze["_record_hash"].to_pylist()) == sorted(
        drop["bronze_first"]["_record_hash"].to_pylist()
    )


def test_the_hourly_dag_loads_one_arrival_hour(drop):
    home, cfg = drop["home"], drop["cfg"]
    after = [f for f in drop["delivered"] if arrival_hour(f.arrived_at) >= drop["window"][1]]
    hour = arrival_hour(after[0].arrived_at)
    env = airflow_env(home, HUITONG_TASK_RETRIES="0")
    run_airflow("db", "migrate", env=env)
    run_airflow("dags", "test", "parcel", (hour + timedelta(hours=1)).isoformat(), env=env)
    [entry] = [e for e in read_ledger(cfg).to_pylist() if e["window_start"] == hour]
    expected = sum(f.rows for f in drop["delivered"] if arrival_hour(f.arrived_at) == hour)
    assert entry["landed"] == expected == entry["loaded"] + entry["quarantined"]
