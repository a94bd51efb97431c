"""Reference registries: the monthly snapshots of the division list and the key-industry business registry into
bronze.reference__admin_divisions and bronze.reference__key_businesses."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, every, land_and_load

with DAG(
    dag_id="reference",
    description="Division list and key-business registry snapshots -> bronze Iceberg",
    schedule=every("@monthly"),
    start_date=pendulum.datetime(2025, 1, 1, tz=CITY_TZ),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["source", "reference"],
    doc_md=__doc__,
) as dag:
    for entity in ("admin_divisions", "key_businesses"):
        land_and_load("reference", entity, suffix=f"_{entity}")
