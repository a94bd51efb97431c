"""The loader on small landed hotel pages.

Reconciliation is a check, not a sum: landed is counted as the parts are parsed (records, and rows no parser could
read), before any rule splits them, and a batch whose bronze and quarantine rows do not come back to it is refused
before anything is written.

A source field spelled like a column the loader adds (a lineage column, `<column>_token`) must not sink the batch:
every record still loads (the field kept as `src_<field>`), and the schema check fails the task afterwards, naming
the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from huitong import ingest
from huitong.config import settings
from huitong.ingest import bronze_table, load, prepare_load
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import RawPart, land
from huitong.lake.ledger import ReconciliationError, read_ledger
from huitong.quality.validate import BatchValidationError
from huitong.sources.hotel import COLUMNS

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def landed_page(records: list[dict], extra: bytes = b"") -> str:
    page = json.dumps({"data": records, "next_cursor": None}).encode() + extra
    return land(
        "hotel", "registrations", T0, T0 + timedelta(days=1), [RawPart("page-00001.json", page, "x")]
    ).batch_id


def registration(n: int) -> dict:
    record = dict.fromkeys(COLUMNS)
    at = (T0 + timedelta(hours=20, minutes=n)).isoformat()
    record.update(reg_id=f"R{n}", hotel_code="H001", guest_name="张三", checkin_time=at, district_code="110101",
                  updated_at=at)  # fmt: skip
    return record


def test_landed_is_counted_before_the_rules_split_the_rows(huitong_home):
    # Three records, one of them twice (a duplicate_delivery row), one outside the window (a window row).
    late = {**registration(3), "updated_at": (T0 + timedelta(days=2)).isoformat()}
    prepared = prepare_load(landed_page([registration(1), registration(2), registration(2), late]))
    assert prepared.landed == 4
    assert (prepared.good.num_rows, prepared.quarantine.num_rows) == (2, 2)
    prepared.reconciled()


def test_a_page_of_records_holding_no_key_is_landed_and_quarantined_whole(huitong_home):
    # {} has no field for Arrow to make a column of: the rows must still be counted and quarantined, not vanish.
    prepared = prepare_load(landed_page([{}, {}]))
    assert (prepared.landed, prepared.good.num_rows, prepared.quarantine.num_rows) == (2, 0, 2)
    assert prepared.quarantine["payload"].to_pylist() == ["{}", "{}"]
    prepared.reconciled()


def test_a_split_that_loses_a_row_is_refused_before_any_write(huitong_home, monkeypatch):
    batch_id = landed_page([registration(1), registration(2)])
    real = ingest.prepare_load

    def losing(*args, **kwargs):
        prepared = real(*args, **kwargs)
        prepared.good = prepared.good.slice(0, prepared.good.num_rows - 1)  # a rule that dropped a row
        return prepared

    monkeypatch.setattr(ingest, "prepare_load", losing)
    with pytest.raises(ReconciliationError, match=r"landed 2 != loaded 1 \+ quarantined 0"):
        load(batch_id)
    assert not get_catalog().table_exists(bronze_table("hotel", "registrations"))
    assert read_ledger(settings()).num_rows == 0


def test_a_field_named_like_a_generated_column_loads_and_the_batch_check_names_it(huitong_home):
    source_sends = {**registration(2), "phone_token": "from-the-source", "_batch_id": "theirs"}
    batch_id = landed_page([registration(1), source_sends])

    with pytest.raises(
        BatchValidationError, match=r"(?s)1 batch-level.*unexpected \['src__batch_id', 'src_phone_token'\]"
    ):
        load(batch_id)

    [entry] = read_ledger(settings()).to_pylist()
    assert (entry["landed"], entry["loaded"], entry["quarantined"]) == (2, 2, 0)
    rows = get_catalog().load_table(bronze_table("hotel", "registrations")).scan().to_arrow()
    by_id = {r["reg_id"]: r for r in rows.to_pylist()}
    assert by_id["R2"]["src_phone_token"] == "from-the-source" and by_id["R2"]["src__batch_id"] == "theirs"
    assert by_id["R2"]["_batch_id"] == batch_id and by_id["R2"]["phone_token"] is None  # no phone sent
