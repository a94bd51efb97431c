"""Retention of the Spark jobs' local outputs: a dataset (a folder of files, as Spark writes one) is removed whole
once nothing in it or below it was written within HUITONG_SPARK_OUTPUT_KEEP_DAYS; newer ones, and folders a write
is still filling, stay."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huitong.config import load_settings
from huitong.lake.retention import remove_spark_outputs, stale_spark_outputs

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def dataset(
    folder: Path, written: datetime, files: tuple[str, ...] = ("part-00000.parquet", "_SUCCESS")
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        path = folder / name
        path.write_bytes(b"x")
        os.utime(path, (written.timestamp(), written.timestamp()))
    return folder


def test_stale_datasets_are_found_whole_and_fresh_ones_kept(tmp_path):
    root = tmp_path / "spark"
    old, recent = NOW - timedelta(days=30), NOW - timedelta(days=1)
    dataset(root / "backfill" / "bronze" / "parcel__waybills", old)
    dataset(root / "backfill" / "quarantine", old)
    dataset(root / "person_er" / "clusters", recent)
    # An old dataset a write is filling again now (Spark's _temporary below it) is not stale.
    rewritten = dataset(root / "person_er" / "records", old)
    dataset(rewritten / "_temporary" / "0", NOW)
    # An old dataset with an old failed write's leftovers below it goes with them, once.
    failed = dataset(root / "hotel_stays_daily", old)
    dataset(failed / "_temporary" / "0", old)

    stale = stale_spark_outputs(root, NOW - timedelta(days=7))

    assert [p.relative_to(root).as_posix() for p in stale] == [
        "backfill/bronze/parcel__waybills",
        "backfill/quarantine",
        "hotel_stays_daily",
    ]
    assert stale_spark_outputs(tmp_path / "missing", NOW) == []


def test_removal_reports_paths_prunes_emptied_folders_and_a_dry_run_changes_nothing(huitong_home):
    cfg = load_settings()
    old = NOW - timedelta(days=30)
    dataset(cfg.spark_dir / "backfill" / "bronze" / "parcel__waybills", old)
    kept = dataset(cfg.spark_dir / "backfill" / "ledger", NOW)

    assert remove_spark_outputs(cfg, NOW - timedelta(days=7), dry_run=True) == [
        "backfill/bronze/parcel__waybills"
    ]
    assert (cfg.spark_dir / "backfill" / "bronze" / "parcel__waybills").is_dir()

    assert remove_spark_outputs(cfg, NOW - timedelta(days=7)) == ["backfill/bronze/parcel__waybills"]
    assert not (cfg.spark_dir / "backfill" / "bronze").exists()  # emptied by the removal
    assert kept.is_dir() and cfg.spark_dir.is_dir()
    assert remove_spark_outputs(cfg, NOW - timedelta(days=7)) == []
