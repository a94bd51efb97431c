# Superset with the Trino driver; superset_config.py (roles, RLS, impersonation) comes from ../superset/.
FROM apache/superset:6.1.0
USER root
RUN pip install --no-cache-dir "trino==0.340.0"
USER superset
