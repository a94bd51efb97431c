"""The scheduler SIGKILLed mid-run and restarted: runs resume or retry; no interval is skipped or doubled.

A real Airflow 3 (API server for the task execution API, DAG processor, scheduler with the LocalExecutor; private
AIRFLOW_HOME, loopback ports) catches up three daily intervals of the hotel source against the simulated hotel API,
two runs at a time. While a ``load`` task is running, the scheduler's whole process group (scheduler, executor
workers, task supervisors) is SIGKILLed (an OOM kill, `kill -9`); the task's own command lives in its own session and is
orphaned. The scheduler is started again and must finish every interval: the task instance whose supervisor died is
found (orphan reset / heartbeat timeout) and run again, and the third run, which did not exist at the kill, is
created. Airflow's records and the lake's both must show each interval exactly once.
"""

from __future__ import annotations

import time

import pytest

from huitong.lake.ledger import read_ledger
from tests.faults.airflow_cluster import HOTEL_DAYS, hotel_dag, hotel_under_airflow, parse_utc, processes_of
from tests.faults.conftest import hotel_intervals_held_once, report

pytestmark = pytest.mark.slow

DAG_ID = "hotel_catchup"
INTERVALS = HOTEL_DAYS
DEADLINE_S = 420  # a guard against a hang; on an idle 2-core machine the test takes ~2 min

# The hotel DAG's own wiring, catching up the three local days, with a short retry delay, so that a retry (if the
# heartbeat timeout fails the killed try) fits the test's time.
DAG_FILE = hotel_dag(DAG_ID, "Hotel registrations caught up over three days (tests/faults/test_scheduler_restart.py).",
                     first_day=9, last_day=11, catchup=True, retry_delay_s=3)  # fmt: skip

# Failure detection shortened from minutes to seconds (Airflow 3.3 [scheduler] settings):
# - scheduler_health_check_threshold: a SchedulerJob whose heartbeat is older is dead; the restarted scheduler
#   then resets the task instances the dead one had queued or running (adopt_or_reset_orphaned_tasks, run every
#   orphaned_tasks_check_interval);
# - task_instance_heartbeat_timeout: a running task instance with no heartbeat from its supervisor for this long is
#   failed and retried (the backstop if the reset did not catch it).
SCHEDULER_TIMINGS = {
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "10",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "5",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "3",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
}


def test_scheduler_killed_mid_run_every_interval_loads_exactly_once(lake, tmp_path):
    with hotel_under_airflow(lake, tmp_path, DAG_FILE, **SCHEDULER_TIMINGS) as airflow:
        deadline = time.monotonic() + DEADLINE_S
        # Mid-run: a load task's command has started (the other run is in flight too).
        airflow.wait("a load task started", lambda: processes_of(lake.home, "ingest", "load"), deadline)
        airflow.kill("scheduler")
        killed_at = time.monotonic()
        running = airflow.query(
            f"select run_id, task_id from task_instance where dag_id = '{DAG_ID}' and state = 'running'"
        )
        runs_at_kill = airflow.runs(DAG_ID)
        airflow.start_scheduler()
        airflow.wait(
            "every run finished",
            lambda: (
                len(r := airflow.runs(DAG_ID)) >= len(INTERVALS)
                and all(x[3] in ("success", "failed") for x in r)
            ),
            deadline,
        )
        recovered_in = time.monotonic() - killed_at
        final = airflow.runs(DAG_ID)
        tries = airflow.query(
            f"select run_id, task_id, try_number from task_instance where dag_id = '{DAG_ID}'"
        )
    # Leaving running_airflow let the killed task's orphaned command end before the lake is counted.

    # Airflow: one successful run per interval, none skipped, none doubled.
    windows = sorted((parse_utc(start), parse_utc(end)) for _, start, end, *_ in final)
    assert windows == INTERVALS, final
    assert {run[3] for run in final} == {"success"}, final
    # The kill hit a running load; the restarted scheduler ran it again (a later try) and created the run that did
    # not exist yet when the first scheduler died.
    assert any(task == "load" for _, task in running), running
    assert all(n > 1 for run, task, n in tries if (run, task) in set(running)), tries
    assert len(runs_at_kill) < len(INTERVALS)

    # The lake: each interval landed once (content-addressed), one ledger record per interval, every record the
    # source holds in bronze or the quarantine exactly once.
    ledger = [r for r in read_ledger(lake.cfg).to_pylist() if r["source"] == "hotel"]
    assert sorted((r["window_start"], r["window_end"]) for r in ledger) == INTERVALS
    assert all(r["landed"] == r["loaded"] + r["quarantined"] for r in ledger)
    bronze, quarantine, sent = hotel_intervals_held_once(lake, INTERVALS)
    assert sum(r["landed"] for r in ledger) == sent
    print(
        f"\nscheduler SIGKILLed with {len(running)} task(s) running; all runs done {recovered_in:.0f} s later"
    )
    assert report("scheduler_killed_mid_run", sent, bronze.num_rows, quarantine.num_rows) == 0
