"""Compaction: the small data files of a partition rewritten as one file, so commits stay fast as batches accumulate.

Every batch commits a file or two to its bronze table, to the quarantine and to the ops tables. pyiceberg reads every
manifest of a table that may hold rows a commit replaces (all of them for the unpartitioned ops tables, a month's
for bronze), so a commit slows down with every batch before it (bench/commit_growth.py). Expiring snapshots does not
bound that: the current snapshot still lists every live file. Compaction does (what Trino's ``ALTER TABLE ...
EXECUTE optimize`` and Spark's ``rewrite_data_files`` do in production): per partition holding at least
``min_files`` files smaller than ``SMALL_FILE_BYTES``, their rows are read and written again as one file (or a few,
at the table's target size), and the old files are swapped for the new in one commit. No row changes: the commit
replaces files, not rows, and a reader sees the old files or the new, never both. The old files stay on disk until
their snapshots expire (``huitong lake retention``). A bronze or quarantine table whose last commit is a batch the
ledger lacks is left alone (see ``_unfinished_batch``).
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan, _dataframe_to_data_files

from huitong.config import Settings, settings
from huitong.lake.catalog import NAMESPACES, get_catalog, with_commit_retry
from huitong.lake.duck import GATED_NAMESPACES, complete_batches
from huitong.lake.maintenance import BATCH_PROPERTY

log = logging.getLogger(__name__)

# A file below this size is small: a batch's own file, not yet compacted (bronze files of a large batch are larger).
SMALL_FILE_BYTES = 32 << 20
# The most small-file bytes rewritten as one group (~10x that in memory as Arrow): a partition with more is rewritten
# in several groups, each as its own file(s).
GROUP_BYTES = 64 << 20
COMPACTION_PROPERTY = "huitong.compaction"


@dataclass
class TableCompaction:
    table: str
    skipped: str = ""  # why the table was left alone
    partitions: int = 0  # partitions whose small files were rewritten (in one or more groups)
    files_before: int = 0  # their small files
    files_after: int = 0  # the files that replaced them
    rows: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.table:<40} skipped: {self.skipped}"
        if not self.partitions:
            return f"{self.table:<40} nothing to compact"
        verb = "would rewrite" if self.dry_run else "rewrote"
        return (
            f"{self.table:<40} {verb} {self.files_before:>5} small files in {self.partitions:>3} partition(s) as "
            f"{self.files_after:>3} ({self.rows:,} rows)"
        )


def compact_table(
    identifier: str, cfg: Settings | None = None, *, min_files: int | None = None, dry_run: bool = False
) -> TableCompaction:
    """Rewrite the small files of each partition of ``identifier`` that holds at least ``min_files`` of them
    (default: HUITONG_COMPACT_MIN_FILES; fewer are left alone, as rewriting them would cost more than it saves)."""
    return compact_lake(cfg, tables=[identifier], min_files=min_files, dry_run=dry_run)[0]


def compact_lake(
    cfg: Settings | None = None,
    *,
    tables: list[str] | None = None,
    min_files: int | None = None,
    dry_run: bool = False,
) -> list[TableCompaction]:
    """``compact_table`` for each of ``tables`` (default: every table Huitong writes: bronze, quarantine, ops). The
    ledger's batch ids, which decide whether a bronze or quarantine table's last batch finished, are read once for
    the run: a batch that finishes meanwhile only makes its table wait for the next run."""
    cfg = cfg or settings()
    min_files = cfg.compact_min_files if min_files is None else min_files
    if min_files < 2:
        raise ValueError(f"min_files must be at least 2 (one file is already compact), got {min_files}")
    catalog = get_catalog(cfg)
    if tables is None:
        tables = sorted(f"{ns}.{name}" for ns in NAMESPACES for _, name in catalog.list_tables(ns))
    ledger = functools.cache(lambda: complete_batches(catalog))
    return [_compact(identifier, cfg, min_files, dry_run, ledger) for identifier in tables]


def _compact(
    identifier: str, cfg: Settings, min_files: int, dry_run: bool, ledger: Callable[[], set[str] | None]
) -> TableCompaction:
    """One table's compaction; ``ledger()``: the batch ids with a ledger row (huitong.lake.duck.complete_batches)."""

    def attempt() -> TableCompaction:
        table = get_catalog(cfg).load_table(identifier)
        outcome = TableCompaction(identifier, dry_run=dry_run)
        if table.current_snapshot() is None:
            return outcome
        unfinished = _unfinished_batch(identifier, table, ledger)
        if unfinished:
            # Readers see such a table as of its snapshot before that batch (huitong.lake.duck): a window whose
            # reload was killed keeps its previous content until the batch is re-run. A compaction on top would
            # become the snapshot they see, without that content.
            outcome.skipped = (
                f"its last commit is batch {unfinished}, which the ledger lacks: re-run that load first"
            )
            return outcome
        groups = defaultdict(list)
        for task in table.scan().plan_files():
            data_file = task.file
            if data_file.file_size_in_bytes < SMALL_FILE_BYTES and not task.delete_files:
                partition = tuple(data_file.partition[i] for i in range(len(data_file.partition)))
                groups[(data_file.spec_id, partition)].append(task)
        chosen = [
            (key, group) for key, tasks in groups.items() for group in _bins(tasks) if len(group) >= min_files
        ]
        outcome.partitions = len({key for key, _ in chosen})
        outcome.files_before = sum(len(tasks) for _, tasks in chosen)
        outcome.rows = sum(task.file.record_count for _, tasks in chosen for task in tasks)
        if dry_run or not chosen:
            return outcome
        with table.transaction() as txn:
            metadata = txn.table_metadata
            properties = {COMPACTION_PROPERTY: f"{outcome.files_before} small files"}
            numbers = itertools.count()  # one file numbering for the commit: its file names stay distinct
            with txn.update_snapshot(snapshot_properties=properties).overwrite() as rewrite:
                for _, tasks in chosen:
                    # The rows of one partition, read as the table's current schema (older files may lack columns
                    # added since), written as pyiceberg writes an append: into that partition, at the target size.
                    rows = ArrowScan(metadata, table.io, metadata.schema(), AlwaysTrue()).to_table(tasks)
                    written = list(
                        _dataframe_to_data_files(metadata, rows, table.io, rewrite.commit_uuid, numbers)
                    )
                    outcome.files_after += len(written)
                    for data_file in written:
                        rewrite.append_data_file(data_file)
                    for task in tasks:
                        rewrite.delete_data_file(task.file)
        return outcome

    outcome = with_commit_retry(attempt)
    log.info("compaction %s", outcome)
    return outcome


def _unfinished_batch(identifier: str, table, ledger: Callable[[], set[str] | None]) -> str | None:
    """The batch of a bronze or quarantine table's current snapshot, when the ledger lacks it (its load stopped
    before the ledger commit)."""
    if identifier.split(".")[0] not in GATED_NAMESPACES:
        return None
    summary = table.current_snapshot().summary
    batch = summary.additional_properties.get(BATCH_PROPERTY) if summary else None
    complete = ledger() if batch else None
    return batch if complete is not None and batch not in complete else None


def _bins(tasks: list) -> list[list]:
    """A partition's small files in groups of at most GROUP_BYTES on disk, so a rewrite holds one group in memory
    at a time (the first compaction of a lake that never had one may find a year of hourly files)."""
    bins: list[list] = [[]]
    size = 0
    for task in sorted(tasks, key=lambda t: t.file.file_path):
        if bins[-1] and size + task.file.file_size_in_bytes > GROUP_BYTES:
            bins.append([])
            size = 0
        bins[-1].append(task)
        size += task.file.file_size_in_bytes
    return bins
