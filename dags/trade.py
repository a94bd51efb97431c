"""Second-hand and scrap trade (二手/废旧物品收购): daily, the shops' CSV/xlsx uploads into bronze.trade__trades.

The data interval is the local day (the upload folder it names); shops upload the day's purchases after closing, so
the run waits until 02:00 the next morning before landing the folder.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, WINDOW, bronze_asset, every, huitong

with DAG(
    dag_id="trade",
    description="二手/废旧物品收购 uploads: CSV (UTF-8/GB18030) and xlsx -> landing -> GX -> bronze Iceberg",
    # Whole local days: a `0 2 * * *` interval would run 02:00-02:00 and take the folder of the day just begun.
    schedule=every("@daily"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "trade"],
    doc_md=__doc__,
) as dag:
    late_uploads = TimeDeltaSensor(
        task_id="wait_for_late_uploads",
        doc_md="Until 02:00 after the day: the night is left for late uploads (a caught-up past day passes at once).",
        delta=timedelta(hours=2),
        mode="reschedule",
        poke_interval=600,
    )
    land = BashOperator(
        task_id="land",
        doc_md="Land the day folders of the data interval unchanged; XCom: batch id.",
        bash_command=huitong("ingest land trade", WINDOW),
        do_xcom_push=True,
    )
    load = BashOperator(
        task_id="load",
        doc_md="Decode, map header variants, validate; unreadable files are quarantined whole with the reason.",
        bash_command=huitong("ingest load", "'{{ ti.xcom_pull(task_ids=\"land\") }}'"),
        outlets=[bronze_asset("trade", "trades")],
    )
    late_uploads >> land >> load
