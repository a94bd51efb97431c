"""The access policy in a real Superset: a district analyst's chart data holds only their jurisdiction's rows, SQL
Lab refuses them, and the admin still sees every district. Uses the session Superset; the policy is applied to it
with the same script superset/bin/init runs."""

from __future__ import annotations

import ast
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
    assert "auditor: datasets -" in summary
