"""Huitong's one access policy: load it, ask what a user may read, compile it for Trino.

from huitong.policy import Policy, repo_policy_file
ent = Policy.load(repo_policy_file()).for_user("li.na")
ent.can_read("marts", "dim_person")                      # True
ent.row_filter("marts", "dim_person")                    # "jurisdiction_code" = '329902'
ent.column_masks("marts", "dim_person", ["full_name"])   # {"full_name": "CASE WHEN ... END"} (DuckDB SQL)
"""

from __future__ import annotations

from pathlib import Path

from huitong.policy.decisions import Entitlements, Policy, TableRule
from huitong.policy.document import PolicyError
from huitong.policy.masks import MASK_KINDS, render_mask
from huitong.policy.trino_rules import compile_policy, stale_files

# The checkout's infra/ folder (src/huitong/policy/__init__.py -> repository root).
_INFRA = Path(__file__).resolve().parents[3] / "infra"


def repo_policy_file() -> Path:
    return _INFRA / "policy" / "access_policy.yaml"


def repo_trino_etc() -> Path:
    """Where the committed rules.json and group.txt live (mounted as Trino's etc/)."""
    return _INFRA / "trino" / "etc"


def repo_rules_schema() -> Path:
    return _INFRA / "trino" / "rules.schema.json"


__all__ = [
    "MASK_KINDS",
    "Entitlements",
    "Policy",
    "PolicyError",
    "TableRule",
    "compile_policy",
    "render_mask",
    "repo_policy_file",
    "repo_rules_schema",
    "repo_trino_etc",
    "stale_files",
]
