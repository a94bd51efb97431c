"""A real Airflow 3 for the tests that need its scheduler: the API server (for the task execution API only), the DAG
processor and the scheduler with the LocalExecutor, each in its own process group (as scripts/services.sh starts
them), over a private AIRFLOW_HOME and loopback ports."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from huitong.serving.superset_server import free_port
from huitong.simulate.hotel_api import running_server
from tests.conftest import VENVS, airflow_env
from tests.faults.conftest import TOKEN, Lake

AIRFLOW = str(VENVS / "airflow" / "bin" / "airflow")
# Local 9, 10 and 11 February 2026 (UTC+8 midnights): each has hotel registrations in the fault suite's city.
HOTEL_DAYS = [
    (datetime(2026, 2, d, 16, tzinfo=UTC), datetime(2026, 2, d + 1, 16, tzinfo=UTC)) for d in (8, 9, 10)
]


class Airflow:
    """Airflow's components, each in its own process group."""

    def __init__(self, home: Path, env: dict[str, str], api_port: int):
        self.home, self.env, self.api_port, self.procs = home, env, api_port, {}
        self.db = home / "airflow" / "airflow.db"

    def run(self, *args: str) -> str:
        out = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
        return out.stdout + out.stderr

    def start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start_scheduler(self) -> None:
        self.start("scheduler", "scheduler", "--skip-serve-logs")

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

    def runs(self, dag_id: str) -> list[tuple]:
        """(run_id, data_interval_start, data_interval_end, state, run_type) of the DAG's runs."""
        return self.query(
            "select run_id, data_interval_start, data_interval_end, state, run_type from dag_run "
            f"where dag_id = '{dag_id}'"
        )

    def wait(self, what: str, done, deadline: float) -> None:
        """Until ``done()``, failing with Airflow's logs at the ``deadline`` (time.monotonic) or when a component
        died."""
        while not done():
            assert time.monotonic() < deadline, f"{what}: not by the deadline\n{self.logs()}"
            assert all(self.alive(n) for n in self.procs), self.logs()
            time.sleep(0.2)


@contextlib.contextmanager
def running_airflow(home: Path, dags: Path, **extra: str) -> Iterator[Airflow]:
    """Airflow over ``home`` (its HUITONG_HOME; AIRFLOW_HOME inside it) scheduling the DAG files in ``dags``, with
    DAGs unpaused at creation; ``extra`` adds to or overrides its environment. On exit every component is stopped
    and any task command still working for ``home`` (orphaned by a kill: it lives in its own session) is let end,
    or killed after a minute, before the caller counts the lake."""
    api_port = free_port()
    env = airflow_env(
        home,
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        **extra,
    )
    airflow = Airflow(home, env, api_port)
    try:
        airflow.run("db", "migrate")
        # Tasks only need the execution API; the UI's app is not started.
        airflow.start(
            "api-server", "api-server", "-H", "127.0.0.1", "-p", str(api_port), "--apps", "execution"
        )
        airflow.start("dag-processor", "dag-processor")
        airflow.start_scheduler()
        yield airflow
    finally:
        airflow.stop_all()
        deadline = time.monotonic() + 60
        while (left := processes_of(home)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left:
            os.kill(pid, signal.SIGKILL)


def hotel_dag(
    dag_id: str, purpose: str, *, first_day: int, last_day: int, catchup: bool, retry_delay_s: int = 0
):
    """The source of a DAG with the hotel source's own wiring (land_and_load, its DEFAULT_ARGS), daily from the
    local 2026-02-<first_day> to 2026-02-<last_day>, two runs at a time; ``retry_delay_s`` shortens the retry delay
    so a retry fits a test's time."""
    retry = f', "retry_delay": timedelta(seconds={retry_delay_s})' if retry_delay_s else ""
    return textwrap.dedent(
        f'''
        """{purpose}"""
        from datetime import timedelta

        import pendulum
        from airflow.sdk import DAG

        from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

        with DAG(
            dag_id="{dag_id}",
            schedule=every("@daily"),
            start_date=pendulum.datetime(2026, 2, {first_day}, tz=CITY_TZ),
            end_date=pendulum.datetime(2026, 2, {last_day}, tz=CITY_TZ),
            catchup={catchup},
            max_active_runs=2,
            default_args={{**DEFAULT_ARGS{retry}}},
        ):
            land_and_load("hotel", "registrations")
        '''
    )


@contextlib.contextmanager
def hotel_under_airflow(lake: Lake, folder: Path, dag_source: str, **extra: str) -> Iterator[Airflow]:
    """The simulated hotel API over the lake's city, and Airflow (running_airflow) scheduling one DAG,
    ``dag_source``, written into ``folder``/dags, against it."""
    dags = folder / "dags"
    dags.mkdir()
    (dags / "hotel_dag.py").write_text(dag_source)
    with (
        running_server(store_path=lake.hotel_store, port=0, token=TOKEN, rate_per_s=0, error_rate=0) as url,
        running_airflow(lake.home, dags, HUITONG_HOTEL_API_URL=url, **extra) as airflow,
    ):
        yield airflow


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
