"""Load and validate the access policy file (infra/policy/access_policy.yaml).

Every error names the file, the line and the field (``access_policy.yaml:57: roles.leadership.grants[1].tables:
...``): a policy typo must be found by the person who made it, not by a department that suddenly sees too much.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from huitong.policy.masks import KEEP, MASK_KINDS

PRIVILEGES = ("select", "insert", "update", "delete", "ownership", "grant_select")
SCOPES = ("jurisdiction",)
IMPERSONATION_TARGETS = ("people",)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_USER = re.compile(r"^[a-z][a-z0-9._-]*$")
_GLOB = re.compile(r"^[a-z0-9_*?]+$")
_JURISDICTION = re.compile(r"^\d{6}(\d{3})?$")


class PolicyError(ValueError):
    """The policy file is malformed; the message says where and what."""

    def __init__(self, source: str, line: int | None, field: str, message: str):
        self.source, self.line, self.field = source, line, field
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict


class _Seq(list):
    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def glob_to_regex(pattern: str) -> str:
    """A policy glob as the Java/Python regex Trino matches whole names against (``matcher.matches()``)."""
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)


def globs_to_regex(patterns: tuple[str, ...]) -> str:
    parts = [glob_to_regex(p) for p in patterns]
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


@dataclass(frozen=True)
class ColumnClass:
    name: str
    description: str
    patterns: tuple[str, ...]
    trino_columns: tuple[str, ...]

    def matches(self, column: str) -> bool:
        return any(fnmatch.fnmatchcase(column.lower(), p) for p in self.patterns)


@dataclass(frozen=True)
class Grant:
    schemas: tuple[str, ...]
    tables: tuple[str, ...]
    privileges: tuple[str, ...]
    deny: bool
    jurisdiction_column: str | None
    line: int


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    raw_layers: bool
    scope: str | None
    masks: dict[str, str]
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    jurisdiction: str | None
    service: bool
    impersonates: str | None


@dataclass(frozen=True)
class PolicyDocument:
    source: str
    catalog: str
    restricted_schemas: tuple[str, ...]
    shared_schemas: tuple[str, ...]
    column_classes: tuple[ColumnClass, ...]
    jurisdictions: dict[str, str]
    roles: tuple[Role, ...]
    users: tuple[User, ...]

    @property
    def schemas(self) -> tuple[str, ...]:
        return self.restricted_schemas + self.shared_schemas

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.name == name)

    def classify(self, column: str) -> ColumnClass | None:
        """The personal-data class of a column name, by the naming convention; None for other columns."""
        return next((c for c in self.column_classes if c.matches(column)), None)


class _Checker:
    """Walks the parsed YAML; each method raises PolicyError with the line of the offending field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, node: Any, key: Any, field: str, message: str) -> None:
        line = None
        if (
            isinstance(node, _Map)
            and key in node.lines
            or isinstance(node, _Seq)
            and isinstance(key, int)
            and key < len(node.lines)
        ):
            line = node.lines[key]
        elif isinstance(node, (_Map, _Seq)):
            line = node.line
        raise PolicyError(self.source, line, field, message)

    def mapping(self, parent: Any, key: Any, field: str, required=(), optional=()) -> _Map:
        value = parent.get(key) if isinstance(parent, dict) else parent[key]
        if not isinstance(value, _Map):
            self.fail(parent, key, field, f"must be a mapping, got {type(value).__name__}")
        if required or optional:
            for name in required:
                if name not in value:
                    self.fail(value, None, field, f"missing required field {name!r}")
            allowed = set(required) | set(optional)
            for name in value:
                if name not in allowed:
                    sub = f"{field}.{name}" if field else str(name)
                    self.fail(value, name, sub, f"unknown field; allowed: {', '.join(sorted(allowed))}")
        return value

    def named_entries(self, parent: _Map, key: str, what: str):
        """(section, name, field) for each entry of a mapping keyed by identifiers (roles, column classes)."""
        section = self.mapping(parent, key, key)
        for name in section:
            field = f"{key}.{name}"
            if not isinstance(name, str) or not _NAME.match(name):
                self.fail(section, name, field, f"{what} names are lower-case identifiers")
            yield section, name, field

    def names(self, parent: _Map, key: str, field: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
        value = parent[key]
        if not isinstance(value, _Seq) or not value:
            self.fail(parent, key, field, f"must be a non-empty list of {what}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not pattern.match(item):
                self.fail(value, i, f"{field}[{i}]", f"{item!r} is not a valid {what}")
        if len(set(value)) != len(value):
            self.fail(parent, key, field, "lists a value twice")
        return tuple(value)

    def text(self, parent: _Map, key: str, field: str, default: str | None = None) -> str:
        value = parent.get(key, default)
        if not isinstance(value, str):
            self.fail(parent, key, field, f"must be a string, got {value!r}")
        return value

    def flag(self, parent: _Map, key: str, field: str) -> bool:
        value = parent.get(key, False)
        if not isinstance(value, bool):
            self.fail(parent, key, field, f"must be true or false, got {value!r}")
        return value


def load_policy_document(path: str | Path) -> PolicyDocument:
    path = Path(path)
    source = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PolicyError(
            source, mark.line + 1 if mark else None, "", f"not valid YAML: {exc.problem}"
        ) from exc
    except OSError as exc:
        raise PolicyError(source, None, "", f"cannot read the policy file: {exc}") from exc
    if not isinstance(raw, _Map):
        raise PolicyError(source, None, "", "the policy file must be a YAML mapping")
    return _validate(raw, _Checker(source))


def _validate(raw: _Map, ck: _Checker) -> PolicyDocument:
    top = ck.mapping(
        {"": raw},
        "",
        "",
        required=("version", "catalog", "schemas", "personal_columns", "roles", "users"),
        optional=("jurisdictions",),
    )
    if top["version"] != 1:
        ck.fail(top, "version", "version", f"only version 1 is understood, got {top['version']!r}")
    catalog = ck.text(top, "catalog", "catalog")
    if not _NAME.match(catalog):
        ck.fail(top, "catalog", "catalog", f"{catalog!r} is not a valid catalog name")

    schemas = ck.mapping(top, "schemas", "schemas", required=("restricted", "shared"))
    restricted = ck.names(schemas, "restricted", "schemas.restricted", _NAME, "schema name")
    shared = ck.names(schemas, "shared", "schemas.shared", _NAME, "schema name")
    if overlap := set(restricted) & set(shared):
        ck.fail(
            schemas, "shared", "schemas.shared", f"also listed as restricted: {', '.join(sorted(overlap))}"
        )

    classes = _column_classes(top, ck)
    jurisdictions = _jurisdictions(top, ck)
    roles = _roles(top, ck, restricted + shared, restricted, classes)
    users = _users(top, ck, roles, jurisdictions)
    return PolicyDocument(
        source=ck.source,
        catalog=catalog,
        restricted_schemas=restricted,
        shared_schemas=shared,
        column_classes=classes,
        jurisdictions=jurisdictions,
        roles=roles,
        users=users,
    )


def _column_classes(top: _Map, ck: _Checker) -> tuple[ColumnClass, ...]:
    classes: list[ColumnClass] = []
    for section, name, field in ck.named_entries(top, "personal_columns", "class"):
        body = ck.mapping(
            section, name, field, required=("patterns", "trino_columns"), optional=("description",)
        )
        patterns = ck.names(body, "patterns", f"{field}.patterns", _GLOB, "column-name glob")
        columns = ck.names(body, "trino_columns", f"{field}.trino_columns", _NAME, "column name")
        cls = ColumnClass(name, ck.text(body, "description", f"{field}.description", ""), patterns, columns)
        for i, column in enumerate(columns):
            if not cls.matches(column):
                ck.fail(
                    body["trino_columns"],
                    i,
                    f"{field}.trino_columns[{i}]",
                    f"{column!r} matches none of {list(patterns)}",
                )
            if earlier := next((c for c in classes if c.matches(column)), None):
                ck.fail(
                    body["trino_columns"],
                    i,
                    f"{field}.trino_columns[{i}]",
                    f"{column!r} already belongs to class {earlier.name!r}; a column must have one class",
                )
        classes.append(cls)
    if not classes:
        ck.fail(top, "personal_columns", "personal_columns", "declare at least one class of personal columns")
    return tuple(classes)


def _jurisdictions(top: _Map, ck: _Checker) -> dict[str, str]:
    if "jurisdictions" not in top:
        return {}
    section = ck.mapping(top, "jurisdictions", "jurisdictions")
    for code, label in section.items():
        if not isinstance(code, str) or not _JURISDICTION.match(code):
            ck.fail(
                section,
                code,
                f"jurisdictions.{code}",
                'codes are quoted 6-digit (district) or 9-digit (town) GB/T 2260 strings, e.g. "329902"',
            )
        if not isinstance(label, str):
            ck.fail(section, code, f"jurisdictions.{code}", "the value is the district's name")
    return dict(section)


def _roles(
    top: _Map,
    ck: _Checker,
    schemas: tuple[str, ...],
    restricted: tuple[str, ...],
    classes: tuple[ColumnClass, ...],
) -> tuple[Role, ...]:
    roles: list[Role] = []
    for section, name, field in ck.named_entries(top, "roles", "role"):
        body = ck.mapping(
            section,
            name,
            field,
            required=("grants",),
            optional=("description", "raw_layers", "scope", "masks"),
        )
        raw_layers = ck.flag(body, "raw_layers", f"{field}.raw_layers")
        scope = body.get("scope")
        if scope is not None and scope not in SCOPES:
            ck.fail(body, "scope", f"{field}.scope", f"must be one of {', '.join(SCOPES)}")
        masks = _masks(body, ck, field, classes, raw_layers)
        grants_node = body["grants"]
        if not isinstance(grants_node, _Seq) or not grants_node:
            ck.fail(body, "grants", f"{field}.grants", "must be a non-empty list")
        grants = tuple(
            _grant(grants_node, i, ck, f"{field}.grants[{i}]", schemas, restricted, raw_layers, scope)
            for i in range(len(grants_node))
        )
        roles.append(
            Role(
                name,
                ck.text(body, "description", f"{field}.description", ""),
                raw_layers,
                scope,
                masks,
                grants,
            )
        )
    if not roles:
        ck.fail(top, "roles", "roles", "declare at least one role")
    return tuple(roles)


def _masks(
    body: _Map, ck: _Checker, field: str, classes: tuple[ColumnClass, ...], raw_layers: bool
) -> dict[str, str]:
    if "masks" not in body:
        if raw_layers:
            return {c.name: KEEP for c in classes}
        ck.fail(
            body,
            None,
            f"{field}.masks",
            "a role without raw_layers must say, for every personal column "
            f"class ({', '.join(c.name for c in classes)}), `keep` or a mask kind",
        )
    masks = ck.mapping(body, "masks", f"{field}.masks")
    allowed = (KEEP, *MASK_KINDS)
    for cls, kind in masks.items():
        if cls not in {c.name for c in classes}:
            ck.fail(masks, cls, f"{field}.masks.{cls}", "not a class declared under personal_columns")
        if kind not in allowed:
            hint = ' (write "null" in quotes: bare null is YAML\'s empty value)' if kind is None else ""
            ck.fail(masks, cls, f"{field}.masks.{cls}", f"{kind!r} is not one of {', '.join(allowed)}{hint}")
    if missing := [c.name for c in classes if c.name not in masks]:
        ck.fail(masks, None, f"{field}.masks", f"no decision for class(es) {', '.join(missing)}")
    return {c.name: masks[c.name] for c in classes}


def _grant(
    grants: _Seq,
    index: int,
    ck: _Checker,
    field: str,
    schemas: tuple[str, ...],
    restricted: tuple[str, ...],
    raw_layers: bool,
    scope: str | None,
) -> Grant:
    body = ck.mapping(
        grants, index, field, required=("schemas", "tables"), optional=("privileges", "deny", "row_filter")
    )
    schema_globs = ck.names(body, "schemas", f"{field}.schemas", _GLOB, "schema glob")
    table_globs = ck.names(body, "tables", f"{field}.tables", _GLOB, "table glob")
    for i, pattern in enumerate(schema_globs):
        matched = [s for s in schemas if fnmatch.fnmatchcase(s, pattern)]
        if not matched:
            ck.fail(body["schemas"], i, f"{field}.schemas[{i}]", f"{pattern!r} matches no declared schema")
        if not raw_layers and (raw := [s for s in matched if s in restricted]):
            ck.fail(
                body["schemas"],
                i,
                f"{field}.schemas[{i}]",
                f"{pattern!r} reaches the restricted layer(s) {', '.join(raw)}, open only to roles with raw_layers: true",
            )
    deny = ck.flag(body, "deny", f"{field}.deny")
    privileges: tuple[str, ...] = ("select",)
    if "privileges" in body:
        privileges = ck.names(
            body, "privileges", f"{field}.privileges", re.compile(r"^[a-z_]+$"), "privilege"
        )
        for i, priv in enumerate(privileges):
            if priv not in PRIVILEGES:
                ck.fail(
                    body["privileges"],
                    i,
                    f"{field}.privileges[{i}]",
                    f"{priv!r} is not one of {', '.join(PRIVILEGES)}",
                )
        if not raw_layers and set(privileges) - {"select"}:
            ck.fail(body, "privileges", f"{field}.privileges", "only roles with raw_layers: true may write")
    if deny and ("privileges" in body or "row_filter" in body):
        ck.fail(body, "deny", f"{field}.deny", "a deny grant takes no privileges or row_filter")
    column = None
    if "row_filter" in body:
        rf = ck.mapping(body, "row_filter", f"{field}.row_filter", required=("jurisdiction_column",))
        column = ck.text(rf, "jurisdiction_column", f"{field}.row_filter.jurisdiction_column")
        if not _NAME.match(column):
            ck.fail(
                rf,
                "jurisdiction_column",
                f"{field}.row_filter.jurisdiction_column",
                f"{column!r} is not a column name",
            )
        if scope != "jurisdiction":
            ck.fail(
                body,
                "row_filter",
                f"{field}.row_filter",
                "a jurisdiction row filter needs `scope: jurisdiction` on the role",
            )
    return Grant(schema_globs, table_globs, () if deny else privileges, deny, column, grants.lines[index])


def _users(
    top: _Map, ck: _Checker, roles: tuple[Role, ...], jurisdictions: dict[str, str]
) -> tuple[User, ...]:
    section = top["users"]
    if not isinstance(section, _Seq):
        ck.fail(top, "users", "users", "must be a list")
    by_name = {r.name: r for r in roles}
    users: list[User] = []
    for i in range(len(section)):
        field = f"users[{i}]"
        body = ck.mapping(
            section,
            i,
            field,
            required=("user", "roles"),
            optional=("jurisdiction", "service", "impersonates"),
        )
        name = ck.text(body, "user", f"{field}.user")
        if not _USER.match(name):
            ck.fail(body, "user", f"{field}.user", f"{name!r} is not a valid user name")
        if any(u.name == name for u in users):
            ck.fail(body, "user", f"{field}.user", f"{name!r} is listed twice")
        role_names = body["roles"]
        if not isinstance(role_names, _Seq):
            ck.fail(body, "roles", f"{field}.roles", "must be a list (may be empty)")
        for j, role in enumerate(role_names):
            if not isinstance(role, str) or role not in by_name:
                ck.fail(role_names, j, f"{field}.roles[{j}]", f"unknown role {role!r}")
        scoped = [r for r in role_names if by_name[r].scope == "jurisdiction"]
        jurisdiction = body.get("jurisdiction")
        if scoped and jurisdiction is None:
            ck.fail(
                body,
                None,
                f"{field}.jurisdiction",
                f"role {scoped[0]!r} is jurisdiction-scoped; set the user's jurisdiction",
            )
        if jurisdiction is not None:
            if not scoped:
                ck.fail(
                    body,
                    "jurisdiction",
                    f"{field}.jurisdiction",
                    "only users of a jurisdiction-scoped role have one",
                )
            if jurisdiction not in jurisdictions:
                ck.fail(
                    body,
                    "jurisdiction",
                    f"{field}.jurisdiction",
                    f"{jurisdiction!r} is not declared under jurisdictions (quote the code)",
                )
        impersonates = body.get("impersonates")
        if impersonates is not None and impersonates not in IMPERSONATION_TARGETS:
            ck.fail(
                body,
                "impersonates",
                f"{field}.impersonates",
                f"must be one of {', '.join(IMPERSONATION_TARGETS)}",
            )
        service = ck.flag(body, "service", f"{field}.service")
        if impersonates and not service:
            ck.fail(body, "impersonates", f"{field}.impersonates", "only service users may impersonate")
        users.append(User(name, tuple(role_names), jurisdiction, service, impersonates))
    return tuple(users)
