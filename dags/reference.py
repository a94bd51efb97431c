"""Reference registries (administrative divisions): a monthly snapshot into bronze.reference__admin_divisions."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, WINDOW, bronze_asset, every, huitong

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
    land = BashOperator(
        task_id="land", bash_command=huitong("ingest land reference", WINDOW), do_xcom_push=True
    )
    load = BashOperator(
        task_id="load",
        bash_command=huitong("ingest load", "'{{ ti.xcom_pull(task_ids=\"land\") }}'"),
        outlets=[bronze_asset("reference", "admin_divisions")],
    )
    land >> load
