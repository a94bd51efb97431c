"""The access policy in a real Superset: a district analyst's chart data holds only their jurisdiction's rows, SQL
Lab refuses them, and the admin still sees every district; the audit dashboard is the auditor's (and engineers'), and
Superset's query log, refusals included, reaches the audit trail. Uses the session Superset; the policy is applied to
it with the same script superset/bin/init runs."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import requests

from huitong.policy import Policy, repo_policy_file
from huitong.serving.superset_sample import publish_build
from huitong.serving.superset_security import user_password_file
from huitong.serving.superset_server import SupersetClient, SupersetServer

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "src" / "huitong" / "serving" / "superset_security.py"
SUPERSET_PYTHON = REPO / ".venvs" / "superset" / "bin" / "python"
POLICY = Policy.load(repo_policy_file())
ANALYST = "li.na"
ANALYST_DISTRICT = next(u.jurisdiction for u in POLICY.document.users if u.name == ANALYST)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def secured(superset: SupersetServer, superset_serving):
    """The sample mart with a jurisdiction_code (the policy's row-filter column) published, and the policy
    applied; the original build is put back afterwards for the other tests of the session."""
    if not superset_serving.owned:
        pytest.skip("serving home belongs to someone else; not publishing test data into it")
    original = superset_serving.home / "warehouse" / "build.duckdb"
    scoped = superset_serving.home / "warehouse" / "build_scoped.duckdb"
    scoped.write_bytes(original.read_bytes())
    with duckdb.connect(str(scoped)) as con:
        codes = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT district_code FROM marts.metric_hotel_stays_daily"
            ).fetchall()
        ]
        mapping = dict(zip(sorted(codes), sorted(POLICY.document.jurisdictions), strict=False))
        con.execute("ALTER TABLE marts.metric_hotel_stays_daily ADD COLUMN jurisdiction_code VARCHAR")
        con.executemany(
            "UPDATE marts.metric_hotel_stays_daily SET jurisdiction_code = ? WHERE district_code = ?",
            [(j, d) for d, j in mapping.items()],
        )
        own = [d for d, j in mapping.items() if j == ANALYST_DISTRICT]
        totals = dict(
            con.execute(
                "SELECT district_code, sum(stays) FROM marts.metric_hotel_stays_daily GROUP BY 1"
            ).fetchall()
        )
    publish_build(superset_serving.home, scoped)
    env = {**superset.env(), "SUPERSET_CONFIG_PATH": str(REPO / "superset" / "superset_config.py")}
    proc = subprocess.run(
        [str(SUPERSET_PYTHON), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield own, totals, proc.stdout
    finally:
        publish_build(superset_serving.home, original)


def _password(serving, user: str) -> str:
    return user_password_file(serving.home, user).read_text().strip()


def _district_detail(client: SupersetClient) -> list[dict]:
    charts = client.get("/api/v1/chart/", q="(page_size:100)")["result"]
    chart = next(c for c in charts if "District detail" in c["slice_name"])
    [result] = client.chart_data(chart["id"], force=True)
    return result["data"]


def test_analyst_chart_data_is_their_jurisdiction_only(superset, superset_serving, secured):
    own, totals, _ = secured
    analyst = SupersetClient(superset.url, ANALYST, _password(superset_serving, ANALYST))
    rows = _district_detail(analyst)
    assert {r["district_code"] for r in rows} == set(own)
    assert sum(r["total_stays"] for r in rows) == sum(totals[d] for d in own)


def test_admin_still_sees_every_district(superset, secured):
    _, totals, _ = secured
    rows = _district_detail(superset.client())
    assert {r["district_code"] for r in rows} == set(totals)


def _sql_lab(client: SupersetClient, database_id: int, sql: str) -> requests.Response:
    """SQL Lab's execute endpoint wants a CSRF token even with a bearer token."""
    token = client.get("/api/v1/security/csrf_token/")["result"]
    return client.session.post(
        f"{client.url}/api/v1/sqllab/execute/",
        json={"database_id": database_id, "sql": sql, "runAsync": False},
        headers={"X-CSRFToken": token, "Referer": client.url},
        timeout=client.timeout,
    )


def test_sql_lab_is_refused_for_department_roles(superset, superset_serving, secured):
    admin = superset.client()
    database_id = admin.get("/api/v1/database/")["result"][0]["id"]
    analyst = SupersetClient(superset.url, ANALYST, _password(superset_serving, ANALYST))
    sql = "select count(*) as n from marts.metric_hotel_stays_daily"
    assert _sql_lab(analyst, database_id, sql).status_code == 403
    # The same request is fine for the admin: the refusal is the role, not the request.
    allowed = _sql_lab(admin, database_id, sql)
    assert allowed.status_code == 200 and allowed.json()["data"][0]["n"] > 0


def test_roles_mirror_the_trino_groups(superset, secured):
    _, _, summary = secured
    roles = {
        r["name"] for r in superset.client().get("/api/v1/security/roles/", q="(page_size:100)")["result"]
    }
    assert {"leadership", "auditor", f"district_analyst_{ANALYST_DISTRICT}"} <= roles
    # The analyst's role reaches the district-filtered marts the policy grants (the session's Superset also holds
    # the metric city's datasets), never a raw or audit table.
    [line] = [ln for ln in summary.splitlines() if f"district_analyst_{ANALYST_DISTRICT}: datasets [" in ln]
    datasets = ast.literal_eval(line.split(": datasets ", 1)[1].split("; rls ", 1)[0])
    assert "metric_hotel_stays_daily" in datasets
    assert all(name.startswith(("metric_", "fct_", "dim_")) for name in datasets), datasets
    # The auditor reads the audit trail and nothing else; the dataset comes from the policy's marts.audit_* grant.
    assert "auditor: datasets ['audit_queries']" in summary


AUDIT_SLUG = "query-audit"


def _audit_charts(admin: SupersetClient) -> list[int]:
    dashboard = next(d for d in admin.dashboards() if d["slug"] == AUDIT_SLUG)
    return [c["id"] for c in admin.dashboard_charts(dashboard["id"])]


def test_only_the_auditor_and_engineers_see_the_audit_dashboard(superset, superset_serving, secured):
    admin = superset.client()
    charts = _audit_charts(admin)
    datasets = admin.get("/api/v1/dataset/", q="(page_size:100)")["result"]
    audit_dataset = next(d["id"] for d in datasets if d["table_name"] == "audit_queries")
    # A query of one's own making through the chart-data API, on the audit dataset.
    crafted = {
        "datasource": {"id": audit_dataset, "type": "table"},
        "queries": [{"columns": ["user_name", "query_sql"], "row_limit": 10}],
        "result_format": "json",
        "result_type": "full",
    }
    for user, sees in (("sun.yue", True), ("zhao.lei", True), (ANALYST, False), ("qian.hui", False)):
        client = SupersetClient(superset.url, user, _password(superset_serving, user))
        assert (AUDIT_SLUG in {d["slug"] for d in client.dashboards()}) is sees, user
        for chart_id in charts:
            resp = client.session.get(f"{superset.url}/api/v1/chart/{chart_id}/data/", timeout=client.timeout)
            if sees:
                assert resp.status_code == 200 and resp.json()["result"][0]["rowcount"] > 0, (user, chart_id)
            else:
                # Not found (the chart's dataset is not theirs) or forbidden: never data.
                assert resp.status_code in (403, 404) and "result" not in resp.json(), (user, chart_id)
        resp = client.session.post(f"{superset.url}/api/v1/chart/data", json=crafted, timeout=client.timeout)
        assert (resp.status_code == 200) is sees, (user, resp.status_code)


def test_superset_query_log_lands_in_the_audit_trail(
    superset, superset_serving, secured, tmp_path, monkeypatch
):
    """What a person did in Superset (chart data, SQL Lab), allowed or refused, reaches the audit source with the
    same columns as `huitong query`'s lines, and passes the source's quality rules on the way into bronze."""
    from datetime import UTC, datetime, timedelta

    from huitong.config import settings
    from huitong.ingest import ensure_tables, land_window, load
    from huitong.lake.catalog import get_catalog
    from huitong.sources.audit import SOURCE

    started = datetime.now(UTC) - timedelta(seconds=1)
    admin = superset.client()
    database_id = admin.get("/api/v1/database/")["result"][0]["id"]
    analyst = SupersetClient(superset.url, ANALYST, _password(superset_serving, ANALYST))
    auditor = SupersetClient(superset.url, "sun.yue", _password(superset_serving, "sun.yue"))
    audit_chart = _audit_charts(admin)[0]
    assert analyst.session.get(f"{superset.url}/api/v1/chart/{audit_chart}/data/").status_code in (403, 404)
    assert _sql_lab(analyst, database_id, "select * from marts.audit_queries").status_code == 403
    _district_detail(analyst)  # allowed, and filtered to the analyst's district
    auditor.chart_data(audit_chart, force=True)
    assert _sql_lab(admin, database_id, "select count(*) as n from marts.audit_queries").status_code == 200

    monkeypatch.setenv("HUITONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HUITONG_SUPERSET_METADATA_URI", f"sqlite:///{superset.state_dir / 'superset.db'}")
    settings.cache_clear()
    try:
        cfg = settings()
        window = (started, datetime.now(UTC) + timedelta(seconds=1))
        parts = {p.name: p for p in SOURCE.extract(*window, cfg)}
        records = SOURCE.parse("superset.jsonl", parts["superset.jsonl"].data).records
        seen = {(r["user"], r["path"], r["allowed"]) for r in records}
        assert {
            (ANALYST, "superset_chart", "false"),
            (ANALYST, "superset_sql_lab", "false"),
            (ANALYST, "superset_chart", "true"),
            ("sun.yue", "superset_chart", "true"),
            ("admin", "superset_sql_lab", "true"),
        } <= seen
        refused = [r for r in records if r["user"] == ANALYST and r["allowed"] == "false"]
        assert all(r["error"].startswith(("HTTP 403", "HTTP 404")) for r in refused)
        assert any("marts.audit_queries" in r["tables"] for r in refused)
        lab = next(r for r in records if r["user"] == "admin" and r["path"] == "superset_sql_lab")
        assert (lab["rows"], lab["engine"]) == ("1", "duckdb") and "audit_queries" in lab["executed_sql"]
        assert lab["person_level"] == "false"  # a count: no personal column named or selected by *
        # Landed and loaded like any batch: every record passes the audit suite (path among the known paths).
        ensure_tables(cfg)
        result = load(land_window("audit.queries", *window, cfg).batch_id, cfg)
        quarantined = [
            (r["rules"], r["reason"], r["payload"])
            for r in get_catalog(cfg).load_table("quarantine.quarantined_rows").scan().to_arrow().to_pylist()
            if r["_batch_id"] == result.batch_id
        ]
        assert (result.loaded, result.quarantined, quarantined) == (len(records), 0, [])
    finally:
        settings.cache_clear()


def test_retention_trims_supersets_query_log_only_where_the_audit_trail_holds_it(
    superset, superset_serving, secured, tmp_path
):
    """On a copy of the session's metadata DB, with real rows back-dated: the data-request rows and SQL Lab runs
    older than the cutoff go where the audit source loaded their window, and stay where it did not (a run whose
    minute either side reaches an unloaded window included); Superset's own log rows go by age; a SQL Lab tab
    that pointed at a removed run points at none; a dry run changes nothing."""
    import sqlite3
    from datetime import UTC, datetime

    from huitong.audit import SUPERSET_ACTION, SupersetTrim, trim_superset_logs

    admin = superset.client()
    database_id = admin.get("/api/v1/database/")["result"][0]["id"]
    for n in (1, 2, 3, 4):
        assert _sql_lab(admin, database_id, f"select {n} as n").status_code == 200
    copy = tmp_path / "superset.db"
    with sqlite3.connect(superset.state_dir / "superset.db") as live, sqlite3.connect(copy) as con:
        live.backup(con)
    cutoff = datetime(2026, 2, 15, tzinfo=UTC)
    # The audit source loaded the local days 10 to 21 February, except the 11th's window.
    loaded = [
        (datetime(2026, 2, d - 1, 16, tzinfo=UTC), datetime(2026, 2, d, 16, tzinfo=UTC))
        for d in range(10, 22)
        if d != 11
    ]
    loaded_old, unloaded_old = "2026-02-12 02:00:00.000000", "2026-02-11 02:00:00.000000"

    def ms(moment: str) -> float:
        return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp() * 1000

    with sqlite3.connect(copy) as con:
        requests_ = [
            r[0] for r in con.execute("SELECT id FROM logs WHERE action = ? ORDER BY id", (SUPERSET_ACTION,))
        ]
        assert len(requests_) >= 3
        con.execute("UPDATE logs SET dttm = ? WHERE id = ?", (loaded_old, requests_[0]))
        con.execute("UPDATE logs SET dttm = ? WHERE id = ?", (unloaded_old, requests_[1]))
        stock_old = con.execute(
            "INSERT INTO logs (action, user_id, dttm, json) VALUES ('DashboardRestApi.get', 1, ?, '{}')",
            (unloaded_old,),
        ).lastrowid
        runs = [r[0] for r in con.execute("SELECT client_id FROM query ORDER BY id DESC LIMIT 4")]
        # Removed; kept (its window was not loaded); kept (a minute later is the unloaded 11th's window); removed
        # (it never started, and its last change is old).
        starts = [ms(loaded_old), ms(unloaded_old), ms("2026-02-10 15:59:30"), None]
        for client_id, start in zip(runs, starts, strict=True):
            con.execute("UPDATE query SET start_time = ? WHERE client_id = ?", (start, client_id))
        con.execute("UPDATE query SET changed_on = ? WHERE client_id = ?", (unloaded_old, runs[3]))
        con.execute(
            "INSERT INTO tab_state (user_id, label, active, database_id, sql, latest_query_id, autorun, "
            "hide_left_bar) VALUES (1, 'old tab', 0, ?, 'select 1 as n', ?, 0, 0)",
            (database_id, runs[0]),
        )
        before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("logs", "query")}

    uri = f"sqlite:///{copy}"
    assert trim_superset_logs(uri, cutoff, loaded, dry_run=True) == SupersetTrim(log_rows=2, queries=2)
    with sqlite3.connect(copy) as con:
        assert {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("logs", "query")
        } == before
    # Superset's own rows go by age alone: the stock row in the unloaded window goes too.
    assert trim_superset_logs(uri, cutoff, loaded) == SupersetTrim(log_rows=2, queries=2)
    with sqlite3.connect(copy) as con:
        logs = {r[0] for r in con.execute("SELECT id FROM logs")}
        kept_runs = {r[0] for r in con.execute("SELECT client_id FROM query")}
        tab = con.execute("SELECT latest_query_id FROM tab_state WHERE label = 'old tab'").fetchone()
    assert requests_[0] not in logs and stock_old not in logs
    assert {requests_[1], *requests_[2:]} <= logs and len(logs) == before["logs"] - 2
    assert runs[0] not in kept_runs and runs[3] not in kept_runs and {runs[1], runs[2]} <= kept_runs
    assert tab == (None,)
    assert trim_superset_logs(uri, cutoff, loaded) == SupersetTrim()


def test_production_points_the_dashboards_at_trino_as_the_signed_in_user(superset, secured, tmp_path):
    """With HUITONG_TRINO_URI (production), the same init step repoints the dashboards' database at Trino with
    impersonation on: Superset logs in as `superset`, every chart, SQL Lab and API query runs as the person, and
    Trino's rules.json filters and masks it. Checked on a copy of the session's metadata DB (no Trino here)."""
    import sqlite3

    state = tmp_path / "superset_state"
    state.mkdir()
    with (
        sqlite3.connect(superset.state_dir / "superset.db") as live,
        sqlite3.connect(state / "superset.db") as copy,
    ):
        live.backup(copy)
    env = {
        **superset.env(),
        "SUPERSET_HOME": str(state),
        "SUPERSET_CONFIG_PATH": str(REPO / "superset" / "superset_config.py"),
        "HUITONG_TRINO_URI": "trino://superset@trino-coordinator:8443/huitong",
        "TRINO_SUPERSET_PASSWORD": "only-for-this-test",
        "HUITONG_SUPERSET_CREATE_USERS": "false",
    }
    proc = subprocess.run(
        [str(SUPERSET_PYTHON), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "with impersonate_user on" in proc.stdout
    with sqlite3.connect(state / "superset.db") as con:
        [(db_id, uri, impersonate, password, extra)] = con.execute(
            "SELECT id, sqlalchemy_uri, impersonate_user, password, extra FROM dbs"
        ).fetchall()
        used_by = {r[0] for r in con.execute("SELECT DISTINCT database_id FROM tables")}
    from sqlalchemy.engine.url import make_url

    url = make_url(uri)
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "trino", "superset", "trino-coordinator", 8443, "huitong",
    )  # fmt: skip
    assert impersonate == 1
    # The password is stored encrypted beside the URI (which shows Superset's mask), never in clear.
    assert password and b"only-for-this-test" not in password and "only-for-this-test" not in uri
    assert json.loads(extra)["engine_params"] == {}
    assert used_by == {db_id}  # every dataset, so every dashboard, now queries Trino
