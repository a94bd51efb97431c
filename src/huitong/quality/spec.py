"""Quality rules as data: the YAML files under ``expectations/`` parsed into checked specs.

One file per source (``expectations/<source>.yml``), one section per entity. The loader is strict on purpose: a
typo in a rule key or an unknown rule kind fails at load time with the file and rule named, instead of silently
validating less than the engineer meant.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("quarantine", "warn")

# Rule kind -> the keys it accepts besides the common ones. Kinds backed by a GX expectation on the value itself
# (required, regex, enum, length) and kinds checked through huitong.codes into a derived column (the rest).
KIND_PARAMS: dict[str, frozenset[str]] = {
    "required": frozenset(),
    "regex": frozenset({"pattern", "describe"}),
    "enum": frozenset({"values"}),
    "length": frozenset({"min", "max"}),
    "resident_id": frozenset(),
    "uscc": frozenset(),
    "gb28181": frozenset(),
    "mobile_phone": frozenset(),
    "iso_datetime": frozenset({"not_before", "max_ahead_hours"}),
    "date_any_format": frozenset({"not_before", "not_after"}),
    "not_before_column": frozenset({"other"}),
}
_COMMON = frozenset({"name", "kind", "column", "severity", "when", "note"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SuiteError(ValueError):
    """A quality suite file is missing or wrong; the message names the file and the rule."""


@dataclass(frozen=True)
class When:
    """Apply a rule only to rows whose ``column`` (trimmed) is one of ``values``."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    column: str
    severity: str = "quarantine"
    when: When | None = None
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def quarantines(self) -> bool:
        return self.severity == "quarantine"


@dataclass(frozen=True)
class Freshness:
    column: str
    max_age_hours: float


@dataclass(frozen=True)
class EntitySpec:
    source: str
    entity: str
    fields: tuple[str, ...]
    rules: tuple[Rule, ...]
    expect_data: bool = True
    freshness: Freshness | None = None
    max_quarantine_fraction: float | None = None
    # Fields a batch's records may all lack (a source that leaves out keys it has no value for): any other field no
    # record of a batch holds fails the schema check.
    optional_fields: tuple[str, ...] = ()

    @property
    def suite_name(self) -> str:
        return f"{self.source}.{self.entity}"


def suites_dir() -> Path:
    """``HUITONG_EXPECTATIONS_DIR`` or the repository's ``expectations/`` folder."""
    override = os.environ.get("HUITONG_EXPECTATIONS_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[3] / "expectations"


def _suite_file(source: str, directory: Path) -> Path | None:
    for suffix in (".yml", ".yaml", ".json"):
        path = directory / f"{source}{suffix}"
        if path.exists():
            return path
    return None


def has_suite(source: str, entity: str) -> bool:
    """True when ``expectations/<source>.yml`` has a section for ``entity`` (a broken file still raises)."""
    directory = suites_dir()
    return _suite_file(source, directory) is not None and entity in _load(source, str(directory))


def entity_spec(source: str, entity: str) -> EntitySpec:
    directory = suites_dir()
    path = _suite_file(source, directory)
    if path is None:
        raise SuiteError(
            f"No quality suite for source {source!r}: add {directory / (source + '.yml')} "
            "(see docs/quality.md, 'Adding a source')."
        )
    specs = _load(source, str(directory))
    if entity not in specs:
        raise SuiteError(f"{path} has no section for entity {entity!r} under 'entities:'.")
    return specs[entity]


def _read(path: Path) -> dict[str, Any]:
    # YAML is a superset of JSON, so one parser reads both spellings of a suite.
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: the top level must be a mapping with 'source' and 'entities'.")
    return data


@cache
def _load(source: str, directory: str) -> dict[str, EntitySpec]:
    path = _suite_file(source, Path(directory))
    assert path is not None
    data = _read(path)
    if data.get("source") != source:
        raise SuiteError(f"{path}: 'source' must be {source!r}, found {data.get('source')!r}.")
    return {
        entity: _entity(path, source, entity, section or {})
        for entity, section in (data.get("entities") or {}).items()
    }


def _entity(path: Path, source: str, entity: str, section: dict[str, Any]) -> EntitySpec:
    where = f"{path} entity {entity!r}"
    unknown = set(section) - {"fields", "rules", "batch", "note"}
    if unknown:
        raise SuiteError(f"{where}: unknown keys {sorted(unknown)}.")
    fields = tuple(section.get("fields") or ())
    if not fields:
        raise SuiteError(f"{where}: 'fields' must list the record's columns.")
    rules = tuple(_rule(where, fields, raw) for raw in section.get("rules") or ())
    names = [r.name for r in rules]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SuiteError(f"{where}: rule names must be unique; repeated: {duplicated}.")
    batch = section.get("batch") or {}
    unknown = set(batch) - {"expect_data", "freshness", "max_quarantine_fraction", "optional_fields"}
    if unknown:
        raise SuiteError(f"{where} batch: unknown keys {sorted(unknown)}.")
    optional = tuple(batch.get("optional_fields") or ())
    if set(optional) - set(fields):
        raise SuiteError(
            f"{where} batch.optional_fields must be fields; not: {sorted(set(optional) - set(fields))}."
        )
    freshness = None
    if batch.get("freshness"):
        fresh = batch["freshness"]
        if fresh.get("column") not in fields or not isinstance(fresh.get("max_age_hours"), int | float):
            raise SuiteError(f"{where} batch.freshness needs 'column' (one of fields) and 'max_age_hours'.")
        freshness = Freshness(fresh["column"], float(fresh["max_age_hours"]))
    return EntitySpec(
        source=source,
        entity=entity,
        fields=fields,
        rules=rules,
        expect_data=bool(batch.get("expect_data", True)),
        freshness=freshness,
        max_quarantine_fraction=batch.get("max_quarantine_fraction"),
        optional_fields=optional,
    )


def _rule(where: str, fields: tuple[str, ...], raw: dict[str, Any]) -> Rule:
    name = raw.get("name", "")
    here = f"{where} rule {name!r}"
    if not _NAME.match(str(name)):
        raise SuiteError(f"{here}: 'name' must be snake_case (it is the expectation's name in reports).")
    kind = raw.get("kind")
    if kind not in KIND_PARAMS:
        raise SuiteError(f"{here}: unknown kind {kind!r}; known kinds: {', '.join(KIND_PARAMS)}.")
    unknown = set(raw) - _COMMON - KIND_PARAMS[kind]
    if unknown:
        raise SuiteError(f"{here}: keys {sorted(unknown)} do not apply to kind {kind!r}.")
    if raw.get("column") not in fields:
        raise SuiteError(f"{here}: 'column' must be one of the entity's fields, found {raw.get('column')!r}.")
    severity = raw.get("severity", "quarantine")
    if severity not in SEVERITIES:
        raise SuiteError(f"{here}: severity must be one of {SEVERITIES}.")
    params = {k: raw[k] for k in KIND_PARAMS[kind] if k in raw}
    _check_params(here, kind, params, fields)
    when = None
    if raw.get("when"):
        cond = raw["when"]
        values = cond.get("in") if isinstance(cond, dict) else None
        if cond.get("column") not in fields or not isinstance(values, list) or not values:
            raise SuiteError(f"{here}: 'when' needs 'column' (one of fields) and a non-empty list 'in'.")
        when = When(cond["column"], tuple(str(v) for v in values))
    return Rule(name, kind, raw["column"], severity, when, params, str(raw.get("note", "")))


def _re2_problem(pattern: str) -> str | None:
    """Why RE2 (Arrow's regex engine, which GX's regex expectations run on: huitong.quality.gx_suite.run_suite)
    rejects ``pattern``, or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # compiled on first use, so on one value: an empty array would not compile it
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except pa.ArrowInvalid as exc:
        return str(exc)
    return None


def _check_params(here: str, kind: str, params: dict[str, Any], fields: tuple[str, ...]) -> None:
    if kind == "regex":
        if "pattern" not in params:
            raise SuiteError(f"{here}: kind 'regex' needs 'pattern'.")
        try:
            re.compile(params["pattern"])
        except re.error as exc:
            raise SuiteError(f"{here}: bad pattern {params['pattern']!r}: {exc}.") from exc
        if problem := _re2_problem(params["pattern"]):
            raise SuiteError(
                f"{here}: pattern {params['pattern']!r} is not RE2 syntax, which validation runs it with "
                f"(no lookarounds or backreferences): {problem}."
            )
    elif kind == "enum" and not (isinstance(params.get("values"), list) and params["values"]):
        raise SuiteError(f"{here}: kind 'enum' needs a non-empty list 'values'.")
    elif kind == "length" and not ({"min", "max"} & set(params)):
        raise SuiteError(f"{here}: kind 'length' needs 'min' and/or 'max'.")
    elif kind == "not_before_column" and params.get("other") not in fields:
        raise SuiteError(f"{here}: kind 'not_before_column' needs 'other', one of the entity's fields.")
