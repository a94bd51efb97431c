"""`airflow backfill create` over a past range, run by a real scheduler: each interval lands and loads once, and a
second backfill that reprocesses the range's completed runs and extends it by a day adds only the new day's rows.

A real Airflow 3 (tests/faults/airflow_cluster.py) runs the hotel source's own wiring (``land_and_load``) against
the simulated hotel API. The DAG's end date is long past and it does not catch up, so the scheduler creates no run
of its own: every run is a backfill's (asserted).
"""

from __future__ import annotations

import textwrap
import time
from datetime import UTC, datetime

import pyarrow.compute as pc
import pytest

from huitong.simulate.hotel_api import running_server
from tests.faults.airflow_cluster import parse_utc, running_airflow
from tests.faults.conftest import TOKEN, hotel_intervals_held_once, report

pytestmark = pytest.mark.slow

DAG_ID = "hotel_backfill"
# Local 9, 10 and 11 February 2026 (UTC+8 midnights): each has hotel registrations in the fault suite's city.
INTERVALS = [
    (datetime(2026, 2, d, 16, tzinfo=UTC), datetime(2026, 2, d + 1, 16, tzinfo=UTC)) for d in (8, 9, 10)
]
DEADLINE_S = 480  # a guard against a hang; on an idle 2-core machine the test takes ~2-3 min

DAG_FILE = textwrap.dedent(
    '''
    """Hotel registrations, backfilled by hand (tests/faults/test_airflow_backfill.py)."""
    import pendulum
    from airflow.sdk import DAG

    from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

    with DAG(
        dag_id="hotel_backfill",
        schedule=every("@daily"),
        start_date=pendulum.datetime(2026, 2, 1, tz=CITY_TZ),
        end_date=pendulum.datetime(2026, 2, 20, tz=CITY_TZ),
        catchup=False,
        max_active_runs=2,
        default_args=DEFAULT_ARGS,
    ):
        land_and_load("hotel", "registrations")
    '''
)


def local_day(day: int) -> str:
    """A logical date for `airflow backfill create`: the local midnight that starts the day's interval."""
    return f"2026-02-{day:02d}T00:00:00+08:00"


def test_a_backfill_loads_each_past_interval_once_and_reprocessing_adds_nothing(lake, tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(DAG_FILE)
    with (
        running_server(store_path=lake.hotel_store, port=0, token=TOKEN, rate_per_s=0, error_rate=0) as url,
        running_airflow(lake.home, dags, HUITONG_HOTEL_API_URL=url) as airflow,
    ):
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
