"""The masks written in the committed rules.json, evaluated from their text (Trino SQL through sqlglot, in DuckDB),
equal the masks the embedded path applies for the same user, table and column, on fixed inputs (Chinese included).
test_policy_masks.py compares the two forms of each mask kind; this compares what Trino would actually run, rule by
rule and column by column, with what `huitong query` runs."""

from __future__ import annotations

import json

import duckdb
import pytest
import sqlglot

from huitong.policy import Policy, repo_policy_file, repo_trino_etc
from huitong.policy.rules_check import _probe_tables, trino_table_decision
from tests.unit.test_policy_masks import INPUTS

POLICY = Policy.load(repo_policy_file())
RULES = json.loads((repo_trino_etc() / "rules.json").read_text(encoding="utf-8"))


def _cases() -> list[tuple[str, str, str, str]]:
    """(user, schema, table, column) for every masked column of every rule Trino would apply to a person."""
    cases = {}
    doc = POLICY.document
    for user in (u for u in doc.users if not u.service):
        groups = POLICY.groups_of(user.name)
        for schema in doc.schemas:
            for table in _probe_tables(POLICY):
                rule = trino_table_decision(RULES, user.name, groups, doc.catalog, schema, table)
                for column in (c["name"] for c in (rule or {}).get("columns", []) if "mask" in c):
                    # One case per role and personal-data class: the masks differ by those, not by the table or
                    # the jurisdiction (rule_check already compares every rule's mask text with the policy).
                    key = (user.roles, doc.classify(column).name)
                    cases.setdefault(key, (user.name, schema, table, column))
    return sorted(cases.values())


CASES = _cases()


def _evaluate(expression: str, column: str) -> list:
    with duckdb.connect() as con:
        con.execute(
            f'CREATE TABLE t AS SELECT * FROM (VALUES {", ".join(["(?, ?)"] * len(INPUTS))}) AS v(i, "{column}")',
            [x for pair in enumerate(INPUTS) for x in pair],
        )
        return [r[0] for r in con.execute(f"SELECT {expression} FROM t ORDER BY i").fetchall()]


def test_every_role_with_masks_is_covered():
    users = {user for user, *_ in CASES}
    masked_roles = {r.name for r in POLICY.document.roles if not r.raw_layers}
    covered = {role for u in POLICY.document.users if u.name in users for role in u.roles}
    assert masked_roles <= covered
    assert len(CASES) == len(masked_roles) * len(POLICY.document.column_classes)


@pytest.mark.parametrize("user,schema,table,column", CASES, ids=lambda v: str(v))
def test_rules_json_mask_equals_the_local_mask(user, schema, table, column):
    rule = trino_table_decision(RULES, user, POLICY.groups_of(user), POLICY.document.catalog, schema, table)
    trino_text = next(c["mask"] for c in rule["columns"] if c["name"] == column)
    as_duckdb = sqlglot.transpile(trino_text, read="trino", write="duckdb")[0]
    local = POLICY.for_user(user).column_masks(schema, table, [column])[column]
    trino_out, local_out = _evaluate(as_duckdb, column), _evaluate(local, column)
    assert trino_out == local_out
    assert all(out != value for value, out in zip(INPUTS, local_out, strict=True) if value)
