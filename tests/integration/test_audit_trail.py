"""The audit trail end to end: department queries (allowed and refused) are logged by `huitong query`, landed and
loaded like any source (landed = loaded + quarantined), built by dbt into marts.audit_queries, and read back through
the policy by the auditor, while a district analyst may not read it."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from huitong.config import settings
from huitong.ingest import ensure_tables, land_window, load
from huitong.lake.duck import sync_lake_views
from huitong.query import QueryRefused, audit_log_path, run_query
from huitong.serving.publish import publish

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def dbt_build(home: Path, select: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update(
        HUITONG_HOME=str(home),
        DBT_PROFILES_DIR=str(ROOT / "dbt_project"),
        DBT_LOG_PATH=str(home / "dbt_logs"),
    )
    proc = subprocess.run(
        [str(ROOT / ".venvs" / "core" / "bin" / "dbt"), "build", "--select", select,
         "--target-path", str(home / "dbt_target")],
        cwd=ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]


@pytest.fixture(scope="module")
def audited(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("audit_home")
    monkeypatch_module.setenv("HUITONG_HOME", str(home))
    monkeypatch_module.delenv("HUITONG_PROFILE", raising=False)
    settings.cache_clear()
    cfg = settings()
    # A first served build with one district-filtered mart for the department's queries.
    cfg.build_db.parent.mkdir(parents=True)
    with duckdb.connect(str(cfg.build_db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.metric_x as select '329902' as jurisdiction_code, 3 as n")
    publish(cfg)
    started = datetime.now(UTC)
    run_query("li.na", "select sum(n) from metric_x")
    with pytest.raises(QueryRefused):
        run_query("li.na", "select * from bronze.hotel__registrations")
    # A torn line (a crash mid-write) must be quarantined, not dropped.
    with open(audit_log_path(cfg), "a") as fh:
        fh.write('{"at": "' + datetime.now(UTC).isoformat() + '", "user": "li.na", "sql": "sel\n')
    window = (started - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    result = load(land_window("audit.queries", *window, cfg).batch_id, cfg)
    ensure_tables(cfg)
    sync_lake_views(cfg)
    dbt_build(home, "stg_audit__queries audit_queries")
    publish(cfg)
    yield cfg, result
    settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_every_logged_line_is_landed_and_reconciled(audited):
    _, result = audited
    assert (result.landed, result.loaded, result.quarantined) == (3, 2, 1)


def test_the_auditor_reads_who_queried_what(audited):
    answer = run_query(
        "sun.yue", "select user_name, outcome, refusal_reason from audit_queries order by outcome"
    )
    rows = [(user, outcome, bool(reason)) for user, outcome, reason in answer.rows]
    assert rows == [("li.na", "允许 allowed", False), ("li.na", "拒绝 refused", True)]


def test_a_district_analyst_cannot_read_the_audit_trail(audited):
    with pytest.raises(QueryRefused):
        run_query("li.na", "select * from audit_queries")
