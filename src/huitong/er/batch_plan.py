"""The compiled batch plan of an `er link --state` folder: the SQL dbt compiled for a batch, run again per batch.

A batch on a resolved base (macros/er/er_batches.sql) is nine small models, but `dbt run` spends most of its time
around them, not in them: importing dbt and its adapter, loading the manifest, and per model the relation lookups,
temp relations and renames of its materialisation (at 1M base records and a 10k batch: ~1.5 s of imports, ~0.7 s of
start-up and ~3.5 s of models whose SQL takes ~1.7 s). The SQL of a batch does not change from one batch to the
next: every batch-dependent value (the batch number, the next run_seq) is a subquery, and with var
er_batch_plan the two values dbt compiles in (run_started_at and invocation_id, macro er_run_started_at) are
DuckDB session variables. So the folder keeps what `dbt compile` rendered for a batch (`compile_plan`, after a dbt
build) and later batches run it (`run_plan`) with the materialisations' own statements (table: create or
replace; view: create or replace; incremental append: insert; delete+insert: delete by unique_key, insert), in
DAG order, one transaction per model as dbt runs them.

dbt stays the compiler: the plan carries a fingerprint of the project it was compiled from (models, macros, seeds,
dbt_project.yml, and the dbt, dbt-duckdb and duckdb versions); when the folder's project differs (new models, other
label rounds, an upgrade) the plan is not used, the batch runs through dbt and the plan is compiled again.
HUITONG_ER_BATCH_EXECUTOR=dbt runs every batch through dbt (tests compare the two on the same batch).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import duckdb

from huitong.er.reference_data import sql_string

log = logging.getLogger(__name__)

PLAN_FILE = "er_batch_plan.json"
# DuckDB vacuums a table's deleted rows at a checkpoint (merging row groups): at 1M records, a checkpoint after a
# batch's delete+insert of ~30k rows of int_persons_clustered and int_person_entities cost 0.5-1.7 s with it and
# ~0.1 s without. A batch turns it off (max_vacuum_tasks 0) until deleted rows are this share of a delete+insert
# table's stored rows (~2% per 10k batch at 1M: about one vacuum in a dozen batches).
VACUUM_AT_DELETED_SHARE = 0.25
PLAN_VARS = {"er_batch_plan": True}
_PROJECT_PARTS = ("models", "macros", "seeds", "dbt_project.yml")
_VERSIONED = ("dbt-core", "dbt-duckdb", "duckdb")


@dataclass(frozen=True)
class PlanNode:
    name: str
    relation: str  # "catalog"."schema"."identifier", as dbt compiled it
    materialized: str  # table, view or incremental
    strategy: str | None  # incremental: append or delete+insert
    unique_key: str | None
    sql: str


def fingerprint(root: Path) -> str:
    """What the compiled SQL depends on: the project's files and the versions of dbt, its adapter and DuckDB. Not
    the profile: its path and DuckDB options are handed to the plan when it runs, so a moved folder keeps its plan."""
    digest = hashlib.sha256()
    for package in _VERSIONED:
        digest.update(f"{package}=={version(package)}\n".encode())
    for part in _PROJECT_PARTS:
        path = root / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] * path.exists()
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _ordered(nodes: dict[str, dict]) -> list[str]:
    """Topological order of the compiled nodes (dependencies outside them are already built)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen:
            return
        seen.add(uid)
        for parent in nodes[uid]["depends_on"]:
            if parent in nodes:
                visit(parent)
        done.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return done


def compile_plan(root: Path, dbt) -> list[PlanNode]:
    """`dbt compile` of the folder's models as a batch renders them (their relations exist), with var
    er_batch_plan; writes the plan file and returns its nodes. `dbt` runs one dbt command in the folder's project
    (huitong.er.link._dbt) and returns dbt's result."""
    result = dbt(root, "compile", "--select", "resource_type:model", "--vars", json.dumps(PLAN_VARS))
    compiled = {}
    for run in result.result.results:
        node = run.node
        if node.resource_type != "model":
            continue
        config = node.config
        compiled[node.unique_id] = {
            "depends_on": list(node.depends_on.nodes),
            "node": PlanNode(
                node.name,
                node.relation_name,
                config.materialized,
                getattr(config, "incremental_strategy", None),
                getattr(config, "unique_key", None),
                node.compiled_code,
            ),
        }
    nodes = [compiled[uid]["node"] for uid in _ordered(compiled)]
    unsupported = [n.name for n in nodes if not _supported(n)]
    if unsupported:
        raise RuntimeError(f"er batch plan: no plan step for the materialisation of {', '.join(unsupported)}")
    (root / PLAN_FILE).write_text(
        json.dumps({"fingerprint": fingerprint(root), "nodes": [asdict(n) for n in nodes]}, indent=1),
        encoding="utf-8",
    )
    log.info("er batch plan: compiled %d models for later batches", len(nodes))
    return nodes


def _supported(node: PlanNode) -> bool:
    if node.materialized in ("table", "view"):
        return True
    return node.materialized == "incremental" and (
        node.strategy in (None, "append") or (node.strategy == "delete+insert" and bool(node.unique_key))
    )


def load_plan(root: Path) -> list[PlanNode] | None:
    """The folder's plan if it was compiled from the project the folder holds now, else None."""
    path = root / PLAN_FILE
    if not path.exists():
        return None
    plan = json.loads(path.read_text(encoding="utf-8"))
    if plan.get("fingerprint") != fingerprint(root):
        log.info(
            "er batch plan: the project changed since the plan was compiled; this batch runs through dbt"
        )
        return None
    return [PlanNode(**n) for n in plan["nodes"]]


def literal(value) -> str:
    """A setting's value as a SQL literal (also a YAML scalar)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return sql_string(str(value))


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """The relation's columns in table order: dbt-duckdb inserts the target's columns, by name. (Not
    pragma_table_info(?): the first statement with a bound parameter took ~0.2 s on a 1M-record base.)"""
    return [column[0] for column in con.execute(f"select * from {relation} limit 0").description]


def run_plan(con: duckdb.DuckDBPyConnection, nodes: list[PlanNode], options: dict,
             before: tuple[str, ...] = ()) -> dict[str, int]:  # fmt: skip
    """Run a batch from the plan on `con` (the folder's database) with the DuckDB `options` of the folder's dbt
    profile: the `before` statements (the input view), then each model in its own transaction, as dbt commits them (one
    transaction for the whole batch was slower: reads of tables holding the transaction's own uncommitted rows
    cost up to twice as much, e.g. the comparisons 0.29 s vs 0.13 s at 1M). A run that stops half way resumes as
    a dbt run would: each model takes a pending batch once (macros/er/er_batches.sql). Returns the rows each
    incremental model wrote (-1 for tables and views)."""
    written: dict[str, int] = {}
    started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for option, value in options.items():
        con.execute(f"set {option} = {literal(value)}")
    con.execute(f"set variable er_run_started_at = timestamp '{started:%Y-%m-%d %H:%M:%S}'")
    con.execute(f"set variable er_invocation_id = '{uuid.uuid4()}'")
    deleted = _deleted_share(con, nodes)
    vacuum = deleted >= VACUUM_AT_DELETED_SHARE
    if vacuum:
        log.info(
            "er batch plan: %.0f%% of a table's stored rows are deleted; checkpoints vacuum them",
            deleted * 100,
        )
    con.execute("reset max_vacuum_tasks" if vacuum else "set max_vacuum_tasks = 0")
    for statement in before:
        con.execute(statement)
    for node in nodes:
        began = time.perf_counter()
        con.begin()
        try:
            written[node.name] = _run_node(con, node)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        log.info("er batch plan: %s (%s%s) %s in %.2f s", node.name, node.materialized,
                 f", {node.strategy or 'append'}" if node.materialized == "incremental" else "",
                 f"{written[node.name]:,} rows" if written[node.name] >= 0 else "built",
                 time.perf_counter() - began)  # fmt: skip
    return written


def _deleted_share(con: duckdb.DuckDBPyConnection, nodes: list[PlanNode]) -> float:
    """The largest share of deleted rows still stored in a delete+insert model's table."""
    shares = [0.0]
    for node in nodes:
        if node.strategy != "delete+insert":
            continue
        database, schema, table = (part.strip('"') for part in node.relation.split("."))
        stored = con.execute(
            f"select estimated_size from duckdb_tables() where database_name = '{database}'"
            f" and schema_name = '{schema}' and table_name = '{table}'"
        ).fetchone()
        live = con.execute(f"select count(*) from {node.relation}").fetchone()[0]
        if stored and stored[0]:
            shares.append(1 - live / stored[0])
    return max(shares)


def _run_node(con: duckdb.DuckDBPyConnection, node: PlanNode) -> int:
    """One model as its dbt-duckdb materialisation would build it on an existing relation."""
    if node.materialized in ("table", "view"):
        con.execute(f"create or replace {node.materialized} {node.relation} as (\n{node.sql}\n)")
        return -1
    staged = f'"{node.name}__batch_plan"'
    con.execute(f"create or replace temp table {staged} as (\n{node.sql}\n)")
    columns = ", ".join(f'"{c}"' for c in _columns(con, node.relation))
    if node.strategy == "delete+insert":
        key = node.unique_key
        con.execute(f"delete from {node.relation} where ({key}) in (select ({key}) from {staged})")
    rows = con.execute(
        f"insert into {node.relation} ({columns}) (select {columns} from {staged})"
    ).fetchone()[0]
    con.execute(f"drop table {staged}")
    return rows
