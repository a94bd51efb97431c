"""Load a range of history for every source, window by window (first deployment, or after a long outage).

Triggered by hand (or `make demo`) with params start/end. The same code as the daily DAGs, so re-running is safe:
each window replaces itself in bronze. When every source's backfill has finished, one task updates all the bronze
assets, so the transform DAG builds once on the whole history (not once per finished source, as it would if each
backfill task declared its own outlet: a dozen builds of a partial history on a 2-core machine).
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param

from huitong_dags import DEFAULT_ARGS, SOURCES, bronze_asset, huitong

with DAG(
    dag_id="history_load",
    description="Backfill every source's history from its system into bronze, window by window",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param("2025-01-01T00:00:00+08:00", type="string", description="First instant (ISO 8601)"),
        "end": Param(
            "2026-01-01T00:00:00+08:00", type="string", description="End instant, exclusive (ISO 8601)"
        ),
    },
    tags=["backfill"],
    doc_md=__doc__,
) as dag:
    loaded = EmptyOperator(
        task_id="history_loaded",
        doc_md="Every backfill passed: mark every bronze table changed, once (the transform runs on this).",
        outlets=[bronze_asset(*name.split(".")) for name in SOURCES],
    )
    for name, every in SOURCES.items():
        (
            BashOperator(
                task_id=f"backfill_{name.replace('.', '__')}",
                bash_command=huitong(
                    "ingest backfill",
                    name,
                    "--start '{{ params.start }}' --end '{{ params.end }}'",
                    f"--every {every}",
                ),
            )
            >> loaded
        )
