"""A load process SIGKILLed while it writes the lake leaves no partial batch visible; the retry completes it once.

The load runs in a forked child process (GX is imported once, by the parent: a fresh `huitong ingest load`
costs ~15 s of imports on a busy 2-core machine). The child parks at a kill point and the test SIGKILLs it:

- ``bronze-commit``: inside the bronze commit, after the data files are written, before the catalog pointer moves;
- ``after-bronze``: bronze committed, the quarantine and the ledger not yet written;
- ``after-quarantine``: bronze and quarantine committed, the ledger (the batch's completion record) not yet.

After each kill the lake as readers see it (`huitong lake sync-views`, what dbt and Superset read) shows the
window as it was before; the ledger records nothing; a retry of the same batch loads every row exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from huitong.ingest import ensure_tables, land_window, load
from huitong.lake.duck import connect, sync_lake_views
from huitong.lake.ledger import read_ledger
from huitong.simulate.hotel_api import running_server
from tests.faults.conftest import (
    TOKEN,
    WEEKS,
    Lake,
    hotel_sent,
    lake_counts,
    load_rows,
    report,
    sigkill_pid,
    wait_for_file,
)

POINTS = ("bronze-commit", "after-bronze", "after-quarantine")


def _child(point: str, batch_id: str, marker: str) -> None:
    """The load, parked forever at ``point`` (runs in the forked process)."""
    from pyiceberg.catalog.sql import SqlCatalog

    from huitong.ingest import QUARANTINE
    from huitong.lake import bronze, catalog

    catalog._catalog.cache_clear()  # its own database connections, not the parent's

    def park() -> None:
        Path(marker).touch()
        time.sleep(3600)

    if point == "bronze-commit":
        real_commit = SqlCatalog.commit_table

        def commit_table(self, table, requirements, updates):
            if table.name()[-1] == "hotel__registrations" and any(
                type(u).__name__ == "AddSnapshotUpdate" for u in updates
            ):
                park()  # the new data and manifest files are written; the table still points at the old ones
            return real_commit(self, table, requirements, updates)

        SqlCatalog.commit_table = commit_table
    else:
        real_replace = bronze.replace_window
        parked_after = "bronze.hotel__registrations" if point == "after-bronze" else QUARANTINE

        def replace_window(identifier, *args, **kwargs):
            written = real_replace(identifier, *args, **kwargs)
            if identifier == parked_after:
                park()
            return written

        bronze.replace_window = replace_window
    load(batch_id)
    os._exit(0)


def visible_rows(lake: Lake) -> dict[str, int]:
    """What a reader of the build is shown: rows per bronze/quarantine view for the hotel source."""
    ensure_tables(lake.cfg)  # what `huitong lake sync-views` does first
    sync_lake_views(lake.cfg)
    with connect(lake.cfg.build_db, read_only=True) as con:
        return {
            "bronze": con.execute("select count(*) from bronze.hotel__registrations").fetchone()[0],
            "quarantine": con.execute(
                "select count(*) from quarantine.quarantined_rows where source = 'hotel'"
            ).fetchone()[0],
        }


@pytest.mark.slow
def test_a_killed_load_shows_nothing_half_done_and_the_retry_completes_once(lake: Lake):
    with running_server(store_path=lake.hotel_store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        os.environ["HUITONG_HOTEL_API_URL"] = url  # restored by the lake fixture's monkeypatch teardown
        batches = [land_window("hotel", *week) for week in WEEKS]
    import huitong.quality  # noqa: F401 - Great Expectations imported once, before forking, not in each child

    fork = multiprocessing.get_context("fork")
    for point, week, batch in zip(POINTS, WEEKS, batches, strict=True):
        sent = hotel_sent(lake.hotel_store, *week)
        before = visible_rows(lake)
        marker = lake.home / f"parked-{point}"
        child = fork.Process(target=_child, args=(point, batch.batch_id, str(marker)), daemon=True)
        child.start()
        wait_for_file(marker, child.is_alive, timeout=120)
        sigkill_pid(child.pid)
        child.join(timeout=30)
        assert child.exitcode == -9, f"{point}: the load was not killed (exit {child.exitcode})"
        # Nothing of the killed batch is shown, and the ledger does not call it complete.
        assert visible_rows(lake) == before, point
        assert batch.batch_id not in read_ledger(lake.cfg)["batch_id"].to_pylist(), point
        # The retry (what Airflow does) completes it.
        load_rows(batch.batch_id, lake.cfg)
        loaded, quarantined = lake_counts(lake, "hotel", "registrations", {batch.batch_id})
        shown = visible_rows(lake)
        assert shown == {
            "bronze": before["bronze"] + loaded,
            "quarantine": before["quarantine"] + quarantined,
        }
        bronze = lake.table("bronze.hotel__registrations")
        assert len(set(bronze["_record_hash"].to_pylist())) == bronze.num_rows  # every row exactly once
        ledger = [r for r in read_ledger(lake.cfg).to_pylist() if r["batch_id"] == batch.batch_id]
        assert len(ledger) == 1 and ledger[0]["landed"] == len(sent) > 0
        lost = report(f"kill_load_{point}", len(sent), loaded, quarantined)
        assert lost == 0


def test_views_hide_an_unfinished_batch_even_when_older_snapshots_were_expired(lake: Lake):
    """A killed load's snapshot whose parents retention has expired: nothing to pin to, so the view shows the
    current snapshot without the unfinished batch's rows (not an empty table, not the half-done batch)."""
    import pyarrow as pa

    from huitong.lake import bronze, ledger
    from huitong.lake.catalog import get_catalog
    from tests.faults.conftest import WEEKS

    table = "bronze.test__things"
    schema = pa.schema([pa.field("thing", pa.string())] + bronze.LINEAGE_FIELDS)
    bronze.ensure_table(table, schema, bronze.DEFAULT_PARTITIONING, lake.cfg)
    ledger.ensure_tables(lake.cfg)
    for batch, (start, end), n, done in (("a", WEEKS[0], 5, True), ("b", WEEKS[1], 3, False)):
        rows = pa.Table.from_pylist(
            [{"thing": f"{batch}{i}", "_batch_id": batch, "_watermark_at": start} for i in range(n)],
            schema=schema,
        )
        bronze.replace_window(table, rows, start, end, batch_id=batch, cfg=lake.cfg)
        if done:  # batch b's load "died" before its ledger row
            ledger.record(
                ledger.LedgerEntry(batch, "test", "things", start, end, n, n, 0, "loaded"), lake.cfg
            )
    iceberg = get_catalog(lake.cfg).load_table(table)
    current = iceberg.current_snapshot().snapshot_id
    older = [s.snapshot_id for s in iceberg.snapshots() if s.snapshot_id != current]
    iceberg.maintenance.expire_snapshots().by_ids(older).commit()

    sync_lake_views(lake.cfg)
    with connect(lake.cfg.build_db, read_only=True) as con:
        shown = sorted(r[0] for r in con.execute(f"select thing from {table}").fetchall())
    assert shown == [f"a{i}" for i in range(5)]
