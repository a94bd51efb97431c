# Airflow plus Huitong's core venv (dbt, GX, pyiceberg, DuckDB, PySpark client): DAGs import only Airflow and run
# pipeline steps through /opt/huitong/core/bin (see /work/shared/PLATFORM_NOTES.md "Three environments").
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*
# HUITONG_HOME in compose: a named volume mounted here starts with this ownership (the audit log is written here).
# Same for the Superset assets rendered for import (compose service superset-assets).
RUN mkdir -p /var/lib/huitong /rendered && chown airflow:root /var/lib/huitong /rendered
USER airflow
COPY --chown=airflow:root locks/ /opt/huitong/locks/
RUN pip install --no-cache-dir uv \
 && uv venv /opt/huitong/core --python python3.11 \
 && uv pip sync --python /opt/huitong/core/bin/python /opt/huitong/locks/core.lock \
 && pip install --no-cache-dir "astronomer-cosmos==1.15.1"
COPY --chown=airflow:root pyproject.toml /opt/huitong/src-root/pyproject.toml
COPY --chown=airflow:root src/ /opt/huitong/src-root/src/
COPY --chown=airflow:root dbt_project/ /opt/huitong/dbt_project/
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root infra/policy/ /opt/huitong/infra/policy/
# Dashboards as code, rendered for Superset's import by this image (compose superset-assets, Helm init container).
COPY --chown=airflow:root superset/assets/ /opt/huitong/superset-assets/
RUN uv pip install --python /opt/huitong/core/bin/python --no-deps /opt/huitong/src-root
ENV HUITONG_PROFILE=production HUITONG_CORE_VENV=/opt/huitong/core
