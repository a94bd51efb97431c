"""Parsed records as Arrow columns, and their record hashes computed a whole batch at a time.

The loader used to hash, check and copy every record in a Python loop (~30 us a record: json.dumps with sorted
keys, sha256, dicts). Here the same values go through Arrow and DuckDB in bulk. ``record_hashes`` gives exactly
``huitong.sources.base.record_hash`` of each record (sha256 of ``json.dumps(record, ensure_ascii=False,
sort_keys=True)``), so bronze rows loaded before and after this change carry the same ``_record_hash`` and a
re-run converges to the same content: DuckDB builds that JSON text for ordinary records and hashes it; the rare
record it cannot spell the same way (a key absent rather than null, a control character Python escapes) is hashed
by ``record_hash`` itself.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from huitong.sources.base import record_hash


def records_table(records: list[dict], columns: list[str]) -> pa.Table:
    """The records as string columns (a key a record lacks reads as null)."""
    return pa.table({c: pa.array([r.get(c) for r in records], pa.string()) for c in columns})


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_sql(columns: list[str]) -> str:
    """A DuckDB expression over columns c0..cN spelling json.dumps(record, ensure_ascii=False, sort_keys=True) for
    a record holding every column; NULL when a value holds a character Python would escape beyond quote and
    backslash (the caller hashes those rows in Python)."""
    order = sorted(range(len(columns)), key=lambda i: columns[i])  # sort_keys compares the key strings
    pieces, plain = [], []
    for n, i in enumerate(order):
        prefix = ("{" if n == 0 else ", ") + json.dumps(columns[i], ensure_ascii=False) + ": "
        value = f"c{i}"
        escaped = f"""'"' || replace(replace({value}, '\\', '\\\\'), '"', '\\"') || '"'"""
        pieces.append(f"{_sql_text(prefix)} || coalesce({escaped}, 'null')")
        plain.append(f"coalesce({value}, '')")
    text = " || ".join(pieces) + " || '}'"
    controls = f"regexp_matches({' || '.join(plain)}, '[\\x00-\\x1f]')"
    return f"case when {controls} then null else {text} end"


def record_hashes(table: pa.Table, records: list[dict] | None = None) -> pa.Array:
    """sha256 hex of each record as ``record_hash`` computes it. ``table`` holds the records as string columns:
    either ``records_table(records, keys)`` with ``keys`` the keys the records hold (a key a record lacks is
    absent, not null, in its JSON, so that record is hashed in Python), or, with ``records`` None, records that
    each hold every column of ``table``."""
    import duckdb

    columns = table.column_names
    if not table.num_rows:
        return pa.array([], pa.string())
    # DuckDB sees positional names, so any header a source sends (quotes, spaces) is a safe identifier.
    frame = table.rename_columns([f"c{i}" for i in range(len(columns))])  # noqa: F841 - read by DuckDB below
    with duckdb.connect() as con:
        hashes = con.execute(f"select sha256({_json_sql(columns)}) from frame").arrow()
    hashes = (hashes.read_all() if hasattr(hashes, "read_all") else hashes).column(0).combine_chunks()
    width = len(columns)
    # Rows DuckDB could not spell (null hash), and records lacking one of the table's keys.
    redo = {i for i, r in enumerate(records) if len(r) != width} if records is not None else set()
    if hashes.null_count:
        redo |= set(np.flatnonzero(hashes.is_null().to_numpy(zero_copy_only=False)).tolist())
    if not redo:
        return hashes
    values = hashes.to_pylist()
    for i in sorted(redo):
        values[i] = record_hash(records[i] if records is not None else table.slice(i, 1).to_pylist()[0])
    return pa.array(values, pa.string())
