"""Retention on a real lake: parcel waybills (personal: senders and recipients) and the query audit trail (its own
period) from an old and a recent day are loaded; retention removes the old day's rows from bronze and the
quarantine, its landed batch, every snapshot that still held them and their data files, a Spark output written then
and the old lines of the raw audit log, and keeps the recent day. A dry run changes nothing."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest

from huitong.audit import append_entry, audit_log_path
from huitong.config import load_settings, settings
from huitong.ingest import QUARANTINE, land_window, load
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import list_batches
from huitong.lake.retention import apply_retention
from huitong.simulate.serve_parcel import write_drop
from tests.integration.source_city import simulated_city

pytestmark = pytest.mark.slow  # simulates a city and lands and loads two days (~11 s)

OLD_DAY = datetime(2026, 2, 3, tzinfo=UTC)
NEW_DAY = datetime(2026, 2, 20, tzinfo=UTC)
NOW = datetime(2026, 2, 25, tzinfo=UTC)  # with 10 days' retention: the cutoff is 15 Feb


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    home = tmp_path_factory.mktemp("retention")
    with simulated_city(home, seed=5, scale=0.05, start=date(2026, 2, 1), as_of=date(2026, 3, 1)) as (
        cfg,
        mp,
    ):
        mp.setenv("HUITONG_RETENTION_DAYS", "10")
        mp.setenv("HUITONG_AUDIT_RETENTION_DAYS", "12")  # cutoff 13 Feb
        cfg = load_settings()
        write_drop(cfg, seed=5)
        batches = [
            load(land_window("parcel", day, day + timedelta(days=1), cfg).batch_id, cfg)
            for day in (OLD_DAY, NEW_DAY)
        ]
        for day in (OLD_DAY, NEW_DAY):  # two queries a day, as `huitong query` logs them
            for minute in (5, 6):
                append_entry(
                    cfg, {**AUDIT_ENTRY, "at": (day + timedelta(hours=2, minutes=minute)).isoformat()}
                )
            load(land_window("audit", day, day + timedelta(days=1), cfg).batch_id, cfg)
        # A Spark backfill of the old day, written then (outside Iceberg: retention removes the dataset whole).
        spark_output = cfg.spark_dir / "backfill" / "bronze" / "parcel__waybills"
        spark_output.mkdir(parents=True)
        (spark_output / "part-00000.parquet").write_bytes(b"PAR1")
        os.utime(spark_output / "part-00000.parquet", (OLD_DAY.timestamp(), OLD_DAY.timestamp()))
        yield cfg, batches


AUDIT_ENTRY = {
    "user": "analyst", "profile": "embedded", "engine": "duckdb", "allowed": True, "tables": ["marts.fct_incidents"],
    "person_level": False, "rows": 1, "error": None, "duration_ms": 3, "sql": "select 1", "executed_sql": "select 1",
    "path": "cli", "client": "test",
}  # fmt: skip


def rows_by_day(cfg, identifier: str) -> dict[str, int]:
    table = get_catalog(cfg).load_table(identifier).scan().to_arrow().to_pylist()
    counts: dict[str, int] = {}
    for row in table:
        if identifier == QUARANTINE and row["source"] != "parcel":
            continue
        day = row["_watermark_at"].date().isoformat()
        counts[day] = counts.get(day, 0) + 1
    return counts


def data_files(table) -> set[str]:
    root = Path(urlparse(table.location()).path) / "data"
    return {str(p) for p in root.rglob("*.parquet")}


def test_dry_run_changes_nothing(lake):
    cfg, _ = lake
    table = get_catalog(cfg).load_table("bronze.parcel__waybills")
    before = (table.scan().to_arrow().num_rows, len(table.snapshots()), data_files(table))
    report = apply_retention(cfg, now=NOW, dry_run=True)
    [entry] = [t for t in report.tables if t.table == "bronze.parcel__waybills"]
    assert entry.rows_removed > 0 and entry.batches_removed == 1
    table = table.refresh()
    assert (table.scan().to_arrow().num_rows, len(table.snapshots()), data_files(table)) == before
    assert len(list_batches("parcel", "waybills", cfg)) == 2
    assert report.spark_outputs_removed == ["backfill/bronze/parcel__waybills"]
    assert (cfg.spark_dir / "backfill" / "bronze" / "parcel__waybills").is_dir()
    assert report.audit_log_lines_removed == 2 and len(audit_log_path(cfg).read_text().splitlines()) == 4


def test_a_superset_database_it_cannot_trim_is_reported_and_the_lakes_retention_stands(lake, tmp_path):
    cfg, _ = lake
    broken = tmp_path / "superset.db"
    broken.write_bytes(b"not a database " * 100)
    uri = f"sqlite:///{broken}"
    for settings_, error in (
        (replace(cfg, superset_metadata_uri=uri, superset_retention_uri=uri), "DatabaseError"),
        # The audit source reads one database; retention must not trim another.
        (replace(cfg, superset_metadata_uri=uri, superset_retention_uri=f"sqlite:///{tmp_path / 'b.db'}"),
         "another database"),
    ):  # fmt: skip
        report = apply_retention(settings_, now=NOW, dry_run=True)
        assert error in report.superset_error and "then STOPPED" in str(report)
        [entry] = [t for t in report.tables if t.table == "bronze.parcel__waybills"]
        assert entry.rows_removed > 0 and report.audit_log_lines_removed == 2
        assert report.spark_outputs_removed == ["backfill/bronze/parcel__waybills"]


def test_the_retention_command_fails_naming_what_it_could_not_do_after_doing_the_rest(
    lake, tmp_path, monkeypatch
):
    """The retention task runs `huitong lake retention`: a step it could not do must turn the task red (Airflow
    retries it), after the report of everything it did."""
    from typer.testing import CliRunner

    from huitong.cli import app

    broken = tmp_path / "superset.db"
    broken.write_bytes(b"not a database " * 100)
    monkeypatch.setenv("HUITONG_SUPERSET_METADATA_URI", f"sqlite:///{broken}")
    settings.cache_clear()
    result = CliRunner().invoke(app, ["lake", "retention", "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "bronze.parcel__waybills" in result.stdout and "then STOPPED" in result.stdout
    assert "retention did not finish" in result.stderr
    assert "Superset's query log: DatabaseError" in result.stderr
    monkeypatch.delenv("HUITONG_SUPERSET_METADATA_URI")
    settings.cache_clear()
    assert CliRunner().invoke(app, ["lake", "retention", "--dry-run"]).exit_code == 0  # nothing left undone


def test_the_snapshots_of_the_catalogs_other_tables_are_expired_too(lake):
    """In production dbt builds its schemas in the same Iceberg catalog: their old snapshots hold what a transform
    has since replaced (the person id map's unlinked record keys among it), so they are expired like bronze's."""
    import pyarrow as pa

    cfg, _ = lake
    catalog = get_catalog(cfg)
    catalog.create_namespace_if_not_exists("intermediate")
    rows = pa.table({"record_key": pa.array(["hotel:R1"], pa.string())})
    table = catalog.create_table_if_not_exists("intermediate.id_map_case", schema=rows.schema)
    try:
        table.append(rows)
        table.append(rows)
        report = apply_retention(cfg, now=datetime.now(UTC) + timedelta(days=30), dry_run=True)
    finally:
        catalog.drop_table("intermediate.id_map_case")
    [entry] = [t for t in report.tables if t.table == "intermediate.id_map_case"]
    assert (entry.snapshots_expired, entry.rows_removed, entry.error) == (
        1,
        0,
        None,
    )  # all but the current one
    assert "built by the transform" in str(entry)


def test_retention_removes_old_personal_records_everywhere_and_keeps_recent_ones(lake):
    cfg, (old, new) = lake
    catalog = get_catalog(cfg)
    before = rows_by_day(cfg, "bronze.parcel__waybills")
    old_days = {d for d in before if d < "2026-02-15"}
    assert old_days and any(d >= "2026-02-15" for d in before)
    expected_removed = sum(before[d] for d in old_days) + sum(
        n for d, n in rows_by_day(cfg, QUARANTINE).items() if d < "2026-02-15"
    )

    report = apply_retention(cfg, now=NOW)
    print(report)
    [entry] = [t for t in report.tables if t.table == "bronze.parcel__waybills"]
    assert entry.rows_removed == expected_removed
    after = rows_by_day(cfg, "bronze.parcel__waybills")
    assert after == {d: n for d, n in before.items() if d >= "2026-02-15"}
    assert all(d >= "2026-02-15" for d in rows_by_day(cfg, QUARANTINE))
    # The old landed batch is gone, the recent one stays.
    assert list_batches("parcel", "waybills", cfg) == [new.batch_id]
    # So is the Spark copy of it.
    assert report.spark_outputs_removed == ["backfill/bronze/parcel__waybills"]
    assert not (cfg.spark_dir / "backfill").exists()
    # No snapshot can bring the old records back, and their files are gone from the warehouse.
    table = catalog.load_table("bronze.parcel__waybills")
    assert [s.snapshot_id for s in table.snapshots()] == [table.current_snapshot().snapshot_id]
    referenced = {urlparse(p).path for p in table.inspect.all_files().column("file_path").to_pylist()}
    assert data_files(table) == referenced
    # Sources without personal records keep their history.
    assert all(t.rows_removed == 0 for t in report.tables if not t.personal)
    # The audit trail keeps its own period: its old day's rows, batch and raw log lines are gone, the recent stay.
    [audit] = [t for t in report.tables if t.table == "bronze.audit__queries"]
    assert audit.personal and audit.rows_removed == 2 and audit.batches_removed == 1
    kept = catalog.load_table("bronze.audit__queries").scan().to_arrow()
    assert sorted(kept["at"].to_pylist()) == [
        (NEW_DAY + timedelta(hours=2, minutes=m)).isoformat() for m in (5, 6)
    ]
    assert report.audit_log_lines_removed == 2
    lines = audit_log_path(cfg).read_text().splitlines()
    assert [json.loads(line)["at"] for line in lines] == kept.sort_by("at")["at"].to_pylist()
