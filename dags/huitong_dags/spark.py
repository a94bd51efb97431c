"""The Spark DAGs' wiring (dags/spark_jobs.py declares them): the master as an Airflow connection, the environment
and confs spark-submit gets, and the one-task DAG each job is."""

from __future__ import annotations

import json
import os

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG

from huitong_dags import CORE_BIN, DEFAULT_ARGS, PROJECT_ROOT

SPARK_CONN_ID = "huitong_spark"
MASTER = os.environ.get("HUITONG_SPARK_MASTER", "local[*]")
# The connection the operator reads; defined from HUITONG_SPARK_MASTER in every process that imports this module
# (scheduler and task runners alike), so a task sees the same master the DAG was rendered with.
os.environ.setdefault(
    f"AIRFLOW_CONN_{SPARK_CONN_ID.upper()}", json.dumps({"conn_type": "spark", "host": MASTER})
)

# Never a secret in env_vars: Airflow stores and shows a task's rendered env_vars, and on Kubernetes or YARN the hook
# passes each one as a --conf on the spark-submit command line. A local or client-mode spark-submit inherits the
# worker's environment, secrets included; a cluster's driver and executors take theirs from the cluster's secrets
# (infra/k8s/spark-defaults-k8s.conf).
SECRET_WORDS = frozenset({"KEY", "SECRET", "PASSWORD", "TOKEN", "URI", "DSN"})


def shared_with_spark(name: str) -> bool:
    """Whether the environment variable ``name`` goes into the Spark jobs' env_vars."""
    return name == "JAVA_HOME" or (name.startswith("HUITONG_") and not SECRET_WORDS & set(name.split("_")))


# spark-submit and the Python the driver and local workers run: the core venv's (pyspark, huitong). On a cluster
# the executors' Python comes from the image (infra/spark/), set with spark.pyspark.python in HUITONG_SPARK_CONF.
SPARK_ENV = {
    "PATH": f"{CORE_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    "PYSPARK_PYTHON": str(CORE_BIN / "python"),
    "PYSPARK_DRIVER_PYTHON": str(CORE_BIN / "python"),
    **{k: v for k, v in os.environ.items() if shared_with_spark(k)},
}
SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": os.environ.get("HUITONG_SPARK_SHUFFLE_PARTITIONS", "200"),
    **json.loads(os.environ.get("HUITONG_SPARK_CONF", "{}")),
}
JOBS = PROJECT_ROOT / "spark_jobs"


def spark_dag(
    dag_id: str, description: str, job: str, args: list[str], params: dict, tags: list[str], doc_md: str = ""
) -> DAG:
    """A manually triggered DAG with one spark-submit task running spark_jobs/<job>.py."""
    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        default_args={**DEFAULT_ARGS, "retries": 0},  # a failed Spark job is re-run by hand, after a look
        params=params,
        tags=["spark", *tags],
        doc_md=doc_md,
    ) as dag:
        SparkSubmitOperator(
            task_id=job,
            conn_id=SPARK_CONN_ID,
            application=str(JOBS / f"{job}.py"),
            application_args=args,
            conf=SPARK_CONF,
            env_vars=SPARK_ENV,
            name=f"huitong-{job.replace('_', '-')}",
        )
    return dag
