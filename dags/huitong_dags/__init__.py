"""Shared wiring for Huitong's DAG files (ignored by DAG discovery, imported by the DAGs).

DAG files import only Airflow. The work runs in the core virtualenv through the `huitong` and `dbt` executables,
so Airflow's and the pipeline's dependencies never have to agree.
"""

from __future__ import annotations

import os
import shlex
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset
from airflow.timetables.interval import CronDataIntervalTimetable

PROJECT_ROOT = Path(os.environ.get("HUITONG_PROJECT_ROOT", Path(__file__).resolve().parents[2]))
CORE_BIN = Path(os.environ.get("HUITONG_CORE_BIN", PROJECT_ROOT / ".venvs" / "core" / "bin"))
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
CITY_TZ = pendulum.timezone("Asia/Shanghai")

# Retries with exponential backoff: sources go down for hours, and a re-run of a window is always safe.
DEFAULT_ARGS = {
    "owner": "huitong",
    "retries": int(os.environ.get("HUITONG_TASK_RETRIES", "3")),
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}


# The first interval the scheduled source DAGs own: history before it is history_load's. They catch up from it
# (catchup=True): after a scheduler outage every missed interval gets its run, none is skipped. Set it to the day
# scheduled ingestion went live; `make` sets the day before HUITONG_AS_OF (the demo's history ends at AS_OF).
SCHEDULE_START = pendulum.parse(os.environ.get("HUITONG_SCHEDULE_START", "2026-01-01"), tz=CITY_TZ)


# Every source entity that lands in bronze, with the window size its history is loaded in. A new source adds
# one line here (and its own DAG file); history_load and the transform's schedule follow from this table.
SOURCES: dict[str, str] = {
    "reference.admin_divisions": "month",
    "reference.key_businesses": "month",
    "hotel.registrations": "month",
    "camera.devices": "month",
    "camera.status_events": "month",
    "public_safety.incidents": "month",
    "public_safety.disputes": "month",
    "public_safety.survey_responses": "month",
    "public_safety.fugitives": "month",
    "rental.landlords": "month",
    "rental.tenants": "month",
    "rental.contracts": "month",
    "parcel.waybills": "month",
    "trade.trades": "month",
    "audit.queries": "month",
}


def dbt_target() -> str:
    """The dbt target, by huitong.config's rule (Settings.dbt_target; this venv does not import huitong):
    HUITONG_DBT_TARGET, else trino under the production profile, else duckdb."""
    default = "trino" if os.environ.get("HUITONG_PROFILE", "embedded") == "production" else "duckdb"
    return os.environ.get("HUITONG_DBT_TARGET") or default


def every(cron: str) -> CronDataIntervalTimetable:
    """A cron schedule whose runs cover the interval since the previous tick (Airflow 3's plain cron strings
    give runs a point in time instead: data_interval_start == data_interval_end)."""
    return CronDataIntervalTimetable(cron, timezone=CITY_TZ)


def bronze_asset(source: str, entity: str) -> Asset:
    """The bronze Iceberg table a source DAG updates; the transform DAG is scheduled on these."""
    return Asset(name=f"bronze.{source}__{entity}", uri=f"iceberg://huitong/bronze/{source}__{entity}")


def all_bronze_assets():
    """Any bronze table changing (the transform DAG's schedule)."""
    assets = [bronze_asset(*name.split(".")) for name in SOURCES]
    schedule = assets[0]
    for asset in assets[1:]:
        schedule = schedule | asset
    return schedule


def keep_run_results(project_dir: str, **_context) -> None:
    """Cosmos callback after each dbt build (passed or failed): copy dbt's run_results.json out of Cosmos's temporary
    project copy into the home's dbt target folder (huitong.config.Settings.dbt_target_dir, the same path), where
    `huitong publish` checks that the build it is about to serve passed. Written atomically: publish reads whole
    files only."""
    import shutil

    source = Path(project_dir) / "target" / "run_results.json"
    if not source.exists():
        return  # dbt died before writing it: the results left are older than the build, which publish refuses
    target = Path(os.environ["HUITONG_HOME"]) / "warehouse" / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".run_results.{os.getpid()}.json"
    shutil.copyfile(source, partial)
    os.replace(partial, target / "run_results.json")


SERVING_ASSET = Asset(name="serving.current", uri="file://huitong/serving/current.duckdb")


def huitong(*args: str) -> str:
    """A bash command running the huitong CLI in the core venv. Arguments may hold Jinja templates."""
    return " ".join([shlex.quote(str(CORE_BIN / "huitong")), *args])


WINDOW = "--start '{{ data_interval_start.isoformat() }}' --end '{{ data_interval_end.isoformat() }}'"


def land_and_load(source: str, entity: str, suffix: str = ""):
    """The two tasks every source runs for its data interval (call inside a DAG context):
    land (extract the interval, write it unchanged; XCom: the batch id), then load (GX, bronze, quarantine, ledger)."""
    from airflow.providers.standard.operators.bash import BashOperator

    land = BashOperator(
        task_id=f"land{suffix}",
        doc_md="Extract exactly the data interval and land it unchanged as an immutable batch; XCom: batch id.",
        bash_command=huitong(f"ingest land {source}.{entity}", WINDOW),
        do_xcom_push=True,
    )
    load = BashOperator(
        task_id=f"load{suffix}",
        doc_md="Validate with GX; replace the interval in bronze and quarantine in single commits; reconcile.",
        bash_command=huitong("ingest load", f"'{{{{ ti.xcom_pull(task_ids=\"land{suffix}\") }}}}'"),
        outlets=[bronze_asset(source, entity)],
    )
    land >> load
    return land, load
