"""A source field spelled like a column the loader adds (a lineage column, `<column>_token`) must not sink the
batch: every record still loads (the field kept as `src_<field>`), and the schema check fails the task afterwards,
naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from huitong.config import settings
from huitong.ingest import bronze_table, load
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import RawPart, land
from huitong.lake.ledger import read_ledger
from huitong.quality.validate import BatchValidationError
from huitong.sources.hotel import COLUMNS

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def registration(n: int, **extra: str) -> dict:
    record = dict.fromkeys(COLUMNS)
    at = (T0 + timedelta(hours=20, minutes=n)).isoformat()
    record.update(reg_id=f"R{n}", hotel_code="H001", guest_name="张三", checkin_time=at, district_code="110101",
                  updated_at=at, **extra)  # fmt: skip
    return record


def test_a_field_named_like_a_generated_column_loads_and_the_batch_check_names_it(huitong_home):
    records = [registration(1), registration(2, phone_token="from-the-source", _batch_id="theirs")]
    page = json.dumps({"data": records, "next_cursor": None}).encode()
    batch = land(
        "hotel", "registrations", T0, T0 + timedelta(days=1), [RawPart("page-00001.json", page, "x")]
    )

    with pytest.raises(
        BatchValidationError, match=r"(?s)1 batch-level.*unexpected \['src__batch_id', 'src_phone_token'\]"
    ):
        load(batch.batch_id)

    [entry] = read_ledger(settings()).to_pylist()
    assert (entry["landed"], entry["loaded"], entry["quarantined"]) == (2, 2, 0)
    rows = get_catalog().load_table(bronze_table("hotel", "registrations")).scan().to_arrow()
    by_id = {r["reg_id"]: r for r in rows.to_pylist()}
    assert by_id["R2"]["src_phone_token"] == "from-the-source" and by_id["R2"]["src__batch_id"] == "theirs"
    assert by_id["R2"]["_batch_id"] == batch.batch_id and by_id["R2"]["phone_token"] is None  # no phone sent
