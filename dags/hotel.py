"""Hotel guest registrations (旅馆业): daily, from the hotel registration API into bronze.hotel__registrations."""

from __future__ import annotations

from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, every, land_and_load

with DAG(
    dag_id="hotel",
    description="旅馆业 hotel registrations: API -> landing -> GX -> bronze Iceberg (+ quarantine, ledger)",
    schedule=every("@daily"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "hotel"],
    doc_md=__doc__,
) as dag:
    land_and_load("hotel", "registrations")
