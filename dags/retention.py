"""Lake maintenance (daily). First compaction: each partition's small data files (a batch's own) are rewritten as one,
so commits stay fast as batches accumulate. Then retention: personal records past HUITONG_RETENTION_DAYS leave
bronze, the quarantine and landing; Iceberg snapshots past HUITONG_SNAPSHOT_KEEP_DAYS (and every snapshot that still
holds removed records) are expired and their files deleted; Spark outputs not written for
HUITONG_SPARK_OUTPUT_KEEP_DAYS are removed; the query audit trail past HUITONG_AUDIT_RETENTION_DAYS leaves the lake,
its raw log and Superset's query log. The next transform rebuilds the marts without the removed records and unlinks
them from the person id map. A step retention cannot do (a table another engine is committing to, Superset's
database) fails the task after the rest is done; its retry tries again. See docs/operations.md and
docs/access-policy.md (Retention).
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import CITY_TZ, DEFAULT_ARGS, SOURCES, bronze_asset, every, huitong

with DAG(
    dag_id="retention",
    description="Compact small files; remove personal records past their retention period; expire old snapshots",
    schedule=every("30 3 * * *"),
    start_date=pendulum.datetime(2025, 1, 1, tz=CITY_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["maintenance", "privacy"],
    doc_md=__doc__,
) as dag:
    compact = BashOperator(
        task_id="compact",
        doc_md="`huitong lake compact`: prints, per table, the small files rewritten and the files that replaced them.",
        bash_command=huitong("lake compact"),
    )
    retention = BashOperator(
        task_id="apply_retention",
        doc_md="`huitong lake retention`: prints, per table, rows, landed batches, snapshots and files removed.",
        bash_command=huitong("lake retention"),
        # Bronze changed: the transform rebuilds the marts without the removed records.
        outlets=[bronze_asset(*name.split(".")) for name in SOURCES],
    )
    compact >> retention
