"""The two ingestion steps every source DAG runs.

``land_window``: extract one window from the source and write it, unchanged, as an immutable landing batch.
``load_batch``: parse the landed batch, validate it (Great Expectations), replace the window in bronze with the
valid rows and in the quarantine with the rest (each with its reasons and raw payload), and record the reconciled
counts in the ledger: landed = loaded + quarantined, always.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from huitong.config import Settings, settings
from huitong.lake import bronze, ledger
from huitong.lake.landing import LandedBatch, land, load_batch
from huitong.pseudonymise import token
from huitong.sources import get_source
from huitong.sources.base import record_hash

log = logging.getLogger(__name__)

QUARANTINE = "quarantine.quarantined_rows"
QUARANTINE_COLUMNS = ("source", "entity", "rules", "reason", "payload")


def bronze_table(source: str, entity: str) -> str:
    return f"bronze.{source}__{entity}"


def _bronze_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([pa.field(c, pa.string()) for c in columns] + bronze.LINEAGE_FIELDS)


def _quarantine_schema() -> pa.Schema:
    return _bronze_schema(list(QUARANTINE_COLUMNS))


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


def load(batch_id: str, cfg: Settings | None = None) -> LoadResult:
    """Validate a landed batch and load it into bronze and the quarantine. Safe to re-run: it replaces the
    batch's window, so a retry after a crash, or a re-run of the same interval, converges to the same content."""
    cfg = cfg or settings()
    prepared = prepare_load(batch_id, cfg)
    source, start, end = prepared.source, prepared.start, prepared.end
    good, result = prepared.good, prepared.result
    bronze.replace_window(
        bronze_table(source.name, source.entity), good, start, end, batch_id=batch_id, cfg=cfg
    )
    bronze.replace_window(QUARANTINE, prepared.quarantine, start, end,
                          batch_id=batch_id, scope={"source": source.name, "entity": source.entity},
                          partition_by=[bronze.identity_partition("source")], cfg=cfg)  # fmt: skip
    q_count = prepared.quarantine.num_rows
    landed = good.num_rows + q_count
    entry = ledger.LedgerEntry(batch_id=batch_id, source=source.name, entity=source.entity, window_start=start,
                               window_end=end, landed=landed, loaded=good.num_rows, quarantined=q_count,
                               status="loaded", newest_record_at=prepared.newest)  # fmt: skip
    ledger.record(entry, cfg)
    checks = {name: (count, count == 0) for name, count in result.unexpected_counts.items()}
    checks.update({f"batch:{c.name}": (0 if c.success else 1, c.success) for c in result.batch_checks})
    ledger.record_validations(batch_id, source.name, source.entity, checks, cfg)
    outcome = LoadResult(batch_id, landed, good.num_rows, q_count)
    log.info("loaded %s", outcome)
    # Batch-level failures (empty or anomalous volume, stale data) fail the task after the rows are safe.
    result.raise_for_batch_failures()
    return outcome


def prepare_load(batch_id: str, cfg: Settings | None = None, now: datetime | None = None) -> PreparedLoad:
    """Parse, hash, check the window, validate (Great Expectations) and pseudonymise a landed batch: the rows
    `load` writes, without writing them. Pure apart from reading the landed files."""
    cfg = cfg or settings()
    batch = load_batch(batch_id, cfg)
    source = get_source(batch.source, batch.entity)
    key = cfg.hmac_key() if source.pseudonymised else b""  # fails on a missing key before any data is touched
    from huitong.quality import validate_batch  # after the checks: importing Great Expectations takes seconds

    now = now or datetime.now(UTC)
    start, end = batch.window_start.astimezone(UTC), batch.window_end.astimezone(UTC)

    records: list[dict] = []
    lineage: list[dict] = []
    quarantine: list[dict] = []
    seen_hashes: dict[str, str] = {}
    for part in batch.parts:
        parsed = source.parse(part["name"], batch.read_part(part["name"]))
        for offset, payload, reason in parsed.errors:
            quarantine.append(_quarantine_row(source, part["name"], offset, payload, "parse", reason))
        for offset, rec in enumerate(parsed.records):
            digest = record_hash(rec)
            payload = json.dumps(rec, ensure_ascii=False, sort_keys=True)
            if digest in seen_hashes:
                quarantine.append(_quarantine_row(source, part["name"], offset, payload, "duplicate_delivery",
                                                  f"identical to a record already in this batch ({seen_hashes[digest]})"))  # fmt: skip
                continue
            seen_hashes[digest] = f"{part['name']}#{offset}"
            if source.watermark(rec) is None and not source.snapshot:
                quarantine.append(_quarantine_row(source, part["name"], offset, payload, "watermark",
                                                  "the record's incremental key (e.g. updated_at) is missing or unparseable"))  # fmt: skip
                continue
            watermark = (source.watermark(rec) or start).astimezone(UTC)
            if not start <= watermark < end:
                quarantine.append(_quarantine_row(source, part["name"], offset, payload, "window",
                                                  f"incremental key {watermark.isoformat()} is outside the requested window [{start.isoformat()}, {end.isoformat()})"))  # fmt: skip
                continue
            records.append(rec)
            lineage.append({"_source_part": part["name"], "_source_offset": offset, "_record_hash": digest,
                            "_watermark_at": watermark})  # fmt: skip

    columns = list(source.columns) + sorted({k for r in records for k in r} - set(source.columns))
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    frame = frame.astype(object).where(frame.notna(), None)
    result = validate_batch(source=source.name, entity=source.entity, df=frame, batch_id=batch_id,
                            context={"interval_start": start, "interval_end": end})  # fmt: skip
    bad_positions = set(int(i) for i in result.quarantine["row_number"]) if len(result.quarantine) else set()
    for _, row in result.quarantine.iterrows():
        pos = int(row["row_number"])
        rules = row["rules"] if isinstance(row["rules"], str) else ",".join(row["rules"])
        quarantine.append({**_quarantine_row(source, lineage[pos]["_source_part"], lineage[pos]["_source_offset"],
                                             row["payload"], rules, row["reason"]),
                           "_watermark_at": lineage[pos]["_watermark_at"]})  # fmt: skip
    keep = [i for i in range(len(records)) if i not in bad_positions]

    common = {"_batch_id": batch_id, "_ingested_at": now}
    token_columns = [f"{column}_token" for column, _ in source.pseudonymised]
    good_rows = []
    for i in keep:
        row = {c: records[i].get(c) for c in columns}
        for column, kind in source.pseudonymised:
            row[f"{column}_token"] = token(key, kind, records[i].get(column))
        good_rows.append({**row, **lineage[i], **common})
    good = pa.Table.from_pylist(good_rows, schema=_bronze_schema(columns + token_columns))

    q_rows = []
    for row in quarantine:
        row = {**row, **common}
        row.setdefault("_watermark_at", start)
        row["_record_hash"] = record_hash({"payload": row["payload"]})
        q_rows.append(row)
    q_table = pa.Table.from_pylist(q_rows, schema=_quarantine_schema())
    newest = max((lin["_watermark_at"] for lin in lineage), default=None)
    return PreparedLoad(batch_id, source, start, end, good, q_table, result, newest)
