"""Public-safety nightly exports: CSV parsing (encodings, ragged rows), the records system's exporter (a record
appears on each day it changed), the strict per-day extraction, and the suite's cross-field rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huitong.config import settings
from huitong.simulate.export_public_safety import export_public_safety
from huitong.sources import get_source
from huitong.sources.public_safety import COLUMNS, parse_export

CST = timezone(timedelta(hours=8))
HEADER = ",".join(COLUMNS["incidents"])
ROW = "AJ1,criminal,1,盗窃,2026-03-05T08:00:00+08:00,2026-03-05T09:00:00+08:00,329902,329902001,0,,2026-03-05T09:00:00+08:00"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_exports_in_utf8_with_or_without_bom_or_gb18030_parse_alike(encoding):
    parsed = parse_export("incidents-2026-03-05.csv", f"{HEADER}\r\n{ROW}\r\n".encode(encoding))
    assert parsed.errors == []
    (record,) = parsed.records
    assert record["incident_id"] == "AJ1" and record["case_type"] == "盗窃"
    assert record["cleared_at"] is None and record["export_date"] == "2026-03-05"


def test_ragged_rows_too_long_are_quarantined_alone_and_short_ones_keep_their_gaps():
    data = f"{HEADER}\n{ROW},surplus\n{ROW.replace('AJ1', 'AJ2')}\nAJ3,public_order\n\n".encode()
    parsed = parse_export("incidents-2026-03-05.csv", data)
    assert [r["incident_id"] for r in parsed.records] == ["AJ2", "AJ3"]
    assert parsed.records[1]["updated_at"] is None
    ((offset, payload, reason),) = parsed.errors
    assert offset == 0 and payload.endswith(",surplus") and "12 cells, header has 11" in reason


def test_a_column_named_twice_keeps_both_values():
    parsed = parse_export(
        "incidents-2026-03-05.csv", f"{HEADER},updated_at\n{ROW},2026-03-06T00:00:00+08:00\n".encode()
    )
    [record] = parsed.records
    assert (
        record["updated_at"] == "2026-03-05T09:00:00+08:00"
        and record["updated_at_12"] == "2026-03-06T00:00:00+08:00"
    )


def test_a_registry_column_named_twice_keeps_both_values():
    from huitong.sources.reference import SOURCES

    parsed = SOURCES["admin_divisions"].parse(
        "admin_divisions.csv", "division_code,name,name\n110101,东城区,东城\n".encode()
    )
    assert parsed.records == [{"division_code": "110101", "name": "东城区", "name_3": "东城"}]


def test_a_file_without_its_day_or_in_no_known_encoding_is_quarantined_whole():
    assert "no export day" in parse_export("incidents.csv", HEADER.encode()).errors[0][2]
    undecodable = parse_export("incidents-2026-03-05.csv", HEADER.encode() + b"\n\xff\xff\xff")
    assert undecodable.records == [] and "neither UTF-8 nor GB18030" in undecodable.errors[0][2]


# The loader reads exports without quotes through parse_table (Arrow) and the rest through parse: both must give
# the same records, or bronze content and record hashes would depend on which reader a file happened to take.
SPACED_ROW = ROW.replace("AJ1", " AJ2 ").replace("盗窃", "\u00a0")
COLUMNAR_CASES = {
    "crlf, empty and whitespace cells, blank rows": (
        f"{HEADER}\r\n{ROW}\r\n\r\n,,,,,,,,,,\r\n \u3000,,,,,,,,,,\r\n{SPACED_ROW}\r\n"
    ),
    "lf line ends, a header cell with spaces round it": "incident_id , category\nAJ1,criminal\nAJ2,\n",
    "a column named twice": f"{HEADER},updated_at\n{ROW},2026-03-06T00:00:00+08:00\n",
    "an export_date column of its own": "export_date,incident_id\n2020-01-01,AJ1\n",
}
READ_BY_PARSE = {
    "quoted cells": f'{HEADER}\n"AJ1","a, b"\n',
    "a row with more cells than the header": f"{HEADER}\n{ROW},surplus\n",
    "a short row": f"{HEADER}\nAJ3,public_order\n",
    "a header ending in a blank cell": "incident_id,category,\nAJ1,criminal,\n",
}


@pytest.mark.parametrize("text", COLUMNAR_CASES.values(), ids=COLUMNAR_CASES.keys())
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_columnar_reading_of_an_export_gives_the_records_parse_gives(text, encoding):
    source, data = get_source("public_safety", "incidents"), text.encode(encoding)
    columnar = source.parse_table("incidents-2026-03-05.csv", data)
    assert columnar is not None and columnar.errors == []
    assert columnar.table.to_pylist() == source.parse("incidents-2026-03-05.csv", data).records


@pytest.mark.parametrize("text", READ_BY_PARSE.values(), ids=READ_BY_PARSE.keys())
def test_exports_arrow_could_read_differently_are_left_to_parse(text):
    assert (
        get_source("public_safety", "incidents").parse_table("incidents-2026-03-05.csv", text.encode())
        is None
    )


def _write_store(home) -> None:
    store = home / "sources" / "public_safety"
    store.mkdir(parents=True)
    base = {"category": "criminal", "two_robberies_one_theft": True, "case_type": "盗窃",
            "occurred_at": "2026-03-01T08:00:00+08:00", "reported_at": "2026-03-01T09:00:00+08:00",
            "district_code": "329902", "police_station_code": "329902001"}  # fmt: skip
    incidents = [
        # reported on the 1st, cleared on the 3rd: in both exports
        {**base, "incident_id": "AJ1", "cleared": True, "cleared_at": "2026-03-03T10:00:00+08:00",
         "updated_at": "2026-03-03T10:00:00+08:00"},
        # reported and cleared on the 1st: once, cleared
        {**base, "incident_id": "AJ2", "cleared": True, "cleared_at": "2026-03-01T18:00:00+08:00",
         "updated_at": "2026-03-01T18:00:00+08:00"},
    ]  # fmt: skip
    disputes = [
        {"dispute_id": "JF1", "dispute_type": "邻里纠纷", "found_at": "2026-03-02T10:00:00+08:00",
         "district_code": "329902", "police_station_code": "329902001", "resolved": False, "resolved_at": None,
         "updated_at": "2026-03-02T10:00:00+08:00"},
    ]  # fmt: skip
    surveys = [
        {"response_id": "SV1", "survey_date": "2026-03-02", "district_code": "329902",
         "police_station_code": "329902001", "answer": "很安全", "updated_at": "2026-03-02T11:00:00+08:00",
         "satisfaction": "比较满意"},
    ]  # fmt: skip
    at = {"wanted_type": "刑事", "district_code": "329902", "police_station_code": "329902001"}
    fugitives = [
        # registered long ago, caught on 2 March: re-exported on 1 March while at large, then caught
        {**at, "fugitive_key": "ZT01", "registered_at": "2024-05-01T10:00:00+08:00", "caught": True,
         "caught_at": "2026-03-02T15:00:00+08:00", "updated_at": "2026-03-02T15:00:00+08:00"},
        # registered on 2 March, still at large
        {**at, "fugitive_key": "ZT02", "registered_at": "2026-03-02T09:00:00+08:00", "caught": False,
         "caught_at": None, "updated_at": "2026-03-02T09:00:00+08:00"},
        # caught last year: never exported in March
        {**at, "fugitive_key": "ZT03", "registered_at": "2025-01-05T09:00:00+08:00", "caught": True,
         "caught_at": "2025-06-01T09:00:00+08:00", "updated_at": "2025-06-01T09:00:00+08:00"},
    ]  # fmt: skip
    for name, rows in (("incidents", incidents), ("disputes", disputes), ("survey_responses", surveys),
                       ("fugitives", fugitives)):  # fmt: skip
        pq.write_table(pa.Table.from_pylist(rows), store / f"{name}.parquet")


def _records(entity: str, day: date) -> list[dict]:
    source = get_source("public_safety", entity)
    start = datetime.combine(day, datetime.min.time(), tzinfo=CST)
    parts = list(source.extract(start, start + timedelta(days=1), settings()))
    return [r for p in parts for r in source.parse(p.name, p.data).records]


def test_the_exporter_writes_each_record_on_every_day_it_changed(huitong_home):
    _write_store(huitong_home)
    written = export_public_safety(settings(), start=date(2026, 3, 1), end=date(2026, 3, 4))
    assert written == {"incidents": 3, "disputes": 1, "survey_responses": 1, "fugitives": 3}
    day1 = [
        (r["incident_id"], r["cleared"], r["cleared_at"]) for r in _records("incidents", date(2026, 3, 1))
    ]
    assert day1 == [("AJ1", "0", None), ("AJ2", "1", "2026-03-01T18:00:00+08:00")]
    assert _records("incidents", date(2026, 3, 2)) == []  # a quiet day still gets its (header-only) file
    assert [(r["incident_id"], r["cleared"]) for r in _records("incidents", date(2026, 3, 3))] == [
        ("AJ1", "1")
    ]
    (answer,) = _records("survey_responses", date(2026, 3, 2))
    assert answer["survey_wave"] == "2026Q1" and answer["export_date"] == "2026-03-02"
    assert answer["satisfaction"] == "比较满意"
    # Fugitives: the at-large list is re-exported on the 1st; a catch and a registration on the day they happen.
    assert [(r["fugitive_key"], r["caught"]) for r in _records("fugitives", date(2026, 3, 1))] == [
        ("ZT01", "0")
    ]
    assert sorted((r["fugitive_key"], r["caught"], r["caught_at"]) for r in _records("fugitives", date(2026, 3, 2))) == [
        ("ZT01", "1", "2026-03-02T15:00:00+08:00"), ("ZT02", "0", None)]  # fmt: skip
    # Each row's watermark is its export day, so re-loading a day replaces exactly that day.
    first = _records("incidents", date(2026, 3, 1))[0]
    assert get_source("public_safety.incidents").watermark(first) == datetime(2026, 3, 1, tzinfo=CST)


def test_a_missing_night_fails_the_extract_and_names_the_file(huitong_home):
    _write_store(huitong_home)
    export_public_safety(settings(), start=date(2026, 3, 1), end=date(2026, 3, 2))
    start = datetime(2026, 3, 1, tzinfo=CST)
    with pytest.raises(FileNotFoundError, match="2026-03-02.csv"):
        list(get_source("public_safety.disputes").extract(start, start + timedelta(days=2), settings()))


def test_the_suite_holds_back_rows_whose_figures_would_be_wrong():
    from huitong.quality import validate_batch

    good = dict(zip(COLUMNS["incidents"], ROW.split(","), strict=True)) | {
        "cleared_at": None,
        "export_date": "2026-03-05",
    }
    rows = [
        good,
        good | {"incident_id": "AJ2", "category": "public_order"},  # 两抢一盗 is criminal only
        good | {"incident_id": "AJ3", "cleared": "1"},  # cleared without a time
        good
        | {"incident_id": "AJ4", "reported_at": "2026-03-05T07:00:00+08:00"},  # reported before it happened
        good | {"incident_id": "AJ5", "category": "traffic"},
    ]
    result = validate_batch(source="public_safety", entity="incidents", df=pd.DataFrame(rows), batch_id="t",
                            context={"interval_start": datetime(2026, 3, 5, tzinfo=CST),
                                     "interval_end": datetime(2026, 3, 6, tzinfo=CST)})  # fmt: skip
    assert list(result.valid["incident_id"]) == ["AJ1"]
    rules = dict(zip(result.quarantine["row_number"], map(set, result.quarantine["rules"]), strict=True))
    assert rules == {
        1: {"two_robberies_one_theft_only_criminal"},
        2: {"cleared_at_when_cleared"},
        3: {"reported_not_before_occurred"},
        4: {"category_enum"},
    }
