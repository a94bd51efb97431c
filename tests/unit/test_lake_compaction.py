"""huitong.lake.compaction on real Iceberg tables (SQLite catalog, files on disk)."""

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from huitong.cli import app
from huitong.lake import bronze, compaction, ledger
from huitong.lake.catalog import get_catalog
from huitong.lake.retention import apply_retention

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
DAY = timedelta(days=1)
TABLE = "bronze.test__things"


def rows(day: datetime, batch: str, n: int = 3, extra: dict | None = None) -> pa.Table:
    data = [
        {"reg_id": f"{batch}-{i}", **(extra or {}), "_batch_id": batch, "_source_part": "p", "_source_offset": i,
         "_ingested_at": MARCH, "_record_hash": f"{batch}-{i}", "_watermark_at": day + timedelta(hours=i)}
        for i in range(n)
    ]  # fmt: skip
    fields = [pa.field("reg_id", pa.string())] + [pa.field(k, pa.string()) for k in extra or {}]
    return pa.Table.from_pylist(data, schema=pa.schema(fields + bronze.LINEAGE_FIELDS))


def load_days(first: datetime, days: int, extra: dict | None = None) -> None:
    for d in range(days):
        day = first + d * DAY
        bronze.replace_window(
            TABLE, rows(day, f"b{day:%m%d}", extra=extra), day, day + DAY, batch_id=f"b{day:%m%d}"
        )


def content(table: str = TABLE) -> list[dict]:
    return get_catalog().load_table(table).scan().to_arrow().sort_by("_record_hash").to_pylist()


def files_per_partition(table: str = TABLE) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in get_catalog().load_table(table).inspect.files().to_pylist():
        counts[str(f["partition"])] = counts.get(str(f["partition"]), 0) + 1
    return counts


def test_a_partition_s_small_files_become_one_with_the_same_rows(huitong_home):
    load_days(MARCH, 9)  # a file a day: March reaches the threshold
    load_days(APRIL, 2)  # April does not
    before = content()
    outcome = compaction.compact_table(TABLE, min_files=8)
    assert (outcome.partitions, outcome.files_before, outcome.files_after, outcome.rows) == (1, 9, 1, 27)
    assert content() == before
    assert sorted(files_per_partition().values()) == [1, 2]
    current = get_catalog().load_table(TABLE).current_snapshot()
    assert current.summary.additional_properties[compaction.COMPACTION_PROPERTY] == "9 small files"
    again = compaction.compact_table(TABLE, min_files=8)
    assert again.partitions == 0 and str(again).endswith("nothing to compact")


def test_a_window_replaced_after_compaction_replaces_only_its_rows(huitong_home):
    """A re-run of one day after its file was merged with others: the merged file is rewritten without that day."""
    load_days(MARCH, 8)
    compaction.compact_table(TABLE, min_files=8)
    day = MARCH + 3 * DAY
    bronze.replace_window(TABLE, rows(day, "rerun", n=2), day, day + DAY, batch_id="rerun")
    batches = [r["_batch_id"] for r in content()]
    assert batches.count("rerun") == 2 and f"b{day:%m%d}" not in batches and len(batches) == 7 * 3 + 2


def test_a_table_whose_last_batch_never_reached_the_ledger_is_left_alone(huitong_home):
    """Readers see it as of the snapshot before that batch (a killed reload keeps its window's old rows); a
    compaction would become the snapshot they see. Once the batch is in the ledger, compaction goes ahead."""
    load_days(MARCH, 8)
    for d in range(8):
        batch = f"b{MARCH + d * DAY:%m%d}"
        ledger.record(ledger.LedgerEntry(batch, "test", "things", MARCH, APRIL, landed=3, loaded=3, quarantined=0,
                                         status="loaded"))  # fmt: skip
    day = MARCH + 2 * DAY
    bronze.replace_window(
        TABLE, rows(day, "killed"), day, day + DAY, batch_id="killed"
    )  # no ledger row after it
    outcome = compaction.compact_table(TABLE, min_files=8)
    assert outcome.skipped and "batch killed, which the ledger lacks" in str(outcome)
    ledger.record(ledger.LedgerEntry("killed", "test", "things", day, day + DAY, landed=3, loaded=3, quarantined=0,
                                     status="loaded"))  # fmt: skip
    assert compaction.compact_table(TABLE, min_files=8).files_before == 8


def test_a_run_reads_the_ledger_once_for_all_its_tables(huitong_home, monkeypatch):
    """Whether a table's last batch finished is asked of the ledger, read once per run, not once per table."""
    load_days(MARCH, 8)
    other = "bronze.test__others"
    bronze.replace_window(other, rows(MARCH, "o1"), MARCH, MARCH + DAY, batch_id="o1")
    reads = []
    real = compaction.complete_batches
    monkeypatch.setattr(compaction, "complete_batches", lambda catalog: reads.append(1) or real(catalog))
    outcomes = compaction.compact_lake(tables=[TABLE, other], min_files=8, dry_run=True)
    assert [o.table for o in outcomes] == [TABLE, other] and len(reads) == 1


def test_files_written_before_a_column_was_added_are_read_with_it_as_null(huitong_home):
    load_days(MARCH, 4)
    load_days(MARCH + 4 * DAY, 4, extra={"room_no": "301"})  # the source started sending a field
    before = content()
    compaction.compact_table(TABLE, min_files=8)
    after = content()
    assert after == before and {r["room_no"] for r in after} == {None, "301"}


def test_a_dry_run_changes_nothing_and_a_large_partition_is_rewritten_in_groups(huitong_home, monkeypatch):
    load_days(MARCH, 8)
    snapshots = len(get_catalog().load_table(TABLE).snapshots())
    dry = compaction.compact_table(TABLE, min_files=2, dry_run=True)
    assert dry.files_before == 8 and "would rewrite" in str(dry)
    assert len(get_catalog().load_table(TABLE).snapshots()) == snapshots
    # Groups of at most GROUP_BYTES on disk: here two files each, so four groups, each written as one file.
    sizes = [f["file_size_in_bytes"] for f in get_catalog().load_table(TABLE).inspect.files().to_pylist()]
    monkeypatch.setattr(compaction, "GROUP_BYTES", 2 * max(sizes))
    before = content()
    outcome = compaction.compact_table(TABLE, min_files=2)
    assert (outcome.partitions, outcome.files_before, outcome.files_after) == (1, 8, 4)
    assert content() == before


def test_the_ledger_is_compacted_and_retention_expires_its_snapshots(huitong_home):
    for i in range(8):
        entry = ledger.LedgerEntry(f"b{i}", "hotel", "registrations", MARCH, MARCH + DAY, landed=3, loaded=2,
                                   quarantined=1, status="loaded")  # fmt: skip
        ledger.record(entry)
    before = ledger.read_ledger().sort_by("batch_id")
    assert [c.table for c in compaction.compact_lake(min_files=8) if c.partitions] == [ledger.LEDGER]
    assert ledger.read_ledger().sort_by("batch_id").equals(before)
    assert len(get_catalog().load_table(ledger.LEDGER).inspect.files()) == 1
    report = apply_retention(now=datetime.now(UTC) + timedelta(days=30))
    [entry] = [t for t in report.tables if t.table == ledger.LEDGER]
    assert entry.snapshots_expired == 8 and not entry.personal  # eight batch commits and the compaction's
    assert len(get_catalog().load_table(ledger.LEDGER).snapshots()) == 1
    assert ledger.read_ledger().sort_by("batch_id").equals(before)


def test_the_cli_compacts_and_names_a_table_it_does_not_know(huitong_home):
    load_days(MARCH, 8)
    result = CliRunner().invoke(app, ["lake", "compact", TABLE])
    assert result.exit_code == 0 and "rewrote     8 small files in   1 partition(s) as   1" in result.output
    result = CliRunner().invoke(app, ["lake", "compact", "bronze.nope"])
    assert result.exit_code == 1 and "error:" in result.output
    with pytest.raises(ValueError, match="at least 2"):
        compaction.compact_table(TABLE, min_files=1)
