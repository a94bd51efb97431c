"""Hotel guest registrations (旅馆业): daily, from the hotel registration API into bronze.hotel__registrations."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, WINDOW, bronze_asset, every, huitong

with DAG(
    dag_id="hotel",
    description="旅馆业 hotel registrations: API -> landing -> GX -> bronze Iceberg (+ quarantine, ledger)",
    schedule=every("@daily"),
    start_date=pendulum.datetime(2025, 1, 1, tz=CITY_TZ),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "hotel"],
    doc_md=__doc__,
) as dag:
    land = BashOperator(
        task_id="land",
        doc_md="Extract the data interval from the API (paged, rate-limited) and land it unchanged; XCom: batch id.",
        bash_command=huitong("ingest land hotel", WINDOW),
        do_xcom_push=True,
    )
    load = BashOperator(
        task_id="load",
        doc_md="Validate the landed batch with GX; replace the window in bronze and quarantine; reconcile in the ledger.",
        bash_command=huitong("ingest load", "'{{ ti.xcom_pull(task_ids=\"land\") }}'"),
        outlets=[bronze_asset("hotel", "registrations")],
    )
    land >> load
