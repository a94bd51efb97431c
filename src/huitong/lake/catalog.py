"""Access to the Iceberg catalog: SQLite locally, the Postgres JDBC catalog in production (same tables Trino reads)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, ValidationException

from huitong.config import Settings, settings

# The Iceberg namespaces Huitong writes. dbt's schemas (staging, intermediate, marts) live in the query engine.
NAMESPACES = ("bronze", "quarantine", "ops")

T = TypeVar("T")


@cache
def _catalog(name: str, uri: str, warehouse: str) -> SqlCatalog:
    if uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if warehouse.startswith("file://"):
        from pathlib import Path
        from urllib.parse import urlparse

        Path(urlparse(warehouse).path).mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog(name, uri=uri, warehouse=warehouse)
    for namespace in NAMESPACES:
        with contextlib.suppress(NamespaceAlreadyExistsError):
            catalog.create_namespace(namespace)
    return catalog


def get_catalog(cfg: Settings | None = None) -> SqlCatalog:
    cfg = cfg or settings()
    return _catalog(cfg.catalog_name, cfg.catalog_uri, cfg.warehouse)


def with_commit_retry(operation: Callable[[], T], attempts: int = 8) -> T:
    """Run an Iceberg write, retrying when another writer committed first.

    Iceberg commits are optimistic: two DAGs writing the shared quarantine or ledger table at the same moment make
    one of them fail with CommitFailedException. pyiceberg (0.12) first retries such a commit itself and checks the
    other writer added no file its overwrite filter could match; that check reads the files' column bounds, which
    Iceberg cuts to 16 characters, and every batch id of a source shares a longer prefix, so another batch's rows
    fail it with a ValidationException (a CI run's backfill loaded three days at once and one load failed so).
    Either way nothing was committed, and the whole operation is run again: it must reload the table itself.
    """
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except (CommitFailedException, ValidationException):
            if attempt == attempts:
                raise
            time.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")
