"""The policy as one ordered decision list, and what a user is entitled to under it.

Trino's file-based access control takes the FIRST table rule whose user/group, schema and table match, and denies
when none does. The policy is flattened into exactly such a list (`TableRule`s, one per grant and group); rules.json
is rendered from it and `Entitlements` evaluates the same list in Python, so the embedded path and Trino reach the
same decision for the same user and table by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from huitong.policy.document import PolicyDocument, Role, User, globs_to_regex, load_policy_document
from huitong.policy.masks import KEEP, render_jurisdiction_filter, render_mask


@dataclass(frozen=True)
class TableRule:
    role: str
    group: str
    schema_regex: str
    table_regex: str
    privileges: tuple[str, ...]
    masks: tuple[tuple[str, str], ...]  # (column class, mask kind), `keep` left out
    jurisdiction_column: str | None
    jurisdiction: str | None

    def matches(self, groups: frozenset[str], schema: str, table: str) -> bool:
        return (
            self.group in groups
            and re.fullmatch(self.schema_regex, schema) is not None
            and re.fullmatch(self.table_regex, table) is not None
        )

    @property
    def row_filter_sql(self) -> str | None:
        if self.jurisdiction_column is None or self.jurisdiction is None:
            return None
        return render_jurisdiction_filter(self.jurisdiction_column, self.jurisdiction)


def role_groups(doc: PolicyDocument, role: Role) -> list[tuple[str, str | None]]:
    """The groups a role becomes: itself, or one group per jurisdiction (`district_analyst_329902`), because a
    Trino rule's filter is fixed text and each jurisdiction needs its own."""
    if role.scope == "jurisdiction":
        return [(f"{role.name}_{code}", code) for code in sorted(doc.jurisdictions)]
    return [(role.name, None)]


def user_groups(doc: PolicyDocument, user: User) -> list[str]:
    groups = []
    for name in user.roles:
        role = doc.role(name)
        groups.append(f"{role.name}_{user.jurisdiction}" if role.scope == "jurisdiction" else role.name)
    return groups


def build_table_rules(doc: PolicyDocument) -> tuple[TableRule, ...]:
    rules = []
    for role in doc.roles:
        masks = tuple((cls, kind) for cls, kind in role.masks.items() if kind != KEEP)
        for group, code in role_groups(doc, role):
            for grant in role.grants:
                rules.append(
                    TableRule(
                        role=role.name,
                        group=group,
                        schema_regex=globs_to_regex(grant.schemas),
                        table_regex=globs_to_regex(grant.tables),
                        privileges=grant.privileges,
                        masks=() if grant.deny else masks,
                        jurisdiction_column=grant.jurisdiction_column,
                        jurisdiction=code if grant.jurisdiction_column else None,
                    )
                )
    return tuple(rules)


@dataclass(frozen=True)
class Entitlements:
    """What one user may read. Unknown users get no groups, so every answer is a denial."""

    user: str
    groups: frozenset[str]
    _policy: Policy

    def _rule(self, schema: str, table: str) -> TableRule | None:
        schema, table = schema.lower(), table.lower()
        return next((r for r in self._policy.table_rules if r.matches(self.groups, schema, table)), None)

    def can_read(self, schema: str, table: str) -> bool:
        rule = self._rule(schema, table)
        return rule is not None and "select" in rule.privileges

    def row_filter(self, schema: str, table: str) -> str | None:
        """The SQL predicate rows must satisfy (the same text in Trino and DuckDB); None when unfiltered.
        Raises PermissionError for a table the user may not read, so a caller cannot mistake 'no filter' for
        'allowed'."""
        rule = self._readable_rule(schema, table)
        return rule.row_filter_sql

    def row_filter_column(self, schema: str, table: str) -> str | None:
        """The column `row_filter` tests (the table must have it); None when unfiltered."""
        rule = self._readable_rule(schema, table)
        return rule.jurisdiction_column if rule.row_filter_sql else None

    def column_masks(
        self, schema: str, table: str, columns: Iterable[str], dialect: str = "duckdb"
    ) -> dict[str, str]:
        """{column: SQL expression to select instead of the column} for the masked columns among `columns`,
        recognised by the naming convention. Raises PermissionError for a table the user may not read."""
        rule = self._readable_rule(schema, table)
        kinds = dict(rule.masks)
        out = {}
        for column in columns:
            cls = self._policy.document.classify(column)
            if cls is not None and cls.name in kinds:
                out[column] = render_mask(kinds[cls.name], column, dialect)
        return out

    def _readable_rule(self, schema: str, table: str) -> TableRule:
        rule = self._rule(schema, table)
        if rule is None or "select" not in rule.privileges:
            raise PermissionError(f"{self.user} may not read {schema}.{table}")
        return rule


class Policy:
    """The loaded, validated policy and the decision list compiled from it."""

    def __init__(self, document: PolicyDocument):
        self.document = document

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        return cls(load_policy_document(path))

    @cached_property
    def table_rules(self) -> tuple[TableRule, ...]:
        return build_table_rules(self.document)

    def groups_of(self, user: str) -> frozenset[str]:
        found = next((u for u in self.document.users if u.name == user), None)
        return frozenset(user_groups(self.document, found)) if found else frozenset()

    def for_user(self, user: str) -> Entitlements:
        return Entitlements(user, self.groups_of(user), self)

    def unlisted_personal_columns(self, column_names: Iterable[str]) -> list[str]:
        """Columns that the naming convention marks as personal but Trino's rules would not mask because they
        are missing from their class's `trino_columns`. Feed it every column of the dbt manifest: it must be empty."""
        missing = set()
        for column in column_names:
            cls = self.document.classify(column)
            if cls is not None and column.lower() not in cls.trino_columns:
                missing.add(column.lower())
        return sorted(missing)
