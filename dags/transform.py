"""Transform: when bronze changes, build the dbt project layer by layer (seeds and staging, intermediate, marts; each
a Cosmos `dbt build`: models, then their tests, in dependency order with dbt's threads) and publish the finished
build for Superset and queries.

Why one task per layer and not one per model: each dbt process pays ~5-10 s of start-up (parse, adapter, DuckDB
attach). With ~60 models on 2 cores, one process per model spent most of a run starting dbt; per layer, a run is a
few start-ups and the failing layer is still obvious in Airflow (dbt's log in the task names the model and test).
A failed layer stops the run before publish, so readers keep the last good build.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from cosmos import ProfileConfig
from cosmos.operators.local import DbtBuildLocalOperator

from huitong_dags import (
    CORE_BIN,
    DBT_PROJECT,
    DEFAULT_ARGS,
    SERVING_ASSET,
    all_bronze_assets,
    dbt_target,
    huitong,
    keep_run_results,
)

# task id -> dbt selection; built in this order.
LAYERS = {
    "dbt_staging": "resource_type:seed path:models/staging",
    "dbt_intermediate": "path:models/intermediate",
    "dbt_marts": "path:models/marts",
}

with DAG(
    dag_id="transform",
    description="dbt build per layer (Cosmos) on bronze changes, then an atomic publish for readers",
    schedule=all_bronze_assets(),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one build at a time: dbt holds the build database's lock
    default_args={**DEFAULT_ARGS, "retries": 1},
    tags=["transform", "dbt"],
    doc_md=__doc__,
) as dag:
    sync_views = BashOperator(
        task_id="sync_lake_views",
        doc_md="Pin every Iceberg table's current snapshot as a view in the DuckDB build (Trino needs no such step).",
        bash_command=huitong("lake sync-views"),
    )
    profile = ProfileConfig(
        profile_name="huitong",
        target_name=dbt_target(),
        profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
    )
    previous = sync_views
    for task_id, selection in LAYERS.items():
        layer = DbtBuildLocalOperator(
            task_id=task_id,
            doc_md=f"`dbt build --select {selection}`: the layer's models, then their tests.",
            project_dir=str(DBT_PROJECT),
            profile_config=profile,
            dbt_executable_path=str(CORE_BIN / "dbt"),
            select=selection.split(),
            install_deps=False,
            env={"HUITONG_HOME": os.environ.get("HUITONG_HOME", ""), "DBT_PROFILES_DIR": str(DBT_PROJECT)},
            append_env=True,
            callback=keep_run_results,  # publish refuses a build whose last dbt run did not pass
        )
        previous >> layer
        previous = layer
    publish = BashOperator(
        task_id="publish",
        doc_md="Check the last dbt build passed (its run_results.json), copy the build to an immutable release and "
        "swap serving/current.duckdb to it.",
        bash_command=huitong("publish"),
        outlets=[SERVING_ASSET],
    )
    previous >> publish
