"""The compiled batch plan of an `er link --state` folder (huitong.er.batch_plan) without dbt: what its fingerprint
covers, when a plan is not used, the order of its steps and the statements a step runs."""

from __future__ import annotations

import json
from dataclasses import asdict

import duckdb
import pytest

from huitong.er.batch_plan import (
    PLAN_FILE,
    PlanNode,
    _deleted_share,
    _ordered,
    _run_node,
    _supported,
    fingerprint,
    load_plan,
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1 as x")
    (tmp_path / "macros").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    (tmp_path / "profiles.yml").write_text("p: {outputs: {duckdb: {path: '/somewhere/link.duckdb'}}}\n")
    return tmp_path


def _write_plan(root, nodes, stamp=None):
    (root / PLAN_FILE).write_text(
        json.dumps({"fingerprint": stamp or fingerprint(root), "nodes": [asdict(n) for n in nodes]})
    )


def test_fingerprint_follows_the_project_not_the_profile(project):
    before = fingerprint(project)
    (project / "profiles.yml").write_text("p: {outputs: {duckdb: {path: '/moved/link.duckdb'}}}\n")
    assert fingerprint(project) == before  # a moved folder keeps its plan
    (project / "models" / "a.sql").write_text("select 2 as x")
    assert fingerprint(project) != before
    (project / "models" / "a.sql").write_text("select 1 as x")
    (project / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}")
    assert fingerprint(project) != before


def test_a_plan_of_another_project_is_not_used(project):
    node = PlanNode("a", '"db"."main"."a"', "table", None, None, "select 1 as x")
    _write_plan(project, [node])
    assert load_plan(project) == [node]
    _write_plan(project, [node], stamp="0" * 64)
    assert load_plan(project) is None
    (project / PLAN_FILE).unlink()
    assert load_plan(project) is None


def test_steps_follow_the_dependencies():
    nodes = {
        "m.c": {"depends_on": ["m.b", "seed.s"]},
        "m.a": {"depends_on": []},
        "m.b": {"depends_on": ["m.a"]},
    }
    assert _ordered(nodes) == ["m.a", "m.b", "m.c"]


def test_only_materialisations_with_a_step_are_supported():
    def node(materialized, strategy=None, key=None):
        return PlanNode("n", "r", materialized, strategy, key, "select 1")

    assert _supported(node("table")) and _supported(node("view")) and _supported(node("incremental"))
    assert _supported(node("incremental", "delete+insert", "record_key"))
    assert not _supported(node("incremental", "delete+insert"))  # dbt needs the key too
    assert not _supported(node("incremental", "merge", "record_key"))
    assert not _supported(node("ephemeral"))


def test_steps_build_as_the_dbt_duckdb_materialisations_do():
    con = duckdb.connect()
    con.execute("create table t (record_key varchar, value integer)")
    con.execute("insert into t values ('a', 1), ('b', 2)")
    append = PlanNode("t", "t", "incremental", "append", None, "select 'c' as record_key, 3 as value")
    assert _run_node(con, append) == 1
    upsert = PlanNode("t", "t", "incremental", "delete+insert", "record_key",
                      "select 7 as value, 'b' as record_key union all select 8, 'd'")  # fmt: skip
    assert _run_node(con, upsert) == 2  # by column name, whatever the select's order
    assert con.execute("select * from t order by record_key").fetchall() == [
        ("a", 1),
        ("b", 7),
        ("c", 3),
        ("d", 8),
    ]
    assert _run_node(con, PlanNode("v", "v", "view", None, None, "select count(*) as n from t")) == -1
    assert con.execute("select n from v").fetchone() == (4,)


def test_deleted_rows_are_counted_for_the_vacuum_policy():
    con = duckdb.connect()
    con.execute("create table t as select range as record_key from range(1000)")
    upsert = PlanNode("t", '"memory"."main"."t"', "incremental", "delete+insert", "record_key", "select 1")
    appended = PlanNode("t", '"memory"."main"."t"', "incremental", "append", None, "select 1")
    assert _deleted_share(con, [upsert]) == 0
    con.execute("delete from t where record_key < 300")
    assert _deleted_share(con, [upsert]) == pytest.approx(0.3)
    assert _deleted_share(con, [appended]) == 0  # an appended table is not vacuumed by the plan's policy
