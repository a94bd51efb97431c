"""Check a compiled rules.json against Trino's documented format and against the policy it came from.

The policy check reads rules.json the way Trino does (first matching rule, whole-name regex, no match denies)
with its own small evaluator, independent of the code that wrote the file, and compares every decision with
`Policy.for_user`: the Trino path and the embedded path must agree on access, row filter and masks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from huitong.policy.decisions import Policy

# Table names no grant names, to show that a table nobody thought of is denied to all but data engineers.
UNFORESEEN_TABLES = ("zz_unforeseen_table", "tmp_export", "person_raw")


def schema_errors(rules: dict[str, Any], schema_path: str | Path) -> list[str]:
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"rules.json {'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(rules), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _full(regex: str | None, value: str) -> bool:
    return regex is None or re.fullmatch(regex, value) is not None


def trino_table_decision(
    rules: dict[str, Any], user: str, groups: frozenset[str], catalog: str, schema: str, table: str
) -> dict[str, Any] | None:
    """The rules.json table rule Trino would apply, or None (denied)."""
    for rule in rules.get("tables", []):
        if (
            _full(rule.get("user"), user)
            and (rule.get("group") is None or any(_full(rule["group"], g) for g in groups))
            and "role" not in rule
            and _full(rule.get("catalog"), catalog)
            and _full(rule.get("schema"), schema)
            and _full(rule.get("table"), table)
        ):
            return rule
    return None


def trino_catalog_access(rules: dict[str, Any], user: str, groups: frozenset[str], catalog: str) -> str:
    for rule in rules.get("catalogs", []):
        if (
            _full(rule.get("user"), user)
            and (rule.get("group") is None or any(_full(rule["group"], g) for g in groups))
            and _full(rule.get("catalog"), catalog)
        ):
            allow = rule["allow"]
            return {True: "all", False: "none"}.get(allow, allow)
    return "none"


def policy_problems(rules: dict[str, Any], policy: Policy) -> list[str]:
    doc = policy.document
    problems: list[str] = []

    # Default deny: no rule may grant anything to everybody.
    for section, grants in (
        ("catalogs", lambda r: r["allow"] not in ("none", False)),
        ("tables", lambda r: r["privileges"]),
    ):
        for i, rule in enumerate(rules.get(section, [])):
            if "user" not in rule and "group" not in rule and "role" not in rule and grants(rule):
                problems.append(f"{section}[{i}] grants to every user; the policy is default deny")
    for section in ("catalogs", "schemas", "tables", "impersonation", "system_information"):
        if section not in rules:
            problems.append(f"rules.json has no {section!r} section, so Trino's permissive default applies")

    groups_in_rules = {r.get("group") for r in rules.get("tables", [])}
    for role in doc.roles:
        if not any(
            rule.role == role.name and re.escape(rule.group) in groups_in_rules for rule in policy.table_rules
        ):
            problems.append(f"role {role.name!r} has no table rule in rules.json")
    for schema in doc.schemas:
        if not any(_full(r.get("schema"), schema) for r in rules.get("tables", [])):
            problems.append(f"schema {schema!r} is not covered by any table rule")

    raw_roles = {r.name for r in doc.roles if r.raw_layers}
    for user in doc.users:
        groups = policy.groups_of(user.name)
        ent = policy.for_user(user.name)
        reads_catalog = trino_catalog_access(rules, user.name, groups, doc.catalog) != "none"
        tables = _probe_tables(policy) + list(UNFORESEEN_TABLES)
        for schema in doc.schemas:
            for table in tables:
                where = f"user {user.name} on {schema}.{table}"
                rule = trino_table_decision(rules, user.name, groups, doc.catalog, schema, table)
                trino_reads = reads_catalog and rule is not None and "SELECT" in rule["privileges"]
                if trino_reads != ent.can_read(schema, table):
                    problems.append(
                        f"{where}: Trino {'allows' if trino_reads else 'denies'}, the policy disagrees"
                    )
                    continue
                if not trino_reads:
                    continue
                if schema in doc.restricted_schemas and not raw_roles & set(user.roles):
                    problems.append(f"{where}: a restricted layer is readable without a raw_layers role")
                if rule.get("filter") != ent.row_filter(schema, table):
                    problems.append(
                        f"{where}: row filter {rule.get('filter')!r} != policy {ent.row_filter(schema, table)!r}"
                    )
                names = [c for cls in doc.column_classes for c in cls.trino_columns]
                trino_masks = {c["name"]: c["mask"] for c in rule.get("columns", []) if "mask" in c}
                if trino_masks != ent.column_masks(schema, table, names, dialect="trino"):
                    problems.append(f"{where}: column masks differ from the policy")

    unknown = frozenset()
    for schema in doc.schemas:
        if trino_table_decision(rules, "nobody.unknown", unknown, doc.catalog, schema, "dim_person"):
            problems.append(f"an unknown user can reach {schema}.dim_person")
    return problems


def _probe_tables(policy: Policy) -> list[str]:
    """Table names that exercise every grant: each glob with its wildcards filled in."""
    names = set()
    for role in policy.document.roles:
        for grant in role.grants:
            names.update(t.replace("*", "x").replace("?", "x") for t in grant.tables)
    return sorted(names)


def check_rules_file(rules_path: str | Path, schema_path: str | Path, policy: Policy) -> list[str]:
    rules = json.loads(Path(rules_path).read_text(encoding="utf-8"))
    return schema_errors(rules, schema_path) + policy_problems(rules, policy)
