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
    """Expose every Iceberg table to the DuckDB build database as a view pinned to its current snapshot.

    This is what Trino's Iceberg catalog does by itself in production; locally it gives dbt the same
    ``<schema>.<table>`` names to read, and one consistent snapshot for the whole build.
    """
    cfg = cfg or settings()
    path = path or cfg.build_db
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = get_catalog(cfg)
    created = []
    con = connect(path)
    try:
        for namespace in NAMESPACES:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            for _, name in catalog.list_tables(namespace):
                table = catalog.load_table(f"{namespace}.{name}")
                location = table.metadata_location.replace("'", "''")
                con.execute(
                    f"CREATE OR REPLACE VIEW {namespace}.{name} AS SELECT * FROM iceberg_scan('{location}')"
                )
                created.append(f"{namespace}.{name}")
    finally:
        con.close()
    return created
