"""`huitong publish` serves a build only when the last dbt build's run_results.json shows it passed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from typer.testing import CliRunner

from huitong.cli import app
from huitong.config import load_settings
from huitong.serving.build_check import BuildNotPassed, check_build_passed
from huitong.serving.publish import current_release


def write_build(cfg, answer: int) -> None:
    cfg.build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(cfg.build_db)) as con:
        con.execute("create or replace table answer as select ? as n", [answer])


def write_results(cfg, *statuses: str, finished: datetime | None = None) -> None:
    """run_results.json as dbt writes it (the fields publish reads), one node per status."""
    finished = finished or datetime.now(UTC)
    cfg.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "metadata": {"dbt_version": "1.11.16", "generated_at": finished.isoformat().replace("+00:00", "Z")},
        "args": {"which": "build", "invocation_command": "dbt build --select path:models/marts"},
        "results": [
            {"unique_id": f"model.huitong.m{i}", "status": s, "message": f"Runtime Error in m{i}\n  boom"}
            for i, s in enumerate(statuses)
        ],
    }
    (cfg.dbt_target_dir / "run_results.json").write_text(json.dumps(results))


def served(cfg) -> int | None:
    if not cfg.serving_db.exists():
        return None
    with duckdb.connect(str(cfg.serving_db), read_only=True) as con:
        return con.execute("select n from answer").fetchone()[0]


@pytest.fixture
def cfg(huitong_home):
    return load_settings()


def publish_cli(*args: str):
    return CliRunner().invoke(app, ["publish", *args])


def test_a_passed_build_is_published(cfg):
    write_build(cfg, 1)
    write_results(cfg, "success", "pass", "warn", "skipped")  # a warn-severity test does not block
    out = publish_cli()
    assert out.exit_code == 0, out.output
    assert served(cfg) == 1
    assert check_build_passed(cfg)["nodes"] == {"success": 1, "pass": 1, "warn": 1, "skipped": 1}


@pytest.mark.parametrize("status", ["error", "fail", "runtime error"])
def test_a_failed_build_is_refused_and_the_served_build_stays(cfg, status):
    write_build(cfg, 1)
    write_results(cfg, "success")
    assert publish_cli().exit_code == 0
    release = current_release(cfg)
    write_build(cfg, 2)
    write_results(cfg, "success", status, "skipped")
    out = publish_cli()
    assert out.exit_code == 1
    assert f"model.huitong.m1: {status} (Runtime Error in m1 boom)" in out.output
    assert "airflow dags trigger transform" in out.output and "--force" in out.output  # names the fix
    assert current_release(cfg) == release and served(cfg) == 1


def test_no_run_results_is_refused(cfg):
    write_build(cfg, 1)
    out = publish_cli()
    assert out.exit_code == 1 and "no dbt run results" in out.output
    assert served(cfg) is None


def test_a_build_changed_after_its_last_dbt_build_is_refused(cfg):
    write_results(cfg, "success", finished=datetime.now(UTC) - timedelta(hours=1))
    write_build(cfg, 1)  # e.g. a view sync, or a dbt build into another target folder, since then
    with pytest.raises(BuildNotPassed, match="after the last dbt build finished"):
        check_build_passed(cfg)
    # DuckDB checkpointing the file as dbt exits, just after the results, is the same build.
    write_results(cfg, "success", finished=datetime.now(UTC) - timedelta(seconds=2))
    check_build_passed(cfg)


def test_force_publishes_without_the_check(cfg):
    write_build(cfg, 7)
    write_results(cfg, "error")
    out = publish_cli("--force")
    assert out.exit_code == 0, out.output
    assert served(cfg) == 7


def test_unreadable_results_are_refused(cfg):
    write_build(cfg, 1)
    cfg.dbt_target_dir.mkdir(parents=True)
    (cfg.dbt_target_dir / "run_results.json").write_text("{not json")
    with pytest.raises(BuildNotPassed, match="is not dbt run results"):
        check_build_passed(cfg)
