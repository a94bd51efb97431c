"""Parsed records as Arrow columns, and their record hashes computed a whole batch at a time.

The loader used to hash, check and copy every record in a Python loop (~30 us a record: json.dumps with sorted
keys, sha256, dicts). Here the same values go through Arrow in bulk. ``record_hashes`` gives exactly
``huitong.sources.base.record_hash`` of each record (sha256 of ``json.dumps(record, ensure_ascii=False,
sort_keys=True)``), so bronze rows loaded before and after this change carry the same ``_record_hash`` and a
re-run converges to the same content: Arrow builds that JSON text column by column for ordinary records and
hashlib hashes each row's bytes; the rare record it cannot spell the same way (a key absent rather than null, a
control character Python escapes) is hashed by ``record_hash`` itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huitong.arrow_strings import string_buffers
from huitong.sources.base import record_hash

# Characters json.dumps escapes beyond quote and backslash (ensure_ascii=False): the rows holding one are redone.
_CONTROL = "[\\x00-\\x1f]"
# Rows per slice of JSON text: a slice's text stays far below Arrow's 2 GiB limit for one string array.
_SLICE = 1 << 17


def records_table(records: list[dict], columns: list[str]) -> pa.Table:
    """The records as string columns (a key a record lacks reads as null). ``columns`` may not be empty while there
    are records: Arrow would give a table of no rows, and records holding no key at all (``{}``) would be lost
    unseen (callers name the source's columns for them)."""
    if records and not columns:
        raise ValueError(
            f"{len(records)} records and no columns to read them into: name the source's columns"
        )
    # Arrow's own conversion of the dicts: ~2x faster than a Python list per column on 200k parcel records.
    return pa.Table.from_pylist(records, schema=pa.schema([pa.field(c, pa.string()) for c in columns]))


def record_keys(records: list[dict], default: Sequence[str] = ()) -> list[str]:
    """The columns of ``records_table`` for records whose keys may differ: the first record's keys in its order
    (usually every record's), then any other key, sorted; ``default`` (the source's columns) when they hold no key
    at all, so that records of ``{}`` are still rows."""
    keys = list(dict.fromkeys(k for r in records[:1] for k in r))
    return keys + sorted(set().union(*records) - set(keys)) or list(default)


def row_record(table: pa.Table, row: int, partial: Mapping[int, dict]) -> dict:
    """Row ``row`` of a table of parsed records (each holding every column but those in ``partial``: row -> the
    record, which lacks some) as the record the source parsed."""
    return partial[row] if row in partial else table.slice(row, 1).to_pylist()[0]


def json_texts(table: pa.Table, sort_keys: bool = True) -> tuple[pa.Array, np.ndarray]:
    """Each row as ``json.dumps(row, ensure_ascii=False, sort_keys=sort_keys)`` would spell it for a record holding
    every column (string columns; keys in column order unless sorted), and where a value holds a control
    character (that row's text is not Python's)."""
    table = table.cast(pa.schema([pa.field(name, pa.string()) for name in table.column_names]))
    names = table.column_names
    controls = np.zeros(table.num_rows, dtype=bool)
    # One element-wise join of literal key text and the columns: a column without nulls goes in as it is, one with
    # nulls quoted first (its nulls spelled null). Escaping, and the control-character test, only where a column's
    # bytes hold a backslash, a quote or a control character at all (a byte test on its data buffer).
    pieces: list[object] = []
    literal = "{"
    order = sorted(range(len(names)), key=lambda i: names[i]) if sort_keys else range(len(names))
    for n, i in enumerate(order):  # sort_keys compares key strings
        literal += ("" if n == 0 else ", ") + json.dumps(names[i], ensure_ascii=False) + ": "
        values = table.column(i).combine_chunks()
        raw = _utf8_bytes(values)
        if np.any(raw < 0x20):
            controls |= pc.fill_null(pc.match_substring_regex(values, _CONTROL), False).to_numpy(
                zero_copy_only=False
            )
        for char in ("\\", '"'):  # backslash first, as json.dumps escapes the original text
            if np.any(raw == ord(char)):
                values = pc.replace_substring(values, char, "\\" + char)
        if values.null_count:
            pieces += [literal, pc.fill_null(pc.binary_join_element_wise('"', values, '"', ""), "null")]
            literal = ""
        else:
            pieces += [literal + '"', values]
            literal = '"'
    if len(pieces) < 2:
        return pa.array(["{}"] * table.num_rows, pa.string()), controls
    return pc.binary_join_element_wise(*pieces, literal + "}", ""), controls


def json_text_slices(table: pa.Table) -> list[tuple[int, tuple[pa.Array, np.ndarray]]]:
    """``json_texts`` of the table's rows, _SLICE rows at a time (one string array of every row's text could pass
    Arrow's 2 GiB limit): each slice's first row and its texts and control-character flags."""
    return [(start, json_texts(table.slice(start, _SLICE))) for start in range(0, table.num_rows, _SLICE)]


def _utf8_bytes(values: pa.Array) -> np.ndarray:
    """The bytes of a string array's values, as a view of its data buffer."""
    bounds, data = string_buffers(values)
    return data[bounds[0] : bounds[-1]]


def sha256_hex(texts: pa.Array) -> pa.Array:
    """sha256 hex of each UTF-8 string, read straight from the Arrow buffers (no Python str per row)."""
    rows = len(texts)
    bounds, data = string_buffers(texts)
    offsets, data = bounds.tolist(), memoryview(data)
    # A copy of an empty hash rather than a new one per row, which sets up an OpenSSL context each time: ~10% less
    # time on 1M parcel texts of ~400 bytes.
    empty, each = hashlib.sha256(), []
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        one = empty.copy()
        one.update(data[a:b])
        each.append(one.digest())
    digests = b"".join(each)
    starts = np.arange(0, 64 * (rows + 1), 64, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(starts), pa.py_buffer(digests.hex().encode()))


def record_hashes(
    table: pa.Table, records: list[dict] | None = None, partial: Mapping[int, dict] | None = None
) -> pa.Array:
    """sha256 hex of each record as ``record_hash`` computes it. ``table`` holds the records as string columns:
    either ``records_table(records, keys)`` with ``keys`` the keys the records hold (a key a record lacks is
    absent, not null, in its JSON, so that record is hashed in Python), or, with ``records`` None, records that
    each hold every column of ``table`` but those in ``partial`` (row -> the record, which lacks some)."""
    if not table.num_rows:
        return pa.array([], pa.string())
    hashes, redo = [], set()
    for start, (texts, controls) in json_text_slices(table):
        hashes.append(sha256_hex(texts))
        redo |= set((np.flatnonzero(controls) + start).tolist())
    width = table.num_columns
    # Records lacking one of the table's keys, and rows whose text Python spells differently.
    if records is not None:
        redo |= {i for i, r in enumerate(records) if len(r) != width}
    partial = partial or {}
    redo |= set(partial)
    joined = pa.chunked_array(hashes, pa.string()).combine_chunks()
    if not redo:
        return joined
    values = joined.to_pylist()
    for i in sorted(redo):
        if records is not None:
            values[i] = record_hash(records[i])
        else:
            values[i] = record_hash(row_record(table, i, partial))
    return pa.array(values, pa.string())
