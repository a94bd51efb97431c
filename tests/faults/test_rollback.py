"""Recovery: a bad load is undone by rolling the Iceberg table back to its previous snapshot with one documented
command (`huitong lake rollback <table> <snapshot-id>`), found with `huitong lake snapshots <table>`."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huitong.ingest import QUARANTINE, land_window
from huitong.lake.maintenance import SnapshotError, list_snapshots, rollback
from huitong.simulate.hotel_api import running_server
from tests.faults.conftest import TOKEN, WEEKS, hotel_sent, lake_counts, load_rows, report

pytestmark = pytest.mark.slow
TABLE = "bronze.hotel__registrations"


def test_a_bad_load_is_rolled_back_with_one_command(lake, tmp_path):
    store = lake.hotel_store
    # The hotel system later re-sends week 1 with every guest's district blanked (a bug on their side).
    full = pq.read_table(store)
    broken = tmp_path / "broken.parquet"
    pq.write_table(full.set_column(full.schema.get_field_index("district_code"), "district_code",
                                   pa.array([None] * full.num_rows, pa.string())), broken)  # fmt: skip
    with running_server(store_path=store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        good_batch = land_window("hotel", *WEEKS[0], replace(lake.cfg, hotel_api_url=url))
    load_rows(good_batch.batch_id, lake.cfg)
    good = lake.table(TABLE).sort_by("_record_hash").drop_columns(["_ingested_at"])
    with running_server(store_path=broken, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        bad_batch = land_window("hotel", *WEEKS[0], replace(lake.cfg, hotel_api_url=url))
    load_rows(bad_batch.batch_id, lake.cfg)
    assert not lake.table(TABLE).sort_by("_record_hash").drop_columns(["_ingested_at"]).equals(good)

    listing = lake.huitong("lake", "snapshots", TABLE).stdout
    snapshots = list_snapshots(TABLE, lake.cfg)
    target = next(s for s in reversed(snapshots) if s.batch_id == good_batch.batch_id and not s.step)
    marks = {line[2:22].strip(): line[0] for line in listing.splitlines()[1:]}  # snapshot id -> "*", "-", " "
    assert marks[str(snapshots[-1].snapshot_id)] == "*" and marks[str(target.snapshot_id)] == " "

    # The delete step inside the bad batch's overwrite is refused: the window is empty there.
    step = next(s for s in snapshots if s.step and s.batch_id == bad_batch.batch_id)
    with pytest.raises(SnapshotError, match="delete step"):
        rollback(TABLE, step.snapshot_id, lake.cfg)

    out = lake.huitong("lake", "rollback", TABLE, str(target.snapshot_id))
    assert str(target.snapshot_id) in out.stdout
    restored = lake.table(TABLE).sort_by("_record_hash").drop_columns(["_ingested_at"])
    assert restored.equals(good)

    with pytest.raises(SnapshotError, match="huitong lake snapshots bronze.hotel__registrations"):
        rollback(TABLE, 12345, lake.cfg)

    # The quarantine is rolled back the same way, to the snapshot the good batch wrote.
    quarantine_target = next(
        s
        for s in reversed(list_snapshots(QUARANTINE, lake.cfg))
        if s.batch_id == good_batch.batch_id and not s.step
    )
    rollback(QUARANTINE, quarantine_target.snapshot_id, lake.cfg)
    sent = len(hotel_sent(store, *WEEKS[0]))
    assert lake_counts(lake, "hotel", "registrations") == lake_counts(
        lake, "hotel", "registrations", {good_batch.batch_id}
    )
    assert report("rollback_bad_load", sent, *lake_counts(lake, "hotel", "registrations")) == 0
