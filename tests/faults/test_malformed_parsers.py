"""Malformed input, per file source, property-based (hypothesis): whatever bytes arrive, the parsers never crash;
every row that can be read is returned as a record, every one that cannot becomes an error row with a reason (the
loader quarantines it with its payload), and nothing is silently dropped.

Each test builds a delivery from generated good rows and generated bad rows, so the expected counts are known.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.sources.audit import SOURCE as AUDIT
from huitong.sources.base import unstorable
from huitong.sources.camera import SOURCES as CAMERA
from huitong.sources.camera import parse_catalog, parse_json_lines
from huitong.sources.hotel import SOURCE as HOTEL
from huitong.sources.parcel import SOURCE as PARCEL
from huitong.sources.public_safety import COLUMNS as PS_COLUMNS
from huitong.sources.public_safety import SOURCES as PUBLIC_SAFETY
from huitong.sources.public_safety import parse_export
from huitong.sources.reference import SOURCES as REFERENCE
from huitong.sources.rental import SOURCES as RENTAL
from huitong.sources.trade import COLUMNS as TRADE_COLUMNS
from huitong.sources.trade import SOURCE as TRADE

STATUS = CAMERA["status_events"]
PS_SOURCE = PUBLIC_SAFETY["incidents"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text a system might send: any Unicode outside surrogates (and NUL, which has its own whole-file rule).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
# Text an XML 1.0 document can carry at all (no control characters or non-characters).
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=30)
# One line's worth of text (no line break of any kind) for the bad lines of line-oriented files.
LINE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=30)
KEY = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=4, max_size=12)
PARSED = []  # (source, rows, records, errors) per example, for the summary line


def check_errors(parsed) -> None:
    for offset, payload, reason in parsed.errors:
        assert isinstance(offset, int) and isinstance(payload, str) and reason.strip(), (
            offset,
            payload,
            reason,
        )
        payload.encode(), reason.encode()  # storable text: no lone surrogate
    for record in parsed.records:  # what the loader turns into Arrow columns and hashes
        assert unstorable(record) is None, record


def summarise(source: str, sent: int, parsed) -> None:
    PARSED.append((source, sent, len(parsed.records), len(parsed.errors)))


@pytest.fixture(scope="module", autouse=True)
def print_counts():
    yield
    from tests.faults.conftest import report

    for source in sorted({p[0] for p in PARSED}):
        rows = [p for p in PARSED if p[0] == source]
        lost = report(f"malformed_{source}", *(sum(r[i] for r in rows) for i in (1, 2, 3)))
        assert lost == 0


# ---- JSON Lines: parcel drop (optionally gzipped) and camera status events ----

# Keys include the one the parcel parser adds and ones whose quotes could be mistaken for a key's on the bytes.
KEYS = st.sampled_from(["waybill_no", "sender_name", "event_time", "x", "_arrival_hour", ", ", ":x", 'x"y'])
GOOD_OBJECT = st.dictionaries(KEYS, st.one_of(TEXT, st.integers(), st.none(), st.booleans()), min_size=1)
# What Arrow's reader takes (strings and nulls): the objects the columnar path reads itself.
TEXT_OBJECT = st.dictionaries(KEYS, st.one_of(TEXT, st.none()), min_size=1)
# Half a UTF-16 pair, escaped (json.loads reads it, but it is no character: no UTF-8 text holds it), in a value,
# a key or a nested value.
SURROGATE = st.tuples(TEXT, st.characters(categories=["Cs"]), st.sampled_from(["value", "key", "nested"]))
BAD_OBJECT = SURROGATE.map(
    lambda s: {
        "value": {"waybill_no": s[0] + s[1]},
        "key": {s[1] + s[0]: "x"},
        "nested": {"x": [s[0], s[1]]},
    }[s[2]]
)
# How writers space their JSON: Python's default, compact, and loose.
SEPARATORS = st.sampled_from([(", ", ": "), (",", ":"), (" , ", " :\t")])
BAD_LINE = st.one_of(
    LINE_TEXT.map(lambda t: ("{not json " + t).encode()),  # broken JSON
    st.lists(st.integers(), max_size=3).map(lambda v: json.dumps(v).encode()),  # JSON, not an object
    LINE_TEXT.map(lambda t: b"\xff\xfe" + t.encode()),  # not UTF-8
    BAD_OBJECT.map(lambda o: json.dumps(o).encode()),  # a lone surrogate escape: \ud800
)
LINES = st.lists(
    st.one_of(st.tuples(GOOD_OBJECT, SEPARATORS).map(
                  lambda o: ("good", json.dumps(o[0], ensure_ascii=False, separators=o[1]).encode())),
              BAD_LINE.map(lambda b: ("bad", b))),
    max_size=25,
)  # fmt: skip


def lines_delivery(lines, blank_lines: bool) -> bytes:
    body = b"\n".join(raw for _, raw in lines) + b"\n"
    return body.replace(b"\n", b"\n\n") if blank_lines else body


@SETTINGS
@given(lines=LINES, gz=st.booleans(), blank=st.booleans())
def test_parcel_lines_every_good_line_loaded_every_bad_one_quarantined(lines, gz, blank):
    data = lines_delivery(lines, blank)
    name = "20260210T013000Z__2026-02-10__09__outlet.jsonl" + (".gz" if gz else "")
    parsed = PARCEL.parse(name, gzip.compress(data) if gz else data)
    goods = [json.loads(raw) for kind, raw in lines if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(lines) - len(goods)
    for record, good in zip(parsed.records, goods, strict=True):
        assert set(record) == set(good) | {"_arrival_hour"}
    check_errors(parsed)
    summarise("parcel", len(lines), parsed)
    same_columnar_reading(PARCEL.parse_table(name, gzip.compress(data) if gz else data), parsed)


@SETTINGS
@given(objects=st.lists(st.tuples(TEXT_OBJECT, SEPARATORS), min_size=1, max_size=25))
def test_parcel_lines_arrow_reads_give_the_records_of_the_line_by_line_reading(objects):
    # A record lacking a key is told from one holding it as null on the line's bytes (_files._maybe_short).
    data = b"\n".join(json.dumps(o, ensure_ascii=False, separators=s).encode() for o, s in objects) + b"\n"
    name = "20260210T013000Z__2026-02-10__09__outlet.jsonl"
    same_columnar_reading(PARCEL.parse_table(name, data), PARCEL.parse(name, data))


@SETTINGS
@given(lines=LINES, cut=st.integers(min_value=1, max_value=400))
def test_parcel_truncated_or_corrupt_gzip_keeps_what_it_can_and_records_the_loss(lines, cut):
    packed = gzip.compress(lines_delivery(lines, False))
    damaged = packed[: max(1, len(packed) - cut)]
    parsed = PARCEL.parse("20260210T013000Z__2026-02-10__09__outlet.jsonl.gz", damaged)
    assert parsed.errors, "a damaged file must leave a quarantine row"
    assert any("gzip" in reason for _, _, reason in parsed.errors)
    assert len(parsed.records) <= sum(1 for kind, _ in lines if kind == "good")
    check_errors(parsed)
    columnar = PARCEL.parse_table("20260210T013000Z__2026-02-10__09__outlet.jsonl.gz", damaged)
    assert columnar.errors == parsed.errors
    assert (columnar.table.num_rows if columnar.table is not None else 0) == len(parsed.records)


@SETTINGS
@given(lines=LINES, blank=st.booleans())
def test_camera_status_lines_every_good_line_loaded_every_bad_one_quarantined(lines, blank):
    # status exports are UTF-8 or GB18030: the undecodable-bytes lines make the whole file one error instead
    lines = [(k, raw) for k, raw in lines if not raw.startswith(b"\xff\xfe")]
    name, data = "status-34020000002000000001-2026-02-10.jsonl", lines_delivery(lines, blank)
    parsed = parse_json_lines(name, data)
    goods = [json.loads(raw) for kind, raw in lines if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(lines) - len(goods)
    check_errors(parsed)
    summarise("camera_status_events", len(lines), parsed)
    same_columnar_reading(STATUS.parse_table(name, data), parsed)


def same_columnar_reading(columnar, parsed) -> None:
    """The columnar reading the loader uses (Arrow, chunk by chunk) gives parse's records, errors and offsets."""
    rows = columnar.table.to_pylist() if columnar.table is not None else []
    assert [columnar.partial.get(i, row) for i, row in enumerate(rows)] == parsed.records
    assert columnar.errors == parsed.errors


# ---- JSON pages: the hotel registration API (and the line-oriented rental and audit sources) ----

NOT_AN_OBJECT = st.one_of(TEXT, st.integers(), st.none(), st.lists(st.integers(), max_size=3))


@SETTINGS
@given(records=st.lists(st.one_of(GOOD_OBJECT.map(lambda o: ("good", o)), NOT_AN_OBJECT.map(lambda v: ("bad", v)),
                                  BAD_OBJECT.map(lambda o: ("bad", o))), max_size=25),
       escaped=st.booleans())  # fmt: skip
def test_hotel_api_page_every_object_loaded_every_other_record_quarantined(records, escaped):
    # A lone surrogate as its escape (\ud800), or as the bytes UTF-8 would spell it (json.loads of bytes reads them)
    page = json.dumps({"data": [r for _, r in records], "next_cursor": None}, ensure_ascii=escaped)
    page = page.encode("utf-8", "surrogatepass")
    parsed = HOTEL.parse("registrations-00001.json", page)
    goods = [r for kind, r in records if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(records) - len(goods)
    for record, good in zip(parsed.records, goods, strict=True):
        assert set(record) == set(good)
    check_errors(parsed)
    summarise("hotel", len(records), parsed)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_hotel_api_any_bytes_never_crash_and_a_page_that_cannot_be_read_is_quarantined_whole(data):
    parsed = HOTEL.parse("registrations-00001.json", data)
    check_errors(parsed)
    try:
        body = json.loads(data)
        readable = isinstance(body, dict) and isinstance(body.get("data"), list)
    except ValueError:
        readable = False
    if not readable:  # one quarantine row holding the whole page
        assert parsed.records == [] and len(parsed.errors) == 1


@SETTINGS
@given(lines=LINES, blank=st.booleans())
def test_rental_and_audit_lines_every_good_line_loaded_every_bad_one_quarantined(lines, blank):
    for name, source in (("rental", RENTAL["tenants"]), ("audit", AUDIT)):
        parsed = source.parse("tenants-00001.jsonl", lines_delivery(lines, blank))
        goods = [json.loads(raw) for kind, raw in lines if kind == "good"]
        assert len(parsed.records) == len(goods) and len(parsed.errors) == len(lines) - len(goods)
        check_errors(parsed)
        summarise(name, len(lines), parsed)
    rental = RENTAL["tenants"]
    data = lines_delivery(lines, blank)
    same_columnar_reading(
        rental.parse_table("tenants-00001.jsonl", data), rental.parse("tenants-00001.jsonl", data)
    )


# ---- CSV: trade uploads (CSV and xlsx), public-safety exports, reference registries ----

CELL = TEXT
GOOD_ROW = st.tuples(KEY, st.lists(CELL, min_size=0, max_size=len(TRADE_COLUMNS) - 1))
BAD_ROW = st.tuples(KEY, st.lists(CELL, min_size=len(TRADE_COLUMNS), max_size=len(TRADE_COLUMNS) + 3), KEY)
ROWS = st.lists(st.one_of(GOOD_ROW.map(lambda r: ("good", [r[0], *r[1]])),
                          BAD_ROW.map(lambda r: ("bad", [r[0], *r[1], r[2]]))), max_size=20)  # fmt: skip


def csv_bytes(header, rows, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for _, cells in rows:
        writer.writerow(cells)
    return out.getvalue().encode(encoding)


@SETTINGS
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_trade_csv_every_good_row_loaded_every_bad_row_quarantined(rows, encoding):
    data = csv_bytes(["交易编号", *TRADE_COLUMNS[1:]], rows, encoding)
    parsed = TRADE.parse("2026-02-10__S001__trades.csv", data)
    goods = [cells for kind, cells in rows if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(rows) - len(goods)
    assert [r["trade_id"] for r in parsed.records] == [g[0] for g in goods] or encoding == "gb18030"
    check_errors(parsed)
    summarise("trade_csv", len(rows), parsed)


XLSX_CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=15, deadline=None)
@given(rows=st.lists(st.one_of(st.tuples(KEY, XLSX_CELL).map(lambda r: ("good", list(r))),
                               st.lists(XLSX_CELL, min_size=len(TRADE_COLUMNS), max_size=len(TRADE_COLUMNS) + 2)
                               .map(lambda c: ("bad", ["K1", *c, "extra"]))), max_size=12))  # fmt: skip
def test_trade_xlsx_every_good_row_loaded_every_bad_row_quarantined(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(TRADE_COLUMNS))
    for _, cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = TRADE.parse("2026-02-10__S001__trades.xlsx", buffer.getvalue())
    goods = [cells for kind, cells in rows if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(rows) - len(goods)
    check_errors(parsed)
    summarise("trade_xlsx", len(rows), parsed)


@SETTINGS
@given(data=st.binary(max_size=300), name=st.sampled_from(["x.csv", "x.xlsx"]))
def test_trade_any_bytes_never_crash(data, name):
    parsed = TRADE.parse(f"2026-02-10__S001__{name}", data)
    check_errors(parsed)


def test_trade_nul_bytes_and_broken_xlsx_are_quarantined_whole():
    for name, data in (("x.csv", b"trade_id\n\x00\x00\x00\n"), ("x.xlsx", b"PK\x03\x04 not a zip")):
        parsed = TRADE.parse(name, data)
        assert parsed.records == [] and len(parsed.errors) == 1
        assert parsed.errors[0][1].startswith("base64:") and "cannot be read" in parsed.errors[0][2]


PS_HEADER = list(PS_COLUMNS["incidents"])
PS_ROWS = st.lists(
    st.one_of(st.tuples(KEY, st.lists(CELL, max_size=len(PS_HEADER) - 1)).map(lambda r: ("good", [r[0], *r[1]])),
              st.lists(CELL, min_size=len(PS_HEADER), max_size=len(PS_HEADER) + 2)
              .map(lambda c: ("bad", ["I1", *c]))),
    max_size=20,
)  # fmt: skip


@SETTINGS
@given(rows=PS_ROWS, encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_public_safety_export_every_good_row_loaded_every_bad_row_quarantined(rows, encoding):
    parsed = parse_export("incidents-2026-02-10.csv", csv_bytes(PS_HEADER, rows, encoding))
    goods = [cells for kind, cells in rows if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(rows) - len(goods)
    assert all(r["export_date"] == "2026-02-10" for r in parsed.records)
    check_errors(parsed)
    summarise("public_safety_incidents", len(rows), parsed)


# Cells Arrow's CSV reader and the csv module both read as they are: no quote, separator, line break or NUL.
PLAIN_CELL = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters='\x00",\r\n'), max_size=12
)


@SETTINGS
@given(rows=st.lists(st.lists(PLAIN_CELL, min_size=4, max_size=4), max_size=12),
       ragged=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       line_end=st.sampled_from(["\n", "\r\n"]))  # fmt: skip
def test_csv_the_columnar_reading_gives_the_records_parse_gives(rows, ragged, encoding, line_end):
    """Trade uploads and public-safety exports without quotes are read by Arrow (parse_table): the records must be
    parse's, or bronze and record hashes would depend on which reader took the file."""
    if ragged and rows:
        rows[-1] = rows[-1][:2]
    for source, name, header in ((TRADE, "2026-02-10__S001__trades.csv", ["交易编号", "商户编号", "卖方姓名", "备注"]),
                                 (PS_SOURCE, "incidents-2026-02-10.csv", PS_HEADER[:4])):  # fmt: skip
        data = (
            line_end.join(",".join(cells) for cells in [header, *rows]).encode(encoding) + line_end.encode()
        )
        columnar, parsed = source.parse_table(name, data), source.parse(name, data)
        if columnar is None:  # left to parse: ragged rows (or cells Arrow would read otherwise)
            assert ragged and len(rows[-1]) != len(header) or parsed.errors, (rows, parsed.errors)
            continue
        assert columnar.errors == parsed.errors == []
        assert columnar.table.to_pylist() == parsed.records


@SETTINGS
@given(data=st.binary(max_size=300))
def test_public_safety_any_bytes_never_crash(data):
    check_errors(parse_export("disputes-2026-02-10.csv", data))


REF = REFERENCE["admin_divisions"]
REF_ROWS = st.lists(
    st.one_of(st.tuples(KEY, st.lists(CELL, max_size=3)).map(lambda r: ("good", [r[0], *r[1]])),
              st.lists(CELL, min_size=4, max_size=6).map(lambda c: ("bad", ["320000", *c]))),
    max_size=20,
)  # fmt: skip


@SETTINGS
@given(rows=REF_ROWS)
def test_reference_csv_every_good_row_loaded_every_bad_row_quarantined(rows):
    parsed = REF.parse("admin_divisions.csv", csv_bytes(list(REF.columns), rows, "utf-8"))
    goods = [cells for kind, cells in rows if kind == "good"]
    assert len(parsed.records) == len(goods) and len(parsed.errors) == len(rows) - len(goods)
    assert [r["division_code"] for r in parsed.records] == [g[0] for g in goods]
    check_errors(parsed)
    summarise("reference_admin_divisions", len(rows), parsed)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_reference_any_bytes_never_crash(data):
    check_errors(REF.parse("admin_divisions.csv", data))


# Quote-heavy text: quotes, commas and line breaks are what a quoted CSV reader can read differently.
QUOTED_CELL = st.one_of(
    st.none(), st.text(st.sampled_from(['"', ",", "\n", "\r", " ", "a", "号"]), max_size=6), TEXT
)


def written_csv(header, rows, style: str, eol: str, last_eol: bool) -> bytes:
    """Rows as different CSV writers write them: Arrow's (every text quoted, None empty), the csv module's
    QUOTE_ALL and its minimal quoting, or every cell quoted by hand without doubling its quotes (broken)."""
    if style == "arrow":
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pa.table(
            [pa.array([r[i] for r in rows], pa.string()) for i in range(len(header))], names=header
        )
        out = pa.BufferOutputStream()
        pacsv.write_csv(table, out, pacsv.WriteOptions(eol=eol))
        text = out.getvalue().to_pybytes().decode()
    elif style == "unescaped":
        text = "".join(",".join(f'"{c or ""}"' for c in line) + eol for line in [header, *rows])
    else:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator=eol, quoting=csv.QUOTE_ALL if style == "quote_all" else csv.QUOTE_MINIMAL
                   ).writerows([header, *rows])  # fmt: skip
        text = out.getvalue()
    return (text if last_eol else text.removesuffix(eol)).encode()


# Header names: the registry's own, or quote-heavy text (a line end in a header hides rows from a line reader).
HEADER_CELL = st.one_of(st.sampled_from(["business_code", "name", "address"]),
                        st.text(st.sampled_from(['"', ",", "\n", "\r", "a", "b"]), min_size=1, max_size=4))  # fmt: skip


@SETTINGS
@given(table=st.integers(1, 3).flatmap(lambda n: st.tuples(
           st.lists(HEADER_CELL, min_size=n, max_size=n),
           st.lists(st.lists(QUOTED_CELL, min_size=n, max_size=n), min_size=1, max_size=8))),
       style=st.sampled_from(["arrow", "quote_all", "minimal", "unescaped"]), eol=st.sampled_from(["\n", "\r\n"]),
       last_eol=st.booleans())  # fmt: skip
def test_reference_columnar_reading_is_parse_or_declines(table, style, eol, last_eol):
    """The loader reads a registry through parse_table (Arrow) when the file is in the quoted form and through
    parse otherwise: whenever the columnar reading accepts a file, it gives parse's records."""
    header, rows = table
    source = REFERENCE["key_businesses"]
    data = written_csv(header, rows, style, eol, last_eol)
    columnar = source.parse_table("key_businesses.csv", data)
    parsed = source.parse("key_businesses.csv", data)
    if columnar is not None:
        assert parsed.errors == [] and columnar.errors == []
        same_columnar_reading(columnar, parsed)
    published = style == "quote_all" or (
        style == "arrow" and (len(header) > 1 or all(r[0] is not None for r in rows))
    )
    if published and not any("\r" in h or "\n" in h for h in header):
        assert columnar is not None  # the published form is read by Arrow (a one-column empty row is blank)


# ---- XML: camera Catalog responses ----

ITEM = st.fixed_dictionaries({"DeviceID": st.from_regex(r"\A\d{20}\Z"), "Name": XML_TEXT, "Status": XML_TEXT,
                              "Address": XML_TEXT})  # fmt: skip


def catalog_bytes(items: list[dict], announced: int | None, encoding: str) -> bytes:
    root = ET.Element("Response")
    ET.SubElement(root, "CmdType").text = "Catalog"
    ET.SubElement(root, "DeviceID").text = "34020000002000000001"
    if announced is not None:
        ET.SubElement(root, "SumNum").text = str(announced)
    devices = ET.SubElement(root, "DeviceList", Num=str(len(items)))
    for item in items:
        element = ET.SubElement(devices, "Item")
        for tag, text in item.items():
            ET.SubElement(element, tag).text = text
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}'.encode(encoding)


@SETTINGS
@given(
    items=st.lists(ITEM, max_size=12), complete=st.booleans(), encoding=st.sampled_from(["utf-8", "gb18030"])
)
def test_camera_catalog_items_all_loaded_or_all_quarantined(items, complete, encoding):
    announced = len(items) if complete else len(items) + 1
    parsed = parse_catalog(
        "catalog-34020000002000000001-2026-02-10.xml", catalog_bytes(items, announced, encoding)
    )
    if complete:
        assert len(parsed.records) == len(items) and parsed.errors == []
        for record, item in zip(parsed.records, items, strict=True):
            assert record["device_id"] == item["DeviceID"]
            assert record["name"] == (item["Name"].strip() or None)
    else:  # a truncated catalogue would make devices look removed: every item is held back, with the reason
        assert parsed.records == [] and len(parsed.errors) == len(items)
        assert all("catalogue incomplete" in reason for _, _, reason in parsed.errors)
    check_errors(parsed)
    summarise("camera_catalog", len(items), parsed)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_camera_catalog_any_bytes_never_crash_and_are_quarantined_whole(data):
    parsed = parse_catalog("catalog-34020000002000000001-2026-02-10.xml", data)
    assert parsed.records == [] and len(parsed.errors) == 1
    check_errors(parsed)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Response>&a;</Response>', "DOCTYPE/ENTITY"),
        (b"<Response><CmdType>Keepalive</CmdType></Response>", "not a Catalog response"),
        (b"<Response><CmdType>Catalog</CmdType><DeviceList><Item>", "malformed XML"),
        ("<Response>天网</Response>".encode("utf-16"), "undecodable"),
    ],
)
def test_camera_catalog_hand_written_edge_cases(data, reason):
    parsed = parse_catalog("catalog-34020000002000000001-2026-02-10.xml", data)
    assert parsed.records == [] and len(parsed.errors) == 1 and reason in parsed.errors[0][2], parsed.errors


# ---- hand-written edge cases, each one a bug the properties above found ----


def test_a_json_string_holding_unicode_line_separators_is_one_record():
    """U+2028, U+2029 and U+0085 are legal unescaped inside JSON strings (ensure_ascii=False writers emit them);
    they must not cut a camera status line in pieces."""
    line = json.dumps({"event_id": "E1", "device_id": "a\u2028b\x85c\u2029d"}, ensure_ascii=False).encode()
    for parse in (lambda d: parse_json_lines("status-1-2026-02-10.jsonl", d),
                  lambda d: PARCEL.parse("20260210T013000Z__a.jsonl", d)):  # fmt: skip
        parsed = parse(line + b"\r\n" + line + b"\n")
        assert len(parsed.records) == 2 and parsed.errors == []


@pytest.mark.parametrize("parse", [lambda d: REF.parse("admin_divisions.csv", d),
                                   lambda d: parse_export("incidents-2026-02-10.csv", d)])  # fmt: skip
def test_csv_the_csv_module_cannot_read_is_quarantined_whole_not_a_crash(parse):
    huge = b"division_code,name\n1," + b"x" * 200_000 + b"\n2,b\n"  # a field over csv's size limit
    parsed = parse(huge)
    assert parsed.records == [] and len(parsed.errors) == 1 and "not readable CSV" in parsed.errors[0][2]


def test_a_cell_longer_than_the_csv_module_reads_quarantines_the_file_by_either_reader():
    """The csv module refuses a cell over csv.field_size_limit() and the file is quarantined whole; the columnar
    reader must not load it instead."""
    data = b"incident_id,case_type\nAJ1," + b"x" * (csv.field_size_limit() + 1) + b"\nAJ2,b\n"
    assert PS_SOURCE.parse_table("incidents-2026-02-10.csv", data) is None
    assert TRADE.parse_table("2026-02-10__S001__trades.csv", data) is None
    assert parse_export("incidents-2026-02-10.csv", data).records == []


def test_reference_csv_with_bare_carriage_returns_does_not_crash():
    parsed = REF.parse("admin_divisions.csv", b"division_code,name\r1,a\r2,b\r")
    assert [r["division_code"] for r in parsed.records] == ["1", "2"] and parsed.errors == []


def test_trade_xlsx_row_longer_than_its_header_is_quarantined_like_in_csv():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(list(TRADE_COLUMNS))
    book.active.append(["K1", *[""] * (len(TRADE_COLUMNS) - 1), "", "extra"])
    book.active.append(["K2", "S1"])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = TRADE.parse("2026-02-10__S001__trades.xlsx", buffer.getvalue())
    assert [r["trade_id"] for r in parsed.records] == ["K2"]
    assert len(parsed.errors) == 1 and "cells, the header 13" in parsed.errors[0][2]


def test_a_lone_surrogate_escape_is_quarantined_with_its_line_and_the_rest_loads():
    """{"waybill_no": "\\ud800"} is JSON json.loads reads, but half a UTF-16 pair is no character: building the
    record's Arrow columns crashed the parcel load. Every JSON source quarantines such a record (raw text, reason)
    and the loader builds its columns and hashes from the rest."""
    from huitong.ingest import _Part

    good = json.dumps({"waybill_no": "WB1", "sender_name": "张三 😀"}, ensure_ascii=False).encode()
    bad = [b'{"waybill_no": "\\ud800"}', b'{"\\udfff": "x"}', b'{"waybill_no": ["a", "\\uDC00"]}']
    data = b"\n".join([good, *bad, good.replace(b"WB1", b"WB2")]) + b"\n"
    parses = {
        "parcel": lambda d: PARCEL.parse("20260210T013000Z__a.jsonl", d),
        "parcel (Arrow)": lambda d: PARCEL.parse_table("20260210T013000Z__a.jsonl", d),
        "rental": lambda d: RENTAL["tenants"].parse("tenants-00001.jsonl", d),
        "audit": lambda d: AUDIT.parse("queries.jsonl", d),
        "camera status": lambda d: parse_json_lines("status-1-2026-02-10.jsonl", d),
    }
    for name, parse in parses.items():
        parsed = parse(data)
        assert [(o, p) for o, p, _ in parsed.errors] == [(n, raw.decode()) for n, raw in enumerate(bad, 1)], (
            name
        )
        assert all("lone surrogate" in reason for _, _, reason in parsed.errors), (name, parsed.errors)
        check_errors(parsed)
        part = _Part(0, parsed)  # the step that crashed: Arrow columns and record hashes
        assert part.table["waybill_no"].to_pylist() == ["WB1", "WB2"], name
    # The hotel API: the escape, or the three bytes UTF-8 would spell it with (json.loads of bytes reads both).
    for page in (b'{"data": [{"reg_id": "R1"}, {"reg_id": "\\ud800"}, {"reg_id": "R2"}]}',
                 b'{"data": [{"reg_id": "R1"}, {"reg_id": "\xed\xa0\x80"}, {"reg_id": "R2"}]}'):  # fmt: skip
        parsed = HOTEL.parse("registrations-00001.json", page)
        assert [r["reg_id"] for r in parsed.records] == ["R1", "R2"]
        assert parsed.errors == [(1, '{"reg_id": "\\ud800"}', parsed.errors[0][2])]
        assert "the value of 'reg_id' holds a lone surrogate (\\ud800" in parsed.errors[0][2]
        check_errors(parsed)
        _Part(0, parsed)


def mixed(lines: list[tuple[str, str]]) -> bytes:
    """A file whose lines are each in their own encoding: (text, encoding) per line."""
    return b"\n".join(text.encode(encoding) for text, encoding in lines) + b"\n"


# Each mix holds a UTF-8 line GB18030 cannot read (an odd run of CJK characters leaves half a GB18030 character):
# a mix GB18030 reads whole is read whole (decode_text).
MIXED_ENCODINGS = {  # (parse, lines as (text, encoding), the column to read, its values)
    "trade CSV": (
        lambda d: TRADE.parse("2026-02-10__S001__trades.csv", d),
        [
            ("trade_id,seller_name", "ascii"),
            ("TR1,张三丰", "utf-8"),
            ("TR2,李四", "gb18030"),
            ("TR3,王五", "utf-8"),
        ],
        "seller_name",
        ["张三丰", "李四", "王五"],
    ),
    "public-safety CSV": (
        lambda d: parse_export("incidents-2026-02-10.csv", d),
        [("incident_id,case_type", "ascii"), ("AJ1,盗窃", "gb18030"), ("AJ2,诈骗案", "utf-8")],
        "case_type",
        ["盗窃", "诈骗案"],
    ),
    "camera status JSON Lines": (
        lambda d: STATUS.parse_table("status-1-2026-02-10.jsonl", d),
        [
            ('{"event_id": "E1", "device_id": "北门口"}', "utf-8"),
            ('{"event_id": "E2", "device_id": "南门"}', "gb18030"),
        ],
        "device_id",
        ["北门口", "南门"],
    ),
}


@pytest.mark.parametrize("case", MIXED_ENCODINGS.values(), ids=MIXED_ENCODINGS.keys())
def test_a_file_mixing_utf8_and_gb18030_lines_reads_each_line_in_its_own_and_says_so(case, caplog):
    """Records appended by two versions of a program: read whole as GB18030, the UTF-8 lines would load as
    mojibake. Each line is read in its own encoding, and the log names the file and its GB18030 lines."""
    parse, lines, column, values = case
    with caplog.at_level("WARNING", logger="huitong.sources._files"):
        parsed = parse(mixed(lines))
    records = parsed.records if parsed.table is None else parsed.table.to_pylist()
    assert [r[column] for r in records] == values and parsed.errors == []
    gb = ", ".join(str(n) for n, (_, encoding) in enumerate(lines, 1) if encoding == "gb18030")
    assert any("mixes encodings" in m and f"(lines {gb})" in m for m in caplog.messages), caplog.messages


def test_a_catalogue_mixing_utf8_and_gb18030_lines_keeps_every_name(caplog):
    items = [
        ("<Item><DeviceID>34020000001320000001</DeviceID><Name>北门口</Name></Item>", "utf-8"),
        ("<Item><DeviceID>34020000001320000002</DeviceID><Name>南门</Name></Item>", "gb18030"),
    ]
    lines = [('<?xml version="1.0" encoding="GB2312"?>', "ascii"), ("<Response><CmdType>Catalog</CmdType>", "ascii"),
             ("<SumNum>2</SumNum><DeviceList Num=\"2\">", "ascii"), *items, ("</DeviceList></Response>", "ascii")]  # fmt: skip
    with caplog.at_level("WARNING", logger="huitong.sources._files"):
        parsed = parse_catalog("catalog-1-2026-02-10.xml", mixed(lines))
    assert [r["name"] for r in parsed.records] == ["北门口", "南门"] and parsed.errors == []
    assert any("mixes encodings" in m for m in caplog.messages)


def test_the_columnar_csv_readers_leave_a_mixed_encoding_file_to_parse():
    """The loader asks parse_table first: it must not read a mixed file whole as GB18030."""
    trade = mixed(MIXED_ENCODINGS["trade CSV"][1])
    export = mixed(MIXED_ENCODINGS["public-safety CSV"][1])
    assert TRADE.parse_table("2026-02-10__S001__trades.csv", trade) is None
    assert PS_SOURCE.parse_table("incidents-2026-02-10.csv", export) is None
    # A file wholly in GB18030 still takes the columnar reader, even where a line is valid UTF-8 by accident
    # (诈骗 in GB18030 is the UTF-8 of 'թƭ').
    export = "incident_id,case_type\nAJ1,诈骗\nAJ2,盗窃\n".encode("gb18030")
    assert PS_SOURCE.parse_table("incidents-2026-02-10.csv", export).table["case_type"].to_pylist() == [
        "诈骗",
        "盗窃",
    ]
    assert [r["case_type"] for r in parse_export("incidents-2026-02-10.csv", export).records] == [
        "诈骗",
        "盗窃",
    ]
    plain = "交易编号,卖方姓名\nTR1,张三\n".encode("gb18030")
    assert TRADE.parse_table("2026-02-10__S001__trades.csv", plain).table.to_pylist() == [
        {"trade_id": "TR1", "seller_name": "张三"}
    ]
