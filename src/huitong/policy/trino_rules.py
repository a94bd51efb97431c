"""Compile the policy into Trino's file-based access control (etc/rules.json) and group file (etc/group.txt),
and check a rules.json against its JSON schema and against the policy.

Format: https://trino.io/docs/current/security/file-system-access-control.html (system-level file) and
https://trino.io/docs/current/security/group-file.html. Regexes in rules.json must match whole names (Trino calls
``Matcher.matches()``); column constraints name columns exactly, which is why the policy lists `trino_columns`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from huitong.policy.decisions import Policy, TableRule, role_groups, user_groups
from huitong.policy.masks import render_mask

RULES_FILE = "rules.json"
GROUP_FILE = "group.txt"


def _alternation(names: list[str]) -> str:
    escaped = [re.escape(n) for n in names]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def _table_rule_json(policy: Policy, rule: TableRule) -> dict[str, Any]:
    doc = policy.document
    out: dict[str, Any] = {
        "group": re.escape(rule.group),
        "catalog": re.escape(doc.catalog),
        "schema": rule.schema_regex,
        "table": rule.table_regex,
        "privileges": [p.upper() for p in rule.privileges],
    }
    if rule.row_filter_sql:
        out["filter"] = rule.row_filter_sql
    columns = []
    kinds = dict(rule.masks)
    for cls in doc.column_classes:
        if cls.name in kinds:
            columns += [
                {"name": c, "mask": render_mask(kinds[cls.name], c, "trino")} for c in cls.trino_columns
            ]
    if columns:
        out["columns"] = columns
    return out


def render_rules(policy: Policy) -> dict[str, Any]:
    doc = policy.document
    raw_roles = [r for r in doc.roles if r.raw_layers]
    raw_groups = [g for r in raw_roles for g, _ in role_groups(doc, r)]
    catalogs: list[dict[str, Any]] = []
    for role in doc.roles:
        groups = _alternation([g for g, _ in role_groups(doc, role)])
        if role.raw_layers:
            catalogs.append({"group": groups, "catalog": ".*", "allow": "all"})
        else:
            catalogs.append({"group": groups, "catalog": re.escape(doc.catalog), "allow": "read-only"})
    # Trino opens the system catalog to everyone unless a rule says otherwise; its runtime tables show other
    # users' query texts.
    catalogs.append({"catalog": "system", "allow": "none"})

    people = [u.name for u in doc.users if not u.service]
    raw_users = [u.name for u in doc.users if any(doc.role(r).raw_layers for r in u.roles)]
    rules: dict[str, Any] = {
        "catalogs": catalogs,
        "schemas": [{"group": _alternation(raw_groups), "schema": ".*", "owner": True}] if raw_groups else [],
        "tables": [_table_rule_json(policy, r) for r in policy.table_rules],
        "queries": (
            [{"group": _alternation(raw_groups), "allow": ["execute", "kill", "view"]}] if raw_groups else []
        )
        + [{"allow": ["execute"]}],
        "impersonation": [
            {"original_user": re.escape(u.name), "new_user": _alternation(people), "allow": True}
            for u in doc.users
            if u.impersonates == "people" and people
        ],
        "system_information": [{"user": _alternation(raw_users), "allow": ["read", "write"]}]
        if raw_users
        else [],
        "procedures": (
            [
                {
                    "group": _alternation(raw_groups),
                    "catalog": re.escape(doc.catalog),
                    "privileges": ["EXECUTE"],
                }
            ]
            if raw_groups
            else []
        ),
    }
    return rules


def render_groups(policy: Policy) -> str:
    doc = policy.document
    members: dict[str, list[str]] = {}
    for role in doc.roles:
        for group, _ in role_groups(doc, role):
            members[group] = []
    for user in doc.users:
        for group in user_groups(doc, user):
            members[group].append(user.name)
    lines = [f"{group}:{','.join(names)}" for group, names in members.items() if names]
    return "\n".join(lines) + "\n"


def render_files(policy: Policy) -> dict[str, str]:
    rules = json.dumps(render_rules(policy), indent=2, ensure_ascii=False) + "\n"
    return {RULES_FILE: rules, GROUP_FILE: render_groups(policy)}


def compile_policy(policy_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Validate the policy and write rules.json and group.txt into out_dir (Trino's etc/). Deterministic: the
    same policy gives byte-identical files."""
    policy = Policy.load(policy_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_files(policy).items():
        target = out / name
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written


def stale_files(policy_path: str | Path, out_dir: str | Path) -> list[str]:
    """Names of compiled files in out_dir that differ from what the policy compiles to now."""
    expected = render_files(Policy.load(policy_path))
    out = Path(out_dir)
    return [
        name
        for name, text in expected.items()
        if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text
    ]
