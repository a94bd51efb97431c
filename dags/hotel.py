"""Hotel guest registrations (旅馆业): daily, from the hotel registration API into bronze.hotel__registrations."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

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
    land_and_load("hotel", "registrations")
