#!/bin/sh
# First start of the Postgres container: one database and owner per component. Passwords come from the
# container's environment (compose: .env; k8s: a Secret), never from this file.
set -eu
create() {
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$1" -v password="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') \gexec
SQL
}
create "$HUITONG_CATALOG_USER" "$HUITONG_CATALOG_PASSWORD"
create "$AIRFLOW_DB_USER" "$AIRFLOW_DB_PASSWORD"
create "$SUPERSET_DB_USER" "$SUPERSET_DB_PASSWORD"
