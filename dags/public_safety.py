"""Public-safety records: daily, the police records system's nightly exports into bronze.public_safety__*.

Incidents (criminal / public order / 两抢一盗, cleared), disputes and sense-of-security survey answers, one CSV per
table per day. Each export replaces its day in bronze, so re-running a day is safe; a missing export fails the
land task, which retries with backoff until the file arrives.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, WINDOW, bronze_asset, every, huitong

with DAG(
    dag_id="public_safety",
    description="Incidents, disputes and survey answers: nightly CSV exports -> landing -> GX -> bronze Iceberg",
    schedule=every("@daily"),
    start_date=pendulum.datetime(2025, 1, 1, tz=CITY_TZ),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "public_safety"],
    doc_md=__doc__,
) as dag:
    for entity in ("incidents", "disputes", "survey_responses"):
        land = BashOperator(
            task_id=f"land_{entity}",
            doc_md="Pick up the interval's export file(s) and land them unchanged; XCom: batch id.",
            bash_command=huitong(f"ingest land public_safety.{entity}", WINDOW),
            do_xcom_push=True,
        )
        load = BashOperator(
            task_id=f"load_{entity}",
            doc_md="Validate the landed batch with GX; replace the export days in bronze and quarantine; reconcile.",
            bash_command=huitong("ingest load", f"'{{{{ ti.xcom_pull(task_ids=\"land_{entity}\") }}}}'"),
            outlets=[bronze_asset("public_safety", entity)],
        )
        land >> load
