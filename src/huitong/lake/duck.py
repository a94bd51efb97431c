"""DuckDB connections with the Iceberg extension loaded from the PyPI wheels (DuckDB's own server is unreachable)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from huitong.config import Settings, settings
from huitong.lake.catalog import NAMESPACES, get_catalog

# Order matters: the iceberg extension needs avro loaded first.
EXTENSIONS = ("avro", "iceberg")


def install_extensions(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb_extensions import import_extension

    for name in EXTENSIONS:
        import_extension(name, con=con)  # INSTALL from the wheel's file: a no-op once installed
        con.execute(f"LOAD {name}")


def connect(path: Path | str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    config = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    install_extensions(con)
    return con


def sync_lake_views(cfg: Settings | None = None, path: Path | None = None) -> list[str]:
    """Expose every Iceberg table to the DuckDB build database as a view pinned to its current snapshot (bronze and
    quarantine: to their newest snapshot written by a batch the ledger records, without unfinished batches' rows).

    This is what Trino's Iceberg catalog does by itself in production; locally it gives dbt the same
    ``<schema>.<table>`` names to read, and one consistent snapshot for the whole build.
    """
    cfg = cfg or settings()
    path = path or cfg.build_db
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = get_catalog(cfg)
    complete = complete_batches(catalog)
    created = []
    con = connect(path)
    try:
        for namespace in NAMESPACES:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            for _, name in catalog.list_tables(namespace):
                table = catalog.load_table(f"{namespace}.{name}")
                location = table.metadata_location.replace("'", "''")
                query = f"SELECT * FROM iceberg_scan('{location}')"
                if complete is not None and namespace in GATED_NAMESPACES:
                    query = _complete_only(table, location, complete)
                con.execute(f"CREATE OR REPLACE VIEW {namespace}.{name} AS {query}")
                created.append(f"{namespace}.{name}")
    finally:
        con.close()
    return created


# Batches write bronze, then the quarantine, then the ledger: three commits. A load killed between them leaves
# bronze (or the quarantine) holding a batch the ledger does not know. Readers are shown complete batches only.
GATED_NAMESPACES = ("bronze", "quarantine")


def complete_batches(catalog) -> set[str] | None:
    """Batch ids with a ledger row (written last, so the batch reconciled), or None when the lake keeps no ledger
    (nothing to gate on)."""
    from huitong.lake.ledger import LEDGER

    if not catalog.table_exists(LEDGER):
        return None
    ledger = catalog.load_table(LEDGER).scan(selected_fields=("batch_id",)).to_arrow()
    return set(ledger["batch_id"].to_pylist())


def _complete_only(table, location: str, complete: set[str]) -> str:
    """A query over ``table`` as of its newest snapshot written by a complete batch (so a window whose reload was
    killed keeps its previous content), without rows of batches that never completed (a later writer's snapshot
    may carry them)."""
    from huitong.lake.maintenance import BATCH_PROPERTY

    def batch_of(snap) -> str | None:
        return snap.summary.additional_properties.get(BATCH_PROPERTY) if snap and snap.summary else None

    by_id = {s.snapshot_id: s for s in table.metadata.snapshots}
    snapshot, child = table.current_snapshot(), None
    while snapshot is not None:
        batch = batch_of(snapshot)
        # the delete half of an overwrite commit (its child appends the same batch) was never a committed state
        step = child is not None and batch is not None and batch_of(child) == batch
        if (batch is None or batch in complete) and not step:
            break
        snapshot, child = by_id.get(snapshot.parent_snapshot_id), snapshot
    if table.current_snapshot() is None:
        return f"SELECT * FROM iceberg_scan('{location}')"
    ids = ", ".join("'" + b.replace("'", "''") + "'" for b in sorted(complete)) or "NULL"
    # No complete snapshot left to pin (e.g. expired by retention): the current one, complete batches only.
    pinned = f", snapshot_from_id={snapshot.snapshot_id}" if snapshot is not None else ""
    return f"SELECT * FROM iceberg_scan('{location}'{pinned}) WHERE _batch_id IN ({ids})"
