"""Spark sessions for Huitong's jobs: one place for the settings every job shares.

The master comes from spark-submit (`--master`, set by the Airflow connection) or, when a job is started as a
plain Python program or from a test, from HUITONG_SPARK_MASTER (default `local[*]`). Timestamps are UTC
everywhere, as in bronze. Locally Spark reads and writes Parquet; Iceberg on Spark needs the Iceberg runtime jar,
which production images carry (infra/spark/).
"""

from __future__ import annotations

import os
import sys

from huitong.config import settings


def spark_session(app_name: str, master: str | None = None, conf: dict[str, str] | None = None):
    """A SparkSession (the active one if a job already has it). `master=None`: spark-submit's, else the config's."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master or not _submitted():
        master = master or settings().spark_master
        builder = builder.master(master)
        if master.startswith("local"):
            # Python workers of a local master run this interpreter (the venv with huitong), not `python3`.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    defaults = {
        "spark.sql.session.timeZone": "UTC",
        # Parquet timestamps as microseconds adjusted to UTC (what pyarrow, DuckDB and bronze use), not INT96
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.adaptive.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _submitted() -> bool:
    """True inside a spark-submit driver: spark-submit starts the Python driver with its JVM gateway's port, and
    the master it was given is already in the JVM's configuration."""
    return "PYSPARK_GATEWAY_PORT" in os.environ
