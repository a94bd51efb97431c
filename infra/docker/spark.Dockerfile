# Spark master / worker / executor image for Huitong's jobs: PySpark's own Spark (pinned in locks/core.lock, so the
# cluster runs the version the jobs were tested with), Huitong's core venv for the Python workers, and the Iceberg
# runtime for writing bronze through the shared JDBC catalog. Built by CI with registry access; the Iceberg jars
# cannot be fetched on the offline development machines (docs/spark.md).
FROM python:3.11-slim-bookworm
ARG ICEBERG_VERSION=1.10.0
ARG ICEBERG_SPARK=4.0_2.13
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl procps \
 && rm -rf /var/lib/apt/lists/*
COPY locks/ /opt/huitong/locks/
RUN pip install --no-cache-dir uv \
 && uv venv /opt/huitong/core --python python3.11 \
 && uv pip sync --python /opt/huitong/core/bin/python /opt/huitong/locks/core.lock
COPY pyproject.toml /opt/huitong/src-root/pyproject.toml
COPY src/ /opt/huitong/src-root/src/
COPY dbt_project/seeds/ /opt/huitong/src-root/dbt_project/seeds/
COPY spark_jobs/ /opt/huitong/spark_jobs/
COPY infra/spark/spark-defaults.conf /opt/huitong/spark-defaults.conf
# editable: huitong finds dbt_project/seeds (ER parameters) next to src/, as in the repository
RUN uv pip install --python /opt/huitong/core/bin/python --no-deps -e /opt/huitong/src-root \
 && SPARK_HOME=$(/opt/huitong/core/bin/python -c "import pyspark, os; print(os.path.dirname(pyspark.__file__))") \
 && ln -s "$SPARK_HOME" /opt/spark \
 && curl -fsSL -o /opt/spark/jars/iceberg-spark-runtime.jar \
      "https://repo1.maven.org/maven2/org/apache/iceberg/iceberg-spark-runtime-${ICEBERG_SPARK}/${ICEBERG_VERSION}/iceberg-spark-runtime-${ICEBERG_SPARK}-${ICEBERG_VERSION}.jar" \
 && curl -fsSL -o /opt/spark/jars/iceberg-aws-bundle.jar \
      "https://repo1.maven.org/maven2/org/apache/iceberg/iceberg-aws-bundle/${ICEBERG_VERSION}/iceberg-aws-bundle-${ICEBERG_VERSION}.jar"
ENV SPARK_HOME=/opt/spark PATH=/opt/huitong/core/bin:/opt/spark/bin:$PATH PYSPARK_PYTHON=/opt/huitong/core/bin/python \
    HUITONG_PROFILE=production
WORKDIR /opt/huitong
