"""Bronze Iceberg tables: source fields as received (strings), plus lineage columns.

Writes replace a window of the source's incremental key (``_watermark_at``) in one Iceberg commit: re-running an
interval yields the same bronze content, and readers see the old window or the new one, never half of either.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual, LessThan
from pyiceberg.table import Table
from pyiceberg.transforms import IdentityTransform, MonthTransform

from huitong.config import Settings
from huitong.lake.catalog import get_catalog, with_commit_retry

TIMESTAMP = pa.timestamp("us", tz="UTC")

# Lineage carried by every bronze and quarantine row.
LINEAGE_FIELDS = [
    pa.field("_batch_id", pa.string(), nullable=False),
    pa.field("_source_part", pa.string()),  # the landed file or API page the row came from
    pa.field("_source_offset", pa.int64()),  # the row's position inside that part
    pa.field("_ingested_at", TIMESTAMP),
    pa.field("_record_hash", pa.string()),  # sha256 of the raw record as received
    pa.field("_watermark_at", TIMESTAMP),  # the source's incremental key, which windows are cut on
]
LINEAGE_NAMES = [f.name for f in LINEAGE_FIELDS]


DEFAULT_PARTITIONING = [("_watermark_at", MonthTransform())]


def _window_filter(start: datetime, end: datetime, extra: dict[str, str] | None = None):
    expr = And(
        GreaterThanOrEqual("_watermark_at", start.isoformat()),
        LessThan("_watermark_at", end.isoformat()),
    )
    for column, value in (extra or {}).items():
        expr = And(expr, EqualTo(column, value))
    return expr


def ensure_table(
    identifier: str, schema: pa.Schema, partition_by: list[tuple[str, object]], cfg=None
) -> Table:
    """The table, created (empty) if absent, with any new columns of ``schema`` added."""
    catalog = get_catalog(cfg)
    if catalog.table_exists(identifier):
        table = catalog.load_table(identifier)
        known = set(table.schema().column_names)
        if any(name not in known for name in schema.names):
            # A source that starts sending a new field: keep it (bronze loses nothing), evolve the schema.
            with table.update_schema() as update:
                update.union_by_name(schema)
            table = catalog.load_table(identifier)
        return table
    table = catalog.create_table(identifier, schema=schema)
    with table.update_spec() as spec:
        for column, transform in partition_by:
            spec.add_field(column, transform, f"{column.strip('_')}_{type(transform).__name__[:-9].lower()}")
    return catalog.load_table(identifier)


def replace_window(
    identifier: str,
    rows: pa.Table,
    start: datetime,
    end: datetime,
    *,
    batch_id: str,
    scope: dict[str, str] | None = None,
    partition_by: list[tuple[str, object]] | None = None,
    cfg: Settings | None = None,
) -> int:
    """Replace the rows of ``identifier`` whose ``_watermark_at`` falls in [start, end) (and match ``scope``,
    for shared tables such as the quarantine) with ``rows``, in one commit. Returns the number of rows written."""
    partition_by = partition_by if partition_by is not None else DEFAULT_PARTITIONING
    ensure_table(identifier, rows.schema, partition_by, cfg)
    outside = rows.filter(
        pa.compute.or_(
            pa.compute.less(rows["_watermark_at"], pa.scalar(start, TIMESTAMP)),
            pa.compute.greater_equal(rows["_watermark_at"], pa.scalar(end, TIMESTAMP)),
        )
    )
    if outside.num_rows:
        raise ValueError(
            f"{outside.num_rows} rows of batch {batch_id} fall outside the window [{start}, {end})"
        )

    def commit() -> None:
        current = get_catalog(cfg).load_table(identifier)
        aligned = rows.select([n for n in rows.schema.names]).cast(_arrow_schema_for(current, rows.schema))
        current.overwrite(
            aligned,
            overwrite_filter=_window_filter(start, end, scope),
            snapshot_properties={"huitong.batch-id": batch_id},
        )

    with_commit_retry(commit)
    return rows.num_rows


def _arrow_schema_for(table: Table, incoming: pa.Schema) -> pa.Schema:
    """The incoming columns, typed as the table has them (nullability included)."""
    target = table.schema().as_arrow()
    return pa.schema([target.field(name) for name in incoming.names])


def identity_partition(column: str) -> tuple[str, object]:
    return (column, IdentityTransform())


def empty_like(columns: list[str]) -> pa.Table:
    """An empty batch of string source columns plus lineage, so an empty window still clears what it replaces."""
    schema = pa.schema([pa.field(c, pa.string()) for c in columns] + LINEAGE_FIELDS)
    return schema.empty_table()


__all__ = [
    "LINEAGE_FIELDS",
    "LINEAGE_NAMES",
    "TIMESTAMP",
    "replace_window",
    "identity_partition",
    "empty_like",
]
