"""Camera registries (天网 / 雪亮 / 慧眼): daily, from the platforms' drop folder into bronze.camera__*.

Each night every GB/T 28181 platform drops its Catalog snapshot (XML) and the day's online/offline events (JSON
Lines). One land -> load pair per entity; a missing status file fails the land task, which retries with backoff
until the platform delivers (the events are changes and must not be skipped).
"""

from __future__ import annotations

from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SCHEDULE_START, every, land_and_load

with DAG(
    dag_id="camera",
    description="天网/雪亮/慧眼 camera catalogues and status events: drop folder -> landing -> GX -> bronze Iceberg",
    schedule=every("@daily"),
    start_date=SCHEDULE_START,
    catchup=True,  # a missed interval's records are never in a later one
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["source", "camera"],
    doc_md=__doc__,
) as dag:
    for entity in ("devices", "status_events"):
        land_and_load("camera", entity, suffix=f"_{entity}")
