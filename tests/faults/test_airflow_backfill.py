"""`airflow backfill create` over a past range, run by a real scheduler: each interval lands and loads once, and a
second backfill that reprocesses the range's completed runs and extends it by a day adds only the new day's rows.

A real Airflow 3 (tests/faults/airflow_cluster.py) runs the hotel source's own wiring (``land_and_load``) against
the simulated hotel API. The DAG's end date is long past and it does not catch up, so the scheduler creates no run
of its own: every run is a backfill's (asserted).
"""

from __future__ import annotations

import time

import pyarrow.compute as pc
import pytest

from tests.faults.airflow_cluster import HOTEL_DAYS, hotel_dag, hotel_under_airflow, parse_utc
from tests.faults.conftest import hotel_intervals_held_once, report

pytestmark = pytest.mark.slow

DAG_ID = "hotel_backfill"
INTERVALS = HOTEL_DAYS
DEADLINE_S = 480  # a guard against a hang; on an idle 2-core machine the test takes ~2-3 min

DAG_FILE = hotel_dag(DAG_ID, "Hotel registrations, backfilled by hand (tests/faults/test_airflow_backfill.py).",
                     first_day=1, last_day=20, catchup=False)  # fmt: skip


def local_day(day: int) -> str:
    """A logical date for `airflow backfill create`: the local midnight that starts the day's interval."""
    return f"2026-02-{day:02d}T00:00:00+08:00"


def test_a_backfill_loads_each_past_interval_once_and_reprocessing_adds_nothing(lake, tmp_path):
    with hotel_under_airflow(lake, tmp_path, DAG_FILE) as airflow:
        deadline = time.monotonic() + DEADLINE_S

        def finished(backfills: int) -> bool:
            done = airflow.query(
                f"select count(*) from backfill where dag_id = '{DAG_ID}' and completed_at is not null"
            )
            return bool(done) and done[0][0] == backfills

        airflow.wait(
            "the DAG parsed", lambda: airflow.query(f"select 1 from dag where dag_id = '{DAG_ID}'"), deadline
        )
        airflow.run(
            "backfill", "create", "--dag-id", DAG_ID, "--from-date", local_day(9), "--to-date", local_day(10)
        )
        airflow.wait("the first backfill completed", lambda: finished(1), deadline)
        first = airflow.runs(DAG_ID)
        bronze_first = lake.table("bronze.hotel__registrations").num_rows
        # Again over the same two days (their completed runs cleared and run again) and one day more.
        airflow.run("backfill", "create", "--dag-id", DAG_ID, "--from-date", local_day(9), "--to-date", local_day(11),
                    "--reprocess-behavior", "completed")  # fmt: skip
        airflow.wait("the second backfill completed", lambda: finished(2), deadline)
        final = airflow.runs(DAG_ID)
        tries = airflow.query(
            f"select run_id, task_id, try_number from task_instance where dag_id = '{DAG_ID}'"
        )

    # Airflow: only backfill runs, one per interval, each successful; the first two days' ran twice.
    assert sorted((parse_utc(s), parse_utc(e)) for _, s, e, *_ in first) == INTERVALS[:2], first
    assert sorted((parse_utc(s), parse_utc(e)) for _, s, e, *_ in final) == INTERVALS, final
    assert {(state, run_type) for *_, state, run_type in final} == {("success", "backfill")}, final
    reprocessed = {run for run, _, _, *_ in first}
    assert {run for run, _, _ in tries} >= reprocessed, tries
    assert all(n >= 2 for run, _, n in tries if run in reprocessed), tries

    # The lake: the re-run days landed the same bytes (the same batch each), loaded nothing new; the new day's
    # records all arrived; each record the source holds is in bronze or the quarantine exactly once.
    bronze, quarantine, sent = hotel_intervals_held_once(lake, INTERVALS)
    last_day = bronze.filter(pc.greater_equal(bronze["_watermark_at"], INTERVALS[2][0])).num_rows
    assert bronze.num_rows == bronze_first + last_day, (bronze_first, last_day, bronze.num_rows)
    assert report("airflow_backfill", sent, bronze.num_rows, quarantine.num_rows) == 0
