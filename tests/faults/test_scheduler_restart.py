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

import contextlib
import os
import signal
import sqlite3
import subprocess
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest

from huitong.lake.landing import list_batches
from huitong.lake.ledger import read_ledger
from huitong.serving.superset_server import free_port
from huitong.simulate.hotel_api import running_server
from tests.conftest import VENVS, airflow_env
from tests.faults.conftest import TOKEN, hotel_sent, report

pytestmark = pytest.mark.slow

AIRFLOW = str(VENVS / "airflow" / "bin" / "airflow")
DAG_ID = "hotel_catchup"
# Local 9, 10 and 11 February 2026 (UTC+8 midnights): each has hotel registrations in the fault suite's city.
INTERVALS = [
    (datetime(2026, 2, d, 16, tzinfo=UTC), datetime(2026, 2, d + 1, 16, tzinfo=UTC)) for d in (8, 9, 10)
]
DEADLINE_S = 420  # a guard against a hang; on an idle 2-core machine the test takes ~2 min

# The hotel DAG's own wiring (land_and_load, schedule, retries), with catch-up over the three local days and a short
# retry delay, so that a retry (if the heartbeat timeout fails the killed try) fits the test's time.
DAG_FILE = textwrap.dedent(
    '''
    """Hotel registrations caught up over three days (tests/faults/test_scheduler_restart.py)."""
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG

    from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

    with DAG(
        dag_id="hotel_catchup",
        schedule=every("@daily"),
        start_date=pendulum.datetime(2026, 2, 9, tz=CITY_TZ),
        end_date=pendulum.datetime(2026, 2, 11, tz=CITY_TZ),
        catchup=True,
        max_active_runs=2,
        default_args={**DEFAULT_ARGS, "retry_delay": timedelta(seconds=3)},
    ):
        land_and_load("hotel", "registrations")
    '''
)

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


class Airflow:
    """Airflow's components, each in its own process group (as scripts/services.sh starts them)."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.home, self.env, self.procs = home, env, {}
        self.db = home / "airflow" / "airflow.db"

    def run(self, *args: str) -> None:
        out = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]

    def start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGINT)

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted(self.home.glob("*.log"))
        )

    def query(self, sql: str) -> list[tuple]:
        """Airflow's own records, read-only from its SQLite metadata database."""
        if not self.db.exists():
            return []
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as con:
            try:
                return con.execute(sql).fetchall()
            except sqlite3.OperationalError:  # tables not created yet, or locked for longer than the timeout
                return []


def processes_of(home: Path, *words: str) -> list[int]:
    """Our own processes working for ``home`` (their HUITONG_HOME) whose command line holds ``words``."""
    marker = f"HUITONG_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours
            continue
        if marker in env and all(w in cmdline for w in words):
            found.append(int(entry.name))
    return found


def parse_utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_scheduler_killed_mid_run_every_interval_loads_exactly_once(lake, tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(DAG_FILE)
    api_port = free_port()
    with running_server(store_path=lake.hotel_store, port=0, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        env = airflow_env(
            lake.home,
            HUITONG_HOTEL_API_URL=url,
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(api_port),
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
            **SCHEDULER_TIMINGS,
        )
        airflow = Airflow(lake.home, env)
        try:
            airflow.run("db", "migrate")
            started = time.monotonic()
            # Tasks only need the execution API; the UI's app is not started.
            airflow.start(
                "api-server", "api-server", "-H", "127.0.0.1", "-p", str(api_port), "--apps", "execution"
            )
            airflow.start("dag-processor", "dag-processor")
            airflow.start("scheduler", "scheduler", "--skip-serve-logs")

            def runs() -> list[tuple]:
                return airflow.query(
                    "select run_id, data_interval_start, data_interval_end, state from dag_run "
                    f"where dag_id = '{DAG_ID}'"
                )

            def wait(what: str, done) -> None:
                while not done():
                    assert time.monotonic() - started < DEADLINE_S, (
                        f"{what} within {DEADLINE_S} s\n{airflow.logs()}"
                    )
                    assert all(airflow.alive(n) for n in airflow.procs), airflow.logs()
                    time.sleep(0.2)

            # Mid-run: a load task's command has started (the other run is in flight too).
            wait("a load task started", lambda: processes_of(lake.home, "ingest", "load"))
            airflow.kill("scheduler")
            killed_at = time.monotonic()
            running = airflow.query(
                f"select run_id, task_id from task_instance where dag_id = '{DAG_ID}' and state = 'running'"
            )
            runs_at_kill = runs()
            airflow.start("scheduler", "scheduler", "--skip-serve-logs")
            wait(
                "every run finished",
                lambda: len(r := runs()) >= len(INTERVALS) and all(x[3] in ("success", "failed") for x in r),
            )
            recovered_in = time.monotonic() - killed_at
            final = runs()
            tries = airflow.query(
                f"select run_id, task_id, try_number from task_instance where dag_id = '{DAG_ID}'"
            )
        finally:
            airflow.stop_all()
            # The killed task's command was orphaned (its own session) and may still be writing: let it end before
            # the lake is counted. Airflow is stopped, so whatever still works for this home is such an orphan.
            deadline = time.monotonic() + 60
            while (left := processes_of(lake.home)) and time.monotonic() < deadline:
                time.sleep(0.5)
            for pid in left:
                os.kill(pid, signal.SIGKILL)

    # Airflow: one successful run per interval, none skipped, none doubled.
    windows = sorted((parse_utc(start), parse_utc(end)) for _, start, end, _ in final)
    assert windows == INTERVALS, final
    assert {state for *_, state in final} == {"success"}, final
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
    assert len(list_batches("hotel", "registrations", lake.cfg)) == len(INTERVALS)
    bronze = lake.table("bronze.hotel__registrations")
    quarantine = lake.table("quarantine.quarantined_rows")
    quarantine = quarantine.filter(pc.equal(quarantine["source"], "hotel"))
    assert bronze.num_rows == len(set(bronze["_record_hash"].to_pylist())), "a record loaded twice"
    sent = 0
    for start, end in INTERVALS:
        held = len(hotel_sent(lake.hotel_store, start, end))
        in_lake = sum(
            t.filter(
                pc.and_(pc.greater_equal(t["_watermark_at"], start), pc.less(t["_watermark_at"], end))
            ).num_rows
            for t in (bronze, quarantine)
        )
        assert in_lake == held > 0, (start, in_lake, held)
        sent += held
    assert sum(r["landed"] for r in ledger) == sent
    print(
        f"\nscheduler SIGKILLed with {len(running)} task(s) running; all runs done {recovered_in:.0f} s later"
    )
    assert report("scheduler_killed_mid_run", sent, bronze.num_rows, quarantine.num_rows) == 0
