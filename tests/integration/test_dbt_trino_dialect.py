"""Offline proof of the Trino path: with no Trino server, `dbt parse` and `dbt compile --target trino` succeed for
every model, and every compiled file parses as Trino SQL calling only functions Trino has."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from huitong.trino_dialect import check_sql, check_tree, main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
DBT = PROJECT_ROOT / ".venvs" / "core" / "bin" / "dbt"


@pytest.mark.parametrize(
    "duckdb_only",
    [
        "select epoch_ms(t) from x",
        "select strftime(t, '%Y') from x",
        "select list_transform(a, v -> v + 1) from x",
        "select regexp_matches(a, 'b') from x",
        # sqlglot would render this as levenshtein_distance; DuckDB's counts bytes, so it must be caught.
        "select levenshtein(a, b) from x",
        "select string_agg(a, ',') from x",
        "select arg_min(a, b) from x",
    ],
)
def test_duckdb_only_functions_are_refused(duckdb_only):
    assert check_sql(duckdb_only) != []


def test_trino_sql_passes_and_broken_sql_is_reported():
    ok = (
        "select levenshtein_distance(a, b), cast(at_timezone(t, 'UTC') as timestamp(6)), "
        "try(from_iso8601_timestamp(s)), regexp_like(a, 'x'), coalesce(a, b), count(*), "
        "row_number() over (partition by a order by t), substr(a, 1, 1), min_by(a, t), chr(65) from x"
    )
    assert check_sql(ok) == []
    (problem,) = check_sql("select from where")
    assert "does not parse" in problem.message


@pytest.mark.slow
def test_dbt_compiles_for_trino_offline_with_trino_functions_only(tmp_path):
    target = tmp_path / "target"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUITONG_", "DBT_"))}
    env.update(
        HUITONG_HOME=str(tmp_path / "home"),
        DBT_PROFILES_DIR=str(DBT_PROJECT),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    common = ["--target", "trino", "--target-path", str(target)]
    for args in (
        ["parse", *common],
        # No server: no cache to populate, and incremental models take their full-refresh branch.
        ["compile", *common, "--no-populate-cache", "--vars", "{offline_compile: true}"],
    ):
        proc = subprocess.run(
            [str(DBT), *args], cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"dbt {args[0]} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    models = {n["original_file_path"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    compiled = target / "compiled"
    compiled_models = {
        str(p.relative_to(compiled / "huitong"))
        for p in compiled.rglob("*.sql")
        if ".yml" not in str(p) and p.parent.name != "tests"
    }
    assert models and models <= compiled_models, f"not compiled: {sorted(models - compiled_models)}"

    count, problems = check_tree(compiled)
    assert count >= len(models)
    assert [str(p) for p in problems] == []
    assert main([str(compiled)]) == 0

    # Hooks are not in the compiled files: each model's post-hook is compiled on its own (`this` as a ref to the
    # model) and checked the same way.
    hooks = [
        (node["name"], re.sub(r"\bthis\b", f"ref('{node['name']}')", hook["sql"]))
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for hook in node["config"].get("post-hook", [])
    ]
    assert "int_person_id_history" in {name for name, _ in hooks}
    for name, hook in hooks:
        proc = subprocess.run(
            [str(DBT), "compile", *common, "--no-populate-cache", "--vars", "{offline_compile: true}",
             "--quiet", "--inline", hook],
            cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, f"{name}'s post-hook:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
        sql = proc.stdout.strip()
        assert sql, name
        assert check_sql(sql) == [], (name, sql)

    # `huitong er link` (var er_keep_departed) and its batch builds (er_incremental) keep departed records' links.
    for var in ("er_keep_departed", "er_incremental"):
        kept = tmp_path / f"target_{var}"
        proc = subprocess.run(
            [str(DBT), "parse", "--target", "trino", "--target-path", str(kept), "--vars", f"{{{var}: true}}"],
            cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-4000:]
        nodes = json.loads((kept / "manifest.json").read_text(encoding="utf-8"))["nodes"].values()
        history = next(n for n in nodes if n["name"] == "int_person_id_history")
        assert history["config"]["post-hook"] == [], var
