"""Housing rental (房屋租赁): hourly, rows changed in the housing system's PostgreSQL (by updated_at) into bronze.

One land/load pair per table (landlords, tenants, contracts), so a failing table retries alone. Soft deletes arrive
as updated rows with is_deleted = true. The workers need HUITONG_RENTAL_DSN in their environment.
"""

from __future__ import annotations

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, WINDOW, bronze_asset, every, huitong

TABLES = ("landlords", "tenants", "contracts")

with DAG(
    dag_id="rental",
    description="房屋租赁 landlords/tenants/contracts: PostgreSQL by updated_at -> landing -> GX -> bronze Iceberg",
    schedule=every("@hourly"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["source", "rental"],
    doc_md=__doc__,
) as dag:
    for table in TABLES:
        land = BashOperator(
            task_id=f"land_{table}",
            doc_md=f"Select the {table} rows whose updated_at is in the data interval; land them as JSON Lines.",
            bash_command=huitong(f"ingest land rental.{table}", WINDOW),
            do_xcom_push=True,
        )
        load = BashOperator(
            task_id=f"load_{table}",
            bash_command=huitong("ingest load", f"'{{{{ ti.xcom_pull(task_ids=\"land_{table}\") }}}}'"),
            outlets=[bronze_asset("rental", table)],
        )
        land >> load
