"""Spark jobs for when the data outgrows one machine: the same meaning as the single-machine path, at scale.

`huitong.spark.backfill`: landing -> bronze-shaped Parquet (the Python loader's parse, hashes, quarantine split).
`huitong.spark.person_er`: person entity resolution (the dbt person models' blocking, levels, parameters and
clustering). `spark_jobs/*.py` are the thin spark-submit entry points; `huitong.spark.session` builds sessions.
Importing this package does not import pyspark.
"""
