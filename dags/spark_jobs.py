"""Spark jobs for when the data outgrows one machine (manual runs, no schedule): the bulk backfill of a source's
landed history into bronze-shaped Parquet, person entity resolution at scale, and marts too heavy for one
machine. Each is a spark-submit run of spark_jobs/*.py through Airflow's SparkSubmitOperator; the logic lives in
huitong.spark (core venv).

The master is configuration, not code: HUITONG_SPARK_MASTER (default `local[*]`; `spark://host:7077` or
`k8s://https://...` in production) becomes the Airflow connection `huitong_spark` unless that connection is
defined in the environment (AIRFLOW_CONN_HUITONG_SPARK) or a secrets backend, e.g. with a deploy mode or a
namespace. One kept only in the metadata database (the UI) is shadowed: Airflow reads the environment first.
"""

from __future__ import annotations

from airflow.sdk import Param

from huitong_dags.spark import spark_dag

backfill_dag = spark_dag(
    "spark_backfill",
    "Spark: a source's landed history -> bronze-shaped Parquet (parse, hashes, quarantine split)",
    "backfill_bronze",
    [
        "{{ params.source }}",
        "{% if params.start %}--start={{ params.start }}{% endif %}",
        "{% if params.end %}--end={{ params.end }}{% endif %}",
    ],
    {
        "source": Param("hotel.registrations", type="string", description="source.entity to backfill"),
        "start": Param("", type="string", description="first window start (ISO 8601; empty: all landed)"),
        "end": Param("", type="string", description="end, exclusive (ISO 8601; empty: all landed)"),
    },
    ["backfill"],
    doc_md=__doc__,
)
person_er_dag = spark_dag(
    "spark_person_er",
    "Spark: person entity resolution at scale with the dbt model's blocking, levels and parameters",
    "person_er",
    [
        "--input={{ params.persons }}",
        "{% if params.params_path %}--params={{ params.params_path }}{% endif %}",
    ],
    {
        "persons": Param(type="string", description="person records Parquet (documented columns of er link)"),
        "params_path": Param(
            "", type="string", description="trained parameters, CSV/Parquet; empty: defaults"
        ),
    },
    ["er"],
    doc_md=__doc__,
)
marts_dag = spark_dag(
    "spark_marts",
    "Spark: a mart too heavy for one machine (hotel_stays_daily = metric_hotel_stays_daily) from bronze",
    "marts",
    [
        "{{ params.mart }}",
        "--registrations={{ params.registrations }}",
        "--jurisdictions={{ params.jurisdictions }}",
    ],
    {
        "mart": Param("hotel_stays_daily", type="string", enum=["hotel_stays_daily"], description="the mart"),
        "registrations": Param(type="string", description="bronze hotel registrations (Parquet path or URI)"),
        "jurisdictions": Param(type="string", description="dim_jurisdiction (Parquet or CSV path or URI)"),
    },
    ["marts"],
    doc_md=__doc__,
)
