"""dbt docs: after every publish, regenerate the data dictionary (what every shared table and column means) from the
published build, so the docs server (`make docs`, linked from every dashboard) always describes what Superset shows.

A separate DAG on the serving asset rather than a task in `transform`: a docs failure never holds back the
dashboards, and the build's own run stays as short as it was. The work is `huitong docs generate` in the core venv.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from huitong_dags import DEFAULT_ARGS, SERVING_ASSET, huitong

with DAG(
    dag_id="docs",
    description="dbt docs generate over each published build (the departments' data dictionary)",
    schedule=SERVING_ASSET,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 1},
    tags=["docs", "dbt"],
    doc_md=__doc__,
) as dag:
    BashOperator(
        task_id="generate",
        doc_md="`dbt docs generate --static` over the build, published atomically to $HUITONG_HOME/docs/current.",
        bash_command=huitong("docs", "generate"),
    )
