"""Recovery for Iceberg tables: list a table's snapshots and make an earlier one current again.

Every bronze, quarantine and ledger write is one Iceberg commit tagged with its batch id (``huitong.batch-id``).
A commit that replaces rows (pyiceberg's ``overwrite``) adds two snapshots in that one commit: a DELETE of the old
rows, then an APPEND of the new ones. The DELETE step was never what a reader saw after a commit (the window is
empty there), so it is listed as ``step`` and refused as a rollback target.

Rolling back moves the table's ``main`` branch to an earlier snapshot in one metadata commit: no data file is
rewritten or deleted, and the later snapshots stay in the table's history, so a rollback can itself be undone by
setting the newer snapshot current again (``huitong lake rollback <table> <newer-id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from huitong.config import Settings
from huitong.lake.catalog import NAMESPACES, get_catalog, with_commit_retry

BATCH_PROPERTY = "huitong.batch-id"


class SnapshotError(ValueError):
    """The table or snapshot does not exist or is not a valid target; the message says how to find the right one."""


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: int
    parent_id: int | None
    committed_at: datetime
    operation: str
    batch_id: str | None
    added_records: int
    total_records: int
    current: bool
    step: bool  # the first half of an overwrite commit: never visible after a commit, not a rollback target

    def __str__(self) -> str:
        mark = "*" if self.current else ("-" if self.step else " ")
        return (
            f"{mark} {self.snapshot_id:>20}  {self.committed_at:%Y-%m-%d %H:%M:%S}Z  {self.operation:<9} "
            f"+{self.added_records:<8} total {self.total_records:<9} {self.batch_id or ''}"
        )


def _load(table: str, cfg: Settings | None):
    catalog = get_catalog(cfg)
    if table.count(".") != 1 or table.split(".")[0] not in NAMESPACES or not catalog.table_exists(table):
        known = sorted(f"{ns}.{name}" for ns in NAMESPACES for _, name in catalog.list_tables(ns))
        raise SnapshotError(
            f"no Iceberg table {table!r}; tables are named <namespace>.<table>, one of: {', '.join(known)}"
        )
    return catalog.load_table(table)


def _infos(iceberg) -> list[SnapshotInfo]:
    current = iceberg.current_snapshot()
    current_id = current.snapshot_id if current else None
    snapshots = list(iceberg.metadata.snapshots)
    batch_of = {
        s.snapshot_id: (s.summary.additional_properties.get(BATCH_PROPERTY) if s.summary else None)
        for s in snapshots
    }
    operation = {s.snapshot_id: (s.summary.operation.value if s.summary else "unknown") for s in snapshots}
    # A delete (or file rewrite) followed by an append of the same batch is the first half of that batch's
    # overwrite commit.
    steps = {
        s.parent_snapshot_id
        for s in snapshots
        if batch_of[s.snapshot_id] is not None
        and operation[s.snapshot_id] == "append"
        and batch_of.get(s.parent_snapshot_id) == batch_of[s.snapshot_id]
        and operation.get(s.parent_snapshot_id) in ("delete", "overwrite")
    }
    out = []
    for snap in sorted(snapshots, key=lambda s: (s.sequence_number or 0, s.timestamp_ms)):
        props = snap.summary.additional_properties if snap.summary else {}
        out.append(
            SnapshotInfo(
                snapshot_id=snap.snapshot_id,
                parent_id=snap.parent_snapshot_id,
                committed_at=datetime.fromtimestamp(snap.timestamp_ms / 1000, UTC),
                operation=operation[snap.snapshot_id],
                batch_id=batch_of[snap.snapshot_id],
                added_records=int(props.get("added-records", 0)),
                total_records=int(props.get("total-records", 0)),
                current=snap.snapshot_id == current_id,
                step=snap.snapshot_id in steps,
            )
        )
    return out


def list_snapshots(table: str, cfg: Settings | None = None) -> list[SnapshotInfo]:
    """The table's snapshots, oldest first; ``current`` marks the one readers see."""
    return _infos(_load(table, cfg))


def rollback(table: str, snapshot_id: int, cfg: Settings | None = None) -> SnapshotInfo:
    """Make ``snapshot_id`` the table's current snapshot (one commit). Any complete snapshot in the table's history
    is accepted, older or newer than the current one, so a rollback can be undone the same way."""
    iceberg = _load(table, cfg)
    target = next((s for s in _infos(iceberg) if s.snapshot_id == snapshot_id), None)
    if target is None:
        raise SnapshotError(
            f"{table} has no snapshot {snapshot_id}; list them with `huitong lake snapshots {table}`"
        )
    if target.step:
        raise SnapshotError(
            f"snapshot {snapshot_id} of {table} is the delete step inside batch {target.batch_id}'s overwrite "
            "commit (the window is empty there); pick the snapshot before it (its parent "
            f"{target.parent_id}) or after it"
        )
    if not target.current:

        def commit() -> None:
            fresh = get_catalog(cfg).load_table(table)
            fresh.manage_snapshots().set_current_snapshot(snapshot_id=snapshot_id).commit()

        with_commit_retry(commit)
    return next(s for s in list_snapshots(table, cfg) if s.snapshot_id == snapshot_id)


__all__ = ["SnapshotError", "SnapshotInfo", "list_snapshots", "rollback"]
