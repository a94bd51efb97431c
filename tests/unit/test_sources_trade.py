"""Trade uploads: encodings, header variants, xlsx, unknown columns, and files that cannot be read at all."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta, timezone

import pytest

from huitong.simulate.serve_trade import HEADER_GENERATIONS, STORE_COLUMNS, VENDORS, render_csv, render_xlsx
from huitong.sources.trade import SOURCE, TradeUploadSource, map_headers

ROW = {
    "trade_id": "TR000000001", "shop_code": "ES3299050001", "shop_name": "港民二手物品寄卖行",
    "shop_uscc": "92329905XCTGKGGF9C", "industry": "second_hand", "seller_name": "田思蕾",
    "seller_id_type": "居民身份证", "seller_id_number": "329922197507015001", "seller_phone": None,
    "item_category": "手机", "amount_yuan": 45.7, "trade_time": "2025-02-01T21:51:04+08:00",
    "updated_at": "2025-02-01T22:14:46+08:00",
}  # fmt: skip
EXPECTED = {k: (None if v is None else str(v)) for k, v in ROW.items()}


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: f"{v.headers}-{v.encoding or 'x'}-{v.file_type}")
def test_every_vendor_file_parses_to_the_same_canonical_record(vendor):
    render = render_xlsx if vendor.file_type == "xlsx" else render_csv
    parsed = SOURCE.parse(f"2025-02-01__ES__t.{vendor.file_type}", render([ROW], vendor))
    assert parsed.errors == []
    assert parsed.records == [EXPECTED]


def test_gb18030_bytes_are_not_utf8_and_still_decode():
    vendor = next(v for v in VENDORS if v.encoding == "gb18030")
    data = render_csv([ROW], vendor)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert SOURCE.parse("t.csv", data).records[0]["seller_name"] == "田思蕾"


def test_header_spellings_map_to_one_column_and_unknown_headers_are_kept():
    assert map_headers(["金额（元）", " 卖方姓名 ", "Seller_Name", "备注", ""]) == [
        "amount_yuan", "seller_name", "Seller_Name", "备注", "column_5",
    ]  # fmt: skip
    for generation in HEADER_GENERATIONS.values():
        assert map_headers(list(generation)) == list(STORE_COLUMNS)


def test_an_unmapped_column_is_kept_with_its_values():
    data = "姓名,证件号码,备注\r\n张三,,现金\r\n".encode("gb18030")
    [rec] = SOURCE.parse("t.csv", data).records
    assert rec == {"seller_name": "张三", "seller_id_number": None, "备注": "现金"}


def test_rows_with_more_cells_than_the_header_are_quarantined_and_the_rest_load():
    data = "trade_id,seller_name\nTR1,张三\nTR2,李四,extra\n\nTR3\n".encode()
    parsed = SOURCE.parse("t.csv", data)
    assert [r["trade_id"] for r in parsed.records] == ["TR1", "TR3"]
    assert parsed.records[1]["seller_name"] is None
    [(offset, payload, reason)] = parsed.errors
    assert offset == 2 and payload == "TR2,李四,extra" and "3 cells, the header 2" in reason


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("t.csv", "交易编号,姓名\nTR1,张三\n".encode("utf-16"), "neither UTF-8 nor GB18030"),
        ("t.csv", "trade_id\nTR1\n".encode("utf-16-le"), "NUL bytes"),
        ("t.csv", b"\x80\x81\xff\xfe\x00binary", "neither UTF-8 nor GB18030"),
        ("t.xlsx", b"PK\x03\x04 not really a zip", "cannot be read"),
        ("t.csv", b"", "no header row"),
    ],
    ids=["utf16", "utf16-no-bom", "binary", "corrupt-xlsx", "empty"],
)
def test_a_file_that_cannot_be_read_is_one_quarantine_row_with_the_reason(name, data, why):
    parsed = SOURCE.parse(name, data)
    assert parsed.records == []
    [(_, _, reason)] = parsed.errors
    assert why in reason and name in reason


def test_the_window_takes_the_upload_folders_of_its_days(tmp_path, huitong_home):
    from huitong.config import settings

    for day in ("2025-02-01", "2025-02-02", "2025-02-03"):
        folder = tmp_path / day / "ES1"
        folder.mkdir(parents=True)
        (folder / f"t-{day}.csv").write_text("trade_id\nTR1\n")
    source = TradeUploadSource(root=tmp_path)
    city = timezone(timedelta(hours=8))
    start = datetime(2025, 2, 2, tzinfo=city)
    parts = list(source.extract(start, start + timedelta(days=1), settings()))
    assert [p.name for p in parts] == ["2025-02-02__ES1__t-2025-02-02.csv"]
    assert parts[0].origin == "trade/upload/2025-02-02/ES1/t-2025-02-02.csv"


def test_xlsx_numbers_and_dates_are_rendered_as_text():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["trade_id", "成交金额", "收购时间"])
    book.active.append(["TR1", 120, datetime(2025, 2, 1, 9, 30)])
    out = io.BytesIO()
    book.save(out)
    [rec] = SOURCE.parse("t.xlsx", out.getvalue()).records
    assert rec == {"trade_id": "TR1", "amount_yuan": "120", "trade_time": "2025-02-01T09:30:00"}


def test_xlsx_date_time_and_duration_cells_are_text_not_a_crash():
    from datetime import date, time

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["trade_id", "收购日期", "营业时间", "时长"])
    book.active.append(["TR1", date(2025, 2, 1), time(9, 30), timedelta(minutes=90)])
    out = io.BytesIO()
    book.save(out)
    parsed = SOURCE.parse("t.xlsx", out.getvalue())
    assert not parsed.errors
    [rec] = parsed.records
    assert rec["trade_id"] == "TR1" and rec["营业时间"] == "09:30:00" and rec["时长"] == "PT5400S"
    assert rec["收购日期"].startswith("2025-02-01")  # openpyxl reads a date cell as a date-time


def test_blank_lines_above_the_header_do_not_lose_the_rows():
    parsed = SOURCE.parse("t.csv", "\n\r\ntrade_id,seller_name\nTR1,张三\nTR2,李四\n".encode())
    assert [r["trade_id"] for r in parsed.records] == ["TR1", "TR2"] and not parsed.errors


def test_a_file_of_blank_rows_is_quarantined_whole():
    data = b"\n,,\n \n"
    [(offset, payload, reason)] = SOURCE.parse("t.csv", data).errors
    assert "no header row" in reason and payload == "base64:" + base64.b64encode(data).decode()


# The loader reads plain CSVs through parse_table (Arrow) and everything else through parse: both must give the
# same records, or bronze content and record hashes would depend on which reader a file happened to take.
COLUMNAR_CASES = {
    "every vendor header, blank and whitespace cells, blank rows": (
        "流水号,商户编号,卖方姓名,卖方电话,备注\r\nT1,S1,张三,,x\r\n\r\n,,,,\r\nT2, ,李四,\u3000,\r\nT3,S3,王五,139,\u00a0y \r\n"
    ),
    "lf line ends and an unmapped column": "trade_id,shop_code,金额(元)\nA,B,1.5\nC,D,\n",
    "a whitespace-only header cell in the middle": "trade_id, ,shop_code\nA,x,B\n",
    # ASCII header, non-ASCII cells: in GB18030 the header reads as UTF-8 and only the cells tell the encoding.
    "an ascii header over chinese cells": "trade_id,seller_name\nT1,张三\nT2,李四\n",
}
READ_BY_PARSE = {
    "quoted cells": 'trade_id,shop_name\nT1,"店, 铺"\n',
    "ragged rows": "trade_id,shop_code\nT1\nT2,S2\n",
    "a header ending in a blank cell": "trade_id,shop_code,\nT1,S1,\n",
    "no header": "\n\nT1,S1\n",
    "xlsx": None,
}


@pytest.mark.parametrize("text", COLUMNAR_CASES.values(), ids=COLUMNAR_CASES.keys())
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_columnar_reading_of_a_plain_csv_gives_the_records_parse_gives(text, encoding):
    data = text.encode(encoding)
    columnar = SOURCE.parse_table("t.csv", data)
    assert columnar is not None and columnar.errors == []
    assert columnar.table.to_pylist() == SOURCE.parse("t.csv", data).records


@pytest.mark.parametrize("text", READ_BY_PARSE.values(), ids=READ_BY_PARSE.keys())
def test_files_arrow_could_read_differently_are_left_to_parse(text):
    name, data = ("t.xlsx", render_xlsx([ROW], VENDORS[-1])) if text is None else ("t.csv", text.encode())
    assert SOURCE.parse_table(name, data) is None


def test_blank_means_what_str_isspace_means():
    from huitong.sources._files import SPACE_CODE_POINTS

    assert tuple(c for c in range(0x110000) if chr(c).isspace()) == SPACE_CODE_POINTS


def test_a_utf8_byte_order_mark_on_a_gb18030_file_is_dropped_by_both_readings():
    import codecs

    data = codecs.BOM_UTF8 + "交易编号,卖方姓名\nTR1,张三\n".encode("gb18030")
    expected = [{"trade_id": "TR1", "seller_name": "张三"}]
    assert (
        SOURCE.parse_table("t.csv", data).table.to_pylist() == SOURCE.parse("t.csv", data).records == expected
    )
