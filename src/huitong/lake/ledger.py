"""The batch ledger (ops.batch_ledger): per batch, rows landed, loaded and quarantined, and the outcome.

Written last, after bronze and quarantine committed: a ledger row means the batch is complete and reconciled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pyarrow as pa
from pyiceberg.expressions import EqualTo

from huitong.config import Settings
from huitong.lake.bronze import TIMESTAMP
from huitong.lake.catalog import get_catalog, with_commit_retry

LEDGER = "ops.batch_ledger"
VALIDATIONS = "ops.validation_results"

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),
        pa.field("window_start", TIMESTAMP, nullable=False),
        pa.field("window_end", TIMESTAMP, nullable=False),
        pa.field("landed", pa.int64(), nullable=False),
        pa.field("loaded", pa.int64(), nullable=False),
        pa.field("quarantined", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("message", pa.string()),
        pa.field("newest_record_at", TIMESTAMP),
        pa.field("finished_at", TIMESTAMP, nullable=False),
    ]
)

VALIDATION_SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),
        pa.field("check_name", pa.string(), nullable=False),
        pa.field("unexpected_count", pa.int64()),
        pa.field("success", pa.bool_()),
        pa.field("validated_at", TIMESTAMP, nullable=False),
    ]
)


class ReconciliationError(RuntimeError):
    pass


@dataclass
class LedgerEntry:
    batch_id: str
    source: str
    entity: str
    window_start: datetime
    window_end: datetime
    landed: int
    loaded: int
    quarantined: int
    status: str
    message: str | None = None
    newest_record_at: datetime | None = None
    finished_at: datetime | None = None

    def check(self) -> None:
        if self.landed != self.loaded + self.quarantined:
            raise ReconciliationError(
                f"batch {self.batch_id} does not reconcile: landed {self.landed} != loaded {self.loaded} + "
                f"quarantined {self.quarantined}. Nothing was recorded as complete; inspect the landing folder."
            )


def _create(identifier: str, schema: pa.Schema, cfg: Settings | None) -> None:
    catalog = get_catalog(cfg)
    if not catalog.table_exists(identifier):
        try:
            catalog.create_table(identifier, schema=schema)
        except Exception:  # another writer created it first
            if not catalog.table_exists(identifier):
                raise


def ensure_tables(cfg: Settings | None = None) -> None:
    _create(LEDGER, LEDGER_SCHEMA, cfg)
    _create(VALIDATIONS, VALIDATION_SCHEMA, cfg)


def _replace(
    identifier: str, schema: pa.Schema, rows: list[dict], batch_id: str, cfg: Settings | None
) -> None:
    _create(identifier, schema, cfg)
    data = pa.Table.from_pylist(rows, schema=schema)

    def commit() -> None:
        table = get_catalog(cfg).load_table(identifier)
        table.overwrite(
            data,
            overwrite_filter=EqualTo("batch_id", batch_id),
            snapshot_properties={"huitong.batch-id": batch_id},  # names the batch in `huitong lake snapshots`
        )

    with_commit_retry(commit)


def record(entry: LedgerEntry, cfg: Settings | None = None) -> None:
    entry.check()
    entry.finished_at = entry.finished_at or datetime.now(UTC)
    _replace(LEDGER, LEDGER_SCHEMA, [asdict(entry)], entry.batch_id, cfg)


def record_validations(
    batch_id: str, source: str, entity: str, checks: dict[str, tuple[int, bool]], cfg=None
):
    now = datetime.now(UTC)
    rows = [
        {"batch_id": batch_id, "source": source, "entity": entity, "check_name": name,
         "unexpected_count": count, "success": ok, "validated_at": now}
        for name, (count, ok) in sorted(checks.items())
    ]  # fmt: skip
    _replace(VALIDATIONS, VALIDATION_SCHEMA, rows, batch_id, cfg)


def read_ledger(cfg: Settings | None = None) -> pa.Table:
    catalog = get_catalog(cfg)
    if not catalog.table_exists(LEDGER):
        return LEDGER_SCHEMA.empty_table()
    return catalog.load_table(LEDGER).scan().to_arrow()
