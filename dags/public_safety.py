"""Public-safety records: daily, the police records system's nightly exports into bronze.public_safety__*.

Incidents (criminal / public order / 两抢一盗, cleared), disputes, survey answers (sense of security, law-enforcement
satisfaction) and fugitive records (registered / caught, counts only), one CSV per
table per day. Each export replaces its day in bronze, so re-running a day is safe; a missing export fails the
land task, which retries with backoff until the file arrives.
"""

from __future__ import annotations

from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, every, land_and_load

with DAG(
    dag_id="public_safety",
    description="Incidents, disputes, survey answers, fugitives: nightly CSV exports -> landing -> GX -> bronze Iceberg",
    schedule=every("@daily"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "public_safety"],
    doc_md=__doc__,
) as dag:
    for entity in ("incidents", "disputes", "survey_responses", "fugitives"):
        land_and_load("public_safety", entity, suffix=f"_{entity}")
