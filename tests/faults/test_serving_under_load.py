"""Dashboards during builds: the served DuckDB is queried in a loop (two reader processes, bounded in time) while a
window is ingested, dbt builds and publishes, and then a dbt build fails half-way. Every answer comes from a
complete, published build; there are zero errors; after the failed build the served database is still the last
good one.

dbt runs in-process through dbtRunner (dbt's programmatic entry point, the same `dbt run` the Cosmos tasks execute)
to pay its start-up once. Publishing follows the transform DAG's rule: `publish` runs only after the build passed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from huitong.ingest import ensure_tables, land_window
from huitong.lake.duck import connect, sync_lake_views
from huitong.serving.build_check import check_build_passed
from huitong.serving.publish import current_release, publish
from huitong.simulate.hotel_api import running_server
from tests.faults.conftest import (
    DBT_PROJECT,
    TOKEN,
    WEEKS,
    dbt_run,
    dbt_target,
    hotel_sent,
    lake_counts,
    load_rows,
    report,
)

pytestmark = pytest.mark.slow
MODELS = "+metric_hotel_stays_daily"
# Two figures from two tables: a half-built or mixed database would pair them differently than any build did.
ANSWER = (
    "select (select coalesce(sum(stays), 0) from marts.metric_hotel_stays_daily), "
    "(select count(*) from marts.fct_hotel_stays)"
)
READER = r"""
import json, sys, time
import duckdb
current, out, stop, deadline = sys.argv[1], sys.argv[2], sys.argv[3], time.monotonic() + float(sys.argv[4])
import os
with open(out, "w") as log:
    while not os.path.exists(stop) and time.monotonic() < deadline:
        try:
            with duckdb.connect(current, read_only=True) as con:
                answer = list(con.execute(sys.argv[5]).fetchone())
            log.write(json.dumps({"answer": answer}) + "\n")
        except Exception as exc:
            log.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        log.flush()
        time.sleep(0.05)
"""


def build_and_publish(runner, lake, target: Path) -> Path | None:
    """sync views, dbt, publish only if dbt passed (the transform DAG's `sync >> dbt >> publish`; publish checks
    dbt's run results itself too)."""
    ensure_tables(lake.cfg)
    sync_lake_views(lake.cfg)
    if not dbt_run(runner, MODELS, target):
        return None
    check_build_passed(lake.cfg)  # dbt's real run_results.json of a passed build: no false refusal
    return publish(lake.cfg)


def answer_of(db: Path) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return list(con.execute(ANSWER).fetchone())


def test_readers_only_ever_see_complete_builds(lake, tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("DBT_PROFILES_DIR", str(DBT_PROJECT))
    runner, target = dbtRunner(), dbt_target(lake.cfg)
    month = (WEEKS[0][0], WEEKS[2][1])
    for entity in ("admin_divisions", "key_businesses"):
        load_rows(land_window(f"reference.{entity}", *month, lake.cfg).batch_id, lake.cfg)
    with running_server(store_path=lake.hotel_store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        cfg = replace(lake.cfg, hotel_api_url=url)
        load_rows(land_window("hotel", *WEEKS[0], cfg).batch_id, cfg)
        first = build_and_publish(runner, lake, target)
        assert first is not None

        stop, logs = tmp_path / "stop", [tmp_path / f"reader-{i}.jsonl" for i in range(2)]
        readers = [
            subprocess.Popen(
                [sys.executable, "-c", READER, str(lake.cfg.serving_db), str(log), str(stop), "240", ANSWER]
            )  # fmt: skip
            for log in logs
        ]
        try:
            # Ingestion and a good build while they read.
            load_rows(land_window("hotel", *WEEKS[1], cfg).batch_id, cfg)
            second = build_and_publish(runner, lake, target)
            assert second is not None and current_release(lake.cfg) == second

            # Then new data and a build that fails half-way: the hotel view goes missing after the sync, so the
            # reference models rebuild and the hotel models fail.
            load_rows(land_window("hotel", *WEEKS[2], cfg).batch_id, cfg)
            ensure_tables(lake.cfg)
            sync_lake_views(lake.cfg)
            with connect(lake.cfg.build_db) as con:
                con.execute("drop view bronze.hotel__registrations")
            assert not dbt_run(runner, MODELS, target)
            # Run by hand (not by the DAG, which stops at the failed task), publish itself refuses the failed build.
            refused = lake.huitong("publish", check=False)
            assert refused.returncode == 1 and "did not pass" in refused.stderr, refused.stderr[-2000:]
            assert "model.huitong.stg_hotel__registrations: error" in refused.stderr  # names what failed
            time.sleep(0.5)  # readers keep reading after the failure
        finally:
            stop.touch()
            for reader in readers:
                reader.wait(timeout=60)

    assert current_release(lake.cfg) == second, "a failed build must never be published"
    builds = {"first": answer_of(first), "second": answer_of(second)}
    assert builds["first"] != builds["second"]
    entries = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    errors = [e["error"] for e in entries if "error" in e]
    answers = [e["answer"] for e in entries if "answer" in e]
    assert errors == [] and len(answers) > 20
    assert all(a in builds.values() for a in answers), "an answer from no complete build"
    assert builds["second"] in answers  # the readers did see the swap happen
    print(f"\nreaders: {len(answers)} answers, {len(errors)} errors, first {answers.count(builds['first'])}, "
          f"second {answers.count(builds['second'])}")  # fmt: skip

    # The lake holds all three weeks; the served build holds the two that a passing build saw.
    sent = sum(len(hotel_sent(lake.hotel_store, *w)) for w in WEEKS)
    loaded, quarantined = lake_counts(lake, "hotel", "registrations")
    week_1_2 = {r for w in WEEKS[:2] for r in hotel_sent(lake.hotel_store, *w)["reg_id"]}
    assert 0 < builds["first"][1] < builds["second"][1] <= len(week_1_2)
    assert report("serving_during_ingest_build_and_failed_build", sent, loaded, quarantined) == 0
