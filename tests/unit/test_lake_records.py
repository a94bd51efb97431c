"""Record hashes computed a batch at a time (Arrow) equal the per-record hash bronze rows have always carried."""

from __future__ import annotations

import pyarrow as pa
import pytest

from huitong.lake.records import record_hashes, records_table
from huitong.sources.base import record_hash

COLUMNS = ["b", "a", "键", 'quote"d key', "z"]
RECORDS = [
    {"b": "1", "a": "2", "键": "值", 'quote"d key': "x", "z": None},
    {"b": 'say "hi"', "a": "back\\slash", "键": "", 'quote"d key': "'single'", "z": "emoji 🚀 and 汉字"},
    {"b": "tab\there", "a": "new\nline", "键": "\x00nul", 'quote"d key': "\x1fus", "z": "\u2028 and \x7f"},
    {"b": None, "a": None, "键": None, 'quote"d key': None, "z": None},
    {"b": "no a, no z", "键": "k", 'quote"d key': "q"},  # absent keys: not the same JSON as null ones
    {"z": "only z"},
]


@pytest.mark.parametrize("records", [RECORDS, RECORDS[:2], RECORDS[3:4]], ids=["mixed", "plain", "all-null"])
def test_batch_hashes_equal_record_hash(records):
    keys = sorted(set().union(*records), key=COLUMNS.index)
    hashes = record_hashes(records_table(records, keys), records).to_pylist()
    assert hashes == [record_hash(r) for r in records]


def test_a_table_of_complete_records_needs_no_dicts():
    table = records_table(RECORDS[:4], COLUMNS)
    assert record_hashes(table).to_pylist() == [record_hash(r) for r in RECORDS[:4]]
    assert record_hashes(records_table([], COLUMNS)).to_pylist() == []


def test_hashes_across_slices_and_chunks(monkeypatch):
    # Texts are built and hashed a slice of rows at a time; columns may arrive in several chunks.
    monkeypatch.setattr("huitong.lake.records._SLICE", 2)
    records = RECORDS[:4] * 3
    table = pa.concat_tables([records_table(records[:5], COLUMNS), records_table(records[5:], COLUMNS)])
    assert table.column(0).num_chunks == 2
    assert record_hashes(table).to_pylist() == [record_hash(r) for r in records]
    keys = sorted(set().union(*RECORDS), key=COLUMNS.index)
    assert record_hashes(records_table(RECORDS, keys), RECORDS).to_pylist() == [
        record_hash(r) for r in RECORDS
    ]


@pytest.mark.parametrize("seed", range(3))
def test_generated_records_hash_as_record_hash(seed, monkeypatch):
    # Columns with and without nulls, escapes in some columns only, slices that start mid-table.
    import random

    monkeypatch.setattr("huitong.lake.records._SLICE", 7)
    rng = random.Random(seed)
    alphabet = ['"', "\\", "\n", "\x01", "a", "汉", "🚀", "\u2028", "\x7f", " ", "}", ":"]
    columns = ["c", "a", "b\\", "d"]
    nullable = {c: rng.random() < 0.5 for c in columns}
    plain = {c: rng.random() < 0.5 for c in columns}  # some columns hold no character needing an escape
    records = [
        {
            c: None
            if nullable[c] and rng.random() < 0.3
            else "".join(
                rng.choice(alphabet[4:5] if plain[c] else alphabet) for _ in range(rng.randint(0, 6))
            )
            for c in columns
        }
        for _ in range(40)
    ]
    table = records_table(records, columns)
    assert record_hashes(table).to_pylist() == [record_hash(r) for r in records]
    assert record_hashes(table.slice(3, 30)).to_pylist() == [record_hash(r) for r in records[3:33]]


@pytest.mark.parametrize("seed", range(3))
def test_quarantine_payloads_are_json_dumps_of_each_row(seed):
    # validate._payloads builds the payload texts with json_texts(sort_keys=False): json.dumps of the row's dict
    # with the keys in column order, control characters included (those rows are spelled by json.dumps).
    import json
    import random

    import pandas as pd

    from huitong.quality.validate import _payloads

    rng = random.Random(seed)
    alphabet = ['"', "\\", "\n", "\x01", "a", "汉", "🚀", "\u2028", "\x7f", " ", "}", ":", "\t"]
    columns = ["z", "a", "b\\", "汉", "m"]
    rows = [
        {c: None if rng.random() < 0.2 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
         for c in columns}
        for _ in range(60)
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=columns).astype(pd.StringDtype("pyarrow"))
    positions = sorted(rng.sample(range(len(rows)), 25))
    expected = [json.dumps(rows[p], ensure_ascii=False) for p in positions]
    assert _payloads(df, positions) == expected
    assert _payloads(df, []) == []


def test_records_holding_no_key_are_rows_of_the_source_columns_never_lost():
    """Arrow turns records without a single key ({}) into a table of no rows: a part of them vanished before the
    loader counted what landed. They are rows of nulls in the source's columns, hashed and kept as ``{}``."""
    from huitong.ingest import _Part
    from huitong.sources._files import parse_lines, parse_lines_table
    from huitong.sources.base import ParsedPart

    with pytest.raises(ValueError, match="no columns"):
        records_table([{}, {}], [])
    part = _Part(0, ParsedPart(records=[{}, {}]), columns=("waybill_no", "sender_name"))
    assert part.rows == 2 and part.table.column_names == ["waybill_no", "sender_name"]
    assert part.hashes.to_pylist() == [record_hash({})] * 2 and part.record(1) == {}
    for lines in (b"{}\n{}\n", b"{}\n{ }\n{\r}\n"):  # plain and spaced empty objects
        read = parse_lines_table(lines, columns=["waybill_no"])
        assert [read.partial.get(i, row) for i, row in enumerate(read.table.to_pylist())] == (
            parse_lines(lines).records
        )
