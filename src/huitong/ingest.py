"""The two ingestion steps every source DAG runs.

``land_window``: extract one window from the source and write it, unchanged, as an immutable landing batch.
``load``: parse the landed batch, validate it (Great Expectations), replace the window in bronze with the
valid rows and in the quarantine with the rest (each with its reasons and raw payload), and record the reconciled
counts in the ledger: landed = loaded + quarantined, always. Landed is counted as the parts are parsed (records,
and rows no parser could read), before the row rules and the suite split them; a batch whose split does not come
back to it is refused before anything is written. (That every line, row or item of a part becomes a record or an
error row is the parsers' contract, tested per source with generated malformed input: tests/faults.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from huitong.arrow_strings import take_strings, with_validity
from huitong.config import Settings, settings
from huitong.lake import bronze, ledger
from huitong.lake.landing import LandedBatch, land, load_batch
from huitong.lake.records import record_hashes, record_keys, records_table, row_record
from huitong.pseudonymise import token
from huitong.quality import (
    frame_batch,
    validate_batch,
)  # cheap: Great Expectations is imported when a suite runs
from huitong.quality.datetimes import MISSING, iso_epoch_micros_fixed
from huitong.sources import get_source
from huitong.sources.base import NAIVE_OFFSET

log = logging.getLogger(__name__)

QUARANTINE = "quarantine.quarantined_rows"
QUARANTINE_COLUMNS = ("source", "entity", "rules", "reason", "payload")


def bronze_table(source: str, entity: str) -> str:
    return f"bronze.{source}__{entity}"


def _bronze_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([pa.field(c, pa.string()) for c in columns] + bronze.LINEAGE_FIELDS)


def _quarantine_schema() -> pa.Schema:
    return _bronze_schema(list(QUARANTINE_COLUMNS))


# A quarantine row's own columns and those of its lineage that differ from row to row.
_LISTED_SCHEMA = pa.schema(
    [pa.field(c, pa.string()) for c in QUARANTINE_COLUMNS]
    + [f for f in bronze.LINEAGE_FIELDS if f.name in ("_source_part", "_source_offset", "_watermark_at")]
)


def ensure_tables(cfg: Settings | None = None) -> list[str]:
    """Create, empty, the bronze table of every known source and the quarantine, so dbt (and Trino) find the same
    tables before a source's first batch arrives. Idempotent."""
    from huitong.sources import known_sources

    created = []
    for name in known_sources():
        source = get_source(name)
        columns = list(source.columns) + [f"{column}_token" for column, _ in source.pseudonymised]
        identifier = bronze_table(source.name, source.entity)
        bronze.ensure_table(identifier, _bronze_schema(columns), bronze.DEFAULT_PARTITIONING, cfg)
        created.append(identifier)
    bronze.ensure_table(QUARANTINE, _quarantine_schema(), [bronze.identity_partition("source")], cfg)
    ledger.ensure_tables(cfg)
    return created + [QUARANTINE]


@dataclass
class LoadResult:
    batch_id: str
    landed: int
    loaded: int
    quarantined: int

    def __str__(self) -> str:
        return f"{self.batch_id}: landed {self.landed}, loaded {self.loaded}, quarantined {self.quarantined}"


def land_window(source_name: str, start: datetime, end: datetime, cfg: Settings | None = None) -> LandedBatch:
    cfg = cfg or settings()
    if end <= start:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    source = get_source(source_name)
    batch = land(source.name, source.entity, start, end, source.extract(start, end, cfg), cfg)
    log.info("landed %s: %d part(s) in %s", batch.batch_id, len(batch.parts), batch.path)
    return batch


def _quarantine_row(source, offset_part: str, offset: int, payload: str, rules: str, reason: str) -> dict:
    return {"source": source.name, "entity": source.entity, "rules": rules, "reason": reason, "payload": payload,
            "_source_part": offset_part, "_source_offset": offset}  # fmt: skip


@dataclass
class PreparedLoad:
    """What `load` writes for one landed batch, before any write: the bronze rows, the quarantine rows (landed =
    good + quarantined) and the validation result. The Spark backfill (huitong.spark.backfill) writes the same."""

    batch_id: str
    source: object
    start: datetime
    end: datetime
    good: pa.Table
    quarantine: pa.Table
    result: object  # huitong.quality.ValidationResult
    newest: datetime | None
    # What the landed parts held, counted as they were parsed (records, and rows that could not be read), before any
    # rule split them: loaded + quarantined must come back to it.
    landed: int

    def reconciled(self) -> ledger.LedgerEntry:
        """The batch's ledger entry, checked: ReconciliationError unless every landed row is in ``good`` or
        ``quarantine``, once."""
        entry = ledger.LedgerEntry(batch_id=self.batch_id, source=self.source.name, entity=self.source.entity,
                                   window_start=self.start, window_end=self.end, landed=self.landed,
                                   loaded=self.good.num_rows, quarantined=self.quarantine.num_rows, status="loaded",
                                   newest_record_at=self.newest)  # fmt: skip
        entry.check()
        return entry


def load(batch_id: str, cfg: Settings | None = None) -> LoadResult:
    """Validate a landed batch and load it into bronze and the quarantine. Safe to re-run: it replaces the
    batch's window, so a retry after a crash, or a re-run of the same interval, converges to the same content."""
    cfg = cfg or settings()
    prepared = prepare_load(batch_id, cfg)
    entry = prepared.reconciled()  # before any write: a row the split lost never reaches bronze
    source, start, end = prepared.source, prepared.start, prepared.end
    good, result = prepared.good, prepared.result
    bronze.replace_window(
        bronze_table(source.name, source.entity), good, start, end, batch_id=batch_id, cfg=cfg
    )
    bronze.replace_window(QUARANTINE, prepared.quarantine, start, end,
                          batch_id=batch_id, scope={"source": source.name, "entity": source.entity},
                          partition_by=[bronze.identity_partition("source")], cfg=cfg)  # fmt: skip
    ledger.record(entry, cfg)
    checks = {name: (count, count == 0) for name, count in result.unexpected_counts.items()}
    checks.update({f"batch:{c.name}": (0 if c.success else 1, c.success) for c in result.batch_checks})
    ledger.record_validations(batch_id, source.name, source.entity, checks, cfg)
    outcome = LoadResult(batch_id, entry.landed, entry.loaded, entry.quarantined)
    log.info("loaded %s", outcome)
    # Batch-level failures (empty or anomalous volume, stale data) fail the task after the rows are safe.
    result.raise_for_batch_failures()
    return outcome


def use_memory_pool(name: str) -> None:
    """Make ``name`` (system, jemalloc or mimalloc) Arrow's allocator in this process. A load allocates and frees
    several GB of Arrow buffers per 1M records; on the 2-core VM the benchmarks run on, glibc's malloc spent ~2 s
    less in the kernel than mimalloc (pyarrow's default) on a 1M-record parcel load (bench/ingest_throughput.py,
    docs/configuration.md). Buffers already allocated stay with the pool that made them."""
    pools = {
        "system": pa.system_memory_pool,
        "jemalloc": pa.jemalloc_memory_pool,
        "mimalloc": pa.mimalloc_memory_pool,
    }
    pool = pools[name]()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)


def prepare_load(batch_id: str, cfg: Settings | None = None, now: datetime | None = None) -> PreparedLoad:
    """Parse, hash, check the window, validate (Great Expectations) and pseudonymise a landed batch: the rows
    `load` writes, without writing them. Pure apart from reading the landed files.

    Columnar after parsing: the records become Arrow columns once, and hashing (Arrow and hashlib), the duplicate, watermark
    and window rules, validation and tokens (once per distinct value) work on whole columns. A Python loop over
    every record cost ~30 us a record, which capped a load near 30k records/s before Great Expectations ran."""
    cfg = cfg or settings()
    use_memory_pool(cfg.arrow_memory_pool)
    batch = load_batch(batch_id, cfg)
    source = get_source(batch.source, batch.entity)
    key = cfg.hmac_key() if source.pseudonymised else b""  # fails on a missing key before any data is touched

    now = now or datetime.now(UTC)
    # Record hashes on a second thread while the parts are parsed, the watermarks read and the rows framed for the
    # suite: the hashes' JSON texts are Arrow kernels, and the watermark parse and the frame mostly Arrow and numpy,
    # which release the GIL (framing a 1M-record parcel hour beside its hashes: ~2.0 s, against ~2.9 s in turn).
    with ThreadPoolExecutor(1, thread_name_prefix="record-hashes") as pool:
        return _prepare(batch_id, batch, source, key, now, pool)


def _prepare(batch_id, batch, source, key, now, pool) -> PreparedLoad:
    """prepare_load's work, with ``pool`` the thread that hashes records."""
    start, end = batch.window_start.astimezone(UTC), batch.window_end.astimezone(UTC)
    quarantine: list[dict] = []
    part_names = [part["name"] for part in batch.parts]
    parts: list[_Part] = []
    for number, name in enumerate(part_names):
        data = batch.read_part(name)
        parse_table = getattr(source, "parse_table", None)  # optional: a columnar reading of the same records
        parsed = (parse_table(name, data) if parse_table else None) or source.parse(name, data)
        for offset, payload, reason in parsed.errors:
            quarantine.append(_quarantine_row(source, name, offset, payload, "parse", reason))
        parts.append(_Part(number, parsed, pool, source.columns))
    n = sum(p.rows for p in parts)
    landed = n + len(quarantine)  # the parsed records and the rows no parser could read, before any rule
    part_of = np.concatenate(
        [np.full(p.rows, p.number, dtype=np.int64) for p in parts] or [np.zeros(0, np.int64)]
    )
    offsets = np.concatenate([np.arange(p.rows, dtype=np.int64) for p in parts] or [np.zeros(0, np.int64)])

    def record(i: int) -> dict:
        return parts[part_of[i]].record(int(offsets[i]))

    keys = set().union(*(p.table.column_names for p in parts))
    columns = list(source.columns) + sorted(keys - set(source.columns))
    table = pa.concat_tables([p.table for p in parts if p.rows], promote_options="default") if n else None
    table = pa.table({c: table[c] if table is not None and c in keys else pa.nulls(n, pa.string())
                      for c in columns})  # fmt: skip
    columns, table = _rename_generated(source, columns, table)
    start_us, end_us = _micros(start), _micros(end)
    # A whole snapshot has no per-record watermark: its rows are stamped with the window's start.
    if source.snapshot:
        marks, missing, fixed = np.full(n, start_us, np.int64), np.zeros(n, dtype=bool), None
    else:
        marks, missing, fixed = _watermarks(source, record, table)  # while the hashes are computed

    # Row rules, the first that applies wins: a repeat of a record already in this batch, then a missing
    # watermark, then a watermark outside the window. The rows the last two leave are framed for the suite while
    # the hashes, which find the repeats, are still being computed; the repeats are dropped from the frame after.
    outside = ~missing & ((marks < start_us) | (marks >= end_us))
    framed_rows = np.flatnonzero(~(missing | outside))
    to_validate = _rows(table, framed_rows).to_pandas(
        types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get
    )
    # The watermark's parse of its field, where it is the same instant in any zone, spares the suite a second one.
    shared = {source.watermark_field: (marks[framed_rows], fixed[framed_rows])} if fixed is not None else None
    framed = frame_batch(source=source.name, entity=source.entity, df=to_validate, epochs=shared,
                         context={"interval_start": start, "interval_end": end, "fields_present": keys})  # fmt: skip
    hashes = pa.chunked_array([p.hashes for p in parts if p.rows], pa.string()).combine_chunks()

    codes = hashes.dictionary_encode().indices.to_numpy(zero_copy_only=False)  # no Python str per hash
    _, first_rows = np.unique(codes, return_index=True)
    first = first_rows[codes] if n else np.zeros(0, dtype=np.int64)
    duplicate = first != np.arange(n)
    for i in np.flatnonzero(duplicate | missing | outside).tolist():
        payload = json.dumps(record(i), ensure_ascii=False, sort_keys=True)
        name, offset = part_names[part_of[i]], int(offsets[i])
        if duplicate[i]:
            seen = f"{part_names[part_of[first[i]]]}#{offsets[first[i]]}"
            row = _quarantine_row(source, name, offset, payload, "duplicate_delivery",
                                  f"identical to a record already in this batch ({seen})")  # fmt: skip
        elif missing[i]:
            row = _quarantine_row(source, name, offset, payload, "watermark",
                                  "the record's incremental key (e.g. updated_at) is missing or unparseable")  # fmt: skip
        else:
            row = _quarantine_row(source, name, offset, payload, "window",
                                  f"incremental key {_instant(marks[i]).isoformat()} is outside the requested window [{start.isoformat()}, {end.isoformat()})")  # fmt: skip
        quarantine.append(row)
    judged = ~duplicate[framed_rows]  # of the framed rows, those the suite judges
    candidates = framed_rows[judged]
    result = validate_batch(source=source.name, entity=source.entity, df=None, batch_id=batch_id,
                            framed=framed.take(np.flatnonzero(judged)))  # fmt: skip
    failed = result.quarantine
    bad = np.zeros(len(candidates), dtype=bool)
    failed_positions = failed["row_number"].to_numpy(dtype=np.int64)
    bad[failed_positions] = True
    failed_rows = candidates[failed_positions]
    keep = candidates[~bad]

    def lineage(rows: np.ndarray) -> dict[str, pa.Array]:
        """Where each of ``rows`` came from, and its watermark."""
        return {
            "_source_part": pa.array(part_names, pa.string()).take(pa.array(part_of[rows])),
            "_source_offset": pa.array(offsets[rows], pa.int64()),
            "_watermark_at": pa.array(marks[rows], pa.int64()).cast(bronze.TIMESTAMP),
        }

    token_columns = [f"{column}_token" for column, _ in source.pseudonymised]
    kept = _rows(table, keep)
    good_columns = {c: kept[c] for c in columns}
    for column, kind in source.pseudonymised:
        good_columns[f"{column}_token"] = column_tokens(key, kind, good_columns.get(column), len(keep))
    good_columns.update({
        "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), len(keep)),  # not a Python list of n values
        "_ingested_at": pa.repeat(pa.scalar(now, bronze.TIMESTAMP), len(keep)),
        "_record_hash": take_strings(hashes, keep),
        **lineage(keep),
    })  # fmt: skip
    good = pa.table(good_columns, schema=_bronze_schema(columns + token_columns))

    # The rows the suite failed, a column at a time (a dict per row was ~1 s of a batch with 100k of them), after
    # the parse and row-rule ones, whose watermark is the window's start.
    rules = [r if isinstance(r, str) else ",".join(r) for r in failed["rules"]]
    failed_columns = {"source": pa.repeat(pa.scalar(source.name, pa.string()), len(failed_rows)),
                      "entity": pa.repeat(pa.scalar(source.entity, pa.string()), len(failed_rows)),
                      "rules": pa.array(rules, pa.string()), "reason": pa.array(failed["reason"].tolist(), pa.string()),
                      "payload": pa.array(failed["payload"].tolist(), pa.string()), **lineage(failed_rows)}  # fmt: skip
    listed = pa.Table.from_pylist(
        [{**row, "_watermark_at": start} for row in quarantine], schema=_LISTED_SCHEMA
    )
    q_rows = pa.concat_tables([listed, pa.table(failed_columns, schema=_LISTED_SCHEMA)])
    q_table = pa.table({
        **{name: q_rows[name] for name in _LISTED_SCHEMA.names},
        "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), q_rows.num_rows),
        "_ingested_at": pa.repeat(pa.scalar(now, bronze.TIMESTAMP), q_rows.num_rows),
        # record_hash({"payload": payload}) of every row, by Arrow and hashlib.
        "_record_hash": record_hashes(q_rows.select(["payload"])),
    }, schema=_quarantine_schema())  # fmt: skip
    newest = _instant(marks[candidates].max()) if len(candidates) else None
    return PreparedLoad(batch_id, source, start, end, good, q_table, result, newest, landed)


def _rename_generated(source, columns: list[str], table: pa.Table) -> tuple[list[str], pa.Table]:
    """A source field spelled like a column the loader adds (lineage, ``<column>_token``) would give bronze that
    column twice, and the whole batch would fail to write. It is kept as ``src_<field>`` instead: its values load,
    and the batch's schema check names it as unexpected, so the task fails after the rows are safe."""
    generated = set(bronze.LINEAGE_NAMES) | {f"{column}_token" for column, _ in source.pseudonymised}
    if not generated.intersection(columns):
        return columns, table
    renamed = []
    for column in columns:
        name = column
        while name in generated or (name != column and name in columns):
            name = f"src_{name}"
        if name != column:
            log.warning("%s/%s: the source sends a field named %r, a column the loader adds; loaded as %r",
                        source.name, source.entity, column, name)  # fmt: skip
        renamed.append(name)
    return renamed, table.rename_columns(renamed)


def _rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """``table.take(rows)``, without copying every column when ``rows`` is every row in order (the usual batch)."""
    return (
        table
        if len(rows) == table.num_rows and np.array_equal(rows, np.arange(len(rows)))
        else table.take(rows)
    )


class _Part:
    """One landed part's parsed records as Arrow string columns (of the keys its records hold) with their hashes."""

    def __init__(
        self, number: int, parsed, pool: Executor | None = None, columns: Sequence[str] = ()
    ) -> None:
        self.number, self.records, self.partial = number, None, {}
        if parsed.table is not None:  # columnar parse: every record holds every column but those in .partial
            self.table, self.partial = parsed.table, parsed.partial
            hashing = partial(record_hashes, self.table, partial=self.partial)
        else:
            self.records = parsed.records
            self.table = records_table(self.records, record_keys(self.records, columns))
            hashing = partial(record_hashes, self.table, self.records)
        self.rows = self.table.num_rows
        # The hashes read only the table and the records: computed on ``pool``'s thread when one is given.
        if pool is not None:
            self._hashes = pool.submit(hashing)
        else:
            self._hashes = Future()
            self._hashes.set_result(hashing())

    @property
    def hashes(self) -> pa.Array:
        return self._hashes.result()

    def record(self, offset: int) -> dict:
        """The record as the source parsed it (the dict its payload and hash are made of)."""
        if self.records is not None:
            return self.records[offset]
        return row_record(self.table, offset, self.partial)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(micros))


def _watermarks(source, record, table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each record's watermark in UTC microseconds, where it is missing or unparseable, and (for a
    ``watermark_field``) where the field was spelled exactly 'YYYY-MM-DDTHH:MM:SS+HH:MM' (the instant is the suite's
    too: huitong.quality.datetimes.iso_epoch_micros_fixed).

    A source whose watermark is ``parse_timestamp`` of one field (``watermark_field``) has the field parsed a
    column at a time, each run of one repeated value once (huitong.quality.datetimes: the same instant as
    ``parse_timestamp`` for every value it reads); the values it does not read are asked of the source once per
    distinct value. Runs rather than a dictionary of distinct values: the usual batch repeats one value throughout
    (a part's arrival hour) or hardly any (trade times), and hashing 1M distinct times cost as much as parsing
    them. Other sources are asked record by record."""
    field = getattr(source, "watermark_field", None)
    if field is not None and field in table.column_names:
        runs = pc.run_end_encode(table[field].combine_chunks())
        values, lengths = runs.values, np.diff(runs.run_ends.to_numpy(zero_copy_only=False), prepend=0)
        micros, fixed = iso_epoch_micros_fixed(pd.Series(pd.arrays.ArrowStringArray(values)), NAIVE_OFFSET)
        asked = np.flatnonzero(micros == MISSING)  # nulls among them
        if len(asked):
            codes, distinct = _distinct(values.take(pa.array(asked)))
            answers = [source.watermark({field: value}) for value in distinct]
            micros[asked] = np.array([MISSING if m is None else _micros(m) for m in answers], np.int64)[codes]
        micros, fixed = np.repeat(micros, lengths), np.repeat(fixed, lengths)
        missing = micros == MISSING
        return np.where(missing, 0, micros), missing, fixed
    parsed = [source.watermark(record(i)) for i in range(table.num_rows)]
    known = np.array([p is not None for p in parsed], dtype=bool)
    micros = np.array([_micros(p) if p is not None else 0 for p in parsed], dtype=np.int64)
    return micros, ~known, None


def column_tokens(key: bytes, kind: str, values: pa.Array | None, rows: int) -> pa.Array:
    """Keyed tokens of a column, computed once per distinct value (people and phones repeat within a batch)."""
    if values is None:
        return pa.array([token(key, kind, None)] * rows, pa.string())
    codes, distinct = _distinct(values)
    tokens = [token(key, kind, v) for v in distinct]
    # Every token is one HMAC's hex digest: with a null's slot as wide, take_strings gathers them as numpy rows.
    width = max((len(t) for t in tokens if t is not None), default=0)
    dense = pa.array([" " * width if t is None else t for t in tokens], pa.string())
    valid = np.array([t is not None for t in tokens], dtype=bool)
    return take_strings(dense if valid.all() else with_validity(dense, valid), codes)


def _distinct(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """(position of each value in ``distinct``, distinct values); null is one of the distinct values, as None."""
    encoded = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
    encoded = encoded.combine_chunks().dictionary_encode()
    distinct = encoded.dictionary.to_pylist() + [None]
    codes = encoded.indices.fill_null(len(distinct) - 1).to_numpy(zero_copy_only=False)
    return codes, distinct
