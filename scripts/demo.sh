#!/usr/bin/env bash
# make demo: a synthetic city through every layer under Airflow, ending with Superset serving the dashboards.
set -euo pipefail
: "${HUITONG_HOME:?run through make demo}"
ROOT="$HUITONG_PROJECT_ROOT"; CORE="$ROOT/.venvs/core/bin"; AF="$ROOT/.venvs/airflow/bin"
step() { printf '\n==> %s\n' "$*"; }

step "1/5 Simulating the city (scale $HUITONG_SCALE, as of $HUITONG_AS_OF, history from $HUITONG_HISTORY_START)"
stamp="$HUITONG_HOME/sources/.simulated-$HUITONG_SCALE-$HUITONG_AS_OF-$HUITONG_HISTORY_START"
if [ -f "$stamp" ]; then echo "    already simulated with these settings"; else
  "$CORE/huitong" simulate --scale "$HUITONG_SCALE" --as-of "$HUITONG_AS_OF" --start "$HUITONG_HISTORY_START"
  touch "$stamp"
fi

step "2/5 Starting the simulated source systems and Airflow on 127.0.0.1"
"$ROOT/scripts/services.sh" start-sources
"$ROOT/scripts/services.sh" start-airflow
for dag in history_load transform docs; do "$AF/airflow" dags unpause "$dag" >/dev/null 2>&1 || true; done

step "3/5 Loading the city's history under Airflow (history_load -> bronze -> transform -> publish)"
loaded="$HUITONG_HOME/.history-loaded-$HUITONG_SCALE-$HUITONG_AS_OF-$HUITONG_HISTORY_START"
timeout="${HUITONG_DEMO_TIMEOUT:-3600}"
if [ -f "$loaded" ] && [ -e "$HUITONG_HOME/serving/current.duckdb" ]; then
  echo "    already loaded and published (remove $loaded to load again)"
else
  # A load still running from an interrupted `make demo` is waited for, not started twice.
  run_id=$("$CORE/python" "$ROOT/scripts/wait_for_airflow.py" --dag history_load --print-active)
  if [ -n "$run_id" ]; then echo "    history_load $run_id is still running: waiting for it"; else
    run_id="demo-$(date +%Y%m%dT%H%M%S)"
    conf=$(printf '{"start": "%sT00:00:00+08:00", "end": "%sT00:00:00+08:00"}' "$HUITONG_HISTORY_START" "$HUITONG_AS_OF")
    "$AF/airflow" dags trigger history_load --run-id "$run_id" --conf "$conf" >/dev/null
  fi
  "$CORE/python" "$ROOT/scripts/wait_for_airflow.py" --dag history_load --run-id "$run_id" --timeout "$timeout"
  "$CORE/python" "$ROOT/scripts/wait_for_airflow.py" --dag transform --after-run history_load:"$run_id" --timeout "$timeout"
  touch "$loaded"
fi
# The scheduled DAGs start once the history is in: a run of theirs during the load would trigger a build of a
# half-loaded lake (a registry in bronze before the divisions it refers to), which fails its tests.
for dag in reference hotel; do "$AF/airflow" dags unpause "$dag" >/dev/null 2>&1 || true; done

step "4/5 Starting Superset with the dashboards from superset/assets, and the dbt docs they link to"
"$ROOT/superset/bin/init"
"$ROOT/superset/bin/start"
"$ROOT/scripts/services.sh" start-docs

step "5/5 Ready"
"$CORE/huitong" status || true
af_pw=$("$CORE/python" -c "import json,sys; print(json.load(open(sys.argv[1])).get('admin',''))" "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo "see $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated")
ss_pw=$(cat "$HUITONG_HOME/secrets/superset_admin.password" 2>/dev/null || echo "${SUPERSET_ADMIN_PASSWORD:-see superset/bin/init}")
cat <<MSG

  Airflow   http://127.0.0.1:$AIRFLOW__API__PORT    user admin  password $af_pw
  Superset  http://127.0.0.1:$SUPERSET_PORT    user admin  password $ss_pw
  dbt docs  http://127.0.0.1:${HUITONG_DOCS_PORT:-8580}    what every shared table and column means (no login)
  Status    make status        Stop everything: make stop        Remove state: make clean
MSG
