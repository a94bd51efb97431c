"""Camera registries: Catalog XML parsing (encodings, refused declarations, malformed files), the drop-folder
extraction rules, the platforms' exporter, and the GB/T 28181 rules of the suite."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huitong.codes import make_gb28181
from huitong.config import settings
from huitong.simulate.export_camera import export_camera
from huitong.sources import get_source
from huitong.sources.camera import days_in_window, parse_catalog, parse_json_lines

CST = timezone(timedelta(hours=8))
GOOD = make_gb28181("32990201", "01", "132", 7)


def catalog(items: str, *, encoding: str = "UTF-8", sum_num: int | None = None, head: str = "") -> str:
    count = items.count("<Item>") if sum_num is None else sum_num
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{head}\n<Response><CmdType>Catalog</CmdType><SN>1</SN>'
        f"<DeviceID>32990000012000000001</DeviceID><SumNum>{count}</SumNum>"
        f'<DeviceList Num="{count}">{items}</DeviceList></Response>'
    )


def item(device_id: str = GOOD, name: str = "沟康社区滨华路118号", extra: str = "") -> str:
    return (
        f"<Item><DeviceID>{device_id}</DeviceID><Name>{name}</Name><CivilCode>329902001001</CivilCode>"
        f"<Status>ON</Status><Longitude>119.53</Longitude><Latitude>32.21</Latitude>{extra}</Item>"
    )


def test_a_catalog_becomes_one_record_per_item_with_the_envelope():
    parsed = parse_catalog(
        "catalog-xueliang-2026-03-05.xml",
        catalog(item() + item(make_gb28181("32990201", "01", "131", 8), extra="<Info><PTZType>1</PTZType></Info>"
                              "<VendorExt>x</VendorExt>")).encode(),
    )  # fmt: skip
    assert parsed.errors == []
    first, second = parsed.records
    assert first["platform_id"] == "32990000012000000001"
    assert first["snapshot_date"] == "2026-03-05"
    assert (first["device_id"], first["civil_code"], first["status"]) == (GOOD, "329902001001", "ON")
    assert second["ptz_type"] == "1" and second["vendor_ext"] == "x"  # nested and unknown elements are kept


@pytest.mark.parametrize("declared", ["GB2312", "UTF-8"])
def test_gb_encoded_catalogs_decode_whatever_they_declare(declared):
    data = catalog(item(name="滨华路118号东北侧"), encoding=declared).encode("gb18030")
    (record,) = parse_catalog("catalog-huiyan-2026-03-05.xml", data).records
    assert record["name"] == "滨华路118号东北侧"


def test_bytes_in_no_known_encoding_quarantine_the_file_whole():
    parsed = parse_catalog("catalog-x-2026-03-05.xml", catalog(item()).encode() + b"\xff\xfe\xff")
    assert parsed.records == []
    (error,) = parsed.errors
    assert "undecodable" in error[2]


@pytest.mark.parametrize(
    "head",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        '<!doctype Response SYSTEM "file:///etc/passwd">',
    ],
)
def test_doctype_and_entity_declarations_are_refused_before_parsing(head):
    parsed = parse_catalog("catalog-x-2026-03-05.xml", catalog(item(name="&lol2;"), head=head).encode())
    assert parsed.records == []
    (error,) = parsed.errors
    assert "DOCTYPE/ENTITY declarations are refused" in error[2]


def test_malformed_xml_is_quarantined_whole_with_the_parser_position():
    truncated = catalog(item() + item())[:-60].encode()
    parsed = parse_catalog("catalog-x-2026-03-05.xml", truncated)
    assert parsed.records == []
    ((offset, payload, reason),) = parsed.errors
    assert offset == 0 and "malformed XML" in reason and "line" in reason
    assert payload == truncated.decode()


def test_a_response_that_is_not_a_catalog_or_lacks_its_day_is_refused():
    status = catalog(item()).replace("<CmdType>Catalog</CmdType>", "<CmdType>DeviceStatus</CmdType>")
    assert "not a Catalog response" in parse_catalog("c-2026-03-05.xml", status.encode()).errors[0][2]
    assert "no snapshot day" in parse_catalog("catalog.xml", catalog(item()).encode()).errors[0][2]


def test_a_truncated_catalog_holds_back_every_item():
    parsed = parse_catalog("catalog-x-2026-03-05.xml", catalog(item() + item(), sum_num=5).encode())
    assert parsed.records == []
    assert len(parsed.errors) == 2
    assert all("SumNum says 5, the file has 2 items" in reason for _, _, reason in parsed.errors)


def test_status_lines_that_are_not_json_objects_are_quarantined_alone():
    data = '{"event_id": "E1", "event": "OFF"}\n{"event_id": \n[1, 2]\n\n{"event_id": "E2", "event": "ON"}\n'
    parsed = parse_json_lines("status-x-2026-03-05.jsonl", data.encode())
    assert [r["event_id"] for r in parsed.records] == ["E1", "E2"]
    assert [(offset, reason) for offset, _, reason in parsed.errors] == [
        (1, "status-x-2026-03-05.jsonl line 2: malformed JSON: Expecting value: line 1 column 14 (char 13)"),
        (2, "status-x-2026-03-05.jsonl line 3: line is JSON but not an object (list)"),
    ]


def test_the_window_covers_the_city_days_whose_midnight_it_contains():
    start = datetime(2026, 3, 4, 16, tzinfo=UTC)  # 2026-03-05 00:00 in the city
    assert days_in_window(start, start + timedelta(days=1), "Asia/Shanghai") == [date(2026, 3, 5)]
    assert days_in_window(start + timedelta(hours=1), start + timedelta(days=2), "Asia/Shanghai") == [
        date(2026, 3, 6)
    ]


def _write_store(home) -> None:
    """A two-device camera store and the division registry, shaped like the simulator's."""
    store = home / "sources" / "camera"
    store.mkdir(parents=True)
    devices = [
        {"device_code": GOOD, "programme": "雪亮", "device_name": "沟康社区滨华路118号", "civil_code": "329902001001",
         "longitude": 119.5, "latitude": 32.2, "updated_at": "2026-01-01T10:00:00+08:00"},
        {"device_code": make_gb28181("32990201", "00", "131", 9), "programme": "天网", "device_name": "店湾区滨华路",
         "civil_code": "329902001001", "longitude": 119.5, "latitude": 32.2,
         "updated_at": "2026-03-02T10:00:00+08:00"},
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(devices), store / "devices.parquet")
    events = [
        {"event_id": "EV1", "device_code": GOOD, "programme": "雪亮", "status": "offline",
         "event_time": "2026-03-01T09:00:00+08:00"},
        {"event_id": "EV2", "device_code": GOOD, "programme": "雪亮", "status": "online",
         "event_time": "2026-03-02T09:00:00+08:00"},
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(events), store / "status_events.parquet")
    reference = home / "sources" / "reference"
    reference.mkdir(parents=True)
    with (reference / "admin_divisions.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["division_code", "name", "level", "parent_code"])
        writer.writerows([["329902", "店湾区", "district", ""], ["329902001", "坝坪街道", "town", "329902"],
                          ["329902001001", "沟康社区", "community", "329902001"]])  # fmt: skip


def test_the_exporter_writes_each_platforms_day_as_the_sources_read_it(huitong_home):
    _write_store(huitong_home)
    cfg = settings()
    assert export_camera(cfg, start=date(2026, 3, 1), end=date(2026, 3, 3)) == {"catalog": 6, "status": 6}
    day1 = datetime(2026, 3, 1, tzinfo=CST)
    devices = get_source("camera.devices")
    parts = list(devices.extract(day1, day1 + timedelta(days=1), cfg))
    assert sorted(p.name for p in parts) == [
        f"catalog-{p}-2026-03-01.xml" for p in ("huiyan", "tianwang", "xueliang")
    ]
    records = [r for p in parts for r in devices.parse(p.name, p.data).records]
    # Only the registered device, offline at the end of its outage day; the 天网 one registers on the 2nd.
    assert [(r["device_id"], r["status"], r["address"]) for r in records] == [
        (GOOD, "OFF", "店湾区坝坪街道沟康社区")
    ]
    day2 = [r for p in devices.extract(day1 + timedelta(days=1), day1 + timedelta(days=2), cfg)
            for r in devices.parse(p.name, p.data).records]  # fmt: skip
    # Back online on the 2nd; the 天网 platform (industry 00 in its id) now lists its device too.
    assert sorted((r["platform_id"][8:10], r["status"]) for r in day2) == [("00", "ON"), ("01", "ON")]
    events = get_source("camera.status_events")
    lines = [
        r
        for p in events.extract(day1, day1 + timedelta(days=2), cfg)
        for r in events.parse(p.name, p.data).records
    ]
    assert [(r["event_id"], r["event"]) for r in lines] == [("EV1", "OFF"), ("EV2", "ON")]
    assert all(events.watermark(r) is not None for r in lines)


def test_missing_deliveries_fail_the_extract_with_what_is_missing(huitong_home):
    _write_store(huitong_home)
    cfg = settings()
    export_camera(cfg, start=date(2026, 3, 1), end=date(2026, 3, 2))
    later = datetime(2026, 3, 5, tzinfo=CST)
    with pytest.raises(FileNotFoundError, match="no camera catalogue for 2026-03-05"):
        list(get_source("camera.devices").extract(later, later + timedelta(days=1), cfg))
    with pytest.raises(FileNotFoundError, match="xueliang/2026-03-05.jsonl"):
        list(get_source("camera.status_events").extract(later, later + timedelta(days=1), cfg))
    # A history window before the first kept snapshot lands nothing rather than failing.
    assert list(get_source("camera.devices").extract(later, later + timedelta(days=3), cfg)) == []


def test_the_suite_quarantines_bad_device_codes_with_their_rule():
    import pandas as pd

    from huitong.quality import validate_batch

    codes = {
        "good": GOOD,
        "short": GOOD[:-1],  # a digit lost when keyed in by hand
        "nvr": make_gb28181("32990201", "01", "118", 7),  # an NVR, not a camera
        "province": "99" + GOOD[2:],  # no province 99
    }
    data = catalog("".join(item(code) for code in codes.values())).encode()
    records = parse_catalog("catalog-xueliang-2026-03-05.xml", data).records
    frame = pd.DataFrame.from_records(records, columns=get_source("camera.devices").columns)
    result = validate_batch(source="camera", entity="devices", df=frame, batch_id="t",
                            context={"interval_start": datetime(2026, 3, 5, tzinfo=CST),
                                     "interval_end": datetime(2026, 3, 6, tzinfo=CST)})  # fmt: skip
    assert list(result.valid["device_id"]) == [GOOD]
    rules = dict(zip(result.quarantine["row_number"], map(set, result.quarantine["rules"]), strict=True))
    assert rules == {
        1: {"device_id_gb28181", "device_id_camera_type"},
        2: {"device_id_camera_type"},
        3: {"device_id_gb28181"},
    }
    assert "device_id 3299020101132000000 is not a GB/T 28181 device code" in result.quarantine["reason"][0]


def test_no_item_value_is_overwritten_or_dropped_however_the_item_nests_or_qualifies_its_elements():
    body = (
        "<Item><Info><PTZType>1</PTZType><Name>球机</Name><Extra><Depth>3</Depth></Extra></Info>"
        "<DeviceID>34020000001320000001</DeviceID><Name>北门</Name>"
        "<Name>北门2</Name><h:Status xmlns:h='urn:x'>ON</h:Status><PlatformID>x</PlatformID></Item>"
    )
    parsed = parse_catalog("catalog-x-2026-03-05.xml", catalog(body).encode())
    assert parsed.errors == []
    (record,) = parsed.records
    assert {k: v for k, v in record.items() if k not in ("platform_id", "snapshot_date")} == {
        "device_id": "34020000001320000001",
        "name": "北门",
        "ptz_type": "1",
        "info_name": "球机",  # the same tag in a group, even one listed first: the group's name in front
        "depth": "3",  # two levels down
        "name_2": "北门2",  # repeated at the top: the first free number
        "status": "ON",  # namespace dropped
        "platform_id_2": "x",  # the envelope's platform_id is not overwritten
    }
