"""Parcel real-name records (寄递): hourly, the files that arrived in the drop prefix into bronze.parcel__waybills.

The window is cut on arrival: a file that arrives hours late is taken by the run of the hour it arrives in, and a
re-run of an hour lands the same files again (same batch id) and replaces that hour in bronze.
"""

from __future__ import annotations

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, WINDOW, bronze_asset, every, huitong

with DAG(
    dag_id="parcel",
    description="寄递实名 waybills: JSON Lines drop (gz or not) -> landing -> GX -> bronze Iceberg (+ quarantine, ledger)",
    schedule=every("@hourly"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "parcel"],
    doc_md=__doc__,
) as dag:
    land = BashOperator(
        task_id="land",
        doc_md="List the files that arrived in the data interval and land them unchanged; XCom: batch id.",
        bash_command=huitong("ingest land parcel", WINDOW),
        do_xcom_push=True,
    )
    load = BashOperator(
        task_id="load",
        doc_md="Gunzip and parse; corrupt or truncated files and bad lines go to quarantine with the reason.",
        bash_command=huitong("ingest load", "'{{ ti.xcom_pull(task_ids=\"land\") }}'"),
        outlets=[bronze_asset("parcel", "waybills")],
    )
    land >> load
