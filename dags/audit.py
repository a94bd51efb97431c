"""Query audit trail (审计): hourly, the records of the interval from every path (the lines `huitong query` and, in
production, the Trino audit collector appended to audit/queries.jsonl; Superset's query log from its metadata DB),
into bronze.audit__queries, then marts.audit_queries (read by auditors only) and the audit dashboard.
"""

from __future__ import annotations

from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, every, land_and_load

with DAG(
    dag_id="audit",
    description="Who queried what, by which path: audit log + Superset query log -> landing -> GX -> bronze Iceberg",
    schedule=every("5 * * * *"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["source", "audit", "privacy"],
    doc_md=__doc__,
) as dag:
    land_and_load("audit", "queries")
