"""Did the dbt build that wrote build.duckdb pass? `huitong publish` asks before it serves a build.

The transform DAG runs publish only after every dbt layer passed; publish checks it again itself, so a hand-run
`huitong publish`, or a DAG wired another way, cannot put a failed or untested build in front of the dashboards.
The evidence is dbt's own ``run_results.json`` from ``Settings.dbt_target_dir`` (the transform's dbt tasks copy it
there after every layer; a build by hand writes it there with ``--target-path``). A build passes when that file
exists, no node in it errored or failed, and build.duckdb has not changed since (a database changed after the last
dbt build, e.g. by a view sync or a build into another target folder, was not tested by it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from huitong.config import Settings, settings

FAILED = ("error", "fail", "runtime error")
# dbt writes run_results.json and then exits; DuckDB checkpoints the database as dbt closes it, so build.duckdb's
# modification time follows the results by a moment (measured: ~0.2 s; seconds on a loaded machine).
CLOSE_GRACE_S = 60


class BuildNotPassed(RuntimeError):
    """The build may not be published; the message says why and what fixes it."""


def _fix(cfg: Settings) -> str:
    return (
        "Fix the cause and rebuild: `airflow dags trigger transform` (builds, checks and publishes), or by hand "
        f"`dbt build --target-path {cfg.dbt_target_dir}` in dbt_project/ then `huitong publish`. "
        "`huitong publish --force` publishes without this check. Dashboards stay on the last good build meanwhile."
    )


def _message(text: str | None) -> str:
    """dbt's message for a node on one line, shortened."""
    return " ".join((text or "no message").split())[:240]


def check_build_passed(cfg: Settings | None = None, build: Path | None = None) -> dict:
    """Raise BuildNotPassed unless the last dbt build of ``build`` (default: cfg.build_db) passed; returns the
    run results' summary (command, finished at, node counts by status)."""
    cfg = cfg or settings()
    build = build or cfg.build_db
    results_path = cfg.dbt_target_dir / "run_results.json"
    if not build.exists():
        raise BuildNotPassed(f"no build to publish at {build}. {_fix(cfg)}")
    if not results_path.exists():
        raise BuildNotPassed(
            f"no dbt run results at {results_path}: nothing shows that {build} passed. {_fix(cfg)}"
        )
    try:
        results = json.loads(results_path.read_text())
        finished = datetime.fromisoformat(results["metadata"]["generated_at"].replace("Z", "+00:00"))
        nodes = results["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BuildNotPassed(f"{results_path} is not dbt run results ({exc}). {_fix(cfg)}") from None
    counts: dict[str, int] = {}
    for node in nodes:
        counts[node["status"]] = counts.get(node["status"], 0) + 1
    args = results.get("args") or {}
    selected = args.get("select") or []
    summary = {
        "command": " ".join(
            ["dbt", str(args.get("which", "?")), *(["--select", *selected] if selected else [])]
        ),
        "finished_at": finished.isoformat(),
        "nodes": counts,
    }
    failed = [n for n in nodes if n["status"] in FAILED]
    if failed:
        shown = "; ".join(
            f"{n['unique_id']}: {n['status']} ({_message(n.get('message'))})" for n in failed[:5]
        )
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        raise BuildNotPassed(
            f"the last dbt build ({summary['command']}, finished {finished:%Y-%m-%d %H:%M:%S} UTC) did not pass: "
            f"{len(failed)} node(s) failed: {shown}{more}. {_fix(cfg)}"
        )
    changed = datetime.fromtimestamp(build.stat().st_mtime, UTC)
    if (changed - finished).total_seconds() > CLOSE_GRACE_S:
        raise BuildNotPassed(
            f"{build} changed at {changed:%Y-%m-%d %H:%M:%S} UTC, after the last dbt build finished "
            f"({finished:%Y-%m-%d %H:%M:%S} UTC, {results_path}): what changed it was not built and tested by that "
            f"build. {_fix(cfg)}"
        )
    return summary
