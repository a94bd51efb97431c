"""Reference registries (administrative divisions): a monthly snapshot into bronze.reference__admin_divisions."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

with DAG(
    dag_id="reference",
    description="GB/T 2260 division registry snapshot -> bronze Iceberg",
    schedule=every("@monthly"),
    start_date=pendulum.datetime(2025, 1, 1, tz=CITY_TZ),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["source", "reference"],
    doc_md=__doc__,
) as dag:
    for entity in ("admin_divisions", "key_businesses"):
        land_and_load("reference", entity, suffix=f"_{entity}")
