# Sourced by the other scripts here: where things live. Every path can be overridden from the environment.
set -euo pipefail
HUITONG_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$HUITONG_REPO"
export HUITONG_HOME="$(realpath -m "${HUITONG_HOME:-.state}")"
export SUPERSET_HOME="${SUPERSET_HOME:-$HUITONG_HOME/superset}"
export SUPERSET_CONFIG_PATH="${SUPERSET_CONFIG_PATH:-$HUITONG_REPO/superset/superset_config.py}"
export SUPERSET_PORT="${SUPERSET_PORT:-8088}"
# -s: keep the symlink itself in the URI, so a newly published build is picked up.
export HUITONG_SERVING_DB="$(realpath -ms "${HUITONG_SERVING_DB:-$HUITONG_HOME/serving/current.duckdb}")"
export FLASK_APP=superset
# Superset's CLI and server must not try to reach anything outside this machine.
export SUPERSET_LOAD_EXAMPLES=no SCARF_ANALYTICS=false
SUPERSET_VENV="${HUITONG_SUPERSET_VENV:-$HUITONG_REPO/.venvs/superset}"
CORE_VENV="${HUITONG_CORE_VENV:-$HUITONG_REPO/.venvs/core}"
SUPERSET="$SUPERSET_VENV/bin/superset"
ASSETS_SRC="${HUITONG_SUPERSET_ASSETS:-$HUITONG_REPO/superset/assets}"
PID_FILE="$SUPERSET_HOME/superset.pid"
LOG_FILE="$SUPERSET_HOME/superset.log"
mkdir -p "$SUPERSET_HOME"

# The core venv renders and normalises the YAML (huitong code); Superset's venv never imports huitong.
assets_tool() { "$CORE_VENV/bin/python" -m huitong.serving.superset_assets "$@"; }

admin_password() {
  if [[ -n "${SUPERSET_ADMIN_PASSWORD:-}" ]]; then printf '%s' "$SUPERSET_ADMIN_PASSWORD"; return; fi
  local f="$HUITONG_HOME/secrets/superset_admin.password"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$(dirname "$f")"
    (umask 077 && "$SUPERSET_VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(18))' >"$f.tmp")
    mv "$f.tmp" "$f"
  fi
  tr -d '\n' <"$f"
}
