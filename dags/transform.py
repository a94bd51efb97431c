"""Transform: when bronze changes, build the dbt project (staging, intermediate, marts; models and tests as
Airflow tasks through Astronomer Cosmos) and publish the finished build for Superset and queries."""

from __future__ import annotations

import os

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from cosmos import DbtTaskGroup, ExecutionConfig, LoadMode, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, TestBehavior

from huitong_dags import CORE_BIN, DBT_PROJECT, DEFAULT_ARGS, SERVING_ASSET, all_bronze_assets, huitong

MANIFEST = DBT_PROJECT / "target" / "manifest.json"

with DAG(
    dag_id="transform",
    description="dbt build (Cosmos) on bronze changes, then an atomic publish for readers",
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
    dbt_build = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
            env_vars={
                "HUITONG_HOME": os.environ.get("HUITONG_HOME", ""),
                "DBT_PROFILES_DIR": str(DBT_PROJECT),
            },
        ),
        profile_config=ProfileConfig(
            profile_name="huitong",
            target_name=os.environ.get("HUITONG_DBT_TARGET", "duckdb"),
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, dbt_executable_path=CORE_BIN / "dbt"
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            # One `dbt build` task per model (run, then its tests): half the dbt start-ups of run + test tasks.
            test_behavior=TestBehavior.BUILD,
            # A test over two models (e.g. person_components_converged) runs in its own task after both are built;
            # attached to the first parent it would run before the second exists on a fresh warehouse.
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"install_deps": False},
    )
    publish = BashOperator(
        task_id="publish",
        doc_md="Copy the passed build to an immutable release and swap serving/current.duckdb to it.",
        bash_command=huitong("publish"),
        outlets=[SERVING_ASSET],
    )
    sync_views >> dbt_build >> publish
