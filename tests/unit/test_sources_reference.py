"""The registry's two readings: the loader reads a registry through parse_table (Arrow) when it is in the form the
bureau publishes it (every cell quoted) and through parse (the csv module) otherwise. Both must give the same
records, or bronze content and record hashes would depend on which reader a file happened to take."""

from __future__ import annotations

import codecs

import pytest

from huitong.sources.reference import SOURCES

SOURCE = SOURCES["key_businesses"]

READ_BY_ARROW = {
    "as Arrow's writer writes it": '"business_code","name","uscc"\n"B1","店, 铺","9132"\n"B2",,""\n',
    "quotes inside cells": '"business_code","name"\n"B1","say ""hi"""\n"B2",""""\n',
    "crlf line ends, no line end at the end": '"business_code","name"\r\n"B1","a"\r\n"B2",',
    "an unquoted header": 'business_code,name\n"B1","a"\n',
    "a column named twice keeps both": '"business_code","name","name"\n"B1","a","b"\n',
    "only the header": '"business_code","name"\n',
    "line breaks inside cells": '"business_code","address"\r\n"B1","1号\n2楼"\r\n"B2","\r\n"\r\n',
    "one column, a quoted empty cell": '"business_code"\n"B1"\n""\n',
}
READ_BY_PARSE = {
    "a bare cell": '"business_code","name"\nB1,"a"\n',
    "text after a closing quote": '"business_code","name"\n"B1","a"b\n',
    "fewer cells than the header": '"business_code","name"\n"B1"\n',
    "more cells than the header": '"business_code","name"\n"B1","a","x"\n',
    "one column, a blank line": '"business_code"\n"B1"\n\n"B2"\n',
    "a blank line": '"business_code","name"\n\n"B1","a"\n',
    "mixed line ends": '"business_code","name"\r\n"B1","a"\n"B2","b"\r\n',
    "bare carriage returns": '"business_code","name"\r"B1","a"\r',
    "a quote left open": '"business_code","name"\n"B1","a\n',
    # Arrow skips the header as one line ending at any line end: a second one in it would hide a row from the check.
    "a header ending in a bare carriage return": 'business_code,name\r\r\n"B1","a"\r\n',
    "a bare carriage return in a quoted header": '"business_code\rx","name"\n"B1","a"\n',
    "a bare carriage return in a bare header": 'business_code\rname\n"B1"\n',
}


@pytest.mark.parametrize("text", READ_BY_ARROW.values(), ids=READ_BY_ARROW.keys())
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_the_published_form_is_read_by_arrow_into_the_records_parse_gives(text, bom):
    data = bom + text.encode()
    columnar = SOURCE.parse_table("key_businesses.csv", data)
    parsed = SOURCE.parse("key_businesses.csv", data)
    assert columnar is not None and columnar.errors == [] and parsed.errors == []
    assert columnar.table.to_pylist() == parsed.records


def test_empty_cells_are_none_and_quotes_are_undoubled():
    data = READ_BY_ARROW["quotes inside cells"].encode() + b'"B3",\n'
    assert SOURCE.parse_table("key_businesses.csv", data).table.to_pylist() == [
        {"business_code": "B1", "name": 'say "hi"'},
        {"business_code": "B2", "name": '"'},
        {"business_code": "B3", "name": None},
    ]


@pytest.mark.parametrize("text", READ_BY_PARSE.values(), ids=READ_BY_PARSE.keys())
def test_files_arrow_could_read_differently_are_left_to_parse(text):
    assert SOURCE.parse_table("key_businesses.csv", text.encode()) is None


def test_bytes_that_are_not_utf8_are_left_to_parse_which_names_them():
    data = '"business_code","name"\n"B1","张三"\n'.encode("gb18030")
    assert SOURCE.parse_table("key_businesses.csv", data) is None
    assert "is not UTF-8" in SOURCE.parse("key_businesses.csv", data).errors[0][2]


def test_a_header_cell_over_the_csv_modules_limit_quarantines_the_file_by_either_reader():
    import csv

    data = b'"' + b"h" * (csv.field_size_limit() + 1) + b'","name"\n"B1","a"\n'
    assert SOURCE.parse_table("key_businesses.csv", data) is None
    assert "not readable CSV" in SOURCE.parse("key_businesses.csv", data).errors[0][2]


@pytest.mark.parametrize("width", [1001, 1002])
def test_a_registry_wider_than_the_form_check_spells_is_left_to_parse(width):
    """The form check repeats a cell pattern once per column after the first, and RE2 repeats at most 1000 times."""
    data = (
        ",".join(f'"c{i}"' for i in range(width)) + "\n" + ",".join(f'"{i}"' for i in range(width)) + "\n"
    ).encode()
    columnar = SOURCE.parse_table("key_businesses.csv", data)
    assert (columnar is not None) == (width <= 1001)
    assert len(SOURCE.parse("key_businesses.csv", data).records[0]) == width
    if columnar is not None:
        assert columnar.table.to_pylist() == SOURCE.parse("key_businesses.csv", data).records
