"""Parcel drop parsing and listing: gzip or not, truncated and corrupt files, malformed lines, arrival windows."""

from __future__ import annotations

import base64
import gzip
import json
import os
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from huitong.sources.parcel import SOURCE, DropObject, LocalDropLister, ParcelDropSource, part_name

ARRIVED = datetime(2025, 2, 10, 3, 17, 42, tzinfo=UTC)


def record(n: int) -> dict:
    return {"waybill_no": f"WB{n:012d}", "sender_name": "张三", "updated_at": "2025-02-10T10:20:00+08:00",
            "amount": 3}  # fmt: skip


def lines(*records: dict) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def name(key: str) -> str:
    return part_name(DropObject(key, ARRIVED))


def test_plain_and_gzipped_files_give_the_same_records_stamped_with_the_arrival_hour():
    data = lines(record(1), record(2))
    plain = SOURCE.parse(name("2025-02-10/10/waybills-2025021010.jsonl"), data)
    zipped = SOURCE.parse(name("2025-02-10/10/waybills-2025021010.jsonl.gz"), gzip.compress(data))
    assert plain.records == zipped.records and not plain.errors and not zipped.errors
    assert [r["waybill_no"] for r in plain.records] == ["WB000000000001", "WB000000000002"]
    assert plain.records[0]["_arrival_hour"] == "2025-02-10T03:00:00+00:00"
    assert plain.records[0]["amount"] == "3"  # bronze keeps text
    assert SOURCE.watermark(plain.records[0]) == datetime(2025, 2, 10, 3, tzinfo=UTC)


def test_truncated_gzip_keeps_its_complete_lines_and_quarantines_the_lost_tail():
    whole = gzip.compress(lines(*(record(i) for i in range(200))))
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl.gz"), whole[: len(whole) // 2])
    assert 0 < len(parsed.records) < 200
    assert len(parsed.errors) == 1
    assert "truncated gzip" in parsed.errors[0][2]
    assert all(r["waybill_no"].startswith("WB") for r in parsed.records)


def test_every_member_of_a_concatenated_gzip_is_read():
    data = gzip.compress(lines(record(1))) + gzip.compress(lines(record(2), record(3)))
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl.gz"), data)
    assert [r["waybill_no"] for r in parsed.records] == [
        f"WB{i:012d}" for i in (1, 2, 3)
    ] and not parsed.errors


def test_bytes_after_the_last_gzip_member_are_recorded_not_dropped():
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl.gz"), gzip.compress(lines(record(1))) + b"not gzip")
    assert [r["waybill_no"] for r in parsed.records] == ["WB000000000001"]
    [(offset, payload, reason)] = parsed.errors
    assert "after gzip member 1 are not gzip" in reason and (offset, payload) == (1, "")


@pytest.mark.parametrize("cut", ["before_newline", "after_newline"])
def test_a_gzip_cut_between_records_counts_each_record_once(cut):
    """The cut falls where the last whole line ends: that line loads, and one row records that the rest is lost
    (it is never also quarantined as a record)."""
    text = lines(record(1), record(2))
    stream = zlib.compressobj(wbits=31)
    head = stream.compress(text[: -1 if cut == "before_newline" else len(text)]) + stream.flush(
        zlib.Z_SYNC_FLUSH
    )
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl.gz"), head)
    assert [r["waybill_no"] for r in parsed.records] == ["WB000000000001", "WB000000000002"]
    [(offset, payload, reason)] = parsed.errors
    assert "truncated gzip" in reason and (offset, payload) == (2, "")


def test_a_byte_order_mark_does_not_cost_the_first_record():
    data = b"\xef\xbb\xbf" + lines(record(1), record(2))
    for parse in (SOURCE.parse, SOURCE.parse_table):
        parsed = parse(name("2025-02-10/10/w.jsonl"), data)
        assert not parsed.errors
        waybills = parsed.table["waybill_no"].to_pylist() if parsed.table is not None else parsed.records
        assert [w if isinstance(w, str) else w["waybill_no"] for w in waybills] == [
            "WB000000000001",
            "WB000000000002",
        ]


def test_corrupt_gzip_is_one_quarantine_row_holding_the_file():
    data = b"\x1f\x8b\x08\x00garbage that is not deflate"
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl.gz"), data)
    assert parsed.records == []
    [(offset, payload, reason)] = parsed.errors
    assert "corrupt gzip" in reason and offset == 0
    assert base64.b64decode(payload.removeprefix("base64:")) == data


def test_malformed_lines_are_quarantined_and_the_good_lines_load():
    data = (
        lines(record(1)) + b'{"waybill_no": "WB1", oops}\n' + b"[1, 2]\n" + b"\xff\xfe\n\n" + lines(record(2))
    )
    data += b'{"waybill_no": "WB00000000000'  # a plain file cut off mid-line
    parsed = SOURCE.parse(name("2025-02-10/10/w.jsonl"), data)
    assert [r["waybill_no"] for r in parsed.records] == ["WB000000000001", "WB000000000002"]
    reasons = [e[2] for e in parsed.errors]
    assert len(reasons) == 4
    assert reasons[0].startswith("malformed JSON")
    assert "not an object" in reasons[1]
    assert "not UTF-8" in reasons[2]
    assert "looks truncated" in reasons[3]


def test_a_part_without_its_arrival_stamp_is_refused_whole():
    parsed = SOURCE.parse("waybills.jsonl", lines(record(1)))
    assert parsed.records == [] and "arrival stamp" in parsed.errors[0][2]


def drop(root, key: str, data: bytes, arrived: datetime) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))


def test_the_window_takes_files_by_arrival_so_late_files_are_not_lost(tmp_path, huitong_home):
    from huitong.config import settings

    on_time = datetime(2025, 2, 10, 3, 5, tzinfo=UTC)
    drop(tmp_path, "2025-02-10/10/a.jsonl", lines(record(1)), on_time)
    drop(
        tmp_path,
        "2025-02-09/02/late.jsonl.gz",
        gzip.compress(lines(record(2))),
        on_time + timedelta(minutes=40),
    )
    drop(tmp_path, "2025-02-10/11/next.jsonl", lines(record(3)), on_time + timedelta(hours=1))
    source = ParcelDropSource(lister=LocalDropLister(tmp_path))
    start = datetime(2025, 2, 10, 3, tzinfo=UTC)
    parts = list(source.extract(start, start + timedelta(hours=1), settings()))
    assert [p.name for p in parts] == [
        "20250210T030500Z__2025-02-10__10__a.jsonl",
        "20250210T034500Z__2025-02-09__02__late.jsonl.gz",
    ]
    assert parts[1].origin == "parcel/drop/2025-02-09/02/late.jsonl.gz"
    waybills = [r["waybill_no"] for p in parts for r in source.parse(p.name, p.data).records]
    assert waybills == ["WB000000000001", "WB000000000002"]


def test_a_missing_drop_folder_says_what_to_run(tmp_path, huitong_home):
    from huitong.config import settings

    source = ParcelDropSource(lister=LocalDropLister(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="serve_parcel"):
        list(source.extract(ARRIVED, ARRIVED + timedelta(hours=1), settings()))


TRICKY_LINES = [b'{"a": "x", "b": null}', b'{"a": 1, "b": 2.50, "c": true, "d": [1, {"z": 1}], "e": {"y": null}}', b"",
                b" \t\r", "\u3000".encode(), b"\xff\xfe", b'{"a": "\\ud800"}', b' {"a": "x"} ', b'{"a": "x"}\r', b"[1]",
                b'{"a": [1', b'2]}, {"b": 1}', b'{"a": NaN, "a": 1e400}', b'{"a": "x"} {"b": 1}', b"{}",
                '\ufeff{"a": "汉"}'.encode(), b'{"a": "\xe6\xb1"}', b'{"_arrival_hour": "sent"}', b'{"a": "\\u0000"}',
                b'{"\xff": "x"}']  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_lines_read_exactly_as_json_loads_reads_each_line(seed):
    # parse_lines decodes the part once and calls json's scanner directly on '{...}' lines; the result must be the
    # plain per-line reading: bytes.strip() for blank lines, UTF-8 per line, json.loads, objects only.
    import random

    from huitong.sources._files import parse_lines
    from huitong.sources.base import as_text, unstorable

    rng = random.Random(seed)
    for _ in range(300):
        data = b"\n".join(rng.choice(TRICKY_LINES) for _ in range(rng.randint(0, 8)))
        records, offsets = [], []
        # A byte order mark opening the part is not part of its first line (one inside the part still is).
        for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n")):
            try:
                record = json.loads(raw.decode("utf-8")) if raw.strip() else None
            except ValueError:
                record = "error"
            if isinstance(record, dict):
                record = {k: as_text(v) for k, v in record.items()}
                record = record if unstorable(record) is None else "error"  # "\ud800": no UTF-8 text holds it
            if isinstance(record, dict):
                records.append({**record, "_arrival_hour": "h"})
            elif record is not None:
                offsets.append(number)
        parsed = parse_lines(data, {"_arrival_hour": "h"})
        assert parsed.records == records and [list(r) for r in parsed.records] == [list(r) for r in records]
        assert [offset for offset, _, _ in parsed.errors] == offsets


# Lines Arrow's reader takes as they are (strings and nulls only), to mix with the tricky ones above.
PLAIN_LINES = [
    b'{"waybill_no": "WB1", "sender_name": "\\u5f20\\u4e09", "a": null}',
    b'{"a": "x", "waybill_no": "W\\"2\\\\"}',
    '{"waybill_no": "WB3", "event_time": "2026-01-01T08:00:00+08:00", "z": "汉\\t"}'.encode(),
    b'{"a": "x\\u2028y", "zz": "2026-01-01T00:00:00"}',
    b'{"waybill_no": null}',
    b'{"a": "}{"}',
    # nulls and absent keys told apart on the bytes: spacing, a value spelled like an absent key, keys a
    # match could start inside, the key the parser adds
    b'{"waybill_no":"WB4","a":null}',
    b'{"waybill_no" : "WB5" ,\t"zz" :\tnull}',
    b'{"x": "a", "zz": null}',
    b'{", ": null, "a": "y"}',
    b'{":x": "a", "waybill_no": null}',
    b'{"x": "q", ":x": "z"}',
    b'{"_arrival_hour": null, "a": "q"}',
    b'{"a": "1", "a": "2", "b": null}',
    b'{"b": "1", "b": null}',
]  # a key given twice: the last value


@pytest.mark.parametrize(
    "data",
    [
        # the second record lacks only ', ': on the bytes '"q", ":x"' reads like a key ', ' (a match starting at a
        # closing quote), so that key is left to json.loads
        b'{", ": "v", "x": null, ":x": "w"}\n{"x": "q", ":x": "z"}\n',
        # lacks only 'a', whose name is a value on the line
        b'{"a": null, "x": "y"}\n{"x": "a"}\n',
        # holds 'a' as null, however the writer spaced it; then lacks it, holding a key that ends in it
        b'{"a":null,"x":"1"}\n{"x" :\t"2" ,  "a"\t: null}\n{"x": "3", "\\"a": "v"}\n',
    ],
)
def test_an_absent_key_is_told_from_a_null_one_as_json_loads_tells_them(data):
    # The shared line reader without the parcel's columns (each of which a record above would lack).
    from huitong.sources._files import parse_lines, parse_lines_table

    for extra in (None, {"_arrival_hour": "2025-02-10T03:00:00+00:00"}):
        fast, slow = parse_lines_table(data, extra), parse_lines(data, extra)
        assert table_records(fast) == slow.records


def table_records(parsed) -> list[dict]:
    """The records of a columnar parse, as parse() gives them."""
    rows = parsed.table.to_pylist() if parsed.table is not None else []
    return [parsed.partial.get(i, row) for i, row in enumerate(rows)]


@pytest.mark.parametrize("seed", range(4))
def test_arrow_reading_gives_the_records_errors_offsets_and_hashes_of_the_line_by_line_reading(
    seed, monkeypatch
):
    # parse_table reads chunks of lines with Arrow and hands any chunk Arrow could read differently to parse_lines:
    # tiny chunks here, so one part mixes both readings and chunk edges fall everywhere.
    import random

    from huitong.lake.records import record_hashes
    from huitong.sources import _files
    from huitong.sources.base import record_hash

    rng = random.Random(seed)
    for _ in range(150):
        monkeypatch.setattr(_files, "_CHUNK", rng.choice([1, 40, 200, 1 << 22]))
        # Not the lone surrogate: Arrow cannot hold it as UTF-8, so no columnar table of it exists either way.
        pool = PLAIN_LINES * 3 + [line for line in TRICKY_LINES if b"ud800" not in line]
        data = b"\n".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) + rng.choice([b"", b"\n"])
        part = name("2025-02-10/10/w.jsonl")
        slow, fast = SOURCE.parse(part, data), SOURCE.parse_table(part, data)
        assert fast.errors == slow.errors
        assert table_records(fast) == slow.records
        if fast.table is not None:
            hashes = record_hashes(fast.table, partial=fast.partial).to_pylist()
            assert hashes == [record_hash(r) for r in slow.records]
