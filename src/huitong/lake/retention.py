"""Retention: personal records past their retention period leave the lake, old snapshots and their files with them.

A source holds personal records when it pseudonymises identifiers (its ``pseudonymised`` columns: hotel guests,
tenants and landlords, parcel senders and recipients, second-hand sellers). For each such source, rows whose
``_watermark_at`` is older than the cutoff are deleted from its bronze table and from the quarantine (whose
payloads are raw), and the landed batches whose whole window ends before the cutoff are removed from landing.

Deleting rows is not enough under Iceberg: older snapshots still reference the files that held them. So, per table,
snapshots older than ``snapshot_keep_days`` are expired, and after a retention delete every snapshot before the
delete is expired too (time travel must not bring the records back); then the data files no remaining snapshot
references are removed. The marts are rebuilt from bronze by the next transform and the serving layer keeps only
its last few releases (huitong.serving.publish), so the records leave those with no extra step.

The query audit trail (the ``audit`` source) pseudonymises nothing but names users and quotes their queries: it
has its own period, ``audit_retention_days`` (a source's ``retention`` names the setting), applied the same way, and
to the raw log its lines come from (``huitong.audit.trim_audit_log``) and to Superset's query log in its
metadata DB (``huitong.audit.trim_superset_logs``).

Sources without personal records (reference registries, camera devices, aggregate police exports) keep their
history; only their snapshots are expired, as are the ops tables' (the batch ledger and validation results), kept
``ops_snapshot_keep_days``, and those of every other table of the catalog (in production the dbt-built schemas,
whose old snapshots hold what a transform has since replaced or unlinked), kept ``snapshot_keep_days``.

The Spark jobs' local outputs (``Settings.spark_dir``: bronze-shaped backfills, person resolution) copy lake data
outside Iceberg, where no row delete reaches: a dataset last written more than ``spark_output_keep_days`` ago is
removed whole. What must last is loaded into the lake, where the rules above apply.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from pyiceberg.expressions import And, EqualTo, LessThan

from huitong.audit import SupersetTrim, same_database, trim_audit_log, trim_superset_logs
from huitong.config import Settings, settings
from huitong.ingest import QUARANTINE, bronze_table
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import list_batches, load_batch
from huitong.lake.ledger import read_ledger
from huitong.sources import get_source, known_sources

log = logging.getLogger(__name__)


@dataclass
class TableRetention:
    table: str
    personal: bool
    kept_from: datetime | None = None  # a personal source's cutoff: its rows before this are removed
    rows_removed: int = 0
    batches_removed: int = 0
    snapshots_expired: int = 0
    files_removed: int = 0
    label: str | None = None  # what the table is, when not a source's or an ops table
    error: str | None = None  # why the table was skipped

    def __str__(self) -> str:
        kind = self.label or ("personal" if self.personal else "no personal data")
        if self.kept_from is not None:
            kind += f" < {self.kept_from:%Y-%m-%d}"
        return (
            f"{self.table:<40} {kind:<21} rows removed {self.rows_removed:>8}  landed batches removed "
            f"{self.batches_removed:>5}  snapshots expired {self.snapshots_expired:>4}  files removed "
            f"{self.files_removed:>5}" + (f"  SKIPPED: {self.error}" if self.error else "")
        )


@dataclass
class RetentionReport:
    cutoff: datetime
    snapshot_cutoff: datetime
    dry_run: bool
    tables: list[TableRetention] = field(default_factory=list)
    spark_outputs_removed: list[str] = field(default_factory=list)  # datasets, relative to Settings.spark_dir
    audit_log_lines_removed: int = 0
    superset: SupersetTrim = field(default_factory=SupersetTrim)  # Superset's query log removed
    superset_error: str | None = None  # why Superset's query log was not trimmed

    def __str__(self) -> str:
        head = (
            f"retention: personal records before {self.cutoff.isoformat()} removed; snapshots before "
            f"{self.snapshot_cutoff.isoformat()} expired{' (dry run: nothing changed)' if self.dry_run else ''}"
        )
        spark = [f"spark outputs removed: {len(self.spark_outputs_removed)}",
                 *(f"  {path}" for path in self.spark_outputs_removed)]  # fmt: skip
        audit = [
            f"audit log lines removed: {self.audit_log_lines_removed} (before bronze.audit__queries' cutoff)",
            f"superset query log removed: {self.superset.log_rows} logs rows, {self.superset.queries} SQL Lab "
            f"queries (same cutoff)"
            + (f"; then STOPPED: {self.superset_error}" if self.superset_error else ""),
        ]
        return "\n".join([head, *map(str, self.tables), *audit, *spark])

    def unfinished(self) -> list[str]:
        """What this run could not do (the rest it did): a table it skipped, Superset's query log."""
        return [f"{t.table}: {t.error}" for t in self.tables if t.error] + (
            [f"Superset's query log: {self.superset_error}"] if self.superset_error else []
        )


def _older_than(cutoff: datetime):
    return LessThan("_watermark_at", cutoff.isoformat())


def _count(table, row_filter) -> int:
    return table.scan(row_filter=row_filter, selected_fields=("_record_hash",)).to_arrow().num_rows


def _expire_and_clean(table, before: datetime | None, dry_run: bool) -> tuple[int, int]:
    """Expire the snapshots committed before ``before`` (all of them when None), never the current one nor one a
    branch or tag points at (pyiceberg refuses those), then remove the data files no remaining snapshot references.
    Returns (snapshots expired, files removed)."""
    current = table.current_snapshot()
    stamp_ms = int(before.timestamp() * 1000) if before else None
    referenced = {ref.snapshot_id for ref in table.metadata.refs.values()}
    old = [
        s.snapshot_id
        for s in table.snapshots()
        if (stamp_ms is None or s.timestamp_ms < stamp_ms)
        and current is not None
        and s.snapshot_id != current.snapshot_id
        and s.snapshot_id not in referenced
    ]
    if before is None and len(referenced) > 1:
        # A tag or branch an operator made keeps its snapshot, removed records and all, until it is dropped.
        log.warning(
            "retention: %s: snapshots %s are kept by a branch or tag", table.name(), sorted(referenced)
        )
    if dry_run or not old:
        return len(old), 0
    table.maintenance.expire_snapshots().by_ids(old).commit()
    table = table.refresh()
    referenced = {urlparse(p).path for p in table.inspect.all_files().column("file_path").to_pylist()}
    data_dir = urlparse(table.location()).path.rstrip("/") + "/data"
    removed = 0
    root = Path(data_dir)
    if root.exists():  # local warehouse; on S3 use the object store's lifecycle rules (docs/operations.md)
        for path in root.rglob("*.parquet"):
            if str(path) not in referenced:
                path.unlink()
                removed += 1
    return len(old), removed


def stale_spark_outputs(root: Path, before: datetime) -> list[Path]:
    """The datasets under ``root`` (folders holding files: Parquet parts, ``_SUCCESS``, a failed write's
    leftovers) with no file written since ``before`` in them or below them (a folder being written has new files)."""
    datasets: set[Path] = set()
    newest: dict[Path, float] = {}
    for path in root.rglob("*") if root.is_dir() else ():
        # Spark writes folders; a loose file in the root is not its output.
        if path.is_file() and path.parent != root:
            datasets.add(path.parent)
            mtime = path.stat().st_mtime
            for folder in path.parents:
                if folder == root:
                    break
                newest[folder] = max(newest.get(folder, 0.0), mtime)
    stale = {folder for folder in datasets if newest[folder] < before.timestamp()}
    # A stale dataset inside another stale one goes with it.
    return sorted(folder for folder in stale if not stale.intersection(folder.parents))


def remove_spark_outputs(cfg: Settings, before: datetime, dry_run: bool = False) -> list[str]:
    """Remove (unless ``dry_run``) the ``stale_spark_outputs`` of ``cfg.spark_dir``; their paths, relative to it."""
    root = cfg.spark_dir
    removed = []
    for folder in stale_spark_outputs(root, before):
        removed.append(str(folder.relative_to(root)))
        if not dry_run:
            shutil.rmtree(folder)
            # Folders the removal left empty (spark/backfill/bronze) go too; the root stays.
            for parent in folder.parents:
                if parent == root or any(parent.iterdir()):
                    break
                parent.rmdir()
    return removed


def retention_days(source, cfg: Settings) -> int | None:
    """How many days a source's records are kept: the setting its ``retention`` names (the audit trail's), else
    ``retention_days`` when it holds personal records, else None (its history is kept)."""
    setting = getattr(source, "retention", None)
    if setting:
        return getattr(cfg, setting)
    return cfg.retention_days if source.pseudonymised else None


def apply_retention(
    cfg: Settings | None = None, *, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    cfg = cfg or settings()
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=cfg.retention_days)
    snapshot_cutoff = now - timedelta(days=cfg.snapshot_keep_days)
    report = RetentionReport(cutoff=cutoff, snapshot_cutoff=snapshot_cutoff, dry_run=dry_run)
    catalog = get_catalog(cfg)
    quarantine = catalog.load_table(QUARANTINE) if catalog.table_exists(QUARANTINE) else None
    quarantine_deleted = False
    for name in known_sources():
        source = get_source(name)
        identifier = bronze_table(source.name, source.entity)
        days = retention_days(source, cfg)
        kept_from = None if days is None else now - timedelta(days=days)
        entry = TableRetention(identifier, personal=kept_from is not None, kept_from=kept_from)
        report.tables.append(entry)
        if not catalog.table_exists(identifier):
            continue
        table = catalog.load_table(identifier)
        expire_before: datetime | None = snapshot_cutoff
        if kept_from is not None:
            entry.rows_removed = _count(table, _older_than(kept_from))
            if quarantine is not None:
                scope = And(
                    EqualTo("source", source.name), EqualTo("entity", source.entity), _older_than(kept_from)
                )
                entry.rows_removed += _count(quarantine, scope)
                if not dry_run and _count(quarantine, scope):
                    quarantine.delete(
                        scope, snapshot_properties={"huitong.retention-cutoff": kept_from.isoformat()}
                    )
                    quarantine_deleted = True
            if entry.rows_removed and not dry_run:
                table.delete(
                    _older_than(kept_from),
                    snapshot_properties={"huitong.retention-cutoff": kept_from.isoformat()},
                )
                table = table.refresh()
                # Every snapshot before the delete still holds the records: none of them may stay.
                expire_before = None
            for batch_id in list_batches(source.name, source.entity, cfg):
                batch = load_batch(batch_id, cfg)
                if batch.window_end <= kept_from:
                    entry.batches_removed += 1
                    if not dry_run:
                        shutil.rmtree(batch.path)
        entry.snapshots_expired, entry.files_removed = _expire_and_clean(table, expire_before, dry_run)
        log.info("retention %s", entry)
    if quarantine is not None:
        entry = TableRetention(QUARANTINE, personal=True)
        before = None if quarantine_deleted else snapshot_cutoff
        entry.snapshots_expired, entry.files_removed = _expire_and_clean(
            quarantine.refresh(), before, dry_run
        )
        report.tables.append(entry)
    # The ops tables (ledger, validation results) hold no personal records but take a commit per batch, and every
    # commit copies their snapshot history (bench/commit_growth.py): theirs is kept HUITONG_OPS_SNAPSHOT_KEEP_DAYS.
    ops_cutoff = now - timedelta(days=cfg.ops_snapshot_keep_days)
    for _, name in sorted(catalog.list_tables("ops")):
        entry = TableRetention(f"ops.{name}", personal=False)
        table = catalog.load_table(entry.table)
        entry.snapshots_expired, entry.files_removed = _expire_and_clean(table, ops_cutoff, dry_run)
        report.tables.append(entry)
    audit_windows = [
        (row["window_start"], row["window_end"])
        for row in read_ledger(cfg).to_pylist()
        if (row["source"], row["entity"], row["status"]) == ("audit", "queries", "loaded")
    ]
    audit_from = next(t.kept_from for t in report.tables if t.table == bronze_table("audit", "queries"))
    report.audit_log_lines_removed = trim_audit_log(cfg, audit_from, audit_windows, dry_run)
    log.info("retention: %d audit log lines before %s removed", report.audit_log_lines_removed, audit_from)
    report.spark_outputs_removed = remove_spark_outputs(
        cfg, now - timedelta(days=cfg.spark_output_keep_days), dry_run
    )
    for path in report.spark_outputs_removed:
        log.info("retention: spark output %s removed", path)
    _trim_superset(cfg, report, audit_from, audit_windows, dry_run)
    _expire_transform_tables(catalog, report, snapshot_cutoff, dry_run)
    return report


def _expire_transform_tables(catalog, report: RetentionReport, before: datetime, dry_run: bool) -> None:
    """Every other table of the catalog, last. In production the dbt-built schemas live in it too (Trino's Iceberg
    catalog is this JDBC catalog; its schemas are one level, so top-level namespaces are all there is), and their
    old snapshots hold what a transform replaced or unlinked since (the person id map is updated in place,
    er_retire_departed): kept HUITONG_SNAPSHOT_KEEP_DAYS, as bronze's are. Another engine writes them, maybe while
    this runs (a dbt table swapped away, a commit racing the expiry): a table that fails is named in the report
    and the next run tries again."""
    from pyiceberg.exceptions import CommitFailedException, NoSuchTableError

    for namespace in sorted(catalog.list_namespaces()):
        if ".".join(namespace) in ("bronze", "quarantine", "ops"):
            continue
        for identifier in sorted(catalog.list_tables(namespace)):
            entry = TableRetention(".".join(identifier), personal=False, label="built by the transform")
            report.tables.append(entry)
            try:
                table = catalog.load_table(identifier)
                entry.snapshots_expired, entry.files_removed = _expire_and_clean(table, before, dry_run)
            except (NoSuchTableError, CommitFailedException, ValueError) as exc:
                entry.error = f"{type(exc).__name__}: {exc}"
                log.warning("retention: %s skipped: %s", entry.table, entry.error)


def _trim_superset(cfg: Settings, report: RetentionReport, before: datetime, windows, dry_run: bool) -> None:
    """Superset's query log, last: its database is another service's, so a failure there (a read-only login, the
    database down) is logged as an error and put in the report, and the lake's own retention stands."""
    from sqlalchemy.exc import ProgrammingError, SQLAlchemyError

    try:
        if not same_database(cfg.superset_metadata_uri, cfg.superset_retention_uri):
            report.superset_error = (
                "HUITONG_SUPERSET_RETENTION_URI names another database than HUITONG_SUPERSET_METADATA_URI, which "
                "the audit source reads: trimming it could remove rows no load has taken"
            )
        else:
            trim_superset_logs(cfg.superset_retention_uri, before, windows, dry_run, done=report.superset)
    except (SQLAlchemyError, ImportError) as exc:  # ImportError: the URI's database driver is not installed
        report.superset_error = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
        if isinstance(exc, ProgrammingError) and "permission" in str(exc).lower():
            report.superset_error += (
                " (HUITONG_SUPERSET_RETENTION_URI needs a login with SELECT and DELETE on logs and query and "
                "SELECT and UPDATE on tab_state: docs/configuration.md)"
            )
    log.info(
        "retention: Superset's %d logs rows and %d SQL Lab queries before %s removed",
        report.superset.log_rows, report.superset.queries, before,
    )  # fmt: skip
    if report.superset_error:
        log.error("retention: Superset's query log was not trimmed in full: %s", report.superset_error)
