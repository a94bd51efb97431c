"""Superset settings for Huitong (汇通), loaded through SUPERSET_CONFIG_PATH by the scripts in superset/bin.

Runs inside the Superset virtualenv, which does not have the huitong package: the few settings it needs
(HUITONG_HOME, secrets) are read the same way src/huitong/config.py reads them. Everything stays on this machine:
metadata in SQLite under HUITONG_HOME, the web server on loopback, no telemetry, no map tiles, no web fonts.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

HUITONG_HOME = Path(os.environ.get("HUITONG_HOME") or ".state").expanduser().resolve()
SUPERSET_STATE = Path(os.environ.get("SUPERSET_HOME") or HUITONG_HOME / "superset")
SUPERSET_STATE.mkdir(parents=True, exist_ok=True)
DATA_DIR = str(SUPERSET_STATE)


def _secret(env_name: str, file_name: str) -> str:
    """From the environment, else made once under HUITONG_HOME/secrets (git-ignored), as huitong.config does."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = HUITONG_HOME / "secrets" / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{file_name}.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


SECRET_KEY = _secret("SUPERSET_SECRET_KEY", "superset_secret.key")
# Embedding is off; still never leave the upstream placeholder secret in place.
GUEST_TOKEN_JWT_SECRET = SECRET_KEY

# Production (compose, Helm) passes Superset's Postgres database; the audit source reads its query log from the
# same place (HUITONG_SUPERSET_METADATA_URI).
SQLALCHEMY_DATABASE_URI = (
    os.environ.get("SUPERSET_DATABASE_URI")
    or f"sqlite:///{SUPERSET_STATE / 'superset.db'}?check_same_thread=false"
)
SQLALCHEMY_EXAMPLES_URI = SQLALCHEMY_DATABASE_URI

APP_NAME = "汇通 Huitong"

# --- Network: loopback only, nothing phones home -------------------------------------------------------------
SUPERSET_WEBSERVER_ADDRESS = "127.0.0.1"
SUPERSET_WEBSERVER_PORT = int(os.environ.get("SUPERSET_PORT") or 8088)
WEBDRIVER_BASEURL = f"http://127.0.0.1:{SUPERSET_WEBSERVER_PORT}/"
WEBDRIVER_BASEURL_USER_FRIENDLY = WEBDRIVER_BASEURL
ENABLE_CORS = False
MAPBOX_API_KEY = ""
DOCUMENTATION_URL = None
BUG_REPORT_URL = None
# The bundled front end renders a Scarf analytics pixel unconditionally; a CSP without its host keeps the
# browser from fetching it. Map tile and web-font hosts are left out for the same reason.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []

# --- Features -------------------------------------------------------------------------------------------------
# Native filters and cross filters are always on in 6.x; what is set here only turns off what needs Celery,
# a browser on the server, or would let users template raw SQL.
FEATURE_FLAGS = {
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    # Jinja in SQL, for one use: the leadership overview's KPI charts read `filter_values('period_label')` to show
    # this year to date unless the dashboard's period filter picks another period. SQL Lab, where templates could
    # be typed freely, is for data engineers only (the access policy).
    "ENABLE_TEMPLATE_PROCESSING": True,
    "EMBEDDED_SUPERSET": False,
    "ENABLE_SUPERSET_META_DB": False,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "DASHBOARD_RBAC": True,
    "TAGGING_SYSTEM": False,
}

# Chinese labels are data (UTF-8 in YAML and in the metadata DB); the UI itself can be English or Chinese.
BABEL_DEFAULT_LOCALE = os.environ.get("SUPERSET_LOCALE", "zh")
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# --- Security -------------------------------------------------------------------------------------------------
# CSRF stays on for the browser UI; the REST API authenticates with a JWT bearer token, and Flask-AppBuilder's
# API views are already exempt, so scripts and tests need no CSRF token. Chart data is exempt upstream too.
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = int(timedelta(hours=12).total_seconds())
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
# Only the Huitong DuckDB is registered (imported as code); SQLite stays forbidden as an analytics source.
PREVENT_UNSAFE_DB_CONNECTIONS = True
# A login storm from tests is a few requests; keep the limiter but in memory.
RATELIMIT_STORAGE_URI = "memory://"

# --- Caches ---------------------------------------------------------------------------------------------------
# In-process caches: no Redis on a laptop. Chart data is cached briefly so a dashboard with several charts on
# the same mart does not rescan it, but short enough that a newly published build shows within minutes.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300, "CACHE_KEY_PREFIX": "huitong_"}
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("SUPERSET_DATA_CACHE_SECONDS") or 120),
    "CACHE_KEY_PREFIX": "huitong_data_",
}

ROW_LIMIT = 50_000
SQL_MAX_ROW = 100_000
SUPERSET_WEBSERVER_TIMEOUT = 120
LOG_LEVEL = os.environ.get("SUPERSET_LOG_LEVEL", "INFO")

# --- Access policy (infra/policy/access_policy.yaml) ------------------------------------------------------------
# Roles, dataset access and row-level security are compiled from the policy by
# src/huitong/serving/superset_security.py, which superset/bin/init runs after importing the assets; see
# docs/access-policy.md. Department roles have no SQL Lab: Superset RLS does not reach raw SQL, and Superset
# cannot mask columns.
# Production: with HUITONG_TRINO_URI set (trino://superset@host:port/huitong), the same step registers Trino
# with impersonate_user on, so queries run on Trino as the signed-in person and Trino's rules.json enforces the
# policy again. Superset's own Trino login (`superset`) may only impersonate people.
HUITONG_TRINO_URI = os.environ.get("HUITONG_TRINO_URI") or None
# The secret helper above, for superset_security.py's demo user passwords (Flask copies only upper-case names).
HUITONG_SECRET = _secret
if HUITONG_TRINO_URI:
    # Trino only: SQLite and local files stay forbidden as sources.
    PREVENT_UNSAFE_DB_CONNECTIONS = True


# --- Query audit (docs/access-policy.md "What is audited") -------------------------------------------------------
# One `logs` row (action huitong.data_request) per data request: chart data, SQL Lab, samples and column values,
# with the HTTP status, so refusals are recorded too. Superset's stock entry for chart data is written whether or
# not the dataset check then refuses, and a role without SQL Lab is turned away before any entry is written.
# The audit source (huitong.audit.superset_entries) lands these rows with the `query` table's SQL Lab results.
_AUDITED_REQUESTS = (
    (re.compile(r"^/api/v1/chart/(\d+/)?data/?$"), "superset_chart"),
    (re.compile(r"^/superset/explore_json/?$"), "superset_chart"),
    (re.compile(r"^/api/v1/sqllab/execute/?$"), "superset_sql_lab"),
    (
        re.compile(r"^/datasource/samples/?$|^/api/v1/datasource/[^/]+/\d+/column/[^/]+/values/?$"),
        "superset_api",
    ),
)


def FLASK_APP_MUTATOR(app):  # noqa: N802 - the name Superset reads
    import logging
    import time

    from flask import g, request

    @app.before_request
    def _audit_start():
        g.huitong_audit_started = time.monotonic()

    @app.after_request
    def _audit(response):
        kind = next((k for pattern, k in _AUDITED_REQUESTS if pattern.match(request.path)), None)
        if kind is None:
            return response
        try:
            from superset.extensions import event_logger

            error = ""
            if response.status_code >= 400 and response.is_json:
                body = response.get_json(silent=True) or {}
                errors = body.get("errors") or [{}]
                error = str(body.get("message") or body.get("msg") or errors[0].get("message") or "")[:500]
            started = g.get("huitong_audit_started")
            event_logger.log_with_context(
                action="huitong.data_request",
                duration=timedelta(seconds=time.monotonic() - started) if started else None,
                log_to_statsd=False,
                huitong_path=kind,
                huitong_status=response.status_code,
                huitong_error=error,
            )
        except Exception:  # noqa: BLE001 - the audit must never break the answer; the failure is logged
            logging.getLogger("huitong.audit").exception("could not log a data request")
        return response
