from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from huitong.config import settings
from huitong.lake import bronze, ledger
from huitong.lake.catalog import get_catalog
from huitong.lake.duck import connect, sync_lake_views
from huitong.lake.landing import LandingError, RawPart, land, list_batches, load_batch

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def rows(n: int, start: datetime, batch: str) -> pa.Table:
    data = [
        {"reg_id": f"{batch}-{i}", "_batch_id": batch, "_source_part": "p", "_source_offset": i,
         "_ingested_at": T0, "_record_hash": str(i), "_watermark_at": start + timedelta(minutes=i)}
        for i in range(n)
    ]  # fmt: skip
    return pa.Table.from_pylist(
        data, schema=pa.schema([pa.field("reg_id", pa.string())] + bronze.LINEAGE_FIELDS)
    )


def test_landing_is_content_addressed_and_immutable(huitong_home):
    parts = [RawPart("page-00001.json", b'{"data": []}', "http://x")]
    first = land("hotel", "registrations", T0, T0 + DAY, parts)
    again = land("hotel", "registrations", T0, T0 + DAY, parts)
    assert first.batch_id == again.batch_id
    assert list_batches("hotel", "registrations") == [first.batch_id]
    changed = land(
        "hotel", "registrations", T0, T0 + DAY, [RawPart("page-00001.json", b'{"data": [1]}', "x")]
    )
    assert changed.batch_id != first.batch_id
    landed_file = first.path / "parts" / "page-00001.json"
    assert landed_file.read_bytes() == b'{"data": []}'
    assert not landed_file.stat().st_mode & 0o222  # read-only on disk
    assert load_batch(first.batch_id).parts[0]["sha256"]


def test_landing_refuses_path_tricks_and_unknown_batches(huitong_home):
    with pytest.raises(LandingError):
        land("hotel", "registrations", T0, T0 + DAY, [RawPart("../escape", b"", "x")])
    with pytest.raises(LandingError, match="not in landing"):
        load_batch("hotel.registrations.nope.000")


def test_replacing_a_window_is_idempotent_and_leaves_other_windows(huitong_home):
    table = "bronze.test__things"
    bronze.replace_window(table, rows(10, T0, "a"), T0, T0 + DAY, batch_id="a")
    bronze.replace_window(table, rows(4, T0 + DAY, "b"), T0 + DAY, T0 + 2 * DAY, batch_id="b")
    for _ in range(2):  # the same interval again, twice: no duplicates
        bronze.replace_window(table, rows(7, T0, "c"), T0, T0 + DAY, batch_id="c")
    content = get_catalog().load_table(table).scan().to_arrow()
    counts = {b: content["_batch_id"].to_pylist().count(b) for b in set(content["_batch_id"].to_pylist())}
    assert counts == {"b": 4, "c": 7}


def test_a_window_is_written_as_pyiceberg_overwrite_writes_it(huitong_home):
    """Rows of one partition are written by bronze itself (no pyiceberg split): the same content, data files per
    partition and snapshot summaries as Table.overwrite gives; rows over two months take pyiceberg's path."""
    writes = [
        (rows(6, T0, "a"), T0, T0 + DAY),
        (rows(3, T0, "b"), T0, T0 + DAY),  # replaces a
        (rows(5, datetime(2026, 3, 31, 23, 58, tzinfo=UTC), "c"), T0 + DAY, T0 + 40 * DAY),  # March and April
    ]
    ours, theirs = "bronze.test__ours", "bronze.test__theirs"
    for data, start, end in writes:
        bronze.replace_window(ours, data, start, end, batch_id=data["_batch_id"][0].as_py())
        bronze.ensure_table(theirs, data.schema, bronze.DEFAULT_PARTITIONING)
        get_catalog().load_table(theirs).overwrite(
            data,
            overwrite_filter=bronze._window_filter(start, end),
            snapshot_properties={"huitong.batch-id": data["_batch_id"][0].as_py()},
        )

    def written(identifier: str):
        table = get_catalog().load_table(identifier)
        summaries = [
            {k: v for k, v in s.summary.model_dump().items() if "size" not in k} for s in table.snapshots()
        ]
        files = sorted((f["record_count"], str(f["partition"])) for f in table.inspect.files().to_pylist())
        return table.scan().to_arrow().sort_by("reg_id").to_pylist(), files, summaries

    assert written(ours) == written(theirs)
    assert len(written(ours)[1]) == 3  # b's file in March, c's in March and April


def test_a_large_window_is_written_as_a_file_per_core(huitong_home, monkeypatch):
    """A single-partition batch larger than SPLIT_FILE_BYTES per core becomes one file per core, same rows."""
    data = rows(600, T0, "a")
    monkeypatch.setattr(bronze, "SPLIT_FILE_BYTES", data.nbytes // 4)
    monkeypatch.setattr(bronze.os, "cpu_count", lambda: 2)
    bronze.replace_window("bronze.test__split", data, T0, T0 + DAY, batch_id="a")
    table = get_catalog().load_table("bronze.test__split")
    counts = sorted(f["record_count"] for f in table.inspect.files().to_pylist())
    assert len(counts) == 2 and sum(counts) == 600
    assert table.scan().to_arrow().sort_by("_source_offset").equals(data.cast(table.scan().to_arrow().schema))


def test_rows_outside_the_window_are_refused(huitong_home):
    with pytest.raises(ValueError, match="outside the window"):
        bronze.replace_window("bronze.test__x", rows(3, T0 + DAY, "a"), T0, T0 + DAY, batch_id="a")


def test_ledger_refuses_a_batch_that_does_not_reconcile(huitong_home):
    entry = ledger.LedgerEntry("b1", "hotel", "registrations", T0, T0 + DAY, landed=10, loaded=7, quarantined=2,
                               status="loaded")  # fmt: skip
    with pytest.raises(ledger.ReconciliationError, match="landed 10 != loaded 7 \\+ quarantined 2"):
        ledger.record(entry)
    entry.quarantined = 3
    ledger.record(entry)
    ledger.record(entry)  # re-recording a batch replaces its row
    assert ledger.read_ledger().num_rows == 1


def test_another_batch_committed_between_a_read_and_a_commit_is_retried_not_failed(huitong_home, monkeypatch):
    # Two loads finishing at once (a backfill's intervals): the second's validation-results commit meets the
    # first's. pyiceberg's own retry then checks the other commit added no file its batch_id filter could match,
    # on bounds cut to 16 characters: batch ids sharing a longer prefix failed it (ValidationException).
    prefix = "hotel.registrations.20260209T160000Z-20260210T160000Z."
    ledger.record_validations(prefix + "a", "hotel", "registrations", {"c": (0, True)})
    others = [prefix + "b"]
    real = ledger.get_catalog

    class ReadBeforeTheOtherCommit:
        def __init__(self, catalog):
            self.catalog = catalog

        def __getattr__(self, name):
            return getattr(self.catalog, name)

        def load_table(self, identifier):
            table = self.catalog.load_table(identifier)
            if others:  # the other load commits after this one read the table
                ledger.record_validations(others.pop(), "hotel", "registrations", {"c": (0, True)})
            return table

    monkeypatch.setattr(ledger, "get_catalog", lambda cfg=None: ReadBeforeTheOtherCommit(real(cfg)))
    ledger.record_validations(prefix + "c", "hotel", "registrations", {"c": (1, False)})
    table = real().load_table(ledger.VALIDATIONS).scan().to_arrow()
    assert sorted(table["batch_id"].to_pylist()) == [prefix + "a", prefix + "b", prefix + "c"]


def test_duckdb_reads_iceberg_through_pinned_views(huitong_home):
    bronze.replace_window("bronze.test__things", rows(5, T0, "a"), T0, T0 + DAY, batch_id="a")
    assert "bronze.test__things" in sync_lake_views()
    con = connect(settings().build_db, read_only=True)
    assert con.sql("select count(*) from bronze.test__things").fetchone() == (5,)
