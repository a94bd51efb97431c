#!/usr/bin/env bash
# Start and stop the local services, each in its own process group (stopped with SIGINT to the group, so no
# orphaned scheduler), logs and pid files under $HUITONG_HOME/run. Called by the Makefile with its environment.
set -euo pipefail
: "${HUITONG_HOME:?run through make}"
RUN="$HUITONG_HOME/run"
mkdir -p "$RUN"
AF="$HUITONG_PROJECT_ROOT/.venvs/airflow/bin"
CORE="$HUITONG_PROJECT_ROOT/.venvs/core/bin"

start() {  # name, command...
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "-$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "    $name already running (pgid $(cat "$RUN/$name.pid"))"; return 0
  fi
  PATH="$AF:$PATH" setsid "$@" >"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
  echo "    started $name (pgid $!, log $RUN/$name.log)"
}

stop() {
  local name=$1 pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "-$pid" 2>/dev/null; then
    kill -INT "-$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "-$pid" 2>/dev/null || break; sleep 0.25; done
    kill -TERM "-$pid" 2>/dev/null || true; sleep 0.5; kill -KILL "-$pid" 2>/dev/null || true
    echo "    stopped $name"
  fi
  rm -f "$RUN/$name.pid"
}

wait_http() {  # url, seconds, name
  for _ in $(seq 1 "$2"); do
    if "$CORE/python" -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "!! $3 did not answer on $1 within $2 s; see $RUN/$3.log" >&2; return 1
}

alive() {  # a health answer could come from someone else's server on the port: make sure ours is the one running
  if ! kill -0 "-$(cat "$RUN/$1.pid")" 2>/dev/null; then
    echo "!! $1 exited right after starting (port taken by another process?). Last lines of $RUN/$1.log:" >&2
    tail -5 "$RUN/$1.log" >&2; exit 1
  fi
}

case "${1:-}" in
  start-sources)
    start hotel_api "$CORE/huitong" source serve hotel
    wait_http "${HUITONG_HOTEL_API_URL:-http://127.0.0.1:8701}/health" 60 hotel_api
    alive hotel_api
    start rental_db "$CORE/python" -m huitong.simulate.serve_rental --port "$HUITONG_RENTAL_PORT"
    for _ in $(seq 1 120); do grep -q "rental database ready" "$RUN/rental_db.log" && break; alive rental_db; sleep 1; done
    grep -q "rental database ready" "$RUN/rental_db.log" || { echo "!! rental_db not ready; see $RUN/rental_db.log" >&2; exit 1; } ;;
  start-airflow)
    "$AF/airflow" db migrate >"$RUN/airflow-migrate.log" 2>&1 || { tail -20 "$RUN/airflow-migrate.log"; exit 1; }
    start airflow-api "$AF/airflow" api-server --host 127.0.0.1 --port "$AIRFLOW__API__PORT"
    start airflow-scheduler "$AF/airflow" scheduler --skip-serve-logs
    start airflow-dag-processor "$AF/airflow" dag-processor
    start airflow-triggerer "$AF/airflow" triggerer --skip-serve-logs
    wait_http "http://127.0.0.1:$AIRFLOW__API__PORT/api/v2/monitor/health" 120 airflow-api
    for name in airflow-api airflow-scheduler airflow-dag-processor airflow-triggerer; do alive "$name"; done ;;
  start-docs)
    # The dbt docs (what every shared table means), static files served on loopback; generated if none exist yet.
    [ -e "$HUITONG_HOME/docs/current" ] || "$CORE/huitong" docs generate >/dev/null
    start dbt_docs "$CORE/huitong" docs serve --port "${HUITONG_DOCS_PORT:-8580}"
    wait_http "http://127.0.0.1:${HUITONG_DOCS_PORT:-8580}/" 30 dbt_docs
    alive dbt_docs ;;
  stop-all)
    for name in airflow-triggerer airflow-dag-processor airflow-scheduler airflow-api hotel_api rental_db dbt_docs; do stop "$name"; done
    [ -x "$HUITONG_PROJECT_ROOT/superset/bin/stop" ] && "$HUITONG_PROJECT_ROOT/superset/bin/stop" || true ;;
  *) echo "usage: $0 start-sources|start-airflow|start-docs|stop-all" >&2; exit 2 ;;
esac
